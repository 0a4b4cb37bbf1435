"""Approval pages: the inbox (待办), deciding and handing on a task, my requests, process definitions."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from channelhub.core.models import AuditEntry
from channelhub.testing import AccountFactory, actor_of, member, see_all_brands, user_with_role
from channelhub.web.templatetags.web_tags import data_rows
from channelhub.web.tests.conftest import ids
from channelhub.workflow import selectors, services
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


def start(
    brand,
    requester,
    label: str = "南京鑫盛商贸",
    divisions: tuple[str, ...] = ("320102",),
    *,
    subject_type: str = "partners.application",
    subject_id: str | int = "42",
    data: dict | None = None,
) -> ProcessInstance:
    see_all_brands()
    return services.start_process(
        actor=actor_of(requester),
        brand_id=brand.id,
        key=KEY,
        subject_type=subject_type,
        subject_id=subject_id,
        subject_label=label,
        subject_divisions=list(divisions),
        data=data,
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


def approve_first_step(js_browser, onboarding) -> WorkTask:
    """The region manager approves on the page; the director's step opens (and is returned)."""
    js_browser.post(f"/approvals/tasks/{onboarding['task'].id}/", {"decision": "approve", "comment": "资料齐全"})
    return open_task(onboarding["instance"])


class TestSendingBack:
    def test_the_first_step_has_nothing_to_send_back_to(self, browser_of, people, onboarding):
        response = browser_of(people["js"]).get(f"/approvals/tasks/{onboarding['task'].id}/")
        assert response.context["may_decide"] is True
        assert response.context["may_send_back"] is False
        assert "/return/" not in response.content.decode()

    def test_the_form_offers_the_steps_already_done(self, browser_of, people, onboarding):
        # given
        director = approve_first_step(browser_of(people["js"]), onboarding)
        # when
        response = browser_of(people["admin"]).get(f"/approvals/tasks/{director.id}/")
        # then
        assert response.context["may_send_back"] is True
        assert selectors.returnable_steps(director) == [("region_review", "区域经理审核")]
        body = response.content.decode()
        assert f'action="/approvals/tasks/{director.id}/return/"' in body
        assert '<option value="region_review" selected>区域经理审核</option>' in body

    def test_sending_back_reopens_the_earlier_step_with_the_reason(self, browser_of, people, onboarding):
        # given
        js, admin = browser_of(people["js"]), browser_of(people["admin"])
        director, instance = approve_first_step(js, onboarding), onboarding["instance"]
        audit_rows = state_of(director)[5]
        # when
        response = admin.post(
            f"/approvals/tasks/{director.id}/return/",
            {"return-to_step": "region_review", "return-comment": "请补充营业执照"},
        )
        # then
        assert (response.status_code, response["Location"]) == (302, "/approvals/")
        assert state_of(director) == ("done", "return", "请补充营业执照", None, "running", audit_rows + 1)
        again = open_task(instance)
        assert (again.step, again.name, again.role) == ("region_review", "区域经理审核", "region_manager")
        assert ids(js.get("/approvals/")) == [again.id]
        inbox = admin.get("/approvals/").content.decode()
        assert "渠道总监审批 · 南京鑫盛商贸" in inbox
        assert f'<a href="/approvals/instances/{instance.id}/">' in inbox
        timeline = js.get(f"/approvals/instances/{instance.id}/").content.decode()
        assert '<span class="badge badge-return">' in timeline
        assert "请补充营业执照" in timeline
        assert re.search(r'class="tl-meta tl-return-to">[^<]*区域经理审核[^<]*</div>', timeline)
        assert "region_review" not in timeline  # the step is named, not its id

    @pytest.mark.parametrize("to_step", ["director", "bogus", ""])
    def test_a_step_not_done_is_422_and_changes_nothing(self, browser_of, people, onboarding, to_step):
        # given
        director = approve_first_step(browser_of(people["js"]), onboarding)
        before = state_of(director)
        # when
        response = browser_of(people["admin"]).post(
            f"/approvals/tasks/{director.id}/return/", {"return-to_step": to_step, "return-comment": "请补充材料"}
        )
        # then
        assert response.status_code == 422
        assert list(response.context["send_back"].errors) == ["to_step"]
        assert response.context["may_send_back"] is True  # the form is shown again, with the error
        assert state_of(director) == before

    @pytest.mark.parametrize("comment", ["", "   "])
    def test_without_a_reason_is_422_and_changes_nothing(self, browser_of, people, onboarding, comment):
        director = approve_first_step(browser_of(people["js"]), onboarding)
        before = state_of(director)
        response = browser_of(people["admin"]).post(
            f"/approvals/tasks/{director.id}/return/", {"return-to_step": "region_review", "return-comment": comment}
        )
        assert response.status_code == 422
        assert list(response.context["send_back"].errors) == ["comment"]
        assert state_of(director) == before

    def test_only_whoever_may_decide_the_step_sends_it_back(self, browser_of, brand_b, people, onboarding):
        # given
        js = browser_of(people["js"])
        director = approve_first_step(js, onboarding)
        before = state_of(director)
        form = {"return-to_step": "region_review", "return-comment": "退回"}
        # when
        not_mine = js.post(f"/approvals/tasks/{director.id}/return/", form)
        other_brand = browser_of(user_with_role("brand_admin", brand_b)).post(
            f"/approvals/tasks/{director.id}/return/", form
        )
        # then
        assert (not_mine.status_code, other_brand.status_code) == (403, 404)
        assert "此任务不是分配给您的。" in not_mine.content.decode()
        assert state_of(director) == before

    def test_sending_back_a_decided_step_is_409(self, browser_of, people, onboarding):
        director = approve_first_step(browser_of(people["js"]), onboarding)
        admin = browser_of(people["admin"])
        form = {"return-to_step": "region_review", "return-comment": "退回"}
        assert admin.post(f"/approvals/tasks/{director.id}/return/", form).status_code == 302
        before = state_of(director)
        again = admin.post(f"/approvals/tasks/{director.id}/return/", form)
        assert again.status_code == 409
        assert "此任务已被处理。" in again.content.decode()
        assert again.context["may_send_back"] is False
        assert state_of(director) == before


