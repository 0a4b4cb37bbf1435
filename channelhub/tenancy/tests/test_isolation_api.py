"""Brand A's people never reach brand B's data through the API: by id, by filter or by search."""

import pytest

from channelhub.core.models import AuditEntry
from channelhub.partners.models import DistributorAccount
from channelhub.regions.models import SalesRegion
from channelhub.testing import AccountFactory, BrandFactory, see_all_brands, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(api):
    brand_a, brand_b = BrandFactory(code="a"), BrandFactory(code="b")
    see_all_brands()
    account_b = AccountFactory(brand=brand_b, name="乙方独有经销商")
    region_b = SalesRegion.objects.create(brand=brand_b, code="east", name="华东大区")
    region_b.members.create(brand=brand_b, division_id="320000")
    AccountFactory(brand=brand_a)
    return {
        "a": brand_a,
        "b": brand_b,
        "account_b": account_b,
        "region_b": region_b,
        "client_a": api(user_with_role("brand_admin", brand_a)),
    }


def test_cannot_read_other_brand_distributor_by_id(world):
    response = world["client_a"].get(f"/distributors/{world['account_b'].id}")
    missing = world["client_a"].get("/distributors/987654321")
    assert response.status_code == 404
    assert response.json() == missing.json()


def test_cannot_update_other_brand_distributor(world):
    response = world["client_a"].patch(f"/distributors/{world['account_b'].id}", {"grade": "A"})
    assert response.status_code == 404
    see_all_brands()
    assert DistributorAccount.objects.get(id=world["account_b"].id).grade == "C"


def test_cannot_list_other_brand_by_filter_or_search(world):
    client = world["client_a"]
    assert client.get("/distributors", brand_id=world["b"].id).json() == {"items": [], "count": 0}
    assert client.get("/distributors", q="乙方独有").json()["count"] == 0
    assert client.get("/distributors", q=world["account_b"].party.credit_code).json()["count"] == 0
    assert client.get("/distributors", sales_region=world["region_b"].id).json()["count"] == 0
    assert {i["brand_id"] for i in client.get("/distributors").json()["items"]} == {world["a"].id}


def test_cannot_create_in_other_brand(world):
    from channelhub.testing import credit_code

    response = world["client_a"].post(
        "/distributors",
        {
            "brand_id": world["b"].id,
            "credit_code": credit_code(),
            "name": "越权",
            "registered_division": "320102",
        },
    )
    assert response.status_code == 404
    see_all_brands()
    assert DistributorAccount.objects.filter(brand=world["b"]).count() == 1


def test_cannot_reach_other_brand_sales_regions(world):
    client, region = world["client_a"], world["region_b"]
    assert client.get(f"/sales-regions/{region.id}").status_code == 404
    assert client.patch(f"/sales-regions/{region.id}", {"name": "改名"}).status_code == 404
    assert client.delete(f"/sales-regions/{region.id}").status_code == 404
    assert client.get("/sales-regions", brand_id=world["b"].id).json()["count"] == 0
    see_all_brands()
    assert SalesRegion.objects.get(id=region.id).name == "华东大区"


def test_brands_and_audit_are_scoped(world):
    client = world["client_a"]
    assert [b["id"] for b in client.get("/brands").json()["items"]] == [world["a"].id]
    assert client.get(f"/brands/{world['b'].id}").status_code == 404
    see_all_brands()
    AuditEntry.objects.create(brand_id=world["b"].id, action="update", object_type="x", object_id="1")
    assert all(e["brand_id"] == world["a"].id for e in client.get("/audit").json()["items"])
    assert client.get("/audit", brand_id=world["b"].id).json()["count"] == 0


def test_group_user_sees_every_brand(world, api):
    group = api(user_with_role("group_analyst"))
    assert {i["brand_id"] for i in group.get("/distributors").json()["items"]} == {world["a"].id, world["b"].id}
    assert group.get(f"/distributors/{world['account_b'].id}").status_code == 200


def test_integration_key_is_confined_to_its_brand(world, api):
    created = world["client_a"].post("/api-keys", {"brand_id": world["a"].id, "name": "ERP", "scopes": ["read"]})
    key = api(token=created.json()["key"])
    assert key.get(f"/distributors/{world['account_b'].id}").status_code == 404
    assert {i["brand_id"] for i in key.get("/distributors").json()["items"]} == {world["a"].id}


def test_cannot_see_or_revoke_other_brand_api_keys(world, api):
    b_admin = api(user_with_role("brand_admin", world["b"]))
    key_b = b_admin.post("/api-keys", {"brand_id": world["b"].id, "name": "乙ERP", "scopes": ["read"]}).json()
    client = world["client_a"]
    assert client.get("/api-keys").json()["count"] == 0
    assert client.delete(f"/api-keys/{key_b['id']}").status_code == 404
    refused = client.post("/api-keys", {"brand_id": world["b"].id, "name": "越权", "scopes": ["read"]})
    assert refused.status_code == 404
    assert api(token=key_b["key"]).get("/distributors").status_code == 200


@pytest.mark.parametrize("role", ["region_manager", "reviewer", "finance", "distributor_user"])
def test_only_brand_admins_see_integration_keys(world, api, role):
    world["client_a"].post("/api-keys", {"brand_id": world["a"].id, "name": "ERP", "scopes": ["read"]})
    other = api(user_with_role(role, world["a"]))
    assert other.get("/api-keys").json() == {"items": [], "count": 0}
    assert world["client_a"].get("/api-keys").json()["count"] == 1


def test_members_of_a_deactivated_brand_lose_access(world, api):
    from channelhub.tenancy.models import Brand

    member = api(user_with_role("brand_admin", world["b"]))
    Brand.objects.filter(id=world["b"].id).update(is_active=False)
    assert member.get("/distributors").json()["count"] == 0
    assert member.get(f"/distributors/{world['account_b'].id}").status_code == 404
    assert member.patch(f"/distributors/{world['account_b'].id}", {"grade": "A"}).status_code == 404


def test_audit_of_another_brand_object_is_hidden(world):
    see_all_brands()
    AuditEntry.objects.create(
        brand_id=world["b"].id,
        action="update",
        object_type="partners.distributoraccount",
        object_id=str(world["account_b"].id),
    )
    found = world["client_a"].get("/audit", object_type="partners.distributoraccount", object_id=world["account_b"].id)
    assert found.json()["count"] == 0
