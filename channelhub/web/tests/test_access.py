"""Signing in and out, and what anonymous visitors get."""

import pytest
from django.conf import settings
from django.test import Client

from channelhub.testing import PASSWORD, AccountFactory, see_all_brands, user_with_role

pytestmark = pytest.mark.django_db

SIGNED_IN_PAGES = [
    "/",
    "/distributors/",
    "/distributors/new/",
    "/distributors/1/",
    "/distributors/1/edit/",
    "/sales-regions/",
    "/sales-regions/new/",
    "/sales-regions/1/edit/",
    "/sales-regions/1/delete/",
    "/divisions/",
    "/divisions/320000/children/",
    "/divisions/pick/?q=南京",
    "/audit/",
    "/api-keys/",
]


class TestAnonymous:
    @pytest.mark.parametrize("path", SIGNED_IN_PAGES)
    def test_is_sent_to_the_sign_in_page(self, client, path):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")

    @pytest.mark.parametrize("path", ["/brand/", "/api-keys/1/revoke/", "/sales-regions/1/delete/"])
    def test_cannot_post(self, client, path):
        response = client.post(path, {"brand": "1"})
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")

    def test_htmx_request_is_told_to_reload_the_sign_in_page(self, client):
        response = client.get("/distributors/", headers={"HX-Request": "true"})
        assert response.status_code == 204
        assert response["HX-Redirect"] == "/login/"


class TestSignIn:
    def test_with_password_lands_on_the_dashboard(self, brand_a):
        # given
        user = user_with_role("brand_admin", brand_a)
        client = Client()
        # when
        response = client.post("/login/", {"username": user.username, "password": PASSWORD}, follow=True)
        # then
        assert response.redirect_chain == [("/", 302)]
        assert response.status_code == 200
        assert response.context["actor"].user == user

    def test_wrong_password_stays_on_the_sign_in_page(self, brand_a):
        user = user_with_role("brand_admin", brand_a)
        client = Client()
        response = client.post("/login/", {"username": user.username, "password": "wrong"})
        assert response.status_code == 200
        assert response.context["form"].errors
        assert "_auth_user_id" not in client.session

    def test_repeated_wrong_passwords_lock_the_username_for_a_while(self, brand_a):
        import uuid

        user = user_with_role("brand_admin", brand_a, username=f"web-target-{uuid.uuid4().hex[:8]}")
        client = Client()
        for _ in range(10):
            client.post("/login/", {"username": user.username, "password": "wrong"})
        response = client.post("/login/", {"username": user.username, "password": PASSWORD})
        assert response.status_code == 200
        assert "该用户登录失败次数过多" in response.content.decode()
        assert "_auth_user_id" not in client.session

    def test_sign_in_follows_next(self, brand_a):
        account = AccountFactory(brand=brand_a)
        user = user_with_role("brand_admin", brand_a)
        response = Client().post(
            f"/login/?next=/distributors/{account.id}/",
            {"username": user.username, "password": PASSWORD, "next": f"/distributors/{account.id}/"},
        )
        assert response.status_code == 302
        assert response["Location"] == f"/distributors/{account.id}/"

    def test_signed_in_user_visiting_sign_in_is_sent_home(self, browser_of, brand_a):
        client = browser_of(user_with_role("brand_admin", brand_a))
        response = client.get("/login/")
        assert response.status_code == 302
        assert response["Location"] == "/"


class TestSignOut:
    def test_post_signs_out(self, browser_of, brand_a):
        client = browser_of(user_with_role("brand_admin", brand_a))
        response = client.post("/logout/")
        assert response.status_code == 302
        assert response["Location"] == "/login/"
        assert client.get("/").status_code == 302

    def test_get_does_not_sign_out(self, browser_of, brand_a):
        client = browser_of(user_with_role("brand_admin", brand_a))
        assert client.get("/logout/").status_code == 405
        assert client.get("/").status_code == 200


def test_unknown_address_is_the_404_page(browser_of, brand_a):
    client = browser_of(user_with_role("brand_admin", brand_a))
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "未找到" in response.content.decode()


def test_a_page_renders_on_this_database(browser_of, brand_a, on_postgres):
    """Runs on SQLite and on PostgreSQL (under row-level security as the app role)."""
    # given
    account = AccountFactory(brand=brand_a, name="南京鑫盛商贸有限公司")
    client = browser_of(user_with_role("brand_admin", brand_a))
    # when
    response = client.get("/distributors/")
    # then
    assert response.status_code == 200
    assert [a.id for a in response.context["page"].object_list] == [account.id]
    assert "南京鑫盛商贸有限公司" in response.content.decode()
    if on_postgres:
        assert settings.DATABASES["default"]["USER"] != settings.DATABASES["owner"]["USER"]
    see_all_brands()
