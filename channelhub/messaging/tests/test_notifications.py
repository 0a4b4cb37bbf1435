"""Assignees are told: a new task, a reminder, an escalation, and the requester the outcome."""

from unittest.mock import ANY

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from channelhub.core.events import emit
from channelhub.messaging.models import Notification
from channelhub.testing import BrandFactory, see_all_brands, user_with_role
from channelhub.workflow.tests import bpmn

pytestmark = pytest.mark.django_db


@pytest.fixture
def approval(api, django_capture_on_commit_callbacks):
    brand = BrandFactory()
    admin_user = user_with_role("brand_admin", brand)
    manager_user = user_with_role("region_manager", brand, divisions=["320000"])
    admin, manager = api(admin_user), api(manager_user)
    body = {"brand_id": brand.id, "key": "onboarding", "name": "准入", "bpmn_xml": bpmn.onboarding()}
    draft = admin.post("/workflow/definitions", body).json()
    admin.post(f"/workflow/definitions/{draft['id']}/publish")
    with django_capture_on_commit_callbacks(execute=True):
        started = admin.post(
            "/workflow/instances",
            {
                "brand_id": brand.id,
                "key": "onboarding",
                "subject_type": "t",
                "subject_id": "1",
                "subject_label": "南京鑫盛",
                "subject_divisions": ["320102"],
            },
        )
    assert started.status_code == 201, started.content
    return {"brand": brand, "admin": admin, "manager": manager, "manager_user": manager_user}


def test_new_task_is_notified_to_its_candidates(approval):
    page = approval["manager"].get("/notifications").json()
    assert [(n["kind"], n["title"]) for n in page["items"]] == [("task_assigned", "新待办：区域经理审核")]
    assert page["items"][0]["link"].startswith("/approvals/tasks/")
    assert approval["manager"].get("/notifications/unread-count").json() == {"unread": 1}
    assert approval["admin"].get("/notifications/unread-count").json() == {"unread": 0}


def test_mark_read_one_and_all(approval):
    manager = approval["manager"]
    notification = manager.get("/notifications").json()["items"][0]
    assert manager.post(f"/notifications/{notification['id']}/read").json()["read_at"] is not None
    assert manager.get("/notifications/unread-count").json() == {"unread": 0}
    assert manager.post("/notifications/read-all").json() == {"unread": 0}


def test_someone_elses_notification_is_not_found(approval):
    notification = approval["manager"].get("/notifications").json()["items"][0]
    assert approval["admin"].post(f"/notifications/{notification['id']}/read").status_code == 404
    see_all_brands()
    assert Notification.objects.get(pk=notification["id"]).read_at is None


def test_requester_is_told_the_outcome(approval, django_capture_on_commit_callbacks):
    manager = approval["manager"]
    task = manager.get("/workflow/tasks").json()["items"][0]
    with django_capture_on_commit_callbacks(execute=True):
        manager.post(f"/workflow/tasks/{task['id']}/act", {"decision": "reject", "comment": "资料不全"})
    titles = [n["title"] for n in approval["admin"].get("/notifications").json()["items"]]
    assert titles == ["申请已驳回：南京鑫盛"]


def reminder(task_id: int, brand, user_ids: list[int]) -> dict:
    return {
        "task_id": task_id,
        "task_name": f"审核{task_id}",
        "brand_id": brand.id,
        "instance_id": task_id,
        "user_ids": user_ids,
        "timer": "24小时提醒",
    }


COMMITS = pytest.mark.django_db(
    transaction=True, databases=["default", "owner"] if "owner" in settings.DATABASES else ["default"]
)


@COMMITS
def test_a_commits_reminders_are_told_in_one_transaction_with_one_insert(on_postgres):
    # given: people in two brands
    brand_a, brand_b = BrandFactory(), BrandFactory()
    a1, a2 = user_with_role("region_manager", brand_a), user_with_role("region_manager", brand_a)
    b1 = user_with_role("region_manager", brand_b)
    # when: one commit (a timer sweep's chunk) reminds about 60 tasks, and of one more task nobody
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        for n in range(1, 61):
            emit(
                "workflow.task_reminder",
                reminder(n, brand_a, [a1.id, a2.id, a1.id]) if n % 2 else reminder(n, brand_b, [b1.id]),
            )
        emit("workflow.task_reminder", reminder(61, brand_a, []))
    # then: besides the commit that emitted, one transaction states both brands and inserts once
    statements = [q["sql"] for q in queries]
    assert statements.count("COMMIT") == 2
    assert [s for s in statements if s.startswith('INSERT INTO "messaging_notification"')] == [ANY]
    assert [s for s in statements if "set_config('app.brand_ids'" in s] == ([ANY] if on_postgres else [])
    with transaction.atomic():
        see_all_brands()
        told = list(Notification.objects.order_by("id").values_list("user_id", "kind", "title", "link"))
        by_brand_b = Notification.objects.filter(brand=brand_b).count()
    assert len(told) == 30 * 2 + 30
    assert told[:3] == [
        (a1.id, "task_reminder", "催办提醒：审核1", "/approvals/tasks/1/"),
        (a2.id, "task_reminder", "催办提醒：审核1", "/approvals/tasks/1/"),
        (b1.id, "task_reminder", "催办提醒：审核2", "/approvals/tasks/2/"),
    ]
    assert by_brand_b == 30


@COMMITS
def test_a_rolled_back_write_tells_nobody():
    # given
    brand = BrandFactory()
    user = user_with_role("region_manager", brand)

    class Refused(Exception):
        pass

    # when: one step fails and its savepoint rolls back; then a whole write fails
    with transaction.atomic():
        emit("workflow.task_reminder", reminder(1, brand, [user.id]))
        with pytest.raises(Refused), transaction.atomic():
            emit("workflow.task_escalated", reminder(2, brand, [user.id]))
            raise Refused
    with pytest.raises(Refused), transaction.atomic():
        emit("workflow.task_reminder", reminder(3, brand, [user.id]))
        raise Refused
    # then: only the kept reminder is told
    with transaction.atomic():
        see_all_brands()
        told = list(Notification.objects.values_list("kind", "link"))
    assert told == [("task_reminder", "/approvals/tasks/1/")]
