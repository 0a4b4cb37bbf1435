"""Approvals end to end through the API: publish, start, inbox, decide, timeline, refusals."""

import pytest

from channelhub.testing import BrandFactory, see_all_brands, user_with_role
from channelhub.workflow.models import ProcessDefinition, ProcessInstance, WorkTask
from channelhub.workflow.tests import bpmn

pytestmark = pytest.mark.django_db


@pytest.fixture
def brand():
    return BrandFactory()


@pytest.fixture
def people(api, brand):
    return {
        "admin": api(user_with_role("brand_admin", brand)),
        "js": api(user_with_role("region_manager", brand, divisions=["320000"])),
        "zj": api(user_with_role("region_manager", brand, divisions=["330000"])),
        "requester": api(user_with_role("reviewer", brand)),
    }


def publish(client, brand, xml: str, key: str = "distributor_onboarding") -> dict:
    draft = client.post(
        "/workflow/definitions", {"brand_id": brand.id, "key": key, "name": "经销商准入", "bpmn_xml": xml}
    )
    assert draft.status_code == 201, draft.content
    return client.post(f"/workflow/definitions/{draft.json()['id']}/publish")


def start(client, brand, **data) -> dict:
    response = client.post(
        "/workflow/instances",
        {
            "brand_id": brand.id,
            "key": "distributor_onboarding",
            "subject_type": "partners.application",
            "subject_id": "42",
            "subject_label": "南京鑫盛商贸",
            "subject_divisions": ["320102"],
            "data": data,
        },
    )
    assert response.status_code == 201, response.content
    return response.json()


def inbox(client) -> list[dict]:
    return client.get("/workflow/tasks").json()["items"]


class TestPublishing:
    def test_publish_gives_increasing_versions_and_keeps_running_instances_on_theirs(self, people, brand):
        first = publish(people["admin"], brand, bpmn.onboarding())
        assert (first.status_code, first.json()["version"]) == (200, 1)
        started = start(people["requester"], brand, registered_capital=500)
        second = publish(people["admin"], brand, bpmn.onboarding(condition='decision == "approve" and 1 == 1'))
        assert second.json()["version"] == 2
        detail = people["admin"].get(f"/workflow/instances/{started['id']}").json()
        assert detail["version"] == 1
        assert start(people["requester"], brand)["version"] == 2

    def test_invalid_process_is_refused_with_every_problem_in_words(self, people, brand):
        response = publish(people["admin"], brand, bpmn.unknown_role_and_no_default())
        assert response.status_code == 422
        body = response.json()
        assert body["code"] == "invalid_process"
        assert "'审核' is in 'chief_wizard'" in body["message"]
        assert "gateway '金额判断' has conditions but no default path" in body["message"]
        assert "'孤立步骤' can never be reached" in body["message"]
        see_all_brands()
        assert ProcessDefinition.objects.get().status == "draft"

    @pytest.mark.parametrize(
        "condition",
        [
            "__import__('os').system('touch /tmp/pwned')",
            "().__class__.__bases__[0].__subclasses__()",
            "open('/etc/passwd').read()",
            "exec('import os')",
        ],
    )
    def test_python_code_in_a_condition_is_refused_at_publish(self, people, brand, condition):
        from xml.sax.saxutils import escape

        response = publish(people["admin"], brand, bpmn.onboarding(condition=escape(condition)))
        assert response.status_code == 422
        assert response.json()["code"] == "invalid_process"
        assert "condition on gateway '区域经理同意?'" in response.json()["message"]

    def test_broken_xml_is_refused(self, people, brand):
        response = publish(people["admin"], brand, "<bpmn:definitions")
        assert response.status_code == 422
        assert response.json()["field"] == "bpmn_xml"

    def test_only_admins_manage_definitions(self, people, brand):
        response = people["js"].post(
            "/workflow/definitions", {"brand_id": brand.id, "key": "x", "name": "x", "bpmn_xml": bpmn.onboarding()}
        )
        assert response.status_code == 403