class TestBusinessData:
    DATA = {"registered_capital": "8000000", "amount": 1234567.5, "grade": "A", "warehouse_m2": 1200}

    def test_task_and_request_pages_list_the_data_the_request_started_with(self, browser_of, brand_a, people):
        # given
        publish(brand_a, people["admin"])
        instance = start(brand_a, people["requester"], data=self.DATA)
        task = open_task(instance)
        # when
        pages = [
            browser_of(people["js"]).get(f"/approvals/tasks/{task.id}/"),
            browser_of(people["requester"]).get(f"/approvals/instances/{instance.id}/"),
        ]
        # then
        for page in pages:
            body = page.content.decode()
            for shown in (
                "<dt>注册资本</dt><dd>¥8,000,000.00</dd>",
                "<dd>¥1,234,567.50</dd>",
                "<dt>等级</dt><dd>A</dd>",
                "<dt>warehouse_m2</dt><dd>1200</dd>",
            ):
                assert shown in body

    def test_requests_started_without_data_show_no_data_list(self, browser_of, people, onboarding):
        body = browser_of(people["js"]).get(f"/approvals/tasks/{onboarding['task'].id}/").content.decode()
        assert 'class="kv request-data"' not in body

    def test_each_steps_form_data_is_shown_in_the_timeline(self, browser_of, people, onboarding):
        # given
        see_all_brands()
        services.act_on_task(
            actor=actor_of(people["js"]),
            task=onboarding["task"],
            decision="approve",
            form_data={"credit_limit": 500000, "visit_date": "2026-11-20"},
        )
        # when
        body = browser_of(people["requester"]).get(f"/approvals/instances/{onboarding['instance'].id}/")
        # then
        html = body.content.decode()
        assert (
            '<dl class="kv tl-data"><dt>信用额度</dt><dd>¥500,000.00</dd><dt>visit_date</dt><dd>2026-11-20</dd></dl>'
            in html
        )

    def test_labels_and_formats(self):
        data = {
            "amount": "12345.678",
            "credit_limit": "not a number",
            "budget": None,
            "region": ["320000", "330000"],
            "flag": True,
            "extra": {"a": 1},
        }
        with translation.override("en"):
            rows = data_rows(data)
        assert rows == [  # known keys in their usual order, then the others alphabetically
            ("Amount", "¥12,345.68"),
            ("Credit limit", "not a number"),
            ("Budget", "—"),
            ("Region", "320000, 330000"),
            ("extra", "a: 1"),
            ("flag", "✓"),
        ]
        assert data_rows(None) == [] and data_rows({}) == []


