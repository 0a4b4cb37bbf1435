"""Sales region pages: list per brand, create, edit, delete; write actions for brand admins only."""

import pytest

from channelhub.core.models import AuditEntry
from channelhub.regions.models import SalesRegion
from channelhub.testing import AccountFactory, see_all_brands, user_with_role
from channelhub.web.tests.conftest import ids

pytestmark = pytest.mark.django_db


@pytest.fixture
def east(brand_a):
    see_all_brands()
    region = SalesRegion.objects.create(brand=brand_a, code="east", name="华东大区", description="长三角")
    for code in ("310000", "320000"):
        region.members.create(brand=brand_a, division_id=code)
    return region


def members(region: SalesRegion) -> list[str]:
    see_all_brands()
    return sorted(region.members.values_list("division_id", flat=True))


class TestList:
    def test_lists_regions_with_division_names_and_write_buttons_for_admins(self, browser_of, brand_a, east):
        client = browser_of(user_with_role("brand_admin", brand_a))
        response = client.get("/sales-regions/")
        body = response.content.decode()
        assert ids(response) == [east.id]
        assert "上海市、江苏省" in body
        assert f'href="/sales-regions/{east.id}/edit/"' in body
        assert 'href="/sales-regions/new/"' in body

    @pytest.mark.parametrize("role", ["region_manager", "reviewer", "finance"])
    def test_other_roles_see_the_list_without_write_buttons(self, browser_of, brand_a, east, role):
        client = browser_of(user_with_role(role, brand_a))
        response = client.get("/sales-regions/")
        body = response.content.decode()
        assert ids(response) == [east.id]
        assert f'href="/sales-regions/{east.id}/edit/"' not in body
        assert 'href="/sales-regions/new/"' not in body

    def test_group_user_filters_by_brand(self, browser_of, brand_a, brand_b, east):
        see_all_brands()
        west = SalesRegion.objects.create(brand=brand_b, code="west", name="西部大区")
        client = browser_of(user_with_role("group_analyst"))
        assert sorted(ids(client.get("/sales-regions/"))) == sorted([east.id, west.id])
        assert ids(client.get("/sales-regions/", {"brand": brand_b.id})) == [west.id]


class TestCreate:
    def test_brand_admin_creates_a_region_from_typed_codes(self, browser_of, brand_a):
        # given
        client = browser_of(user_with_role("brand_admin", brand_a))
        # when
        response = client.post(
            "/sales-regions/new/",
            {
                "code": "south",
                "name": "华南大区",
                "description": "",
                "divisions": "440000，450000 460000",
            },
        )
        # then
        assert response.status_code == 302
        assert response["Location"] == "/sales-regions/"
        see_all_brands()
        region = SalesRegion.objects.get(brand=brand_a, code="south")
        assert region.name == "华南大区"
        assert members(region) == ["440000", "450000", "460000"]
        entry = AuditEntry.objects.get(object_type="regions.salesregion", object_id=str(region.id))
        assert entry.changes["divisions"] == [None, ["440000", "450000", "460000"]]

    def test_unknown_division_is_422_on_the_field(self, browser_of, brand_a):
        client = browser_of(user_with_role("brand_admin", brand_a))
        response = client.post("/sales-regions/new/", {"code": "x", "name": "X", "divisions": "440000, 999999"})
        assert response.status_code == 422
        assert response.context["form"].errors == {"divisions": ["未知的行政区划代码：999999"]}
        see_all_brands()
        assert not SalesRegion.objects.exists()

    def test_duplicate_code_is_409(self, browser_of, brand_a, east):
        client = browser_of(user_with_role("brand_admin", brand_a))
        response = client.post("/sales-regions/new/", {"code": "east", "name": "又一个", "divisions": "330000"})
        assert response.status_code == 409
        assert response.context["form"].errors == {"code": ["大区编码 east 在本品牌中已存在。"]}
        see_all_brands()
        assert SalesRegion.objects.count() == 1

    def test_bad_code_is_422(self, browser_of, brand_a):
        client = browser_of(user_with_role("brand_admin", brand_a))
        response = client.post("/sales-regions/new/", {"code": "华东", "name": "华东", "divisions": "330000"})
        assert response.status_code == 422
        assert list(response.context["form"].errors) == ["code"]

    def test_reviewer_is_refused(self, browser_of, brand_a):
        client = browser_of(user_with_role("reviewer", brand_a))
        assert client.get("/sales-regions/new/").status_code == 403
        response = client.post("/sales-regions/new/", {"code": "x", "name": "X", "divisions": "330000"})
        assert response.status_code == 403
        see_all_brands()
        assert not SalesRegion.objects.exists()


