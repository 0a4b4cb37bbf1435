from decimal import Decimal

import pytest

from channelhub.core.models import AuditEntry
from channelhub.partners.models import DistributorAccount, DistributorParty
from channelhub.regions.models import SalesRegion
from channelhub.testing import (
    AccountFactory,
    BrandFactory,
    credit_code,
    distributor_user,
    see_all_brands,
    user_with_role,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def brand_a():
    return BrandFactory(code="brand-a", name="品牌A")


@pytest.fixture
def brand_b():
    return BrandFactory(code="brand-b", name="品牌B")


def new_distributor(**overrides) -> dict:
    return {
        "credit_code": credit_code("320102"),
        "name": "南京鑫盛商贸有限公司",
        "registered_division": "320102",
        "grade": "B",
        "status": "active",
        "territory_divisions": ["320100"],
        "contacts": [{"name": "王伟", "phone": "13800000000", "is_primary": True}],
        "registered_capital": "5000000.00",
        **overrides,
    }


class TestCreateDistributor:
    def test_brand_admin_creates_party_and_account_with_audit(self, api, brand_a):
        # given
        admin = api(user_with_role("brand_admin", brand_a))
        # when
        response = admin.post("/distributors", new_distributor(code="A-001"))
        # then
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["code"] == "A-001"
        assert body["brand_id"] == brand_a.id
        assert body["registered_division_name"] == "江苏省 南京市 玄武区"
        assert [t["division"] for t in body["territory"]] == ["320100"]
        assert body["contacts"][0]["name"] == "王伟"
        assert body["registered_capital"] == "5000000.00"
        see_all_brands()
        entry = AuditEntry.objects.get(object_type="partners.distributoraccount", object_id=str(body["id"]))
        assert entry.brand_id == brand_a.id
        assert entry.action == "create"
        assert entry.changes["grade"] == [None, "B"]
        assert entry.changes["territory_divisions"] == [None, ["320100"]]

    def test_same_credit_code_in_second_brand_links_existing_party(self, api, brand_a, brand_b):
        # given
        code = credit_code()
        api(user_with_role("brand_admin", brand_a)).post("/distributors", new_distributor(credit_code=code))
        # when
        response = api(user_with_role("brand_admin", brand_b)).post(
            "/distributors", new_distributor(credit_code=code, name="另一个名字")
        )
        # then
        assert response.status_code == 201
        assert DistributorParty.objects.get(credit_code=code).account_count == 2
        group = api(user_with_role("group_admin"))
        detail = group.get(f"/distributors/{response.json()['id']}").json()
        assert sorted(b["brand_id"] for b in detail["brands_served"]) == [brand_a.id, brand_b.id]

    def test_brand_user_sees_only_own_brand_in_brands_served(self, api, brand_a, brand_b):
        code = credit_code()
        api(user_with_role("brand_admin", brand_a)).post("/distributors", new_distributor(credit_code=code))
        b_admin = api(user_with_role("brand_admin", brand_b))
        created = b_admin.post("/distributors", new_distributor(credit_code=code)).json()
        assert [b["brand_id"] for b in created["brands_served"]] == [brand_b.id]

    def test_second_account_for_same_party_in_same_brand_is_conflict(self, api, brand_a):
        admin = api(user_with_role("brand_admin", brand_a))
        code = credit_code()
        admin.post("/distributors", new_distributor(credit_code=code))
        see_all_brands()
        before = DistributorAccount.objects.count()
        response = admin.post("/distributors", new_distributor(credit_code=code))
        assert response.status_code == 409
        assert response.json()["code"] == "duplicate_account"
        see_all_brands()
        assert DistributorAccount.objects.count() == before

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"credit_code": "91320102000000001X"}, "credit_code"),
            ({"credit_code": "123"}, "credit_code"),
            ({"registered_division": "999999"}, "registered_division"),
            ({"grade": "Z"}, "grade"),
            ({"status": "sleeping"}, "status"),
            ({"territory_divisions": ["000001"]}, "territory_divisions"),
            ({"territory_sales_regions": [987654]}, "territory_sales_regions"),
            ({"name": "  "}, "name"),
            ({"registered_capital": "abc"}, "registered_capital"),
            ({"registered_capital": "NaN"}, "registered_capital"),
            ({"registered_capital": "-1"}, "registered_capital"),
            ({"registered_capital": "100.555"}, "registered_capital"),
            ({"registered_capital": "99999999999999999999"}, "registered_capital"),
            ({"contacts": [{"name": "王伟", "email": "not-an-email"}]}, "contacts"),
            ({"surprise": 1}, "surprise"),
            ({"contacts": [{"name": ""}]}, "contacts"),
        ],
    )
    def test_bad_input_is_refused_naming_the_field_and_writes_nothing(self, api, brand_a, overrides, field):
        admin = api(user_with_role("brand_admin", brand_a))
        response = admin.post("/distributors", new_distributor(**overrides))
        assert response.status_code == 422, response.content
        assert response.json()["field"] == field
        see_all_brands()
        assert DistributorAccount.objects.count() == 0
        assert DistributorParty.objects.count() == 0
        assert not AuditEntry.objects.filter(object_type__startswith="partners").exists()

    def test_malformed_json_is_400(self, api, brand_a):
        response = api(user_with_role("brand_admin", brand_a)).post("/distributors", raw="{not json")
        assert response.status_code == 400
        assert response.json()["code"] == "bad_request"

    @pytest.mark.parametrize("role", ["reviewer", "finance", "distributor_user"])
    def test_read_only_roles_cannot_create(self, api, brand_a, role):
        response = api(user_with_role(role, brand_a)).post("/distributors", new_distributor())
        assert response.status_code == 403
        see_all_brands()
        assert DistributorAccount.objects.count() == 0

    def test_group_analyst_cannot_create(self, api, brand_a):
        response = api(user_with_role("group_analyst")).post("/distributors", new_distributor(brand_id=brand_a.id))
        assert response.status_code == 403

    def test_region_manager_cannot_assign_territory_outside_region(self, api, brand_a):
        manager = api(user_with_role("region_manager", brand_a, divisions=["320000"]))
        refused = manager.post("/distributors", new_distributor(territory_divisions=["330100"]))
        accepted = manager.post("/distributors", new_distributor(territory_divisions=["320500"]))
        assert refused.status_code == 403
        assert refused.json()["code"] == "outside_your_regions"
        assert accepted.status_code == 201

    def test_multi_brand_user_must_name_the_brand(self, api, brand_a, brand_b):
        group = api(user_with_role("group_admin"))
        response = group.post("/distributors", new_distributor())
        assert response.status_code == 422
        assert response.json()["field"] == "brand_id"
        assert group.post("/distributors", new_distributor(brand_id=brand_b.id)).json()["brand_id"] == brand_b.id


