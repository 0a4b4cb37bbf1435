"""Domain events: delivered once their transaction commits, all of one commit together, in order."""

import logging

import pytest
from django.conf import settings
from django.db import transaction

from channelhub.core.events import emit, subscribe, subscribe_many, unsubscribe, unsubscribe_many

# Real commits: the test's own transaction would hide what a commit and a rollback do.
pytestmark = pytest.mark.django_db(
    transaction=True, databases=["default", "owner"] if "owner" in settings.DATABASES else ["default"]
)


class Boom(Exception):
    pass


@pytest.fixture
def heard():
    """What subscribers of ``test.a`` and ``test.b`` are told: ``(how, name, payloads)`` in order."""
    log, subscriptions = [], []
    for name in ("test.a", "test.b"):

        def one(payload, name=name):
            log.append(("one", name, [payload["n"]]))

        def many(payloads, name=name):
            log.append(("many", name, [p["n"] for p in payloads]))

        subscribe(name, one)
        subscribe_many(name, many)
        subscriptions.append((name, one, many))
    yield log
    for name, one, many in subscriptions:
        unsubscribe(name, one)
        unsubscribe_many(name, many)


def test_events_of_one_commit_are_delivered_together_after_it_in_order(heard):
    # given / when: a transaction emits at its top level and inside kept savepoints
    with transaction.atomic():
        emit("test.a", {"n": 1})
        with transaction.atomic():
            emit("test.b", {"n": 2})
        with transaction.atomic():
            emit("test.a", {"n": 3})
            with transaction.atomic():
                emit("test.a", {"n": 4})
        assert heard == []  # nothing before the commit
    # then: each event to the per-event handlers, then each name's batch once
    assert heard == [
        ("one", "test.a", [1]),
        ("one", "test.b", [2]),
        ("one", "test.a", [3]),
        ("one", "test.a", [4]),
        ("many", "test.a", [1, 3, 4]),
        ("many", "test.b", [2]),
    ]


def test_nothing_is_delivered_when_the_transaction_rolls_back(heard):
    # when
    with pytest.raises(Boom), transaction.atomic():
        emit("test.a", {"n": 1})
        with transaction.atomic():
            emit("test.a", {"n": 2})
        raise Boom
    # then
    assert heard == []
    # and the next transaction starts a batch of its own
    with transaction.atomic():
        emit("test.a", {"n": 3})
    assert heard == [("one", "test.a", [3]), ("many", "test.a", [3])]


def test_events_of_a_rolled_back_savepoint_are_not_delivered(heard):
    # when: the middle savepoint rolls back, the others are kept
    with transaction.atomic():
        with transaction.atomic():
            emit("test.a", {"n": 1})
        with pytest.raises(Boom), transaction.atomic():
            emit("test.a", {"n": 2})
            emit("test.b", {"n": 3})
            raise Boom
        with transaction.atomic():
            emit("test.a", {"n": 4})
    # then
    assert heard == [("one", "test.a", [1]), ("one", "test.a", [4]), ("many", "test.a", [1, 4])]


def test_a_savepoint_rolled_back_last_does_not_hold_back_the_events_before_it(heard):
    # when: the last event's savepoint rolls back, a nested one inside it too
    with transaction.atomic():
        emit("test.a", {"n": 1})
        with transaction.atomic():
            emit("test.a", {"n": 2})
        with pytest.raises(Boom), transaction.atomic():
            emit("test.a", {"n": 3})
            with transaction.atomic():
                emit("test.b", {"n": 4})
            raise Boom
    # then
    assert heard == [("one", "test.a", [1]), ("one", "test.a", [2]), ("many", "test.a", [1, 2])]


def test_a_failing_handler_does_not_stop_the_others(heard, caplog):
    # given: a failing per-event handler and a failing batch handler of test.a
    def fails_one(payload):
        raise Boom

    def fails_many(payloads):
        raise Boom

    subscribe("test.a", fails_one)
    subscribe_many("test.a", fails_many)
    try:
        # when
        with caplog.at_level(logging.ERROR, logger="channelhub.core.events"), transaction.atomic():
            emit("test.a", {"n": 1})
            emit("test.b", {"n": 2})
    finally:
        unsubscribe("test.a", fails_one)
        unsubscribe_many("test.a", fails_many)
    # then
    assert heard == [
        ("one", "test.a", [1]),
        ("one", "test.b", [2]),
        ("many", "test.a", [1]),
        ("many", "test.b", [2]),
    ]
    assert [r.getMessage() for r in caplog.records] == ["event handler failed: test.a"] * 2


def test_a_commit_callback_registered_between_events_keeps_its_place(heard):
    # when
    with transaction.atomic():
        emit("test.a", {"n": 1})
        transaction.on_commit(lambda: heard.append(("on_commit", "", [])))
        emit("test.a", {"n": 2})
    # then
    assert heard == [
        ("one", "test.a", [1]),
        ("many", "test.a", [1]),
        ("on_commit", "", []),
        ("one", "test.a", [2]),
        ("many", "test.a", [2]),
    ]


def test_events_a_handler_emits_are_delivered_after_its_own_commit(heard):
    # given: a batch handler that writes (and emits) in a transaction of its own
    def follow_up(payloads):
        with transaction.atomic():
            emit("test.b", {"n": sum(p["n"] for p in payloads)})

    subscribe_many("test.a", follow_up)
    try:
        # when
        with transaction.atomic():
            emit("test.a", {"n": 1})
            emit("test.a", {"n": 2})
    finally:
        unsubscribe_many("test.a", follow_up)
    # then
    assert heard == [
        ("one", "test.a", [1]),
        ("one", "test.a", [2]),
        ("many", "test.a", [1, 2]),
        ("one", "test.b", [3]),
        ("many", "test.b", [3]),
    ]


def test_outside_a_transaction_an_event_is_delivered_at_once(heard):
    emit("test.a", {"n": 1})
    assert heard == [("one", "test.a", [1]), ("many", "test.a", [1])]


def test_unsubscribed_handlers_hear_nothing(heard):
    # given
    calls = []
    subscribe("test.a", calls.append)
    subscribe_many("test.a", calls.append)
    unsubscribe("test.a", calls.append)
    unsubscribe_many("test.a", calls.append)
    # when
    with transaction.atomic():
        emit("test.a", {"n": 1})
    # then
    assert calls == []
    assert heard == [("one", "test.a", [1]), ("many", "test.a", [1])]