class TestEdit:
    def test_changes_name_and_divisions(self, browser_of, brand_a, east):
        client = browser_of(user_with_role("brand_admin", brand_a))
        form = client.get(f"/sales-regions/{east.id}/edit/").context["form"]
        assert form["divisions"].value() == "310000, 320000"
        response = client.post(
            f"/sales-regions/{east.id}/edit/",
            {"name": "华东一区", "description": "长三角", "divisions": "310000, 330000"},
        )
        assert response.status_code == 302
        see_all_brands()
        east.refresh_from_db()
        assert east.name == "华东一区"
        assert members(east) == ["310000", "330000"]
        entry = AuditEntry.objects.get(object_id=str(east.id), action="update")
        assert entry.changes == {
            "divisions": [["310000", "320000"], ["310000", "330000"]],
            "name": ["华东大区", "华东一区"],
        }

    def test_no_divisions_is_422_and_changes_nothing(self, browser_of, brand_a, east):
        client = browser_of(user_with_role("brand_admin", brand_a))
        response = client.post(f"/sales-regions/{east.id}/edit/", {"name": "改名", "divisions": " , "})
        assert response.status_code == 422
        see_all_brands()
        east.refresh_from_db()
        assert east.name == "华东大区"
        assert members(east) == ["310000", "320000"]

    def test_region_manager_is_refused(self, browser_of, brand_a, east):
        client = browser_of(user_with_role("region_manager", brand_a))
        assert client.get(f"/sales-regions/{east.id}/edit/").status_code == 403
        response = client.post(f"/sales-regions/{east.id}/edit/", {"name": "改名", "divisions": "310000"})
        assert response.status_code == 403
        see_all_brands()
        east.refresh_from_db()
        assert east.name == "华东大区"


class TestDelete:
    def test_asks_then_deletes(self, browser_of, brand_a, east):
        client = browser_of(user_with_role("brand_admin", brand_a))
        assert client.get(f"/sales-regions/{east.id}/delete/").status_code == 200
        response = client.post(f"/sales-regions/{east.id}/delete/")
        assert response.status_code == 302
        see_all_brands()
        assert not SalesRegion.objects.filter(id=east.id).exists()
        assert AuditEntry.objects.filter(object_id=str(east.id), action="delete").count() == 1

    def test_region_in_use_is_409_and_kept(self, browser_of, brand_a, east):
        # given
        account = AccountFactory(brand=brand_a)
        see_all_brands()
        account.territory.create(brand=brand_a, sales_region=east)
        client = browser_of(user_with_role("brand_admin", brand_a))
        # when
        response = client.post(f"/sales-regions/{east.id}/delete/")
        # then
        assert response.status_code == 409
        assert response.context["error"] == "该大区正被经销商销售区域使用，不能删除。"
        see_all_brands()
        assert SalesRegion.objects.filter(id=east.id).exists()
        assert members(east) == ["310000", "320000"]

    def test_reviewer_is_refused(self, browser_of, brand_a, east):
        client = browser_of(user_with_role("reviewer", brand_a))
        assert client.post(f"/sales-regions/{east.id}/delete/").status_code == 403
        see_all_brands()
        assert SalesRegion.objects.filter(id=east.id).exists()
