"""The distributor pages: list with filters and paging, detail, create and edit forms."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from channelhub.core.models import AuditEntry
from channelhub.partners.models import DistributorAccount, DistributorParty
from channelhub.regions.models import SalesRegion
from channelhub.testing import AccountFactory, credit_code, see_all_brands, user_with_role
from channelhub.web.tests.conftest import ids

pytestmark = pytest.mark.django_db


def new_distributor(**overrides) -> dict:
    return {
        "credit_code": credit_code("320102"),
        "name": "南京鑫盛商贸有限公司",
        "code": "",
        "grade": "B",
        "status": "active",
        "registered_division": "320102",
        "address": "玄武区中山路1号",
        "legal_representative": "王伟",
        "registered_capital": "5000000",
        "territory_divisions": "320100，320200",
        "contact_name": "李娜",
        "contact_title": "总经理",
        "contact_phone": "13800000000",
        "contact_email": "",
        **overrides,
    }


def edit_data(account: DistributorAccount, **overrides) -> dict:
    """The edit form as the page fills it in, with ``overrides`` typed over it."""
    see_all_brands()
    territory = sorted(t.division_id for t in account.territory.all() if t.division_id)
    return {
        "name": account.name,
        "code": account.code,
        "grade": account.grade,
        "status": account.status,
        "registered_division": account.registered_division_id,
        "address": account.address,
        "legal_representative": account.party.legal_representative,
        "registered_capital": account.party.registered_capital or "",
        "territory_divisions": ", ".join(territory),
        "contact_name": "",
        "contact_title": "",
        "contact_phone": "",
        "contact_email": "",
        **overrides,
    }


def nothing_written() -> bool:
    see_all_brands()
    return (
        not DistributorAccount.objects.exists()
        and not DistributorParty.objects.exists()
        and not AuditEntry.objects.filter(object_type__startswith="partners").exists()
    )


class TestList:
    def test_filters_by_region_grade_status_and_text(self, browser_of, brand_a):
        # given
        nanjing = AccountFactory(brand=brand_a, grade="A", territory=["320100"])
        hangzhou = AccountFactory(brand=brand_a, grade="B", territory=["330100"], registered_division_id="330102")
        suzhou = AccountFactory(brand=brand_a, grade="A", status="suspended", territory=["320500"])
        client = browser_of(user_with_role("brand_admin", brand_a))

        def listed(**params):
            return sorted(ids(client.get("/distributors/", params)))

        # then
        assert listed() == sorted([nanjing.id, hangzhou.id, suzhou.id])
        assert listed(region="320000") == sorted([nanjing.id, suzhou.id])
        assert listed(region="320100", grade="A") == [nanjing.id]
        assert listed(status="suspended") == [suzhou.id]
        assert listed(q=hangzhou.code) == [hangzhou.id]
        assert listed(q=nanjing.party.credit_code) == [nanjing.id]
        assert listed(grade="B", status="active") == [hangzhou.id]

    def test_filter_by_sales_region(self, browser_of, brand_a):
        see_all_brands()
        region = SalesRegion.objects.create(brand=brand_a, code="east", name="华东大区")
        region.members.create(brand=brand_a, division_id="320000")
        inside = AccountFactory(brand=brand_a, territory=["320100"])
        AccountFactory(brand=brand_a, territory=["440100"], registered_division_id="440103")
        client = browser_of(user_with_role("brand_admin", brand_a))
        assert ids(client.get("/distributors/", {"sales_region": region.id})) == [inside.id]

    def test_invalid_filter_shows_the_error_and_no_rows(self, browser_of, brand_a):
        AccountFactory(brand=brand_a)
        client = browser_of(user_with_role("brand_admin", brand_a))
        response = client.get("/distributors/", {"grade": "Z"})
        assert response.status_code == 200
        assert ids(response) == []
        assert "grade" in response.context["form"].errors

    def test_htmx_request_gets_only_the_results(self, browser_of, brand_a):
        account = AccountFactory(brand=brand_a)
        client = browser_of(user_with_role("brand_admin", brand_a))
        response = client.get("/distributors/", {"q": account.code}, headers={"HX-Request": "true"})
        body = response.content.decode()
        assert response.status_code == 200
        assert "<html" not in body
        assert f'href="/distributors/{account.id}/"' in body
        assert "HX-Request" in response["Vary"]

    def test_full_page_has_htmx_filter_form_and_results(self, browser_of, brand_a):
        client = browser_of(user_with_role("brand_admin", brand_a))
        body = client.get("/distributors/").content.decode()
        assert 'hx-get="/distributors/"' in body
        assert 'hx-target="#results"' in body
        assert "/static/vendor/htmx/htmx.min.js" in body

    def test_pages_of_fifty(self, browser_of, brand_a):
        # given
        for _ in range(51):
            AccountFactory(brand=brand_a)
        client = browser_of(user_with_role("brand_admin", brand_a))
        # when
        first, second = client.get("/distributors/"), client.get("/distributors/", {"page": 2})
        # then
        assert len(ids(first)) == 50
        assert len(ids(second)) == 1
        assert first.context["page"].paginator.count == 51
        assert set(ids(first)).isdisjoint(ids(second))

    def test_page_keeps_the_filters_in_its_links(self, browser_of, brand_a):
        for _ in range(51):
            AccountFactory(brand=brand_a, grade="A")
        client = browser_of(user_with_role("brand_admin", brand_a))
        body = client.get("/distributors/", {"grade": "A"}).content.decode()
        assert 'href="?grade=A&amp;page=2"' in body

    def test_query_count_does_not_grow_with_rows(self, browser_of, brand_a, django_assert_max_num_queries):
        # given
        see_all_brands()
        region = SalesRegion.objects.create(brand=brand_a, code="east", name="华东大区")
        region.members.create(brand=brand_a, division_id="320000")
        AccountFactory(brand=brand_a)
        client = browser_of(user_with_role("brand_admin", brand_a))
        client.get("/distributors/")
        with CaptureQueriesContext(connection) as one_row:
            assert len(ids(client.get("/distributors/"))) == 1
        for _ in range(60):
            AccountFactory(brand=brand_a)
        # when / then
        with django_assert_max_num_queries(len(one_row)):
            response = client.get("/distributors/")
        assert len(ids(response)) == 50
        # the sales-region filter reads its divisions, and resolves the overlapping codes once (cached)
        with django_assert_max_num_queries(len(one_row) + 2):
            client.get("/distributors/", {"sales_region": region.id, "grade": "C", "q": "经销商"})


class TestDetail:
    def test_shows_party_territory_contacts_brands_served_and_history(self, browser_of, brand_a, brand_b):
        # given
        admin = user_with_role("brand_admin", brand_a)
        client = browser_of(admin)
        client.post("/distributors/new/", new_distributor(code="A-001"))
        see_all_brands()
        account = DistributorAccount.objects.get(code="A-001")
        AccountFactory(brand=brand_b, party=account.party, code="B-777")
        # when
        response = client.get(f"/distributors/{account.id}/")
        # then
        assert response.status_code == 200
        body = response.content.decode()
        assert account.party.credit_code in body
        assert "江苏省 南京市" in body and "江苏省 无锡市" in body
        assert "李娜" in body and "13800000000" in body
        assert response.context["brands_served"] == [
            {"brand_id": brand_a.id, "brand": "品牌A", "account_id": account.id, "code": "A-001"}
        ]
        assert [e.action for e in response.context["changes"]] == ["create"]

    def test_money_is_shown_in_yuan_with_thousands_separators(self, browser_of, brand_a):
        account = AccountFactory(brand=brand_a, credit_limit=Decimal("1234567.5"))
        DistributorParty.objects.filter(pk=account.party_id).update(registered_capital=Decimal("5000000.00"))
        page = browser_of(user_with_role("brand_admin", brand_a)).get(f"/distributors/{account.id}/")
        assert "¥5,000,000.00" in page.content.decode()
        assert "¥1,234,567.50" in page.content.decode()

    def test_group_user_sees_every_brand_served(self, browser_of, brand_a, brand_b):
        a = AccountFactory(brand=brand_a)
        AccountFactory(brand=brand_b, party=a.party)
        client = browser_of(user_with_role("group_analyst"))
        served = client.get(f"/distributors/{a.id}/").context["brands_served"]
        assert sorted(s["brand_id"] for s in served) == [brand_a.id, brand_b.id]

    def test_region_manager_sees_no_history_section(self, browser_of, brand_a):
        account = AccountFactory(brand=brand_a, territory=["320100"])
        client = browser_of(user_with_role("region_manager", brand_a, divisions=["320000"]))
        response = client.get(f"/distributors/{account.id}/")
        assert response.status_code == 200
        assert response.context["changes"] == []
        assert "/audit/?object_type=" not in response.content.decode()

    def test_missing_id_is_404(self, browser_of, brand_a):
        client = browser_of(user_with_role("brand_admin", brand_a))
        assert client.get("/distributors/999999/").status_code == 404


class TestCreate:
    def test_brand_admin_creates_party_account_territory_and_contact(self, browser_of, brand_a):
        # given
        client = browser_of(user_with_role("brand_admin", brand_a))
        data = new_distributor(code="A-001")
        # when
        response = client.post("/distributors/new/", data)
        # then
        see_all_brands()
        account = DistributorAccount.objects.get(code="A-001")
        assert response.status_code == 302
        assert response["Location"] == f"/distributors/{account.id}/"
        assert (account.brand_id, account.name, account.grade, account.status) == (
            brand_a.id,
            "南京鑫盛商贸有限公司",
            "B",
            "active",
        )
        assert account.party.credit_code == data["credit_code"]
        assert account.party.registered_capital == Decimal("5000000.00")
        assert sorted(account.territory.values_list("division_id", flat=True)) == ["320100", "320200"]
        assert list(account.contacts.values_list("name", "title", "is_primary")) == [("李娜", "总经理", True)]
        entry = AuditEntry.objects.get(object_type="partners.distributoraccount", object_id=str(account.id))
        assert entry.changes["territory_divisions"] == [None, ["320100", "320200"]]

    def test_single_brand_user_gets_no_brand_choice(self, browser_of, brand_a):
        client = browser_of(user_with_role("brand_admin", brand_a))
        form = client.get("/distributors/new/").context["form"]
        assert form["brand"].is_hidden
        assert form["brand"].value() == brand_a.id

    def test_multi_brand_user_chooses_the_brand(self, browser_of, brand_a, brand_b):
        client = browser_of(user_with_role("group_admin"))
        response = client.post("/distributors/new/", new_distributor(brand=brand_b.id, code="B-1"))
        assert response.status_code == 302
        see_all_brands()
        assert DistributorAccount.objects.get(code="B-1").brand_id == brand_b.id

    def test_sales_region_choices_follow_the_chosen_brand(self, browser_of, brand_a, brand_b):
        see_all_brands()
        SalesRegion.objects.create(brand=brand_a, code="east", name="甲华东")
        b_region = SalesRegion.objects.create(brand=brand_b, code="east", name="乙华东")
        client = browser_of(user_with_role("group_admin"))
        response = client.get("/distributors/new/sales-regions/", {"brand": brand_b.id}, headers={"HX-Request": "true"})
        assert response.context["form"].fields["territory_sales_regions"].choices == [(b_region.id, "乙华东")]

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"credit_code": "91320102000000001X"}, "credit_code"),
            ({"registered_division": "999999"}, "registered_division"),
            ({"territory_divisions": "000001"}, "territory_divisions"),
            ({"registered_capital": "abc"}, "registered_capital"),
            ({"grade": "Z"}, "grade"),
            ({"name": ""}, "name"),
            ({"contact_name": "", "contact_phone": "13800000000"}, "contact_name"),
        ],
    )
    def test_bad_input_is_422_on_the_field_and_writes_nothing(self, browser_of, brand_a, overrides, field):
        client = browser_of(user_with_role("brand_admin", brand_a))
        response = client.post("/distributors/new/", new_distributor(**overrides))
        assert response.status_code == 422
        assert list(response.context["form"].errors) == [field]
        assert nothing_written()

    def test_duplicate_company_is_409_and_writes_nothing_more(self, browser_of, brand_a):
        client = browser_of(user_with_role("brand_admin", brand_a))
        code = credit_code()
        client.post("/distributors/new/", new_distributor(credit_code=code))
        see_all_brands()
        before = (DistributorAccount.objects.count(), AuditEntry.objects.count())
        response = client.post("/distributors/new/", new_distributor(credit_code=code))
        assert response.status_code == 409
        assert response.context["form"].errors == {"credit_code": ["该企业在本品牌下已有经销商账户。"]}
        see_all_brands()
        assert (DistributorAccount.objects.count(), AuditEntry.objects.count()) == before

    def test_region_manager_outside_region_is_403_on_the_form(self, browser_of, brand_a):
        client = browser_of(user_with_role("region_manager", brand_a, divisions=["320000"]))
        response = client.post("/distributors/new/", new_distributor(territory_divisions="330100"))
        assert response.status_code == 403
        assert response.context["form"].errors["territory_divisions"] == ["销售区域必须位于您负责的区域之内：330100"]
        assert nothing_written()

    @pytest.mark.parametrize("role", ["reviewer", "finance"])
    def test_read_only_roles_get_no_form_and_no_button(self, browser_of, brand_a, role):
        client = browser_of(user_with_role(role, brand_a))
        assert client.get("/distributors/new/").status_code == 403
        assert client.post("/distributors/new/", new_distributor()).status_code == 403
        assert 'href="/distributors/new/"' not in client.get("/distributors/").content.decode()
        assert nothing_written()


class TestEdit:
    def test_change_is_saved_and_audited_before_and_after(self, browser_of, brand_a):
        # given
        account = AccountFactory(brand=brand_a, grade="C")
        client = browser_of(user_with_role("brand_admin", brand_a))
        # when
        response = client.post(
            f"/distributors/{account.id}/edit/", edit_data(account, grade="A", territory_divisions="320000")
        )
        # then
        assert response.status_code == 302
        see_all_brands()
        account.refresh_from_db()
        assert account.grade == "A"
        entry = AuditEntry.objects.get(object_id=str(account.id), action="update")
        assert entry.changes == {"grade": ["C", "A"], "territory_divisions": [["320102"], ["320000"]]}

    def test_form_starts_with_the_current_values(self, browser_of, brand_a):
        account = AccountFactory(brand=brand_a, grade="B", territory=["320100", "320200"])
        client = browser_of(user_with_role("brand_admin", brand_a))
        form = client.get(f"/distributors/{account.id}/edit/").context["form"]
        assert form["grade"].value() == "B"
        assert form["territory_divisions"].value() == "320100, 320200"

    def test_unchanged_form_writes_nothing(self, browser_of, brand_a):
        account = AccountFactory(brand=brand_a)
        client = browser_of(user_with_role("brand_admin", brand_a))
        response = client.post(f"/distributors/{account.id}/edit/", edit_data(account))
        assert response.status_code == 302
        see_all_brands()
        assert not AuditEntry.objects.filter(action="update").exists()

    def test_region_manager_changes_grade_without_touching_registration_data(self, browser_of, brand_a):
        see_all_brands()
        account = AccountFactory(brand=brand_a, grade="C", territory=["320100"])
        DistributorParty.objects.filter(pk=account.party_id).update(registered_capital=Decimal("100.00"))
        account.party.refresh_from_db()
        client = browser_of(user_with_role("region_manager", brand_a, divisions=["320000"]))
        response = client.post(
            f"/distributors/{account.id}/edit/", edit_data(account, grade="A", registered_capital="100")
        )
        assert response.status_code == 302
        see_all_brands()
        account.refresh_from_db()
        assert account.grade == "A"

    def test_primary_contact_is_replaced_and_others_kept(self, browser_of, brand_a):
        account = AccountFactory(brand=brand_a)
        see_all_brands()
        account.contacts.create(brand=brand_a, name="旧联系人", is_primary=True)
        account.contacts.create(brand=brand_a, name="采购员", title="采购")
        client = browser_of(user_with_role("brand_admin", brand_a))
        client.post(f"/distributors/{account.id}/edit/", edit_data(account, contact_name="新联系人"))
        see_all_brands()
        assert list(account.contacts.order_by("-is_primary", "id").values_list("name", "is_primary")) == [
            ("新联系人", True),
            ("采购员", False),
        ]

    def test_bad_division_is_422_and_changes_nothing(self, browser_of, brand_a):
        account = AccountFactory(brand=brand_a, grade="C")
        client = browser_of(user_with_role("brand_admin", brand_a))
        response = client.post(
            f"/distributors/{account.id}/edit/", edit_data(account, grade="A", registered_division="000000")
        )
        assert response.status_code == 422
        assert response.context["form"].errors == {"registered_division": ["未知的行政区划代码：000000"]}
        see_all_brands()
        account.refresh_from_db()
        assert account.grade == "C"
        assert not AuditEntry.objects.filter(action="update").exists()

    def test_empty_territory_is_refused(self, browser_of, brand_a):
        account = AccountFactory(brand=brand_a)
        client = browser_of(user_with_role("brand_admin", brand_a))
        response = client.post(f"/distributors/{account.id}/edit/", edit_data(account, territory_divisions=""))
        assert response.status_code == 422
        assert response.context["form"].errors == {"territory_divisions": ["经销商必须有销售区域。"]}
        see_all_brands()
        assert list(account.territory.values_list("division_id", flat=True)) == ["320102"]

    def test_code_taken_is_409(self, browser_of, brand_a):
        AccountFactory(brand=brand_a, code="TAKEN")
        account = AccountFactory(brand=brand_a, code="MINE")
        client = browser_of(user_with_role("brand_admin", brand_a))
        response = client.post(f"/distributors/{account.id}/edit/", edit_data(account, code="TAKEN"))
        assert response.status_code == 409
        assert response.context["form"].errors == {"code": ["经销商编码 TAKEN 在本品牌中已被使用。"]}
        see_all_brands()
        account.refresh_from_db()
        assert account.code == "MINE"
