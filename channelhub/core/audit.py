"""The audit trail: every service write records who, when, which brand, which object, what changed."""

import datetime
import decimal
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import models

from channelhub.core.models import AuditEntry


def _json_value(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, datetime.date | datetime.datetime | datetime.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple | set | frozenset):
        return sorted(_json_value(v) for v in value)
    return value


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """Field values of ``obj`` as JSON-safe data (foreign keys as ids)."""
    result = {}
    for name in fields:
        field = obj._meta.get_field(name)
        attname = getattr(field, "attname", name)
        result[name] = _json_value(getattr(obj, attname))
    return result


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, list]:
    """``{field: [before, after]}`` for the fields whose value changed."""
    before, after = before or {}, after or {}
    changes = {}
    for name in sorted(set(before) | set(after)):
        old, new = _json_value(before.get(name)), _json_value(after.get(name))
        if old != new:
            changes[name] = [old, new]
    return changes


def record(
    *,
    actor: Any,
    action: str,
    obj: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    brand_id: int | None = None,
) -> AuditEntry | None:
    """Write one audit row; an update that changed nothing writes none."""
    entry = entry_for(actor=actor, action=action, obj=obj, before=before, after=after, brand_id=brand_id)
    if entry is not None:
        entry.save()
    return entry


def entry_for(
    *,
    actor: Any,
    action: str,
    obj: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    brand_id: int | None = None,
) -> AuditEntry | None:
    """The audit row :func:`record` would write, unsaved (bulk writers insert many at once)."""
    changes = diff(before, after)
    if action == AuditEntry.Action.UPDATE and not changes:
        return None
    user = getattr(actor, "user", None)
    return AuditEntry(
        actor=user,
        actor_label=str(actor)[:150] if actor is not None else "system",
        brand_id=brand_id,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        changes=changes,
    )
