"""Domain events, sent only after the transaction that caused them commits.

Services call :func:`emit` inside their transaction; handlers (notifications, webhooks, pushes)
run on commit, so a rolled-back write never tells anyone anything.
"""

import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)
_handlers: dict[str, list[Callable[[dict[str, Any]], None]]] = defaultdict(list)


def subscribe(name: str, handler: Callable[[dict[str, Any]], None]) -> None:
    if handler not in _handlers[name]:
        _handlers[name].append(handler)


def unsubscribe(name: str, handler: Callable[[dict[str, Any]], None]) -> None:
    if handler in _handlers.get(name, ()):
        _handlers[name].remove(handler)


def emit(name: str, payload: dict[str, Any], *, using: str | None = None) -> None:
    """Queue ``name`` with ``payload`` for every subscriber, delivered after commit."""

    def deliver() -> None:
        for handler in list(_handlers.get(name, ())):
            try:
                handler(payload)
            except Exception:  # one failing subscriber must not stop the others
                logger.exception("event handler failed: %s", name)

    transaction.on_commit(deliver, using=using)
