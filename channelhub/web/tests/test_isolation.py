"""Brand, region and own-account isolation of every page: other brands' rows are never listed,
shown, changed or deleted, whether asked for by id, by filter or by search."""

import pytest

from channelhub.core.models import AuditEntry
from channelhub.partners.models import DistributorAccount
from channelhub.regions.models import SalesRegion
from channelhub.tenancy.actor import Actor
from channelhub.tenancy.services import create_api_key
from channelhub.testing import AccountFactory, distributor_user, see_all_brands, user_with_role
from channelhub.web.tests.conftest import ids

pytestmark = pytest.mark.django_db


@pytest.fixture
def brand_b_rows(brand_b):
    """Brand B's distributor, sales region and integration key, with their audit rows."""
    see_all_brands()
    account = AccountFactory(brand=brand_b, name="乙方专属商贸有限公司", code="B-0001", grade="B", territory=["320100"])
    region = SalesRegion.objects.create(brand=brand_b, code="east", name="乙华东大区")
    region.members.create(brand=brand_b, division_id="320000")
    key, _ = create_api_key(actor=Actor.system(), brand_id=brand_b.id, name="乙 ERP", scopes=["read"])
    return {"account": account, "region": region, "key": key}


@pytest.fixture
def admin_a(browser_of, brand_a):
    AccountFactory(brand=brand_a, name="甲方商贸有限公司", territory=["320100"])
    return browser_of(user_with_role("brand_admin", brand_a))


def audit_count() -> int:
    see_all_brands()
    return AuditEntry.objects.count()


class TestOtherBrandById:
    def test_distributor_detail_is_404(self, admin_a, brand_b_rows):
        response = admin_a.get(f"/distributors/{brand_b_rows['account'].id}/")
        assert response.status_code == 404
        assert "乙方专属商贸有限公司" not in response.content.decode()

    def test_distributor_edit_page_is_404(self, admin_a, brand_b_rows):
        assert admin_a.get(f"/distributors/{brand_b_rows['account'].id}/edit/").status_code == 404

    def test_distributor_edit_post_is_404_and_changes_nothing(self, admin_a, brand_b_rows):
        # given
        account = brand_b_rows["account"]
        before = audit_count()
        # when
        response = admin_a.post(
            f"/distributors/{account.id}/edit/",
            {
                "name": "改名",
                "code": "B-0001",
                "grade": "A",
                "status": "exited",
                "registered_division": "320102",
            },
        )
        # then
        assert response.status_code == 404
        see_all_brands()
        account.refresh_from_db()
        assert (account.name, account.grade, account.status) == ("乙方专属商贸有限公司", "B", "active")
        assert audit_count() == before

    def test_sales_region_edit_is_404_and_changes_nothing(self, admin_a, brand_b_rows):
        region = brand_b_rows["region"]
        before = audit_count()
        assert admin_a.get(f"/sales-regions/{region.id}/edit/").status_code == 404
        response = admin_a.post(f"/sales-regions/{region.id}/edit/", {"name": "改名", "divisions": "110000"})
        assert response.status_code == 404
        see_all_brands()
        region.refresh_from_db()
        assert region.name == "乙华东大区"
        assert list(region.members.values_list("division_id", flat=True)) == ["320000"]
        assert audit_count() == before

    def test_sales_region_delete_is_404_and_deletes_nothing(self, admin_a, brand_b_rows):
        region = brand_b_rows["region"]
        assert admin_a.get(f"/sales-regions/{region.id}/delete/").status_code == 404
        assert admin_a.post(f"/sales-regions/{region.id}/delete/").status_code == 404
        see_all_brands()
        assert SalesRegion.objects.filter(id=region.id).exists()

    def test_api_key_revoke_is_404_and_revokes_nothing(self, admin_a, brand_b_rows):
        key = brand_b_rows["key"]
        assert admin_a.post(f"/api-keys/{key.id}/revoke/").status_code == 404
        key.refresh_from_db()
        assert key.revoked_at is None

    def test_brand_switch_to_other_brand_is_404_and_leaves_the_session(self, admin_a, brand_b):
        response = admin_a.post("/brand/", {"brand": str(brand_b.id), "next": "/"})
        assert response.status_code == 404
        assert "active_brand_id" not in admin_a.session


