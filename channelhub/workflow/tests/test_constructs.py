"""Countersign completion rules, 加签, service steps with incidents and retry, auto-decided
escalations and DMN decision tables, end to end through the API."""

import pytest

from channelhub.partners.models import DistributorAccount
from channelhub.testing import AccountFactory, BrandFactory, see_all_brands, user_with_role
from channelhub.workflow import operations
from channelhub.workflow.models import ProcessInstance, WorkTask
from channelhub.workflow.tests import bpmn
from channelhub.workflow.tests.test_approvals import inbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def brand():
    return BrandFactory()


@pytest.fixture
def admin(api, brand):
    return api(user_with_role("brand_admin", brand))


@pytest.fixture
def manager(api, brand):
    return api(user_with_role("region_manager", brand, divisions=["320000"]))


def publish(client, brand, xml: str, decisions: list[str] | None = None, key: str = "k") -> dict:
    body = {"brand_id": brand.id, "key": key, "name": "流程", "bpmn_xml": xml, "decisions": decisions or []}
    draft = client.post("/workflow/definitions", body)
    assert draft.status_code == 201, draft.content
    return client.post(f"/workflow/definitions/{draft.json()['id']}/publish")


def start(client, brand, key: str = "k", subject=("partners.application", "42"), **data) -> dict:
    body = {
        "brand_id": brand.id,
        "key": key,
        "subject_type": subject[0],
        "subject_id": subject[1],
        "subject_label": "南京鑫盛商贸",
        "subject_divisions": ["320102"],
        "data": data,
    }
    response = client.post("/workflow/instances", body)
    assert response.status_code == 201, response.content
    return response.json()


def act(client, decision: str = "approve", **extra):
    task = inbox(client)[0]
    return client.post(f"/workflow/tasks/{task['id']}/act", {"decision": decision, **extra})


def status(client, instance: dict) -> str:
    return client.get(f"/workflow/instances/{instance['id']}").json()["status"]


class TestCountersignCompletion:
    @pytest.fixture
    def signers(self, api, brand):
        users = [user_with_role("brand_admin", brand) for _ in range(3)]
        return users, [api(u) for u in users]

    def test_any_of_the_first_approval_settles_it_and_closes_the_others(self, admin, brand, signers):
        users, clients = signers
        publish(admin, brand, bpmn.committee("nrOfApprovals &gt;= 1", "vote_approvals &gt;= 1"))
        instance = start(admin, brand, signers=[u.username for u in users])
        act(clients[0], "reject", comment="不同意")
        assert status(admin, instance) == "running"
        act(clients[1], "approve")
        assert status(admin, instance) == "approved"
        assert inbox(clients[2]) == []
        see_all_brands()
        cancelled = WorkTask.objects.get(assignee=users[2])
        assert cancelled.status == "cancelled"

    def test_the_signer_item_may_have_any_id(self, admin, brand, signers):
        users, clients = signers
        publish(admin, brand, bpmn.committee("nrOfApprovals &gt;= 1", "vote_approvals &gt;= 1", item="member"))
        start(admin, brand, signers=[u.username for u in users])
        assert [len(inbox(c)) for c in clients] == [1, 1, 1]

    def test_two_of_three_needs_two_approvals(self, admin, brand, signers):
        users, clients = signers
        publish(admin, brand, bpmn.committee("nrOfApprovals &gt;= 2", "vote_approvals &gt;= 2"))
        instance = start(admin, brand, signers=[u.username for u in users])
        act(clients[0], "approve")
        assert status(admin, instance) == "running"
        act(clients[2], "approve")
        assert status(admin, instance) == "approved"
        assert inbox(clients[1]) == []

    def test_two_of_three_fails_when_two_reject(self, admin, brand, signers):
        users, clients = signers
        condition = "nrOfApprovals &gt;= 2 or nrOfRejections &gt; nrOfInstances - 2"
        publish(admin, brand, bpmn.committee(condition, "vote_approvals &gt;= 2"))
        instance = start(admin, brand, signers=[u.username for u in users])
        act(clients[0], "reject", comment="价格太低")
        act(clients[1], "reject", comment="区域重叠")
        assert status(admin, instance) == "rejected"
        assert inbox(clients[2]) == []

    def test_one_veto_ends_it(self, admin, brand, signers):
        users, clients = signers
        publish(admin, brand, bpmn.committee("nrOfRejections &gt;= 1", "vote_rejections == 0"))
        instance = start(admin, brand, signers=[u.username for u in users])
        act(clients[0], "approve")
        act(clients[1], "reject", comment="一票否决")
        assert status(admin, instance) == "rejected"

    def test_a_python_completion_condition_is_refused_at_publish(self, admin, brand):
        response = publish(admin, brand, bpmn.committee("__import__('os').system('id')", "True"))
        assert response.status_code == 422
        assert "completion condition of '委员会会签'" in response.json()["message"]


