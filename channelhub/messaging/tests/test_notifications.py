"""Assignees are told: a new task, a reminder, an escalation, and the requester the outcome."""

import pytest

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
