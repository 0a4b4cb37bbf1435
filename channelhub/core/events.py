"""Domain events, sent only after the transaction that caused them commits.

Services call :func:`emit` inside their transaction. The events of one transaction are delivered
together once it has committed, in the order they were emitted, so a subscriber can handle a
whole commit's worth at once (:func:`subscribe_many`: one insert for a sweep's 1,000 reminders
instead of 1,000 transactions). A rolled-back write never tells anyone anything: neither a
transaction that rolls back nor a savepoint that rolls back inside one.

How: each event is one ``on_commit`` callback that only marks the event as committed, so Django's
own bookkeeping drops it with a rolled-back savepoint. Behind the events sits a delivery callback
that no savepoint rollback removes; the last one registered delivers what was marked. The batch
lives in the connection's list of commit callbacks, so it never spans a callback someone else
registered in between: that one still runs after the events emitted before it and before the
events emitted after it.
"""

import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], None]
BatchHandler = Callable[[list[dict[str, Any]]], None]

_handlers: dict[str, list[Handler]] = defaultdict(list)
_batch_handlers: dict[str, list[BatchHandler]] = defaultdict(list)


def subscribe(name: str, handler: Handler) -> None:
    """Call ``handler(payload)`` for each ``name`` event, after its transaction commits."""
    if handler not in _handlers[name]:
        _handlers[name].append(handler)


def unsubscribe(name: str, handler: Handler) -> None:
    if handler in _handlers.get(name, ()):
        _handlers[name].remove(handler)


def subscribe_many(name: str, handler: BatchHandler) -> None:
    """Call ``handler(payloads)`` once per commit with all of its ``name`` events, in emit order."""
    if handler not in _batch_handlers[name]:
        _batch_handlers[name].append(handler)


def unsubscribe_many(name: str, handler: BatchHandler) -> None:
    if handler in _batch_handlers.get(name, ()):
        _batch_handlers[name].remove(handler)


def emit(name: str, payload: dict[str, Any], *, using: str | None = None) -> None:
    """Queue ``name`` with ``payload`` for every subscriber, delivered after commit.

    Outside a transaction (autocommit) the event is delivered at once, as ``on_commit`` would.
    """
    connection = transaction.get_connection(using)
    if not connection.in_atomic_block:
        transaction.on_commit(lambda: _deliver([(name, payload)]), using=using)
        return
    outbox = _open_outbox(connection.run_on_commit)
    transaction.on_commit(outbox.marker((name, payload)), using=using)
    # Registered with no savepoint, so no savepoint rollback removes it (Django keeps callbacks as
    # ``(savepoint ids, func, robust)`` and drops those holding the id rolled back); a rollback of
    # the whole transaction clears the list, and this with it.
    connection.run_on_commit.append((set(), outbox.flusher(), False))


class _Outbox:
    """The events of one run of ``emit`` calls in a transaction, each marked once committed."""

    def __init__(self) -> None:
        self.committed: list[tuple[str, dict[str, Any]]] = []
        self.last_flush = 0
        self.delivered = False

    def marker(self, event: tuple[str, dict[str, Any]]) -> Callable[[], None]:
        return lambda: self.committed.append(event)

    def flusher(self) -> "_Flush":
        self.last_flush += 1
        return _Flush(self, self.last_flush)


class _Flush:
    """One delivery callback of an outbox; only the last registered one delivers.

    It runs after every event marker registered before it (callbacks run in the order they were
    registered), and nothing can remove it but a rollback of the whole transaction. The last one
    delivers, rather than the one that counts all markers run, so that a test running the callbacks
    registered in part of a transaction (``django_capture_on_commit_callbacks``) gets that part's events.
    """

    __slots__ = ("number", "outbox")

    def __init__(self, outbox: _Outbox, number: int) -> None:
        self.outbox, self.number = outbox, number

    def __call__(self) -> None:
        outbox = self.outbox
        if self.number != outbox.last_flush or outbox.delivered:
            return
        outbox.delivered = True  # events emitted by the handlers go into a new outbox
        _deliver(outbox.committed)


def _open_outbox(callbacks: list) -> _Outbox:
    """The outbox whose delivery is the last registered commit callback, or a new one."""
    if callbacks:
        func = callbacks[-1][1]
        if isinstance(func, _Flush) and not func.outbox.delivered:
            return func.outbox
    return _Outbox()


def _deliver(events: list[tuple[str, dict[str, Any]]]) -> None:
    """Hand committed events to their subscribers: each one to the per-event handlers, in order,
    then each name's payloads to its batch handlers (names in the order they first occur).

    One failing handler must not stop the others; its exception is logged.
    """
    by_name: dict[str, list[dict[str, Any]]] = {}
    for name, payload in events:
        by_name.setdefault(name, []).append(payload)
        for handler in list(_handlers.get(name, ())):
            _call(handler, payload, name)
    for name, payloads in by_name.items():
        for batch_handler in list(_batch_handlers.get(name, ())):
            _call(batch_handler, list(payloads), name)


def _call(handler: Callable[[Any], None], argument: Any, name: str) -> None:
    try:
        handler(argument)
    except Exception:  # one failing subscriber must not stop the others
        logger.exception("event handler failed: %s", name)
