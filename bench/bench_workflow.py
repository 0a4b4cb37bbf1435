"""Workflow speed with a brand full of waiting approvals.

- ``workflow.complete_task.p50_ms``: one approver's decision (lock, load the engine state, run the
  gateway, store, open the next step with its candidates, audit) with 10,000 open instances in the
  brand. Goal: under 50 ms.
- ``workflow.timer_sweep_10k.s``: one scheduler sweep over 10,000 waiting instances of which 1,000
  have a due reminder. Goal: under 10 s.

Instances are copies of one started instance (same engine state), inserted in bulk: the engine
work per decision or per timer is the same as for instances started one by one.
"""

import random
from datetime import datetime, timedelta

import SpiffWorkflow.bpmn.specs.event_definitions.timer as spiff_timer
from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone

from bench.common import actor, first_brand_id, latency, timed_ms
from channelhub.tenancy.actor import Actor
from channelhub.tenancy.rls import set_brand_scope
from channelhub.workflow import services
from channelhub.workflow.models import ProcessDefinition, ProcessInstance, TaskCandidate, WorkTask
from channelhub.workflow.tests import bpmn

OPEN_INSTANCES = 10_000
DUE = 1_000
DECISIONS = 200


def _fresh_definition(admin: Actor, brand_id: int, key: str, xml: str) -> None:
    ProcessInstance.objects.filter(brand_id=brand_id, definition__key=key).delete()
    ProcessDefinition.objects.filter(brand_id=brand_id, key=key).delete()
    draft = services.save_draft(actor=admin, brand_id=brand_id, key=key, name=key, bpmn_xml=xml)
    services.publish_definition(actor=admin, definition=draft)


def _copies(template: ProcessInstance, count: int, **fields) -> list[ProcessInstance]:
    """``count`` instances in the template's state, each with its open task offered like the template's."""
    task = template.tasks.get()
    candidates = list(task.candidate_rows.values_list("user_id", flat=True))
    instances = ProcessInstance.objects.bulk_create(
        [
            ProcessInstance(
                brand_id=template.brand_id,
                definition_id=template.definition_id,
                subject_type="bench",
                subject_id=str(n),
                subject_label=f"bench {n}",
                subject_divisions=template.subject_divisions,
                state=template.state,
                started_by_id=template.started_by_id,
                next_timer_at=template.next_timer_at,
                **fields,
            )
            for n in range(count)
        ],
        batch_size=1000,
    )
    tasks = WorkTask.objects.bulk_create(
        [
            WorkTask(
                brand_id=i.brand_id,
                instance=i,
                engine_task_id=task.engine_task_id,
                step=task.step,
                name=task.name,
                role=task.role,
            )
            for i in instances
        ],
        batch_size=1000,
    )
    TaskCandidate.objects.bulk_create(
        [TaskCandidate(brand_id=t.brand_id, task=t, user_id=u) for t in tasks for u in candidates], batch_size=2000
    )
    return instances


def _analyze() -> None:
    """Fresh statistics after the bulk insert, as autovacuum would give a production database."""
    if "owner" in settings.DATABASES:
        with connections["owner"].cursor() as cursor:
            cursor.execute("ANALYZE")


def complete_task() -> dict:
    brand_id = first_brand_id()
    admin, manager = actor("brand_a_admin"), actor("region_js_manager")
    with transaction.atomic():
        set_brand_scope(admin.allowed_brand_ids)
        _fresh_definition(admin, brand_id, "bench_onboarding", bpmn.onboarding())
        template = services.start_process(
            actor=admin,
            brand_id=brand_id,
            key="bench_onboarding",
            subject_type="bench",
            subject_id="template",
            subject_divisions=["320102"],
        )
        instances = _copies(template, OPEN_INSTANCES)
    _analyze()
    with transaction.atomic():
        set_brand_scope(manager.allowed_brand_ids)
        tasks = list(WorkTask.objects.filter(instance__in=random.Random(7).sample(instances, DECISIONS)))
    samples = []
    for task in tasks:

        def decide(task=task):
            with transaction.atomic():
                set_brand_scope(manager.allowed_brand_ids)
                services.act_on_task(actor=manager, task=task, decision="approve", comment="同意")

        samples.append(timed_ms(decide))
    return latency("workflow.complete_task.p50_ms", samples[10:], open_instances=OPEN_INSTANCES + 1)


def timer_sweep() -> dict:
    brand_id = first_brand_id()
    admin = actor("brand_a_admin")
    with transaction.atomic():
        set_brand_scope(admin.allowed_brand_ids)
        _fresh_definition(admin, brand_id, "bench_timers", bpmn.with_timers())
        start = dict(
            actor=admin, brand_id=brand_id, key="bench_timers", subject_type="bench", subject_divisions=["320102"]
        )
        waiting = services.start_process(subject_id="waiting", **start)
        original = spiff_timer.datetime

        class TwentyFiveHoursAgo(datetime):
            @classmethod
            def now(cls, tz=None):
                return datetime.now(tz) - timedelta(hours=25)

        spiff_timer.datetime = TwentyFiveHoursAgo  # started 25 h ago: the 24 h reminder is due
        try:
            overdue = services.start_process(subject_id="overdue", **start)
        finally:
            spiff_timer.datetime = original
        _copies(waiting, OPEN_INSTANCES - DUE)
        _copies(overdue, DUE - 1)
    _analyze()
    now = timezone.now()
    assert _due(admin, now) == DUE
    started = timed_ms(lambda: services.sweep_timers(now=now))
    swept = _due(admin, now)
    return {
        "metric": "workflow.timer_sweep_10k.s",
        "value": round(started / 1000, 2),
        "unit": "s",
        "waiting": OPEN_INSTANCES,
        "due": DUE,
        "still_due_after": swept,
    }


def _due(who: Actor, now) -> int:
    with transaction.atomic():
        set_brand_scope(who.allowed_brand_ids)
        return ProcessInstance.objects.filter(definition__key="bench_timers", next_timer_at__lte=now).count()


def run():
    yield complete_task()
    yield timer_sweep()
