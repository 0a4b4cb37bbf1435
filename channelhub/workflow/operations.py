"""Operations a process's service steps may call (e.g. ``partners.activate_distributor``).

Modules register their operations when Django starts (in their ``AppConfig.ready``); a service
step names one in its BPMN ``implementation`` attribute and publishing refuses unknown names.
An operation runs inside the workflow's transaction as the platform (``Actor.system``), gets the
request it belongs to, and returns values to add to the process data (or ``None``). Raising
:class:`~channelhub.core.errors.ServiceError` (or anything else) turns the step into an incident
that a brand admin can retry.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from channelhub.tenancy.actor import Actor


@dataclass(frozen=True)
class OperationCall:
    actor: Actor
    brand_id: int
    subject_type: str
    subject_id: str
    data: dict[str, Any] = field(default_factory=dict)


Handler = Callable[[OperationCall], dict[str, Any] | None]


@dataclass(frozen=True)
class Operation:
    name: str
    label: str
    handler: Handler


_operations: dict[str, Operation] = {}


def register(name: str, label: str, handler: Handler) -> None:
    _operations[name] = Operation(name, label, handler)


def get(name: str) -> Operation | None:
    return _operations.get(name)


def names() -> frozenset[str]:
    return frozenset(_operations)


def catalogue() -> list[Operation]:
    """What service steps may call, for the designer's help and the API."""
    return sorted(_operations.values(), key=lambda op: op.name)
