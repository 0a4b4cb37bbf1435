"""Approval pages: the inbox (待办), deciding and handing on a task, my requests, process definitions."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from channelhub.core.models import AuditEntry
from channelhub.testing import actor_of, see_all_brands, user_with_role
from channelhub.web.tests.conftest import ids
from channelhub.workflow import services
from channelhub.workflow.models import ProcessDefinition, ProcessInstance, WorkTask
from channelhub.workflow.tests import bpmn

pytestmark = pytest.mark.django_db

KEY = "distributor_onboarding"


@pytest.fixture
def people(brand_a):
    return {
        "admin": user_with_role("brand_admin", brand_a, display_name="王总监"),
        "js": user_with_role("region_manager", brand_a, divisions=["320000"], display_name="江苏李经理"),
        "zj": user_with_role("region_manager", brand_a, divisions=["330000"], display_name="浙江赵经理"),
        "requester": user_with_role("reviewer", brand_a, display_name="申请人小陈"),
    }


def publish(brand, admin, xml: str | None = None) -> ProcessDefinition:
    see_all_brands()
    actor = actor_of(admin)
    draft = services.save_draft(
        actor=actor, brand_id=brand.id, key=KEY, name="经销商准入", bpmn_xml=xml or bpmn.onboarding()
    )
    return services.publish_definition(actor=actor, definition=draft)


def start(brand, requester, label: str = "南京鑫盛商贸", divisions: tuple[str, ...] = ("320102",)) -> ProcessInstance:
    see_all_brands()
    return services.start_process(
        actor=actor_of(requester),
        brand_id=brand.id,
        key=KEY,
        subject_type="partners.application",
        subject_id="42",
        subject_label=label,
        subject_divisions=list(divisions),
    )


def open_task(instance: ProcessInstance) -> WorkTask:
    see_all_brands()
    return WorkTask.objects.get(instance=instance, status=WorkTask.Status.OPEN)


def state_of(task: WorkTask) -> tuple:
    """What acting on a task may change: the task, its instance, and the audit trail."""
    see_all_brands()
    task.refresh_from_db()
    instance = ProcessInstance.objects.get(pk=task.instance_id)
    return (task.status, task.decision, task.comment, task.assignee_id, instance.status, AuditEntry.objects.count())


@pytest.fixture
def onboarding(brand_a, people):
    """经销商准入 published, and one application from 南京 (江苏) waiting for its region manager."""
    publish(brand_a, people["admin"])
    instance = start(brand_a, people["requester"])
    return {"instance": instance, "task": open_task(instance)}


class TestInbox:
    def test_region_manager_sees_the_tasks_of_their_region_only(self, browser_of, people, onboarding):
        # given
        js, zj = browser_of(people["js"]), browser_of(people["zj"])
        # when
        mine, theirs = js.get("/approvals/"), zj.get("/approvals/")
        # then
        assert ids(mine) == [onboarding["task"].id]
        body = mine.content.decode()
        for shown in (
            "南京鑫盛商贸",
            "区域经理审核",
            "经销商准入",
            KEY,
            f'href="/approvals/tasks/{onboarding["task"].id}/"',
        ):
            assert shown in body
        assert ids(theirs) == []
        assert "南京鑫盛商贸" not in theirs.content.decode()
        assert "没有待办事项。" in theirs.content.decode()

    def test_menu_counts_open_tasks(self, browser_of, brand_a, people, onboarding):
        start(brand_a, people["requester"], label="苏州恒达贸易", divisions=("320500",))
        assert '<span class="nav-count">2<' in browser_of(people["js"]).get("/").content.decode()
        assert "nav-count" not in browser_of(people["zj"]).get("/").content.decode()

    def test_query_count_does_not_grow_with_tasks(self, browser_of, brand_a, people, onboarding):
        # given
        client = browser_of(people["js"])
        client.get("/approvals/")
        with CaptureQueriesContext(connection) as one_task:
            assert len(ids(client.get("/approvals/"))) == 1
        for n in range(55):
            start(brand_a, people["requester"], label=f"江苏第{n}号商贸")
        # when
        with CaptureQueriesContext(connection) as full_page:
            response = client.get("/approvals/")
        # then
        assert len(ids(response)) == 50
        assert response.context["page"].paginator.count == 56
        assert len(full_page) == len(one_task)
        counts = [q["sql"] for q in full_page if "COUNT(" in q["sql"].upper() and "workflow_worktask" in q["sql"]]
        assert len(counts) == 1  # the page's count is the menu badge's too
        assert len(ids(client.get("/approvals/", {"page": 2}))) == 6


class TestDeciding:
    def test_approving_on_the_page_moves_the_process_to_the_next_step(self, browser_of, people, onboarding):
        # given
        js = browser_of(people["js"])
        task, instance = onboarding["task"], onboarding["instance"]
        assert js.get(f"/approvals/tasks/{task.id}/").status_code == 200
        # when
        response = js.post(f"/approvals/tasks/{task.id}/", {"decision": "approve", "comment": "资料齐全"})
        # then
        assert (response.status_code, response["Location"]) == (302, "/approvals/")
        assert state_of(task)[:3] == ("done", "approve", "资料齐全")
        director = open_task(instance)
        assert (director.name, director.role) == ("渠道总监审批", "brand_admin")
        inbox = js.get("/approvals/")
        assert ids(inbox) == []
        body = inbox.content.decode()
        assert "已同意：区域经理审核 · 南京鑫盛商贸" in body
        assert f'<a href="/approvals/instances/{instance.id}/">' in body
        assert ids(browser_of(people["admin"]).get("/approvals/")) == [director.id]

    def test_next_approver_sees_who_decided_what_and_when(self, browser_of, people, onboarding):
        browser_of(people["js"]).post(
            f"/approvals/tasks/{onboarding['task'].id}/", {"decision": "approve", "comment": "资料齐全"}
        )
        director = open_task(onboarding["instance"])
        response = browser_of(people["admin"]).get(f"/approvals/tasks/{director.id}/")
        body = response.content.decode()
        assert response.context["may_decide"] is True
        timeline = [
            (t.name, t.status, t.decision, str(t.completed_by or "")) for t in response.context["instance"].tasks.all()
        ]
        assert timeline == [("区域经理审核", "done", "approve", "江苏李经理"), ("渠道总监审批", "open", "", "")]
        for shown in ("江苏李经理", "资料齐全", "申请人小陈", "用时", "已等待"):
            assert shown in body

    def test_reject_without_a_comment_is_422_and_changes_nothing(self, browser_of, people, onboarding):
        # given
        js, task = browser_of(people["js"]), onboarding["task"]
        before = state_of(task)
        # when
        response = js.post(f"/approvals/tasks/{task.id}/", {"decision": "reject", "comment": "  "})
        # then
        assert response.status_code == 422
        assert response.context["decide"].errors == {"comment": ["请说明驳回理由，以便申请人据此处理。"]}
        assert state_of(task) == before

    def test_reject_with_a_comment_ends_the_request_as_rejected(self, browser_of, people, onboarding):
        js, task = browser_of(people["js"]), onboarding["task"]
        response = js.post(f"/approvals/tasks/{task.id}/", {"decision": "reject", "comment": "资质不符"})
        assert response.status_code == 302
        assert state_of(task)[:3] + state_of(task)[4:5] == ("done", "reject", "资质不符", "rejected")
        assert "已驳回：区域经理审核 · 南京鑫盛商贸" in js.get("/approvals/").content.decode()

    def test_deciding_twice_is_409_and_keeps_the_first_decision(self, browser_of, people, onboarding):
        # given
        js, task = browser_of(people["js"]), onboarding["task"]
        js.post(f"/approvals/tasks/{task.id}/", {"decision": "approve"})
        before = state_of(task)
        # when
        response = js.post(f"/approvals/tasks/{task.id}/", {"decision": "reject", "comment": "改主意了"})
        # then
        assert response.status_code == 409
        body = response.content.decode()
        assert "此任务已被处理。" in body
        assert response.context["may_decide"] is False
        assert state_of(task) == before
        see_all_brands()
        assert WorkTask.objects.filter(instance=onboarding["instance"]).count() == 2  # not advanced twice

    def test_task_of_another_brand_is_404_and_changes_nothing(self, browser_of, brand_b, onboarding):
        # given
        other = browser_of(user_with_role("brand_admin", brand_b))
        task = onboarding["task"]
        before = state_of(task)
        # when
        page = other.get(f"/approvals/tasks/{task.id}/")
        posted = other.post(f"/approvals/tasks/{task.id}/", {"decision": "approve"})
        handed = other.post(f"/approvals/tasks/{task.id}/delegate/", {"delegate-to_user": "x"})
        # then
        assert (page.status_code, posted.status_code, handed.status_code) == (404, 404, 404)
        assert "南京鑫盛商贸" not in page.content.decode()
        assert state_of(task) == before

    def test_task_not_offered_to_me_is_404(self, browser_of, people, onboarding):
        zj, task = browser_of(people["zj"]), onboarding["task"]
        before = state_of(task)
        assert zj.get(f"/approvals/tasks/{task.id}/").status_code == 404
        assert zj.post(f"/approvals/tasks/{task.id}/", {"decision": "approve"}).status_code == 404
        assert state_of(task) == before

    def test_admin_sees_the_task_but_may_not_decide_it(self, browser_of, people, onboarding):
        # given
        admin, task = browser_of(people["admin"]), onboarding["task"]
        before = state_of(task)
        # when
        page = admin.get(f"/approvals/tasks/{task.id}/")
        posted = admin.post(f"/approvals/tasks/{task.id}/", {"decision": "approve"})
        # then
        assert (page.context["may_decide"], page.context["may_delegate"]) == (False, True)
        assert 'name="decision"' not in page.content.decode()
        assert posted.status_code == 403
        assert "此任务不是分配给您的。" in posted.content.decode()
        assert state_of(task) == before

    def test_a_failing_condition_is_shown_and_the_task_stays_open(self, browser_of, brand_a, people):
        # given
        publish(brand_a, people["admin"], bpmn.onboarding(condition='decision == "approve" and missing_field &gt; 1'))
        task = open_task(start(brand_a, people["requester"]))
        # when
        response = browser_of(people["js"]).post(f"/approvals/tasks/{task.id}/", {"decision": "approve"})
        # then
        assert response.status_code == 422
        body = response.content.decode()
        assert "流程无法继续：" in body
        assert "missing_field" in body
        assert response.context["may_decide"] is True  # the step can be retried
        assert state_of(task)[:2] == ("open", "")
        assert state_of(task)[4] == "incident"


class TestDelegating:
    def test_hand_a_task_to_a_colleague_with_the_same_role(self, browser_of, brand_a, people, onboarding):
        # given
        colleague = user_with_role("region_manager", brand_a, divisions=["320000"], display_name="江苏周经理")
        js, task = browser_of(people["js"]), onboarding["task"]
        assert colleague.username in js.get(f"/approvals/tasks/{task.id}/").content.decode()  # offered in the list
        # when
        response = js.post(
            f"/approvals/tasks/{task.id}/delegate/",
            {"delegate-to_user": colleague.username, "delegate-comment": "我出差，请代审"},
        )
        # then
        assert (response.status_code, response["Location"]) == (302, "/approvals/")
        assert "区域经理审核 · 南京鑫盛商贸 已转办给 江苏周经理。" in js.get("/approvals/").content.decode()
        assert ids(js.get("/approvals/")) == []
        assert ids(browser_of(colleague).get("/approvals/")) == [task.id]
        assert state_of(task)[3] == colleague.id

    @pytest.mark.parametrize(
        ("to_user", "error"),
        [
            ("nobody", "没有用户名为 nobody 的在职同事。"),
            ("finance", "该同事在本品牌中没有此步骤的角色。"),
        ],
    )
    def test_unknown_or_unsuitable_colleague_is_422_and_changes_nothing(
        self, browser_of, brand_a, people, onboarding, to_user, error
    ):
        # given
        finance = user_with_role("finance", brand_a)
        username = finance.username if to_user == "finance" else to_user
        task = onboarding["task"]
        before = state_of(task)
        # when
        response = browser_of(people["js"]).post(
            f"/approvals/tasks/{task.id}/delegate/", {"delegate-to_user": username}
        )
        # then
        assert response.status_code == 422
        assert response.context["delegate"].errors == {"to_user": [error]}
        assert state_of(task) == before


class TestRequests:
    def test_requester_sees_their_requests_with_status_and_current_step(self, browser_of, brand_a, people, onboarding):
        # given
        other = start(brand_a, people["requester"], label="杭州新峰贸易", divisions=("330100",))
        browser_of(people["js"]).post(
            f"/approvals/tasks/{onboarding['task'].id}/", {"decision": "reject", "comment": "资质不符"}
        )
        client = browser_of(people["requester"])
        # when
        response = client.get("/approvals/instances/")
        # then
        assert sorted(ids(response)) == sorted([onboarding["instance"].id, other.id])
        body = response.content.decode()
        assert '<span class="badge badge-rejected">已驳回</span>' in body
        assert '<span class="badge badge-running">进行中</span>' in body
        assert ids(client.get("/approvals/instances/", {"status": "running"})) == [other.id]
        assert ids(client.get("/approvals/instances/", {"status": "bogus"})) == ids(response)

    def test_others_requests_are_not_listed(self, browser_of, people, onboarding):
        assert ids(browser_of(people["js"]).get("/approvals/instances/")) == []
        assert ids(browser_of(people["admin"]).get("/approvals/instances/")) == [onboarding["instance"].id]

    def test_detail_shows_where_the_request_stands(self, browser_of, people, onboarding):
        # given
        instance = onboarding["instance"]
        browser_of(people["js"]).post(
            f"/approvals/tasks/{onboarding['task'].id}/", {"decision": "approve", "comment": "资料齐全"}
        )
        # when
        response = browser_of(people["requester"]).get(f"/approvals/instances/{instance.id}/")
        # then
        assert response.status_code == 200
        body = response.content.decode()
        for shown in ("区域经理审核", "江苏李经理", "资料齐全", "渠道总监审批", "待品牌管理员处理"):
            assert shown in body
        assert re.search(r'class="badge badge-running">进行中<', body)

    def test_people_with_a_step_in_it_see_it_and_others_get_404(self, browser_of, brand_b, people, onboarding):
        url = f"/approvals/instances/{onboarding['instance'].id}/"
        assert browser_of(people["js"]).get(url).status_code == 200
        assert browser_of(people["zj"]).get(url).status_code == 404
        assert browser_of(user_with_role("brand_admin", brand_b)).get(url).status_code == 404

    def test_my_open_step_is_linked_from_the_request(self, browser_of, people, onboarding):
        body = browser_of(people["js"]).get(f"/approvals/instances/{onboarding['instance'].id}/").content.decode()
        assert f'href="/approvals/tasks/{onboarding["task"].id}/"' in body


class TestDefinitions:
    def upload(self, client, xml: str, **fields) -> object:
        return client.post("/approvals/definitions/", {"key": KEY, "name": "经销商准入", "bpmn_xml": xml, **fields})

    def test_upload_a_draft_then_publish_it_as_version_1(self, browser_of, brand_a, people):
        # given
        client = browser_of(people["admin"])
        # when
        uploaded = self.upload(client, bpmn.onboarding())
        see_all_brands()
        draft = ProcessDefinition.objects.get(brand=brand_a, key=KEY)
        published = client.post(f"/approvals/definitions/{draft.id}/publish/")
        # then
        assert (uploaded.status_code, published.status_code) == (302, 302)
        see_all_brands()
        draft.refresh_from_db()
        assert (draft.status, draft.version, draft.published_by_id) == ("published", 1, people["admin"].id)
        body = client.get("/approvals/definitions/").content.decode()
        assert "经销商准入 已发布为版本 1。" in body
        assert '<span class="badge badge-published">已发布</span>' in body

    def test_upload_as_a_file(self, browser_of, brand_a, people):
        client = browser_of(people["admin"])
        upload = SimpleUploadedFile("onboarding.bpmn", bpmn.onboarding().encode(), content_type="application/xml")
        response = client.post("/approvals/definitions/", {"key": KEY, "name": "经销商准入", "bpmn_file": upload})
        assert response.status_code == 302
        see_all_brands()
        assert ProcessDefinition.objects.get(key=KEY).bpmn_xml == bpmn.onboarding()

    @pytest.mark.parametrize(
        ("fields", "errors"),
        [
            ({"key": "Onboarding!", "bpmn_xml": "<x/>"}, {"key": ["请使用小写字母、数字和 _，并以字母开头。"]}),
            ({"bpmn_xml": ""}, {"bpmn_file": ["请上传 BPMN 文件或粘贴其 XML。"]}),
        ],
    )
    def test_bad_upload_is_422_and_saves_nothing(self, browser_of, people, fields, errors):
        response = self.upload(browser_of(people["admin"]), "", **fields)
        assert response.status_code == 422
        assert response.context["form"].errors == errors
        see_all_brands()
        assert not ProcessDefinition.objects.exists()

    def test_invalid_process_lists_every_problem_and_stays_a_draft(self, browser_of, brand_a, people):
        # given
        client = browser_of(people["admin"])
        self.upload(client, bpmn.unknown_role_and_no_default())
        see_all_brands()
        draft = ProcessDefinition.objects.get(key=KEY)
        # when
        response = client.post(f"/approvals/definitions/{draft.id}/publish/")
        # then
        assert response.status_code == 422
        problems = response.context["problems"]
        assert len(problems) == 3
        assert "网关“金额判断”设置了条件，但没有默认路径。" in problems
        assert "步骤“孤立步骤”从开始事件无法到达。" in problems
        assert any(p.startswith("用户任务“审核”位于泳道 'chief_wizard'") for p in problems)
        body = response.content.decode()
        assert all(f"<li>{p}</li>" in body for p in ["网关“金额判断”设置了条件，但没有默认路径。"])
        see_all_brands()
        draft.refresh_from_db()
        assert (draft.status, draft.version) == ("draft", None)

    def test_export_downloads_the_xml(self, browser_of, brand_a, people):
        definition = publish(brand_a, people["admin"])
        response = browser_of(people["admin"]).get(f"/approvals/definitions/{definition.id}/xml/")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/xml; charset=utf-8"
        assert response["Content-Disposition"] == f'attachment; filename="{KEY}-v1.bpmn"'
        assert response.content.decode() == bpmn.onboarding()

    def test_a_version_can_start_the_next_draft(self, browser_of, brand_a, people):
        definition = publish(brand_a, people["admin"])
        form = browser_of(people["admin"]).get("/approvals/definitions/", {"from": definition.id}).context["form"]
        assert (form["key"].value(), form["bpmn_xml"].value()) == (KEY, bpmn.onboarding())

    def test_only_brand_admins_manage_definitions(self, browser_of, brand_a, people):
        definition = publish(brand_a, people["admin"])
        client = browser_of(people["js"])
        assert client.get("/approvals/definitions/").status_code == 403
        assert client.get(f"/approvals/definitions/{definition.id}/xml/").status_code == 403
        assert self.upload(client, bpmn.onboarding(), key="other").status_code == 403
        assert "/approvals/definitions/" not in client.get("/").content.decode()
        see_all_brands()
        assert list(ProcessDefinition.objects.values_list("key", flat=True)) == [KEY]

    def test_other_brands_definitions_are_404(self, browser_of, brand_a, brand_b, people):
        # given
        see_all_brands()
        draft = services.save_draft(
            actor=actor_of(people["admin"]), brand_id=brand_a.id, key=KEY, name="经销商准入", bpmn_xml=bpmn.onboarding()
        )
        other = browser_of(user_with_role("brand_admin", brand_b))
        # when / then
        assert other.post(f"/approvals/definitions/{draft.id}/publish/").status_code == 404
        assert other.get(f"/approvals/definitions/{draft.id}/xml/").status_code == 404
        assert ids(other.get("/approvals/definitions/")) == []
        see_all_brands()
        draft.refresh_from_db()
        assert draft.status == "draft"