class TestUpdateDistributor:
    def test_update_records_before_and_after(self, api, brand_a):
        account = AccountFactory(brand=brand_a, grade="C")
        admin = api(user_with_role("brand_admin", brand_a))
        response = admin.patch(f"/distributors/{account.id}", {"grade": "A", "territory_divisions": ["320000"]})
        assert response.status_code == 200, response.content
        assert response.json()["grade"] == "A"
        see_all_brands()
        entry = AuditEntry.objects.filter(object_id=str(account.id), action="update").get()
        assert entry.changes == {"grade": ["C", "A"], "territory_divisions": [["320102"], ["320000"]]}

    def test_party_registration_data_changes_are_audited_on_the_party(self, api, brand_a):
        account = AccountFactory(brand=brand_a)
        admin = api(user_with_role("brand_admin", brand_a))
        response = admin.patch(f"/distributors/{account.id}", {"registered_capital": "100.50"})
        assert response.status_code == 200
        account.party.refresh_from_db()
        assert account.party.registered_capital == Decimal("100.50")
        see_all_brands()
        entry = AuditEntry.objects.get(object_type="partners.distributorparty")
        assert entry.changes == {"registered_capital": [None, "100.50"]}
        assert entry.brand_id == brand_a.id  # the brand sees its own edit in its audit log

    def test_shared_company_data_is_changed_only_by_group_admins(self, api, brand_a, brand_b):
        # given: one company serving two brands
        account_a = AccountFactory(brand=brand_a)
        AccountFactory(brand=brand_b, party=account_a.party)
        # when: brand A's admin tries to change what brand B also relies on
        refused = api(user_with_role("brand_admin", brand_a)).patch(
            f"/distributors/{account_a.id}", {"legal_representative": "张三", "grade": "A"}
        )
        resent = api(user_with_role("brand_admin", brand_a)).patch(
            f"/distributors/{account_a.id}", {"legal_representative": "", "grade": "B"}
        )
        allowed = api(user_with_role("group_admin")).patch(
            f"/distributors/{account_a.id}", {"legal_representative": "张三"}
        )
        # then
        assert refused.status_code == 403
        assert refused.json()["code"] == "shared_party"
        assert resent.status_code == 200  # sending the current value again is no change
        assert allowed.status_code == 200
        assert allowed.json()["legal_representative"] == "张三"
        see_all_brands()
        assert DistributorAccount.objects.get(id=account_a.id).grade == "B"

    def test_contact_changes_are_audited(self, api, brand_a):
        account = AccountFactory(brand=brand_a)
        admin = api(user_with_role("brand_admin", brand_a))
        response = admin.patch(
            f"/distributors/{account.id}", {"contacts": [{"name": "李娜", "phone": "13900000000", "is_primary": True}]}
        )
        assert response.status_code == 200
        see_all_brands()
        entry = AuditEntry.objects.get(object_id=str(account.id), action="update")
        assert entry.changes == {"contacts": [[], ["李娜 / 13900000000 / primary"]]}

    def test_failed_update_changes_nothing(self, api, brand_a):
        account = AccountFactory(brand=brand_a, grade="C")
        admin = api(user_with_role("brand_admin", brand_a))
        response = admin.patch(f"/distributors/{account.id}", {"grade": "A", "registered_division": "000000"})
        assert response.status_code == 422
        see_all_brands()
        account.refresh_from_db()
        assert account.grade == "C"
        assert not AuditEntry.objects.filter(action="update").exists()


