"""Two approvers acting on the same task at the same moment: exactly one wins (PostgreSQL)."""

import threading

import pytest
from django.conf import settings
from django.db import connections, transaction

from channelhub.core.errors import Conflict
from channelhub.tenancy.actor import Actor
from channelhub.tenancy.rls import set_brand_scope
from channelhub.testing import BrandFactory, see_all_brands, user_with_role
from channelhub.workflow import services
from channelhub.workflow.models import WorkTask
from channelhub.workflow.tests import bpmn

pytestmark = [
    pytest.mark.django_db(transaction=True, databases=["default", "owner"]),
    pytest.mark.skipif("owner" not in settings.DATABASES, reason="row locks are exercised on PostgreSQL"),
]


def test_two_approvers_at_once_exactly_one_wins():
    # given: one open task offered to two region managers of 江苏
    brand = BrandFactory()
    admin = Actor.for_user(user_with_role("brand_admin", brand))
    first = Actor.for_user(user_with_role("region_manager", brand, divisions=["320000"]))
    second = Actor.for_user(user_with_role("region_manager", brand, divisions=["320000"]))
    with transaction.atomic():
        see_all_brands()
        draft = services.save_draft(actor=admin, brand_id=brand.id, key="k", name="k", bpmn_xml=bpmn.onboarding())
        services.publish_definition(actor=admin, definition=draft)
        services.start_process(
            actor=admin, brand_id=brand.id, key="k", subject_type="t", subject_id="1", subject_divisions=["320102"]
        )
    task = WorkTask.objects.using("owner").get()
    barrier, outcomes = threading.Barrier(2), []

    def act(actor: Actor, decision: str) -> None:
        try:
            with transaction.atomic():
                set_brand_scope([brand.id])
                barrier.wait(timeout=10)
                services.act_on_task(actor=actor, task=task, decision=decision, comment="意见")
            outcomes.append(decision)
        except Conflict as exc:
            outcomes.append(exc.code)
        finally:
            connections.close_all()

    # when
    threads = [
        threading.Thread(target=act, args=(first, "approve")),
        threading.Thread(target=act, args=(second, "reject")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    # then
    assert sorted(outcomes) in (["approve", "task_closed"], ["reject", "task_closed"])
    stored = WorkTask.objects.using("owner").get(pk=task.pk)
    assert stored.decision == next(o for o in outcomes if o != "task_closed")
    assert WorkTask.objects.using("owner").filter(step="director").count() == (1 if stored.decision == "approve" else 0)