class TestOtherBrandByFilterOrSearch:
    def test_distributor_list_shows_only_own_brand(self, admin_a, brand_a, brand_b_rows):
        response = admin_a.get("/distributors/")
        see_all_brands()
        assert ids(response) == list(DistributorAccount.objects.filter(brand=brand_a).values_list("id", flat=True))
        assert "乙方专属商贸有限公司" not in response.content.decode()

    def test_brand_filter_with_other_brand_id_gives_nothing(self, admin_a, brand_b, brand_b_rows):
        response = admin_a.get("/distributors/", {"brand": brand_b.id})
        assert response.status_code == 200
        assert ids(response) == []

    @pytest.mark.parametrize("query", ["乙方专属", "B-0001"])
    def test_search_for_other_brand_gives_nothing(self, admin_a, brand_b_rows, query):
        assert ids(admin_a.get("/distributors/", {"q": query})) == []

    def test_search_by_other_brand_credit_code_gives_nothing(self, admin_a, brand_b_rows):
        see_all_brands()
        code = brand_b_rows["account"].party.credit_code
        assert ids(admin_a.get("/distributors/", {"q": code})) == []

    def test_other_brand_sales_region_filter_gives_nothing(self, admin_a, brand_b_rows):
        assert ids(admin_a.get("/distributors/", {"sales_region": brand_b_rows["region"].id})) == []

    def test_htmx_results_are_scoped_too(self, admin_a, brand_b, brand_b_rows):
        response = admin_a.get("/distributors/", {"brand": brand_b.id}, headers={"HX-Request": "true"})
        assert ids(response) == []
        assert "乙方专属商贸有限公司" not in response.content.decode()

    def test_sales_region_list_shows_only_own_brand(self, admin_a, brand_b, brand_b_rows):
        assert ids(admin_a.get("/sales-regions/")) == []
        assert ids(admin_a.get("/sales-regions/", {"brand": brand_b.id})) == []

    def test_api_key_list_shows_only_own_brand(self, admin_a, brand_b_rows):
        response = admin_a.get("/api-keys/")
        assert ids(response) == []
        assert "乙 ERP" not in response.content.decode()

    def test_audit_log_shows_nothing_of_other_brand(self, admin_a, brand_b, brand_b_rows):
        see_all_brands()
        assert AuditEntry.objects.filter(brand_id=brand_b.id).exists()
        response = admin_a.get("/audit/", {"brand": brand_b.id})
        assert ids(response) == []
        assert all(e.brand_id != brand_b.id for e in admin_a.get("/audit/").context["page"].object_list)

    def test_dashboard_shows_only_own_brand(self, admin_a, brand_a, brand_b_rows):
        response = admin_a.get("/")
        assert [c["brand"].id for c in response.context["cards"]] == [brand_a.id]
        assert "品牌B" not in response.content.decode()

    def test_single_brand_user_gets_no_brand_switcher(self, admin_a, brand_b_rows):
        response = admin_a.get("/")
        assert response.context["switcher_brands"] == []
        assert 'id="brand-switch"' not in response.content.decode()

    def test_cannot_create_in_other_brand(self, admin_a, brand_b):
        see_all_brands()
        before = DistributorAccount.objects.count()
        response = admin_a.post(
            "/distributors/new/",
            {
                "brand": brand_b.id,
                "credit_code": "91320102MA1WXYZ123",
                "name": "越权经销商",
                "grade": "C",
                "status": "prospect",
                "registered_division": "320102",
            },
        )
        assert response.status_code == 422
        assert "brand" in response.context["form"].errors
        see_all_brands()
        assert DistributorAccount.objects.count() == before

    def test_cannot_create_sales_region_in_other_brand(self, admin_a, brand_b):
        response = admin_a.post(
            "/sales-regions/new/",
            {
                "brand": brand_b.id,
                "code": "x",
                "name": "越权大区",
                "divisions": "320000",
            },
        )
        assert response.status_code == 422
        see_all_brands()
        assert not SalesRegion.objects.filter(code="x").exists()