class TestSubjectLink:
    def test_a_distributor_links_to_its_page_for_who_may_see_it(self, browser_of, brand_a, people):
        # given: the account serves 浙江, the request sits in 江苏 (the 江苏 manager decides it)
        publish(brand_a, people["admin"])
        account = AccountFactory(brand=brand_a, registered_division_id="330102", territory=["330100"])
        instance = start(
            brand_a,
            people["requester"],
            label=account.name,
            subject_type="partners.distributoraccount",
            subject_id=account.id,
        )
        task = open_task(instance)
        link = f'<a class="subject-link" href="/distributors/{account.id}/">{account.name}</a>'
        # when
        admin_page = browser_of(people["admin"]).get(f"/approvals/tasks/{task.id}/")
        manager_page = browser_of(people["js"]).get(f"/approvals/tasks/{task.id}/")
        request_page = browser_of(people["admin"]).get(f"/approvals/instances/{instance.id}/")
        # then
        assert link in admin_page.content.decode()
        assert link in request_page.content.decode()
        assert manager_page.context["subject"] == {"kind": "经销商", "label": account.name, "url": None}
        assert "subject-link" not in manager_page.content.decode()
        assert f'<span class="subject-label">{account.name}</span>' in manager_page.content.decode()

    def test_a_distributor_of_another_brand_is_not_linked(self, browser_of, brand_a, brand_b, people):
        publish(brand_a, people["admin"])
        theirs = AccountFactory(brand=brand_b)
        instance = start(brand_a, people["requester"], subject_type="partners.distributoraccount", subject_id=theirs.id)
        response = browser_of(people["admin"]).get(f"/approvals/instances/{instance.id}/")
        assert response.context["subject"]["url"] is None
        assert f"/distributors/{theirs.id}/" not in response.content.decode()

    def test_other_subjects_show_their_label_without_a_link(self, browser_of, people, onboarding):
        response = browser_of(people["admin"]).get(f"/approvals/instances/{onboarding['instance'].id}/")
        assert response.context["subject"] == {"kind": "", "label": "南京鑫盛商贸", "url": None}
        assert '<span class="subject-label">南京鑫盛商贸</span>' in response.content.decode()


class TestDoneByMe:
    def test_lists_the_steps_i_decided_newest_first(self, browser_of, brand_a, people, onboarding):
        # given
        js = browser_of(people["js"])
        second = open_task(start(brand_a, people["requester"], label="苏州恒达贸易", divisions=("320500",)))
        still_open = open_task(start(brand_a, people["requester"], label="无锡顺发商贸", divisions=("320200",)))
        director = approve_first_step(js, onboarding)
        js.post(f"/approvals/tasks/{second.id}/", {"decision": "reject", "comment": "资质不符"})
        browser_of(people["admin"]).post(f"/approvals/tasks/{director.id}/", {"decision": "approve"})
        # when
        response = js.get("/approvals/done/")
        # then
        assert ids(response) == [second.id, onboarding["task"].id]
        assert still_open.id not in ids(response)
        body = response.content.decode()
        for shown in (
            '<span class="badge badge-reject">驳回</span>',
            '<span class="badge badge-approve">同意</span>',
            "资质不符",
            "苏州恒达贸易",
            f'href="/approvals/instances/{onboarding["instance"].id}/"',
        ):
            assert shown in body
        assert ids(browser_of(people["admin"]).get("/approvals/done/")) == [director.id]
        assert ids(browser_of(people["zj"]).get("/approvals/done/")) == []

    def test_tabs_switch_between_to_do_and_done(self, browser_of, people, onboarding):
        client = browser_of(people["js"])
        inbox, done = client.get("/approvals/").content.decode(), client.get("/approvals/done/").content.decode()
        assert '<a href="/approvals/done/" >' in inbox
        assert '<a href="/approvals/" aria-current="page">' in inbox
        assert '<a href="/approvals/done/" aria-current="page">' in done
        assert 'href="/approvals/instances/"' in done  # 我的申请

    def test_another_brands_decisions_are_not_listed(self, browser_of, brand_a, brand_b, people, onboarding):
        # given: one director of both brands decides in each
        both = user_with_role("brand_admin", brand_a)
        member(both, "brand_admin", brand_b)
        publish(brand_b, both)
        b_manager = user_with_role("region_manager", brand_b, divisions=["320000"])
        b_task = open_task(start(brand_b, both))
        see_all_brands()
        services.act_on_task(actor=actor_of(people["js"]), task=onboarding["task"], decision="approve")
        services.act_on_task(actor=actor_of(b_manager), task=b_task, decision="approve")
        for instance in (onboarding["instance"], b_task.instance):
            services.act_on_task(actor=actor_of(both), task=open_task(instance), decision="approve")
        see_all_brands()
        decided = list(
            WorkTask.objects.filter(completed_by=both).order_by("-completed_at", "-id").values_list("id", "brand_id")
        )
        client = browser_of(both)
        # when
        everything = client.get("/approvals/done/")
        client.post("/brand/", {"brand": brand_b.id, "next": "/approvals/done/"})
        only_b = client.get("/approvals/done/")
        # then
        assert ids(everything) == [task_id for task_id, _ in decided]
        assert ids(only_b) == [task_id for task_id, brand_id in decided if brand_id == brand_b.id]
        assert len(ids(only_b)) == 1
        assert ids(browser_of(user_with_role("brand_admin", brand_b)).get("/approvals/done/")) == []

    def test_query_count_does_not_grow_with_rows(self, browser_of, brand_a, people, onboarding):
        # given
        client = browser_of(people["js"])
        client.post(f"/approvals/tasks/{onboarding['task'].id}/", {"decision": "approve"})
        client.get("/approvals/done/")
        with CaptureQueriesContext(connection) as one_row:
            assert len(ids(client.get("/approvals/done/"))) == 1
        see_all_brands()
        for n in range(5):
            task = open_task(start(brand_a, people["requester"], label=f"江苏第{n}号商贸"))
            services.act_on_task(actor=actor_of(people["js"]), task=task, decision="approve")
        # when
        with CaptureQueriesContext(connection) as six_rows:
            response = client.get("/approvals/done/")
        # then
        assert len(ids(response)) == 6
        assert len(six_rows) == len(one_row)