class TestAddSigner:
    @pytest.fixture
    def flow(self, api, admin, manager, brand):
        publish(admin, brand, bpmn.onboarding())
        finance_user = user_with_role("finance", brand)
        return start(admin, brand), finance_user, api(finance_user)

    def test_before_the_added_signer_decides_first_then_it_comes_back(self, admin, manager, flow):
        instance, finance_user, finance = flow
        task = inbox(manager)[0]
        added = manager.post(
            f"/workflow/tasks/{task['id']}/add-signer",
            {"to_user": finance_user.username, "before": True, "comment": "请财务先看资信"},
        )
        assert added.status_code == 200, added.content
        assert inbox(manager) == []
        assert [t["step"] for t in inbox(finance)] == ["region_review"]
        act(finance, "approve", comment="资信良好")
        assert inbox(finance) == []
        assert [t["step"] for t in inbox(manager)] == ["region_review"]  # back to the one who asked
        act(manager, "approve")
        assert [t["step"] for t in inbox(admin)] == ["director"]
        timeline = admin.get(f"/workflow/instances/{instance['id']}").json()["timeline"]
        assert [(e["step"], e["decision"], e["comment"]) for e in timeline][:3] == [
            ("region_review", "add_signer", "请财务先看资信"),
            ("region_review", "approve", "资信良好"),
            ("region_review", "approve", ""),
        ]

    def test_after_i_approve_and_the_added_signer_settles_the_step(self, admin, manager, flow):
        instance, finance_user, finance = flow
        task = inbox(manager)[0]
        manager.post(f"/workflow/tasks/{task['id']}/add-signer", {"to_user": finance_user.username, "before": False})
        assert inbox(admin) == []  # the step is not done until the added signer decides
        act(finance, "reject", comment="有欠款")
        assert status(admin, instance) == "rejected"

    @pytest.mark.parametrize("who", ["self", "distributor", "other_brand", "nobody"])
    def test_signer_must_be_brand_staff_and_not_me(self, api, manager, brand, flow, who):
        from channelhub.testing import UserFactory

        me = manager.get("/users/me").json()["username"]
        names = {
            "self": me,
            "distributor": user_with_role("distributor_user", brand).username,
            "other_brand": user_with_role("finance", BrandFactory()).username,
            "nobody": UserFactory().username,
        }
        task = inbox(manager)[0]
        response = manager.post(f"/workflow/tasks/{task['id']}/add-signer", {"to_user": names[who]})
        assert (response.status_code, response.json()["field"]) == (422, "to_user")
        assert [t["id"] for t in inbox(manager)] == [task["id"]]

    def test_only_the_assignee_may_add_a_signer(self, api, admin, manager, brand, flow):
        _, finance_user, finance = flow
        task = inbox(manager)[0]
        response = finance.post(f"/workflow/tasks/{task['id']}/add-signer", {"to_user": finance_user.username})
        assert response.status_code == 403