class TestGroupUserAndSwitcher:
    def test_group_user_sees_all_brands_and_can_narrow_to_one(self, browser_of, brand_a, brand_b):
        # given
        a = AccountFactory(brand=brand_a)
        b = AccountFactory(brand=brand_b)
        client = browser_of(user_with_role("group_admin"))
        # when / then
        assert sorted(ids(client.get("/distributors/"))) == sorted([a.id, b.id])
        assert [br.id for br in client.get("/").context["switcher_brands"]] == [brand_a.id, brand_b.id]
        response = client.post("/brand/", {"brand": str(brand_b.id), "next": "/distributors/"})
        assert response.status_code == 302
        assert response["Location"] == "/distributors/"
        assert ids(client.get("/distributors/")) == [b.id]
        assert client.get(f"/distributors/{a.id}/").status_code == 404
        client.post("/brand/", {"brand": "", "next": "/"})
        assert sorted(ids(client.get("/distributors/"))) == sorted([a.id, b.id])

    def test_switcher_next_must_be_local(self, browser_of, brand_a, brand_b):
        client = browser_of(user_with_role("group_admin"))
        response = client.post("/brand/", {"brand": str(brand_a.id), "next": "https://evil.example/"})
        assert response["Location"] == "/"

    def test_brand_filter_for_group_user(self, browser_of, brand_a, brand_b):
        AccountFactory(brand=brand_a)
        b = AccountFactory(brand=brand_b)
        client = browser_of(user_with_role("group_admin"))
        response = client.get("/distributors/", {"brand": brand_b.id})
        assert ids(response) == [b.id]
        assert f'<option value="{brand_b.id}" selected>' in response.content.decode()


class TestRegionManager:
    def test_sees_only_distributors_whose_territory_overlaps_jiangsu(self, browser_of, brand_a):
        # given
        nanjing = AccountFactory(brand=brand_a, territory=["320100"])
        jiangsu = AccountFactory(brand=brand_a, territory=["320000"])
        zhejiang = AccountFactory(
            brand=brand_a, registered_division_id="330102", territory=["330000"], name="浙江经销商有限公司"
        )
        client = browser_of(user_with_role("region_manager", brand_a, divisions=["320000"]))
        # when
        response = client.get("/distributors/")
        # then
        assert sorted(ids(response)) == sorted([nanjing.id, jiangsu.id])
        assert client.get(f"/distributors/{zhejiang.id}/").status_code == 404
        assert client.get(f"/distributors/{zhejiang.id}/edit/").status_code == 404
        assert ids(client.get("/distributors/", {"region": "330000"})) == []
        assert ids(client.get("/distributors/", {"q": "浙江经销商"})) == []

    def test_dashboard_counts_only_the_region(self, browser_of, brand_a):
        AccountFactory(brand=brand_a, territory=["320100"])
        AccountFactory(brand=brand_a, registered_division_id="330102", territory=["330000"])
        client = browser_of(user_with_role("region_manager", brand_a, divisions=["320000"]))
        assert client.get("/").context["cards"][0]["total"] == 1


class TestDistributorUser:
    def test_sees_only_own_account(self, browser_of, brand_a):
        # given
        own = AccountFactory(brand=brand_a)
        other = AccountFactory(brand=brand_a, name="同品牌其他经销商有限公司")
        client = browser_of(distributor_user(own))
        # when
        response = client.get("/distributors/")
        # then
        assert ids(response) == [own.id]
        assert "同品牌其他经销商有限公司" not in response.content.decode()
        assert client.get(f"/distributors/{other.id}/").status_code == 404
        assert client.get(f"/distributors/{own.id}/").status_code == 200

    def test_cannot_edit_own_account(self, browser_of, brand_a):
        own = AccountFactory(brand=brand_a, grade="C")
        client = browser_of(distributor_user(own))
        assert client.get(f"/distributors/{own.id}/edit/").status_code == 403
        response = client.post(f"/distributors/{own.id}/edit/", {"grade": "A"})
        assert response.status_code == 403
        see_all_brands()
        own.refresh_from_db()
        assert own.grade == "C"

    def test_staff_pages_are_closed(self, browser_of, brand_a):
        client = browser_of(distributor_user(AccountFactory(brand=brand_a)))
        assert client.get("/audit/").status_code == 403
        assert client.get("/api-keys/").status_code == 403
        assert client.get("/distributors/new/").status_code == 403
        assert client.get("/sales-regions/new/").status_code == 403
