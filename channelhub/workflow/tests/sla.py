"""Approval history with known times, for the SLA figures: who waited how long, to the hour."""

from datetime import datetime, timedelta

from django.utils import timezone

from channelhub.testing import actor_of, see_all_brands, user_with_role
from channelhub.workflow import services
from channelhub.workflow.models import ProcessInstance, WorkTask
from channelhub.workflow.tests import bpmn

KEY = "distributor_onboarding"
HOUR = timedelta(hours=1)


def people_of(brand) -> dict:
    return {
        "admin": user_with_role("brand_admin", brand),
        "manager": user_with_role("region_manager", brand, divisions=["320000"]),
        "requester": user_with_role("reviewer", brand),
    }


def publish(brand, people) -> None:
    see_all_brands()
    actor = actor_of(people["admin"])
    draft = services.save_draft(actor=actor, brand_id=brand.id, key=KEY, name="经销商准入", bpmn_xml=bpmn.onboarding())
    services.publish_definition(actor=actor, definition=draft)


def request(brand, people, *, at: datetime, steps: list[tuple[str, float]] = (), cycle: float | None = None):
    """One request started ``at``; each ``(decision, hours)`` decides the open step after that many hours.

    Steps follow one another without a gap, so the request's cycle is the sum of the step times.
    """
    see_all_brands()
    instance = services.start_process(
        actor=actor_of(people["requester"]),
        brand_id=brand.id,
        key=KEY,
        subject_type="partners.application",
        subject_id="1",
        subject_label="南京鑫盛商贸",
        subject_divisions=["320102"],
    )
    ProcessInstance.objects.filter(pk=instance.pk).update(created_at=at)
    opened = at
    for decision, hours in steps:
        task = WorkTask.objects.get(instance=instance, status=WorkTask.Status.OPEN)
        who = people["manager"] if task.role == "region_manager" else people["admin"]
        services.act_on_task(actor=actor_of(who), task=task, decision=decision, comment="意见")
        WorkTask.objects.filter(pk=task.pk).update(created_at=opened, completed_at=opened + hours * HOUR)
        opened += hours * HOUR
    WorkTask.objects.filter(instance=instance, status=WorkTask.Status.OPEN).update(created_at=opened)
    instance.refresh_from_db()
    if instance.ended_at is not None:
        ProcessInstance.objects.filter(pk=instance.pk).update(ended_at=opened)
    return instance


def history(brand, people) -> dict:
    """Three finished requests ten days ago, two waiting (one for 30 h), one from 100 days ago.

    区域经理审核 took 2, 1 and 10 hours (the last one rejected); 渠道总监审批 took 4 and 2 hours.
    """
    publish(brand, people)
    now = timezone.now()
    start = now - timedelta(days=10)
    return {
        "fast": request(brand, people, at=start, steps=[("approve", 2), ("approve", 4)]),
        "faster": request(brand, people, at=start + 24 * HOUR, steps=[("approve", 1), ("approve", 2)]),
        "rejected": request(brand, people, at=start + 48 * HOUR, steps=[("reject", 10)]),
        "overdue": request(brand, people, at=now - 30 * HOUR),
        "waiting": request(brand, people, at=now - HOUR),
        "old": request(brand, people, at=now - timedelta(days=100), steps=[("approve", 50), ("approve", 50)]),
    }
