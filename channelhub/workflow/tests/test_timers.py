"""Reminders and escalations: timers fire when the scheduler's sweep polls them."""

from datetime import datetime, timedelta

import pytest
import SpiffWorkflow.bpmn.specs.event_definitions.timer as spiff_timer
from django.utils import timezone

from channelhub.core.events import subscribe, unsubscribe
from channelhub.tenancy.actor import Actor
from channelhub.testing import BrandFactory, see_all_brands, user_with_role
from channelhub.workflow import services
from channelhub.workflow.models import ProcessInstance, WorkTask
from channelhub.workflow.tests import bpmn

pytestmark = pytest.mark.django_db


class Clock:
    """Moves the engine's notion of "now" forward, as the hours pass in a real office."""

    def __init__(self):
        self.offset = timedelta()

    def now(self):
        return timezone.now() + self.offset


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()

    class ShiftedDatetime(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.now(tz) + clock.offset

    monkeypatch.setattr(spiff_timer, "datetime", ShiftedDatetime)
    return clock


@pytest.fixture
def heard():
    events, handlers = [], {}
    for name in ("workflow.task_reminder", "workflow.task_escalated", "workflow.task_assigned"):
        handlers[name] = lambda payload, name=name: events.append((name, payload))
        subscribe(name, handlers[name])
    yield events
    for name, handler in handlers.items():
        unsubscribe(name, handler)


@pytest.fixture
def running(django_capture_on_commit_callbacks):
    brand = BrandFactory()
    admin_user = user_with_role("brand_admin", brand)
    manager = user_with_role("region_manager", brand, divisions=["320000"])
    admin = Actor.for_user(admin_user)
    see_all_brands()
    draft = services.save_draft(actor=admin, brand_id=brand.id, key="timed", name="t", bpmn_xml=bpmn.with_timers())
    services.publish_definition(actor=admin, definition=draft)
    instance = services.start_process(
        actor=admin, brand_id=brand.id, key="timed", subject_type="t", subject_id="1", subject_divisions=["320102"]
    )
    return {"instance": instance, "manager": manager, "admin": admin_user}


def test_the_instance_knows_when_its_first_timer_is_due(running):
    due = ProcessInstance.objects.get(pk=running["instance"].pk).next_timer_at
    assert timedelta(hours=23, minutes=59) < due - timezone.now() <= timedelta(hours=24)


def test_nothing_fires_early(running, clock):
    clock.offset = timedelta(hours=23)
    assert services.sweep_timers(now=clock.now()) == 0
    assert WorkTask.objects.get().status == "open"


def test_reminder_after_24_hours_keeps_the_task_and_tells_its_people(
    running, clock, heard, django_capture_on_commit_callbacks
):
    clock.offset = timedelta(hours=25)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sweep_timers(now=clock.now()) == 1
    task = WorkTask.objects.get()
    assert task.status == "open"
    reminders = [p for name, p in heard if name == "workflow.task_reminder"]
    assert reminders == [
        {
            "task_id": task.pk,
            "task_name": "区域经理审核",
            "brand_id": task.brand_id,
            "user_ids": [running["manager"].pk],
            "instance_id": task.instance_id,
            "timer": "24小时提醒",
        }
    ]
    # the next timer (the escalation at 72 h) is what the instance now waits for
    due = ProcessInstance.objects.get(pk=task.instance_id).next_timer_at
    assert timedelta(hours=71) < due - timezone.now() <= timedelta(hours=72)


def test_escalation_after_72_hours_moves_the_step_up(running, clock, heard, django_capture_on_commit_callbacks):
    clock.offset = timedelta(hours=25)
    services.sweep_timers(now=clock.now())
    clock.offset = timedelta(hours=73)
    with django_capture_on_commit_callbacks(execute=True):
        services.sweep_timers(now=clock.now())
    review, boss = WorkTask.objects.order_by("id")
    assert (review.step, review.status) == ("review", "cancelled")
    assert (boss.step, boss.status, boss.role) == ("boss", "open", "brand_admin")
    assert list(boss.candidate_rows.values_list("user_id", flat=True)) == [running["admin"].pk]
    assert [name for name, _ in heard] == ["workflow.task_escalated", "workflow.task_assigned"]


def test_a_decided_task_has_no_timers_left(running, clock):
    manager = Actor.for_user(running["manager"])
    services.act_on_task(actor=manager, task=WorkTask.objects.get(), decision="approve")
    instance = ProcessInstance.objects.get(pk=running["instance"].pk)
    assert (instance.status, instance.next_timer_at) == ("approved", None)
    clock.offset = timedelta(days=10)
    assert services.sweep_timers(now=clock.now()) == 0


def test_timer_durations_may_be_formulas(running, clock):
    admin = Actor.for_user(running["admin"])
    draft = services.save_draft(
        actor=admin,
        brand_id=running["instance"].brand_id,
        key="timed",
        name="t",
        bpmn_xml=bpmn.with_timers(remind="hours(2)", escalate="days(1)"),
    )
    services.publish_definition(actor=admin, definition=draft)
    instance = services.start_process(
        actor=admin, brand_id=running["instance"].brand_id, key="timed", subject_type="t", subject_id="2"
    )
    assert timedelta(hours=1, minutes=59) < instance.next_timer_at - timezone.now() <= timedelta(hours=2)


@pytest.mark.parametrize("outcome", ["approved", "rejected"])
def test_escalation_may_decide_by_itself(outcome, clock, heard, django_capture_on_commit_callbacks):
    # given: finance must decide within 48 h, else the request is decided as configured
    brand = BrandFactory()
    admin = Actor.for_user(user_with_role("brand_admin", brand))
    finance = user_with_role("finance", brand)
    see_all_brands()
    xml = bpmn.auto_decided(outcome=outcome)
    services.publish_definition(
        actor=admin, definition=services.save_draft(actor=admin, brand_id=brand.id, key="auto", name="a", bpmn_xml=xml)
    )
    instance = services.start_process(actor=admin, brand_id=brand.id, key="auto", subject_type="t", subject_id="1")
    clock.offset = timedelta(hours=47)
    services.sweep_timers(now=clock.now())
    assert ProcessInstance.objects.get(pk=instance.pk).status == "running"
    # when: 48 hours pass without a decision
    clock.offset = timedelta(hours=49)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sweep_timers(now=clock.now()) == 1
    # then: the request is decided, finance's task closed and finance told
    instance.refresh_from_db()
    assert (instance.status, instance.next_timer_at) == (outcome, None)
    assert WorkTask.objects.get().status == "cancelled"
    escalated = [p for name, p in heard if name == "workflow.task_escalated"]
    assert [(p["user_ids"], p["timer"]) for p in escalated] == [([finance.pk], "超时自动处理")]
