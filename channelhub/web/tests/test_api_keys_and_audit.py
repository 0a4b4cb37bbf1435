"""Integration keys for brand admins, and the audit log page."""

import pytest
from django.test import Client

from channelhub.core.models import AuditEntry
from channelhub.tenancy.models import ApiKey
from channelhub.tenancy.services import hash_secret
from channelhub.testing import AccountFactory, see_all_brands, user_with_role
from channelhub.web.tests.conftest import ids

pytestmark = pytest.mark.django_db


class TestApiKeys:
    def test_brand_admin_creates_a_key_that_is_shown_once_and_works(self, browser_of, brand_a):
        # given
        client = browser_of(user_with_role("brand_admin", brand_a))
        # when
        response = client.post("/api-keys/", {"name": "ERP 用友", "scopes": ["read"]})
        # then
        assert response.status_code == 201
        assert "no-store" in response["Cache-Control"]
        raw = response.context["created"]["raw"]
        assert raw in response.content.decode()
        key = ApiKey.objects.get(name="ERP 用友")
        assert (key.brand_id, key.scopes, key.key_hash) == (brand_a.id, ["read"], hash_secret(raw))
        assert raw not in client.get("/api-keys/").content.decode()
        api = Client().get("/api/v1/distributors", headers={"Authorization": f"Bearer {raw}"})
        assert api.status_code == 200

    def test_missing_scope_is_422_and_creates_nothing(self, browser_of, brand_a):
        client = browser_of(user_with_role("brand_admin", brand_a))
        response = client.post("/api-keys/", {"name": "ERP"})
        assert response.status_code == 422
        assert list(response.context["form"].errors) == ["scopes"]
        assert not ApiKey.objects.exists()

    def test_revoke(self, browser_of, brand_a):
        client = browser_of(user_with_role("brand_admin", brand_a))
        client.post("/api-keys/", {"name": "WMS", "scopes": ["read", "write"]})
        key = ApiKey.objects.get()
        response = client.post(f"/api-keys/{key.id}/revoke/")
        assert response.status_code == 302
        key.refresh_from_db()
        assert key.revoked_at is not None
        see_all_brands()
        assert AuditEntry.objects.filter(object_type="tenancy.apikey", action="revoke").count() == 1

    def test_revoke_needs_post(self, browser_of, brand_a):
        client = browser_of(user_with_role("brand_admin", brand_a))
        client.post("/api-keys/", {"name": "WMS", "scopes": ["read"]})
        key = ApiKey.objects.get()
        assert client.get(f"/api-keys/{key.id}/revoke/").status_code == 405
        key.refresh_from_db()
        assert key.revoked_at is None

    @pytest.mark.parametrize("role", ["region_manager", "reviewer", "finance"])
    def test_other_roles_are_refused(self, browser_of, brand_a, role):
        client = browser_of(user_with_role(role, brand_a))
        assert client.get("/api-keys/").status_code == 403
        assert client.post("/api-keys/", {"name": "ERP", "scopes": ["read"]}).status_code == 403
        assert not ApiKey.objects.exists()
        assert 'href="/api-keys/"' not in client.get("/").content.decode()

    def test_group_analyst_is_refused(self, browser_of, brand_a):
        client = browser_of(user_with_role("group_analyst"))
        assert client.get("/api-keys/").status_code == 403


class TestAuditLog:
    def test_shows_who_when_brand_object_and_before_after(self, browser_of, brand_a):
        # given
        account = AccountFactory(brand=brand_a, grade="C", status="active")
        admin = user_with_role("brand_admin", brand_a, display_name="张管理")
        client = browser_of(admin)
        client.post(
            f"/distributors/{account.id}/edit/",
            {
                "name": account.name,
                "code": account.code,
                "grade": "A",
                "status": "suspended",
                "registered_division": "320102",
                "territory_divisions": "320102",
            },
        )
        # when
        response = client.get("/audit/")
        # then
        entries = list(response.context["page"].object_list)
        assert [(e.action, e.object_id, e.brand_id) for e in entries] == [("update", str(account.id), brand_a.id)]
        body = response.content.decode()
        assert "张管理" in body or admin.username in body
        assert "品牌A" in body
        assert "等级" in body and "C</span>" in body and "A</span>" in body
        assert "合作中</span>" in body and "暂停</span>" in body

    def test_filters_by_object(self, browser_of, brand_a):
        a, b = AccountFactory(brand=brand_a), AccountFactory(brand=brand_a)
        client = browser_of(user_with_role("brand_admin", brand_a))
        for account in (a, b):
            client.post(
                f"/distributors/{account.id}/edit/",
                {
                    "name": account.name,
                    "code": account.code,
                    "grade": "A",
                    "status": "active",
                    "registered_division": "320102",
                    "territory_divisions": "320102",
                },
            )
        response = client.get("/audit/", {"object_type": "partners.distributoraccount", "object_id": str(b.id)})
        assert [e.object_id for e in response.context["page"].object_list] == [str(b.id)]

    def test_pages_of_fifty(self, browser_of, brand_a):
        see_all_brands()
        AuditEntry.objects.bulk_create(
            AuditEntry(
                brand_id=brand_a.id,
                action="update",
                object_type="regions.salesregion",
                object_id=str(i),
                changes={"name": [str(i), str(i + 1)]},
            )
            for i in range(51)
        )
        client = browser_of(user_with_role("brand_admin", brand_a))
        assert len(ids(client.get("/audit/"))) == 50
        assert len(ids(client.get("/audit/", {"page": 2}))) == 1

    @pytest.mark.parametrize("role", ["region_manager", "reviewer", "finance"])
    def test_other_roles_are_refused(self, browser_of, brand_a, role):
        assert browser_of(user_with_role(role, brand_a)).get("/audit/").status_code == 403
