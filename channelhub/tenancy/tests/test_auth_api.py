import pytest

from channelhub.core.models import AuditEntry
from channelhub.tenancy.models import ApiKey, ApiToken
from channelhub.testing import PASSWORD, BrandFactory, see_all_brands, user_with_role

pytestmark = pytest.mark.django_db


def test_token_is_issued_for_right_password_and_stored_hashed(api):
    user = user_with_role("group_admin")
    response = api().post("/auth/token", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 201
    raw = response.json()["token"]
    assert raw.startswith("cht_")
    stored = ApiToken.objects.get(user=user)
    assert raw not in (stored.key_hash, stored.prefix) and len(stored.key_hash) == 64
    assert api(token=raw).get("/users/me").json()["username"] == user.username


@pytest.mark.parametrize("body", [{"username": "nobody", "password": "x"}, {"username": "u", "password": ""}, {}])
def test_bad_credentials_get_a_clear_error_and_no_token(api, body):
    user_with_role("group_admin", username="u")
    response = api().post("/auth/token", body)
    assert response.status_code == 422
    assert response.json()["code"] in {"invalid_credentials", "validation_error"}
    assert ApiToken.objects.count() == 0


def test_inactive_user_gets_no_token(api):
    user = user_with_role("group_admin", is_active=False)
    assert api().post("/auth/token", {"username": user.username, "password": PASSWORD}).status_code == 422


def test_revoked_token_stops_working(api):
    user = user_with_role("group_admin")
    client = api(user)
    token_id = client.get("/auth/tokens").json()["items"][0]["id"]
    assert client.delete(f"/auth/tokens/{token_id}").status_code == 204
    response = client.get("/users/me")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_cannot_revoke_someone_elses_token(api):
    alice, bob = api(user_with_role("group_admin")), api(user_with_role("group_admin"))
    bob_token = bob.get("/auth/tokens").json()["items"][0]["id"]
    assert alice.delete(f"/auth/tokens/{bob_token}").status_code == 404
    assert bob.get("/users/me").status_code == 200


def test_unauthenticated_requests_are_refused(api):
    for path in ["/distributors", "/users/me", "/brands", "/audit", "/sales-regions", "/regions/tree"]:
        response = api().get(path)
        assert response.status_code == 401, path
        assert response.json()["code"] == "unauthenticated"


def test_me_lists_grants_and_brands(api):
    brand = BrandFactory()
    user = user_with_role("region_manager", brand, divisions=["320000"])
    me = api(user).get("/users/me").json()
    assert me["grants"] == [{"brand_id": brand.id, "role": "region_manager", "divisions": ["320000"]}]
    assert [b["id"] for b in me["brands"]] == [brand.id]
    assert me["is_group_user"] is False


class TestApiKeys:
    def test_brand_admin_creates_key_shown_once_and_stored_hashed(self, api):
        brand = BrandFactory()
        admin = api(user_with_role("brand_admin", brand))
        response = admin.post("/api-keys", {"brand_id": brand.id, "name": "ERP 同步", "scopes": ["read", "write"]})
        assert response.status_code == 201
        raw = response.json()["key"]
        key = ApiKey.objects.get()
        assert key.key_hash != raw and key.scopes == ["read", "write"]
        assert "key" not in admin.get("/api-keys").json()["items"][0]
        see_all_brands()
        assert AuditEntry.objects.filter(object_type="tenancy.apikey", brand_id=brand.id).exists()

    def test_only_brand_admins_create_keys(self, api):
        brand = BrandFactory()
        response = api(user_with_role("region_manager", brand)).post(
            "/api-keys", {"brand_id": brand.id, "name": "x", "scopes": ["read"]}
        )
        assert response.status_code == 403
        assert ApiKey.objects.count() == 0

    def test_unknown_scope_is_refused(self, api):
        brand = BrandFactory()
        response = api(user_with_role("brand_admin", brand)).post(
            "/api-keys", {"brand_id": brand.id, "name": "x", "scopes": ["admin"]}
        )
        assert response.status_code == 422
        assert response.json()["field"] == "scopes"

    def test_read_key_cannot_write_and_revoked_key_cannot_read(self, api):
        brand = BrandFactory()
        admin = api(user_with_role("brand_admin", brand))
        created = admin.post("/api-keys", {"brand_id": brand.id, "name": "WMS", "scopes": ["read"]}).json()
        key = api(token=created["key"])
        assert key.get("/distributors").status_code == 200
        refused = key.post("/sales-regions", {"code": "x", "name": "x", "divisions": ["320000"]})
        assert refused.status_code == 403
        assert refused.json()["code"] == "scope_denied"
        assert admin.delete(f"/api-keys/{created['id']}").status_code == 204
        assert key.get("/distributors").status_code == 401


def test_password_guessing_locks_the_username_for_a_while(api):
    import uuid

    from django.core.cache import cache

    from channelhub.conftest import ApiClient
    from channelhub.tenancy.services import _failures_key

    # given: a unique name, so parallel test workers sharing a Redis cache never collide
    user = user_with_role("group_admin", username=f"target-{uuid.uuid4().hex[:8]}")
    client = api()
    # when: ten wrong guesses
    for _ in range(10):
        assert client.post("/auth/token", {"username": user.username, "password": "guess"}).status_code == 422
    # then: even the right password is refused for now, with a clear 429
    locked = client.post("/auth/token", {"username": user.username, "password": PASSWORD})
    assert locked.status_code == 429
    assert locked.json()["code"] == "too_many_attempts"
    assert ApiToken.objects.filter(user=user).count() == 0
    other_address = ApiClient()
    other_address.client.defaults["REMOTE_ADDR"] = "10.1.2.3"
    elsewhere = other_address.post("/auth/token", {"username": user.username, "password": PASSWORD})
    assert elsewhere.status_code == 201  # a guesser cannot lock the real user out everywhere
    cache.delete(_failures_key(user.username, "127.0.0.1"))  # the lock expires on its own after 15 minutes
    assert client.post("/auth/token", {"username": user.username, "password": PASSWORD}).status_code == 201


def test_only_group_admins_grant_group_roles_and_create_brands():
    from channelhub.core.errors import Forbidden
    from channelhub.tenancy.actor import Actor
    from channelhub.tenancy.models import Membership
    from channelhub.tenancy.services import create_brand, grant_membership
    from channelhub.testing import GroupFactory, UserFactory

    analyst = Actor.for_user(user_with_role("group_analyst"))
    target = UserFactory()
    with pytest.raises(Forbidden):
        grant_membership(actor=analyst, user=target, brand_id=None, role="group_admin")
    with pytest.raises(Forbidden):
        create_brand(actor=analyst, group=GroupFactory(), code="new", name="新品牌")
    assert not Membership.objects.filter(user=target).exists()
    admin = Actor.for_user(user_with_role("group_admin"))
    assert create_brand(actor=admin, group=GroupFactory(), code="new", name="新品牌").code == "new"


def test_granting_again_records_the_change_of_region_limit():
    from channelhub.tenancy.actor import Actor
    from channelhub.tenancy.services import grant_membership
    from channelhub.testing import UserFactory

    brand = BrandFactory()
    admin = Actor.for_user(user_with_role("brand_admin", brand))
    manager = UserFactory()
    see_all_brands()  # no request here to set the brand scope
    grant_membership(actor=admin, user=manager, brand_id=brand.id, role="region_manager", division_codes=["320000"])
    grant_membership(actor=admin, user=manager, brand_id=brand.id, role="region_manager", division_codes=["330000"])
    see_all_brands()
    entries = list(AuditEntry.objects.filter(object_type="tenancy.membership").order_by("id"))
    assert [e.action for e in entries] == ["create", "update"]
    assert entries[1].changes == {"divisions": [["320000"], ["330000"]]}