class TestApproving:
    def test_region_manager_of_the_subjects_region_then_admin_approve(self, people, brand):
        publish(people["admin"], brand, bpmn.onboarding())
        instance = start(people["requester"], brand, registered_capital=500)
        # the 江苏 manager is offered the 江苏 applicant; the 浙江 manager is not
        assert [t["name"] for t in inbox(people["js"])] == ["区域经理审核"]
        assert inbox(people["zj"]) == []
        task = inbox(people["js"])[0]
        done = people["js"].post(f"/workflow/tasks/{task['id']}/act", {"decision": "approve", "comment": "资料齐全"})
        assert done.status_code == 200, done.content
        assert [t["name"] for t in inbox(people["admin"])] == ["渠道总监审批"]
        final = people["admin"].post(f"/workflow/tasks/{inbox(people['admin'])[0]['id']}/act", {"decision": "approve"})
        assert final.status_code == 200
        detail = people["requester"].get(f"/workflow/instances/{instance['id']}").json()
        assert detail["status"] == "approved"
        assert [(e["name"], e["decision"], e["comment"]) for e in detail["timeline"]] == [
            ("区域经理审核", "approve", "资料齐全"),
            ("渠道总监审批", "approve", ""),
        ]
        assert all(e["duration_s"] is not None and e["completed_by"] for e in detail["timeline"])

    def test_reject_ends_the_process_as_rejected(self, people, brand):
        publish(people["admin"], brand, bpmn.onboarding())
        instance = start(people["requester"], brand)
        task = inbox(people["js"])[0]
        people["js"].post(f"/workflow/tasks/{task['id']}/act", {"decision": "reject", "comment": "资质不符"})
        assert people["requester"].get(f"/workflow/instances/{instance['id']}").json()["status"] == "rejected"
        assert inbox(people["admin"]) == []

    def test_gateway_condition_reads_business_data_as_decimal(self, people, brand):
        publish(
            people["admin"],
            brand,
            bpmn.onboarding(condition='decision == "approve" and registered_capital &gt; 1000000'),
        )
        small = start(people["requester"], brand, registered_capital=500000)
        task = inbox(people["js"])[0]
        acted = people["js"].post(f"/workflow/tasks/{task['id']}/act", {"decision": "approve"})
        assert acted.status_code == 200, acted.content
        # approved by the region manager, but under the threshold: the default path ends it
        assert people["admin"].get(f"/workflow/instances/{small['id']}").json()["status"] == "approved"
        assert inbox(people["admin"]) == []

    def test_acting_twice_or_as_someone_else_is_refused_and_changes_nothing(self, people, brand):
        publish(people["admin"], brand, bpmn.onboarding())
        start(people["requester"], brand)
        task = inbox(people["js"])[0]
        outsider = people["zj"].post(f"/workflow/tasks/{task['id']}/act", {"decision": "approve"})
        assert (outsider.status_code, outsider.json()["code"]) == (403, "not_assignee")
        assert people["js"].post(f"/workflow/tasks/{task['id']}/act", {"decision": "approve"}).status_code == 200
        again = people["js"].post(f"/workflow/tasks/{task['id']}/act", {"decision": "reject", "comment": "晚了"})
        assert (again.status_code, again.json()["code"]) == (409, "task_closed")
        see_all_brands()
        assert WorkTask.objects.get(id=task["id"]).decision == "approve"

    @pytest.mark.parametrize(
        ("task_id", "body", "status"),
        [
            (987654, {"decision": "approve"}, 404),
            (None, {"decision": "maybe"}, 422),
            (None, {"decision": "approve", "extra": 1}, 422),
            (None, {"decision": "reject"}, 422),
            (None, {"decision": "reject", "comment": "  "}, 422),
        ],
    )
    def test_bad_requests(self, people, brand, task_id, body, status):
        publish(people["admin"], brand, bpmn.onboarding())
        start(people["requester"], brand)
        task_id = task_id or inbox(people["js"])[0]["id"]
        assert people["js"].post(f"/workflow/tasks/{task_id}/act", body).status_code == status

    def test_delegate_to_a_colleague_with_the_same_role(self, api, people, brand):
        publish(people["admin"], brand, bpmn.onboarding())
        start(people["requester"], brand)
        colleague = user_with_role("region_manager", brand, divisions=["320000"])
        task = inbox(people["js"])[0]
        handed = people["js"].post(f"/workflow/tasks/{task['id']}/delegate", {"to_user": colleague.username})
        assert handed.status_code == 200
        assert inbox(people["js"]) == []
        assert [t["id"] for t in inbox(api(colleague))] == [task["id"]]

    def test_a_condition_that_fails_at_run_time_becomes_an_incident(self, people, brand):
        publish(people["admin"], brand, bpmn.onboarding(condition='decision == "approve" and missing_field &gt; 1'))
        instance = start(people["requester"], brand)
        task = inbox(people["js"])[0]
        response = people["js"].post(f"/workflow/tasks/{task['id']}/act", {"decision": "approve"})
        assert (response.status_code, response.json()["code"]) == (422, "incident")
        detail = people["admin"].get(f"/workflow/instances/{instance['id']}").json()
        assert detail["status"] == "incident"
        assert "missing_field" in detail["incident"]
        assert [t["id"] for t in inbox(people["js"])] == [task["id"]]  # not half-advanced: still waiting

    def test_script_task_computes_in_the_sandbox(self, people, brand):
        publish(people["admin"], brand, bpmn.onboarding(script="big = registered_capital &gt; 1000000"))
        instance = start(people["requester"], brand, registered_capital=2000000.5)
        see_all_brands()
        stored = ProcessInstance.objects.get(id=instance["id"])
        assert stored.status == "running"
        task = inbox(people["js"])[0]
        people["js"].post(f"/workflow/tasks/{task['id']}/act", {"decision": "approve"})
        assert people["admin"].get(f"/workflow/instances/{instance['id']}").json()["status"] == "running"