class TestListDistributors:
    def test_filters_by_region_grade_status_and_text(self, api, brand_a):
        nanjing = AccountFactory(brand=brand_a, grade="A", territory=["320100"])
        AccountFactory(brand=brand_a, grade="B", territory=["330100"])
        AccountFactory(brand=brand_a, grade="A", status="suspended", territory=["320500"])
        admin = api(user_with_role("brand_admin", brand_a))

        def codes(**params):
            return [i["code"] for i in admin.get("/distributors", **params).json()["items"]]

        assert len(codes()) == 3
        assert len(codes(region="320000")) == 2
        assert codes(region="320100", grade="A") == [nanjing.code]
        assert len(codes(status="suspended")) == 1
        assert codes(q=nanjing.code) == [nanjing.code]
        assert codes(q=nanjing.party.credit_code) == [nanjing.code]

    def test_filter_by_sales_region(self, api, brand_a):
        see_all_brands()
        region = SalesRegion.objects.create(brand=brand_a, code="east", name="华东大区")
        region.members.create(brand=brand_a, division_id="320000")
        inside = AccountFactory(brand=brand_a, territory=["320100"])
        AccountFactory(brand=brand_a, territory=["440100"])
        admin = api(user_with_role("brand_admin", brand_a))
        items = admin.get("/distributors", sales_region=region.id).json()["items"]
        assert [i["id"] for i in items] == [inside.id]

    def test_pages_with_items_and_count(self, api, brand_a):
        for _ in range(7):
            AccountFactory(brand=brand_a)
        admin = api(user_with_role("brand_admin", brand_a))
        page = admin.get("/distributors", limit=3, offset=3).json()
        assert page["count"] == 7
        assert len(page["items"]) == 3

    def test_query_count_does_not_grow_with_rows(self, api, brand_a, django_assert_max_num_queries):
        admin = api(user_with_role("brand_admin", brand_a))
        AccountFactory(brand=brand_a)
        admin.get("/distributors")
        for _ in range(20):
            AccountFactory(brand=brand_a)
        with django_assert_max_num_queries(8):
            response = admin.get("/distributors", limit=50)
        assert len(response.json()["items"]) == 21


class TestRegionAndOwnScoping:
    def test_region_manager_sees_only_territories_overlapping_region(self, api, brand_a):
        jiangsu_county = AccountFactory(brand=brand_a, territory=["320102"])
        jiangsu_whole = AccountFactory(brand=brand_a, territory=["320000"])
        national_east = AccountFactory(brand=brand_a, registered_division_id="330102", territory=["330000"])
        manager = api(user_with_role("region_manager", brand_a, divisions=["320000"]))
        ids = {i["id"] for i in manager.get("/distributors").json()["items"]}
        assert ids == {jiangsu_county.id, jiangsu_whole.id}
        assert manager.get(f"/distributors/{national_east.id}").status_code == 404
        assert manager.patch(f"/distributors/{national_east.id}", {"grade": "A"}).status_code == 404

    def test_prefecture_manager_sees_province_wide_territory(self, api, brand_a):
        province_wide = AccountFactory(brand=brand_a, territory=["320000"])
        AccountFactory(brand=brand_a, territory=["320500"])
        manager = api(user_with_role("region_manager", brand_a, divisions=["320100"]))
        assert [i["id"] for i in manager.get("/distributors").json()["items"]] == [province_wide.id]

    def test_distributor_user_sees_only_own_account(self, api, brand_a):
        own = AccountFactory(brand=brand_a)
        other = AccountFactory(brand=brand_a)
        client = api(distributor_user(own))
        assert [i["id"] for i in client.get("/distributors").json()["items"]] == [own.id]
        assert client.get(f"/distributors/{other.id}").status_code == 404
        assert client.patch(f"/distributors/{own.id}", {"grade": "A"}).status_code == 403
