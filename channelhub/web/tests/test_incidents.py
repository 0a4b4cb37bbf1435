"""Process admin pages: an incident (admins see why and retry), a process with its DMN table."""

import pytest

from channelhub.partners.models import DistributorAccount
from channelhub.testing import AccountFactory, actor_of, see_all_brands, user_with_role
from channelhub.web.tests.test_approvals import open_task, publish, start
from channelhub.workflow import operations, services
from channelhub.workflow.models import ProcessInstance
from channelhub.workflow.tests import bpmn

pytestmark = pytest.mark.django_db


@pytest.fixture
def stuck(brand_a, monkeypatch):
    """An approved onboarding whose 'activate distributor' step failed."""
    admin = user_with_role("brand_admin", brand_a)
    manager = user_with_role("region_manager", brand_a, divisions=["320000"])
    account = AccountFactory(brand=brand_a, status=DistributorAccount.Status.PROSPECT)
    publish(brand_a, admin, bpmn.service_step())
    instance = start(brand_a, admin, subject_type="partners.distributoraccount", subject_id=account.pk)
    real = operations.get("partners.activate_distributor")

    def down(call):
        raise ConnectionError("ERP did not answer")

    monkeypatch.setitem(operations._operations, real.name, operations.Operation(real.name, real.label, down))
    services.act_on_task(actor=actor_of(manager), task=open_task(instance), decision="approve")
    monkeypatch.setitem(operations._operations, real.name, real)
    return {"instance": instance, "admin": admin, "manager": manager, "account": account}


def test_the_admin_sees_why_and_retries(stuck, browser_of):
    client = browser_of(stuck["admin"])
    page = client.get(f"/approvals/instances/{stuck['instance'].pk}/")
    assert "ERP did not answer" in page.content.decode()
    assert f"/approvals/instances/{stuck['instance'].pk}/retry/" in page.content.decode()
    response = client.post(f"/approvals/instances/{stuck['instance'].pk}/retry/", follow=True)
    assert response.status_code == 200
    see_all_brands()
    assert ProcessInstance.objects.get(pk=stuck["instance"].pk).status == "approved"
    stuck["account"].refresh_from_db()
    assert stuck["account"].status == DistributorAccount.Status.ACTIVE


def test_others_cannot_retry(stuck, browser_of):
    client = browser_of(stuck["manager"])
    page = client.get(f"/approvals/instances/{stuck['instance'].pk}/")
    assert "/retry/" not in page.content.decode()
    assert client.post(f"/approvals/instances/{stuck['instance'].pk}/retry/").status_code == 403
    see_all_brands()
    assert ProcessInstance.objects.get(pk=stuck["instance"].pk).status == "incident"


def test_incidents_are_listed_for_admins(stuck, browser_of):
    page = browser_of(stuck["admin"]).get("/approvals/instances/?status=incident")
    assert [i.pk for i in page.context["page"].object_list] == [stuck["instance"].pk]


def test_a_process_with_its_decision_table_is_uploaded_and_published(brand_a, browser_of):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from channelhub.workflow.models import ProcessDefinition

    client = browser_of(user_with_role("brand_admin", brand_a))
    files = {
        "bpmn_file": SimpleUploadedFile("routed.bpmn", bpmn.routed_by_table().encode(), "application/xml"),
        "dmn_file": SimpleUploadedFile("levels.dmn", bpmn.approval_level_table().encode(), "application/xml"),
    }
    response = client.post("/approvals/definitions/", {"key": "credit_routing", "name": "分级审批", **files})
    assert response.status_code == 302
    see_all_brands()
    draft = ProcessDefinition.objects.get(key="credit_routing")
    assert draft.decisions == [bpmn.approval_level_table()]
    assert client.post(f"/approvals/definitions/{draft.pk}/publish/").status_code == 302
    draft.refresh_from_db()
    assert draft.status == "published"