class TestIsolation:
    def test_other_brand_cannot_see_or_act(self, api, people, brand):
        publish(people["admin"], brand, bpmn.onboarding())
        instance = start(people["requester"], brand)
        task = inbox(people["js"])[0]
        other = api(user_with_role("brand_admin", BrandFactory()))
        assert other.get(f"/workflow/instances/{instance['id']}").status_code == 404
        assert other.post(f"/workflow/tasks/{task['id']}/act", {"decision": "approve"}).status_code == 404
        assert other.get("/workflow/tasks").json()["count"] == 0
        assert other.get("/workflow/definitions").json()["count"] == 0


class TestParallelAndCountersign:
    def test_parallel_reviews_then_every_signer_countersigns(self, api, people, brand):
        # given: finance and the region manager review in parallel; three admins countersign
        finance = api(user_with_role("finance", brand))
        signers = [user_with_role("brand_admin", brand) for _ in range(3)]
        publish(people["admin"], brand, bpmn.countersign())
        instance = start(people["requester"], brand, signers=[s.username for s in signers])
        assert [t["name"] for t in inbox(people["js"])] == ["区域经理审核"]
        assert [t["name"] for t in inbox(finance)] == ["财务审核"]
        # when: one branch is done, the join still waits for the other
        people["js"].post(f"/workflow/tasks/{inbox(people['js'])[0]['id']}/act", {"decision": "approve"})
        assert all(inbox(api(s)) == [] for s in signers)
        finance.post(f"/workflow/tasks/{inbox(finance)[0]['id']}/act", {"decision": "approve"})
        # then: each signer has exactly their own countersign task
        clients = [api(s) for s in signers]
        assert [len(inbox(c)) for c in clients] == [1, 1, 1]
        for client in clients[:2]:
            client.post(f"/workflow/tasks/{inbox(client)[0]['id']}/act", {"decision": "approve"})
        assert people["admin"].get(f"/workflow/instances/{instance['id']}").json()["status"] == "running"
        clients[2].post(f"/workflow/tasks/{inbox(clients[2])[0]['id']}/act", {"decision": "approve"})
        detail = people["admin"].get(f"/workflow/instances/{instance['id']}").json()
        assert detail["status"] == "approved"
        assert [e["name"] for e in detail["timeline"]].count("评审委员会会签") == 3

    def test_a_countersigner_without_the_role_is_refused_and_nothing_advances(self, api, people, brand):
        finance = api(user_with_role("finance", brand))
        publish(people["admin"], brand, bpmn.countersign())
        start(people["requester"], brand, signers=["nobody-here"])
        people["js"].post(f"/workflow/tasks/{inbox(people['js'])[0]['id']}/act", {"decision": "approve"})
        last = inbox(finance)[0]
        response = finance.post(f"/workflow/tasks/{last['id']}/act", {"decision": "approve"})
        assert response.status_code == 422
        assert "countersigner 'nobody-here' does not hold the role 'brand_admin'" in response.json()["message"]
        assert [t["id"] for t in inbox(finance)] == [last["id"]]


class TestSendingBack:
    def test_director_sends_back_to_the_region_manager_who_decides_again(self, people, brand):
        # given: the region manager approved; the director now holds the request
        publish(people["admin"], brand, bpmn.onboarding())
        instance = start(people["requester"], brand)
        people["js"].post(f"/workflow/tasks/{inbox(people['js'])[0]['id']}/act", {"decision": "approve"})
        director_task = inbox(people["admin"])[0]
        # when: 退回 to the region review with a reason
        sent = people["admin"].post(
            f"/workflow/tasks/{director_task['id']}/return", {"to_step": "region_review", "comment": "请补充资质证明"}
        )
        # then: the region manager has it again; the director's step is closed as "return"
        assert sent.status_code == 200, sent.content
        assert inbox(people["admin"]) == []
        again = inbox(people["js"])
        assert [t["step"] for t in again] == ["region_review"]
        people["js"].post(f"/workflow/tasks/{again[0]['id']}/act", {"decision": "approve", "comment": "已补充"})
        assert [t["step"] for t in inbox(people["admin"])] == ["director"]
        timeline = people["admin"].get(f"/workflow/instances/{instance['id']}").json()["timeline"]
        assert [(e["step"], e["decision"]) for e in timeline] == [
            ("region_review", "approve"),
            ("director", "return"),
            ("region_review", "approve"),
            ("director", ""),
        ]

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"to_step": "director", "comment": "x"}, "to_step"),
            ({"to_step": "region_review", "comment": " "}, "comment"),
        ],
    )
    def test_only_to_a_done_step_and_with_a_reason(self, people, brand, body, field):
        publish(people["admin"], brand, bpmn.onboarding())
        start(people["requester"], brand)
        people["js"].post(f"/workflow/tasks/{inbox(people['js'])[0]['id']}/act", {"decision": "approve"})
        director_task = inbox(people["admin"])[0]
        response = people["admin"].post(f"/workflow/tasks/{director_task['id']}/return", body)
        assert (response.status_code, response.json()["field"]) == (422, field)
        assert [t["id"] for t in inbox(people["admin"])] == [director_task["id"]]