class TestAddingASigner:
    @pytest.fixture
    def director(self, browser_of, people, onboarding) -> WorkTask:
        return approve_first_step(browser_of(people["js"]), onboarding)

    @pytest.fixture
    def finance(self, brand_a):
        return user_with_role("finance", brand_a, display_name="财务钱会计")

    def add(self, client, task: WorkTask, to_user: str, order: str = "before", comment: str = "请财务把关"):
        return client.post(
            f"/approvals/tasks/{task.id}/add-signer/",
            {"signer-to_user": to_user, "signer-before": order, "signer-comment": comment},
        )

    def test_brand_staff_are_offered_and_i_am_not(self, browser_of, people, director, finance):
        response = browser_of(people["admin"]).get(f"/approvals/tasks/{director.id}/")
        body = response.content.decode()
        assert f'action="/approvals/tasks/{director.id}/add-signer/"' in body
        offered = [u.username for u in response.context["signers"]]
        assert finance.username in offered and people["js"].username in offered
        assert people["admin"].username not in offered
        assert 'name="signer-before" value="before"' in body and 'name="signer-before" value="after"' in body

    def test_before_me_the_signer_decides_first_then_it_comes_back(
        self, browser_of, people, onboarding, director, finance
    ):
        # given
        admin, fin = browser_of(people["admin"]), browser_of(finance)
        # when
        response = self.add(admin, director, finance.username, "before")
        # then
        assert (response.status_code, response["Location"]) == (302, "/approvals/")
        assert state_of(director)[:3] == ("done", "add_signer", "请财务把关")
        added = open_task(onboarding["instance"])
        assert (added.assignee_id, added.added_by_id, added.step) == (finance.id, director.id, "director")
        assert ids(fin.get("/approvals/")) == [added.id]
        assert "渠道总监审批 · 南京鑫盛商贸" in admin.get("/approvals/").content.decode()
        # when the signer agrees, the step is the director's again
        fin.post(f"/approvals/tasks/{added.id}/", {"decision": "approve", "comment": "额度可控"})
        back = open_task(onboarding["instance"])
        assert (back.assignee_id, back.step) == (people["admin"].id, "director")
        assert ids(admin.get("/approvals/")) == [back.id]
        timeline = admin.get(f"/approvals/instances/{onboarding['instance'].id}/").content.decode()
        assert '<span class="badge badge-add_signer">' in timeline
        assert "额度可控" in timeline

    def test_after_me_i_approve_and_the_signer_settles_the_step(
        self, browser_of, people, onboarding, director, finance
    ):
        admin, fin = browser_of(people["admin"]), browser_of(finance)
        assert self.add(admin, director, finance.username, "after").status_code == 302
        assert state_of(director)[:2] == ("done", "approve")
        added = open_task(onboarding["instance"])
        assert added.assignee_id == finance.id
        fin.post(f"/approvals/tasks/{added.id}/", {"decision": "approve"})
        assert state_of(added)[:2] + state_of(added)[4:5] == ("done", "approve", "approved")

    @pytest.mark.parametrize("who", ["nobody", "myself", "distributor"])
    def test_unsuitable_signer_is_422_and_changes_nothing(self, browser_of, brand_a, people, director, who):
        # given
        usernames = {
            "nobody": "nobody",
            "myself": people["admin"].username,
            "distributor": user_with_role("distributor_user", brand_a).username,
        }
        before = state_of(director)
        # when
        response = self.add(browser_of(people["admin"]), director, usernames[who])
        # then
        assert response.status_code == 422
        assert list(response.context["add_signer"].errors) == ["to_user"]
        assert state_of(director) == before

    def test_order_must_be_chosen_from_the_two(self, browser_of, people, director, finance):
        before = state_of(director)
        response = self.add(browser_of(people["admin"]), director, finance.username, "sideways")
        assert response.status_code == 422
        assert list(response.context["add_signer"].errors) == ["before"]
        assert state_of(director) == before

    def test_only_whoever_may_decide_the_step_adds_a_signer(self, browser_of, people, director, finance):
        before = state_of(director)
        response = self.add(browser_of(people["js"]), director, finance.username)
        assert response.status_code == 403
        assert state_of(director) == before