class TestServiceSteps:
    def test_approval_activates_the_distributor(self, admin, manager, brand):
        account = AccountFactory(brand=brand, status=DistributorAccount.Status.PROSPECT)
        assert publish(admin, brand, bpmn.service_step()).status_code == 200
        instance = start(admin, brand, subject=("partners.distributoraccount", str(account.pk)))
        act(manager, "approve")
        assert status(admin, instance) == "approved"
        see_all_brands()
        account.refresh_from_db()
        assert account.status == DistributorAccount.Status.ACTIVE

    def test_unknown_operation_is_refused_at_publish(self, admin, brand):
        response = publish(admin, brand, bpmn.service_step("os.system"))
        assert response.status_code == 422
        assert "service step '启用经销商' calls 'os.system'" in response.json()["message"]
        assert "partners.activate_distributor" in response.json()["message"]

    def test_a_failing_step_is_an_incident_that_keeps_the_decision_and_can_be_retried(
        self, admin, manager, brand, monkeypatch
    ):
        account = AccountFactory(brand=brand, status=DistributorAccount.Status.PROSPECT)
        publish(admin, brand, bpmn.service_step())
        instance = start(admin, brand, subject=("partners.distributoraccount", str(account.pk)))
        real = operations.get("partners.activate_distributor")
        calls = []

        def flaky(call):
            calls.append(call.subject_id)
            real.handler(call)  # its write must be undone with the failure
            raise ConnectionError("ERP did not answer")

        monkeypatch.setitem(operations._operations, real.name, operations.Operation(real.name, real.label, flaky))
        assert act(manager, "approve").status_code == 200  # the approver's decision stands
        detail = admin.get(f"/workflow/instances/{instance['id']}").json()
        assert detail["status"] == "incident"
        expected = "service step '启用经销商' (partners.activate_distributor) failed: ERP did not answer"
        assert expected in detail["incident"]
        assert [(e["step"], e["decision"]) for e in detail["timeline"]] == [("review", "approve")]
        see_all_brands()
        account.refresh_from_db()
        assert account.status == DistributorAccount.Status.PROSPECT
        # when: the admin retries while it still fails, then after it is mended
        again = admin.post(f"/workflow/instances/{instance['id']}/retry")
        assert (again.status_code, again.json()["status"]) == (200, "incident")
        monkeypatch.setitem(operations._operations, real.name, real)
        mended = admin.post(f"/workflow/instances/{instance['id']}/retry")
        assert (mended.status_code, mended.json()["status"], mended.json()["incident"]) == (200, "approved", "")
        assert len(calls) == 2
        account.refresh_from_db()
        assert account.status == DistributorAccount.Status.ACTIVE

    def test_retry_is_for_admins_and_stopped_processes_only(self, admin, manager, brand):
        publish(admin, brand, bpmn.onboarding())
        instance = start(admin, brand)
        assert manager.post(f"/workflow/instances/{instance['id']}/retry").status_code in (403, 404)
        response = admin.post(f"/workflow/instances/{instance['id']}/retry")
        assert (response.status_code, response.json()["code"]) == (409, "no_incident")

    def test_a_subject_that_is_not_a_distributor_becomes_an_incident(self, admin, manager, brand):
        publish(admin, brand, bpmn.service_step())
        instance = start(admin, brand, subject=("orders.order", "7"))
        act(manager, "approve")
        detail = admin.get(f"/workflow/instances/{instance['id']}").json()
        assert detail["status"] == "incident"
        assert "not a distributor" in detail["incident"]

    def test_operations_are_listed_for_the_designer(self, admin):
        names = [op["name"] for op in admin.get("/workflow/operations").json()]
        assert "partners.activate_distributor" in names


class TestDecisionTables:
    @pytest.mark.parametrize(
        ("amount", "grade", "step"),
        [(250000, "A", "director"), (99999, "C", "director"), (99999, "A", "region_review")],
    )
    def test_the_table_routes_the_request(self, admin, manager, brand, amount, grade, step):
        published = publish(admin, brand, bpmn.routed_by_table(), [bpmn.approval_level_table()])
        assert published.status_code == 200, published.content
        start(admin, brand, amount=amount, grade=grade)
        waiting = inbox(admin) + inbox(manager)
        assert [t["step"] for t in waiting] == [step]

    def test_python_in_a_cell_is_refused_at_publish(self, admin, brand):
        evil = bpmn.approval_level_table(big_cell="__import__('os').system('id')")
        response = publish(admin, brand, bpmn.routed_by_table(), [evil])
        assert response.status_code == 422
        assert "decision table" in response.json()["message"]

    def test_a_missing_table_is_named(self, admin, brand):
        response = publish(admin, brand, bpmn.routed_by_table())
        assert response.status_code == 422
        assert "approval_level" in response.json()["message"]


class TestAutoDecided:
    def test_rows_record_data(self, admin, brand):
        publish(admin, brand, bpmn.onboarding())
        instance = start(admin, brand, registered_capital="8000000", grade="A")
        assert admin.get(f"/workflow/instances/{instance['id']}").json()["data"] == {
            "registered_capital": "8000000",
            "grade": "A",
        }
        see_all_brands()
        assert ProcessInstance.objects.get().data["grade"] == "A"


class TestTimersAtPublish:
    @pytest.mark.parametrize(
        ("value", "problem"),
        [
            ("PT24H", 'write the ISO 8601 value in quotes ("PT24H")'),
            ("__import__('os')", "function '__import__' is not allowed"),
        ],
    )
    def test_bad_timer_values_are_refused(self, admin, brand, value, problem):
        response = publish(admin, brand, bpmn.with_timers(remind=value))
        assert response.status_code == 422
        assert "timer '24小时提醒'" in response.json()["message"]
        assert problem in response.json()["message"]


class TestDecisionTablesCarryOver:
    def test_a_new_draft_without_tables_keeps_the_published_ones(self, admin, manager, brand):
        publish(admin, brand, bpmn.routed_by_table(), [bpmn.approval_level_table()])
        # when: the process is saved again (e.g. from the designer) without sending the tables
        draft = admin.post(
            "/workflow/definitions",
            {"brand_id": brand.id, "key": "k", "name": "流程", "bpmn_xml": bpmn.routed_by_table()},
        )
        assert draft.json()["decisions"] == [bpmn.approval_level_table()]
        assert admin.post(f"/workflow/definitions/{draft.json()['id']}/publish").status_code == 200
