"""The brand admin's catalogue pages: products (with categories and Excel import), region
authorization, price lists, promotions and 价格解释; access (403 for other staff, 404 for other
brands), forms through the services, refusals that write nothing, query counts that do not grow."""

from datetime import timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from channelhub.catalog.models import Authorization, PriceItem, PriceList, Product, Promotion
from channelhub.catalog.services import bump_version
from channelhub.catalog.tests.conftest import Shop
from channelhub.core.models import AuditEntry
from channelhub.testing import AccountFactory, distributor_user, member, see_all_brands, user_with_role
from channelhub.web.catalog_text import STAGE
from channelhub.web.tests.catalog_fixtures import audit_count, build_store, nothing_written, skus
from channelhub.workflow.services import install_default_processes

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    return build_store()


ADMIN_PAGES = [
    "/catalog/products/",
    "/catalog/products/new/",
    "/catalog/products/import/",
    "/catalog/categories/new/",
    "/catalog/authorizations/",
    "/catalog/price-lists/",
    "/catalog/price-lists/new/",
    "/catalog/promotions/",
    "/catalog/promotions/new/",
    "/catalog/explain/",
]


class TestAdminAccess:
    @pytest.mark.parametrize("url", ADMIN_PAGES)
    def test_brand_admins_open_every_page(self, browser_of, store, url):
        assert browser_of(store.admin).get(url).status_code == 200

    @pytest.mark.parametrize("role", ["region_manager", "reviewer", "finance"])
    def test_other_staff_are_refused(self, browser_of, store, role):
        client = browser_of(user_with_role(role, store.brand))
        assert {url: client.get(url).status_code for url in ADMIN_PAGES} == {url: 403 for url in ADMIN_PAGES}

    def test_distributor_users_are_refused(self, browser_of, store):
        client = browser_of(distributor_user(store.account))
        assert {client.get(url).status_code for url in ADMIN_PAGES} == {403}

    def test_another_brands_rows_are_not_found_and_not_changed(self, browser_of, store):
        # given: brand B's catalogue, and brand A's admin
        other = Shop()
        product = other.product("B1")
        rule = other.allow(other.water)
        price_list = other.price_list("b-base", prices=[("B1", "5")])
        promotion = other.promotion("b-promo", "percent_off", {"percent": "5"}, status="draft")
        client = browser_of(store.admin)
        before = audit_count()
        # when / then
        assert client.get(f"/catalog/products/{product.id}/edit/").status_code == 404
        assert client.post(f"/catalog/products/{product.id}/edit/", {"sku": "X"}).status_code == 404
        assert client.get(f"/catalog/price-lists/{price_list.id}/").status_code == 404
        assert client.post(f"/catalog/price-lists/{price_list.id}/", {"rows": "B1 1"}).status_code == 404
        assert client.post(f"/catalog/authorizations/{rule.id}/remove/").status_code == 404
        assert client.post(f"/catalog/promotions/{promotion.id}/submit/").status_code == 404
        assert client.get("/catalog/products/", {"brand": other.brand.id}).status_code == 404
        assert client.get("/catalog/explain/", {"distributor": "x", "sku": "B1", "qty": 1}).status_code == 422
        assert audit_count() == before
        see_all_brands()
        assert Authorization.objects.filter(pk=rule.pk).exists()
        assert PriceItem.objects.get(price_list=price_list).unit_price == Decimal("5")

    def test_a_brand_the_admin_only_reads_is_refused(self, browser_of, store, brand_b):
        user = store.admin
        member(user, "reviewer", brand_b)
        assert browser_of(user).get("/catalog/products/", {"brand": brand_b.id}).status_code == 403


class TestProducts:
    def test_list_search_category_and_paging(self, browser_of, store):
        client = browser_of(store.admin)

        def listed(**params):
            return [p.sku for p in client.get("/catalog/products/", params).context["page"]]

        assert listed() == ["T1", "W1", "W2", "W3"]
        assert listed(q="W") == ["W1", "W2", "W3"]
        assert listed(q="绿茶") == ["T1"]
        assert listed(category=store.shop.water.id) == ["W1", "W2", "W3"]
        assert listed(category=store.shop.root.id) == ["T1", "W1", "W2", "W3"]

    def test_create_a_product(self, browser_of, store):
        # when
        response = browser_of(store.admin).post(
            "/catalog/products/new/",
            {
                "sku": "W10",
                "name": "矿泉水 1.5L",
                "category": store.shop.water.id,
                "unit": "瓶",
                "pack_size": "12",
                "min_order_qty": "",
                "tax_category": "vat13",
                "status": "active",
                "barcode": "6901234567892",
            },
        )
        # then
        assert response.status_code == 302
        see_all_brands()
        product = Product.objects.get(brand=store.brand, sku="W10")
        assert (product.pack_size, product.min_order_qty, product.barcode) == (12, 12, "6901234567892")
        assert AuditEntry.objects.filter(object_type="catalog.product", object_id=str(product.id)).exists()

    @pytest.mark.parametrize(
        ("changes", "status", "field"),
        [
            ({"sku": "W1"}, 409, "sku"),  # the service: already used
            ({"pack_size": "6", "min_order_qty": "8"}, 422, "min_order_qty"),  # the service: not a multiple
            ({"pack_size": "0"}, 422, "pack_size"),  # the form
            ({"category": "999999"}, 422, "category"),  # not a category of the brand
        ],
    )
    def test_refusals_name_the_field_and_write_nothing(self, browser_of, store, changes, status, field):
        before = (audit_count(), Product.objects.count())
        data = {"sku": "NEW", "name": "新品", "category": store.shop.water.id, "unit": "件", "pack_size": "1"}
        data |= {"tax_category": "vat13", "status": "active", **changes}
        response = browser_of(store.admin).post("/catalog/products/new/", data)
        assert response.status_code == status
        assert list(response.context["form"].errors) == [field]
        assert (audit_count(), Product.objects.count()) == before

    def test_another_brands_category_cannot_be_chosen(self, browser_of, store):
        other = Shop()
        data = {"sku": "NEW", "name": "新品", "category": other.water.id, "unit": "件", "pack_size": "1"}
        data |= {"tax_category": "vat13", "status": "active"}
        response = browser_of(store.admin).post("/catalog/products/new/", data)
        assert (response.status_code, list(response.context["form"].errors)) == (422, ["category"])
        assert nothing_written(Product, sku="NEW")

    def test_edit_changes_only_what_was_changed(self, browser_of, store):
        see_all_brands()
        product = Product.objects.get(brand=store.brand, sku="W2")
        client = browser_of(store.admin)
        form = client.get(f"/catalog/products/{product.id}/edit/").context["form"]
        data = {name: form[name].value() for name in form.fields}
        data |= {"name": "矿泉水整箱（新）", "status": "inactive"}
        response = client.post(f"/catalog/products/{product.id}/edit/", {k: v or "" for k, v in data.items()})
        assert response.status_code == 302
        see_all_brands()
        product.refresh_from_db()
        assert (product.name, product.status, product.pack_size, product.min_order_qty) == (
            "矿泉水整箱（新）",
            "inactive",
            6,
            12,
        )
        entry = AuditEntry.objects.filter(object_type="catalog.product", action="update").latest("id")
        assert set(entry.changes) == {"name", "status"}

    def test_create_a_category_under_another(self, browser_of, store):
        client = browser_of(store.admin)
        response = client.post(
            "/catalog/categories/new/", {"code": "sparkling", "name": "气泡水", "parent": store.shop.water.id}
        )
        assert response.status_code == 302
        duplicate = client.post("/catalog/categories/new/", {"code": "sparkling", "name": "又一个"})
        assert (duplicate.status_code, list(duplicate.context["form"].errors)) == (409, ["code"])

    def test_import_from_excel(self, browser_of, store):
        from openpyxl import Workbook

        def workbook(rows) -> BytesIO:
            book = Workbook()
            sheet = book.active
            for row in rows:
                sheet.append(row)
            data = BytesIO()
            book.save(data)
            data.seek(0)
            data.name = "products.xlsx"
            return data

        client = browser_of(store.admin)
        header = ["商品编码", "名称", "类目编码", "箱规"]
        bad = client.post(
            "/catalog/products/import/", {"file": workbook([header, ["N1", "新水", "water", 1], ["N2", "", "nope", 0]])}
        )
        assert bad.status_code == 422
        assert {(e["row"], e["column"]) for e in bad.context["errors"]} == {(3, "名称"), (3, "类目编码"), (3, "箱规")}
        assert nothing_written(Product, brand=store.brand, sku="N1")
        good = client.post("/catalog/products/import/", {"file": workbook([header, ["N1", "新水", "water", 6]])})
        assert good.status_code == 302
        see_all_brands()
        assert Product.objects.get(brand=store.brand, sku="N1").pack_size == 6
        not_excel = client.post("/catalog/products/import/", {"file": BytesIO(b"sku,name")})
        assert (not_excel.status_code, list(not_excel.context["form"].errors)) == (422, ["file"])


class TestAuthorizations:
    def test_the_page_states_the_precedence_and_lists_the_rules(self, browser_of, store):
        response = browser_of(store.admin).get("/catalog/authorizations/")
        assert len(response.context["page"].object_list) == 2
        assert "county > prefecture > province > sales region > whole country" in response.content.decode() or (
            "区县 > 地市 > 省 > 大区 > 全国" in response.content.decode()
        )

    def test_add_rules_for_a_category_and_a_product(self, browser_of, store):
        client = browser_of(store.admin)
        tea = {"target": "category", "category": store.shop.root.id, "where": "division", "division": "320100"}
        assert client.post("/catalog/authorizations/", {**tea, "allow": "allow", "priority": "0"}).status_code == 302
        by_sku = {"target": "product", "sku": "T1", "where": "national", "allow": "forbid", "priority": "5"}
        assert client.post("/catalog/authorizations/", {**by_sku, "note": "停售"}).status_code == 302
        see_all_brands()
        rules = Authorization.objects.filter(brand=store.brand).order_by("-id")[:2]
        assert [(r.product_id is not None, r.division_id, r.allow, r.priority) for r in rules] == [
            (True, None, False, 5),
            (False, "320100", True, 0),
        ]

    @pytest.mark.parametrize(
        ("data", "status", "field"),
        [
            ({"target": "product", "sku": "NOPE", "where": "national"}, 422, "sku"),
            ({"target": "product", "sku": "", "where": "national"}, 422, "sku"),
            ({"target": "category", "where": "division", "division": "999999"}, 422, "division"),
            ({"target": "category", "where": "division", "division": "32"}, 422, "division"),
            ({"target": "category", "where": "sales_region"}, 422, "sales_region"),
        ],
    )
    def test_refusals_write_nothing(self, browser_of, store, data, status, field):
        before = audit_count()
        data = {"category": store.shop.water.id, "allow": "allow", "priority": "0", **data}
        response = browser_of(store.admin).post("/catalog/authorizations/", data)
        assert (response.status_code, list(response.context["form"].errors)) == (status, [field])
        assert audit_count() == before

    def test_remove_a_rule(self, browser_of, store):
        see_all_brands()
        rule = Authorization.objects.filter(brand=store.brand, allow=False).get()
        response = browser_of(store.admin).post(f"/catalog/authorizations/{rule.id}/remove/")
        assert response.status_code == 302
        assert nothing_written(Authorization, pk=rule.pk)
        client = browser_of(distributor_user(store.account))
        assert "W3" in skus(client.get("/catalogue/"))  # no longer forbidden in 江苏


class TestPriceLists:
    def test_list_states_the_precedence(self, browser_of, store):
        response = browser_of(store.admin).get("/catalog/price-lists/")
        assert [(pl.code, pl.item_count) for pl in response.context["page"]] == [("base", 4), ("nj001", 1)]
        body = response.content.decode()
        assert ("经销商协议价 > 区域+等级价" in body) or ("Distributor agreement price > region + grade price" in body)

    def test_create_an_agreement_list_by_distributor_code(self, browser_of, store):
        data = {"code": "nj002", "name": "南京二号协议价", "kind": "distributor", "distributor": "NJ002"}
        data |= {"priority": "0", "valid_from": "2026-01-01T00:00", "valid_to": ""}
        response = browser_of(store.admin).post("/catalog/price-lists/new/", data)
        assert response.status_code == 302
        see_all_brands()
        created = PriceList.objects.get(brand=store.brand, code="nj002")
        assert (created.distributor_id, timezone.localtime(created.valid_from).year, created.valid_to) == (
            store.other.id,
            2026,
            None,
        )

    @pytest.mark.parametrize(
        ("changes", "status", "field"),
        [
            ({"kind": "grade"}, 422, "grade"),  # the service: grade lists need a grade
            ({"kind": "distributor", "distributor": "NOPE"}, 422, "distributor"),
            ({"kind": "distributor"}, 422, "distributor"),  # the service: agreement lists name one
            ({"kind": "base", "division": "320000"}, 422, "division"),  # the service: only region lists
            ({"kind": "region", "division": "999999"}, 422, "division"),
            ({"code": "base"}, 409, "code"),
            ({"valid_from": "2026-02-01T00:00", "valid_to": "2026-01-01T00:00"}, 422, "valid_to"),
        ],
    )
    def test_refusals_write_nothing(self, browser_of, store, changes, status, field):
        before = audit_count()
        data = {"code": "new-list", "name": "新价目", "kind": "base", "priority": "0", **changes}
        response = browser_of(store.admin).post("/catalog/price-lists/new/", data)
        assert (response.status_code, list(response.context["form"].errors)) == (status, [field])
        assert audit_count() == before

    def test_paste_prices_into_a_list(self, browser_of, store):
        see_all_brands()
        base = PriceList.objects.get(brand=store.brand, code="base")
        client = browser_of(store.admin)
        rows = "SKU\t价格\t起订量\nW1\t9.80\nW1\t9.50\t100\nW2, 48.5, 12\n"
        response = client.post(f"/catalog/price-lists/{base.id}/", {"rows": rows})
        assert response.status_code == 302
        see_all_brands()
        prices = sorted((i.product.sku, i.min_qty, i.unit_price) for i in PriceItem.objects.filter(price_list=base))
        assert prices == [
            ("T1", 1, Decimal("20")),
            ("W1", 1, Decimal("9.80")),
            ("W1", 100, Decimal("9.50")),
            ("W2", 1, Decimal("50")),
            ("W2", 12, Decimal("48.50")),
            ("W3", 1, Decimal("8")),
        ]
        page = client.get(f"/catalog/price-lists/{base.id}/", {"edit": 1})
        assert page.context["form"]["rows"].value().splitlines()[0] == "T1\t20\t1"

    def test_a_refused_row_is_named_by_its_pasted_line(self, browser_of, store):
        see_all_brands()
        base = PriceList.objects.get(brand=store.brand, code="base")
        rows = "商品编码\t价格\n\nW1\t9.80\nZZ\t1\n"
        response = browser_of(store.admin).post(f"/catalog/price-lists/{base.id}/", {"rows": rows})
        (error,) = response.context["form"].errors["rows"]
        assert "4" in error and "ZZ" in error and "2" not in error

    @pytest.mark.parametrize("rows", ["W1 9.80\nZZ 1", "W1 abc", "W1 1 0", "W1 -1", "W1 1.00001", ""])
    def test_a_bad_row_saves_no_row(self, browser_of, store, rows):
        see_all_brands()
        base = PriceList.objects.get(brand=store.brand, code="base")
        before = audit_count()
        response = browser_of(store.admin).post(f"/catalog/price-lists/{base.id}/", {"rows": rows})
        assert response.status_code == 422
        assert list(response.context["form"].errors) == ["rows"]
        assert audit_count() == before
        see_all_brands()
        assert PriceItem.objects.get(price_list=base, product__sku="W1").unit_price == Decimal("10")


def promotion_data(**changes) -> dict:
    now = timezone.localtime()
    return {
        "code": "spring",
        "name": "春季九折",
        "mechanic": "percent_off",
        "percent": "10",
        "starts_at": (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (now + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M"),
        "sequence": "100",
        **changes,
    }


class TestPromotions:
    def test_create_with_targets(self, browser_of, store):
        data = promotion_data(grades=["B", "A"], distributors="NJ001，NJ002", products="W1, W2")
        data |= {"division_codes": "320000", "categories": [store.shop.water.id], "budget_amount": "5000"}
        response = browser_of(store.admin).post("/catalog/promotions/new/", data)
        assert response.status_code == 302
        see_all_brands()
        promotion = Promotion.objects.get(brand=store.brand, code="spring")
        w1, w2 = Product.objects.filter(brand=store.brand, sku__in=["W1", "W2"]).order_by("sku")
        assert (promotion.status, promotion.params, promotion.grades) == ("draft", {"percent": "10"}, ["A", "B"])
        assert promotion.distributor_ids == sorted([store.account.id, store.other.id])
        assert (promotion.product_ids, promotion.category_ids) == ([w1.id, w2.id], [store.shop.water.id])
        assert (promotion.division_codes, promotion.budget_amount) == (["320000"], Decimal("5000.00"))

    def test_threshold_tiers_and_buy_x_get_y(self, browser_of, store):
        client = browser_of(store.admin)
        tiers = promotion_data(code="mj", mechanic="threshold", percent="")
        tiers |= {
            "tier_min_1": "1000",
            "tier_off_1": "50",
            "tier_min_2": "3000",
            "tier_off_2": "200",
            "stackable": "on",
        }
        assert client.post("/catalog/promotions/new/", tiers).status_code == 302
        gift = promotion_data(code="gift", mechanic="buy_x_get_y", percent="", buy="10", get="1", gift_sku="W1")
        assert client.post("/catalog/promotions/new/", gift).status_code == 302
        see_all_brands()
        threshold = Promotion.objects.get(brand=store.brand, code="mj")
        assert threshold.params == {
            "tiers": [{"min_amount": "1000", "off": "50"}, {"min_amount": "3000", "off": "200"}]
        }
        assert threshold.stackable
        assert Promotion.objects.get(brand=store.brand, code="gift").params == {"buy": 10, "get": 1, "gift_sku": "W1"}

    @pytest.mark.parametrize(
        ("changes", "status", "field"),
        [
            ({"percent": ""}, 422, "percent"),  # the form: required for the mechanic
            ({"percent": "120"}, 422, "percent"),  # the service
            ({"mechanic": "threshold", "tier_min_1": "100", "tier_off_1": "200"}, 422, "tier_min_1"),  # the service
            ({"mechanic": "threshold", "tier_min_1": "100"}, 422, "tier_min_1"),  # the form: half a tier
            ({"mechanic": "buy_x_get_y", "buy": "10", "get": "1", "gift_sku": "NOPE"}, 422, "gift_sku"),
            ({"distributors": "NJ001, NOPE"}, 422, "distributors"),
            ({"products": "W1, NOPE"}, 422, "products"),
            ({"division_codes": "32"}, 422, "division_codes"),
            ({"ends_at": "2020-01-01T00:00"}, 422, "ends_at"),
        ],
    )
    def test_refusals_write_nothing(self, browser_of, store, changes, status, field):
        before = audit_count()
        response = browser_of(store.admin).post("/catalog/promotions/new/", promotion_data(**changes))
        assert (response.status_code, list(response.context["form"].errors)) == (status, [field])
        assert audit_count() == before
        assert nothing_written(Promotion, brand=store.brand)

    def test_list_with_budget_use_and_submit_for_approval(self, browser_of, store):
        # given
        see_all_brands()
        install_default_processes(actor=store.shop.actor, brand_id=store.brand.id)
        draft = store.shop.promotion(
            "spring", "percent_off", {"percent": "10"}, status="draft", budget_amount=Decimal("1000")
        )
        Promotion.objects.filter(pk=draft.pk).update(used_amount=Decimal("250"))
        client = browser_of(store.admin)
        # when
        listed = client.get("/catalog/promotions/")
        # then
        (row,) = listed.context["rows"]
        assert (row["amount_used"], row["quantity_used"], row["submittable"]) == (25, None, True)
        assert 'value="25"' in listed.content.decode()
        # when
        response = client.post(f"/catalog/promotions/{draft.id}/submit/")
        # then
        assert response.status_code == 302
        see_all_brands()
        draft.refresh_from_db()
        assert draft.status == "pending"
        assert client.get("/catalog/promotions/", {"status": "pending"}).context["rows"][0]["submittable"] is False
        again = client.post(f"/catalog/promotions/{draft.id}/submit/", follow=True)
        assert len(list(again.context["messages"])) == 1
        see_all_brands()
        draft.refresh_from_db()
        assert draft.status == "pending"

    def test_submitting_without_an_approval_process_keeps_the_draft(self, browser_of, store):
        draft = store.shop.promotion("spring", "percent_off", {"percent": "10"}, status="draft")
        response = browser_of(store.admin).post(f"/catalog/promotions/{draft.id}/submit/", follow=True)
        assert [m.level_tag for m in response.context["messages"]] == ["error"]
        see_all_brands()
        draft.refresh_from_db()
        assert draft.status == "draft"


class TestExplain:
    def test_the_trace_of_one_line(self, browser_of, store):
        store.shop.promotion("b10", "percent_off", {"percent": "10"}, grades=["B"])
        response = browser_of(store.admin).get("/catalog/explain/", {"distributor": "NJ001", "sku": "W1", "qty": "10"})
        assert response.status_code == 200
        line = response.context["line"]
        assert (line.ok, line.list_price, line.amount) == (True, Decimal("9.0000"), Decimal("81.00"))
        trace = response.context["trace"]
        assert [c["outcome"] for c in trace] == ["won", "won", "lost", "applied"]
        assert [c["stage"] for c in trace] == [str(STAGE[s]) for s in ("authorization", "price", "price", "promotion")]
        body = response.content.decode()
        assert "outcome-won" in body and "outcome-lost" in body and "outcome-applied" in body

    def test_a_refused_line_says_why(self, browser_of, store):
        response = browser_of(store.admin).get("/catalog/explain/", {"distributor": "NJ001", "sku": "W3", "qty": "1"})
        line = response.context["line"]
        assert (line.ok, line.code) == (False, "not_authorized")
        assert [c["outcome"] for c in response.context["trace"]] == ["won", "lost"]

    def test_a_name_matching_several_distributors_offers_them(self, browser_of, store):
        response = browser_of(store.admin).get("/catalog/explain/", {"distributor": "南京", "sku": "W1", "qty": "1"})
        assert response.status_code == 422
        assert sorted(a.code for a in response.context["candidates"]) == ["NJ001", "NJ002"]
        one = browser_of(store.admin).get("/catalog/explain/", {"distributor": "二号", "sku": "W1", "qty": "1"})
        assert one.context["account"].id == store.other.id

    def test_a_moment_in_the_past(self, browser_of, store):
        see_all_brands()
        PriceList.objects.filter(brand=store.brand, code="nj001").update(valid_from=timezone.now())
        bump_version(store.brand.id)
        past = (timezone.localtime() - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
        response = browser_of(store.admin).get(
            "/catalog/explain/", {"distributor": "NJ001", "sku": "W1", "qty": "1", "at": past}
        )
        assert response.context["line"].price_rule == "base"

    def test_distributor_suggestions_stay_in_the_brand(self, browser_of, store, brand_b):
        AccountFactory(brand=brand_b, code="NJ-B", name="南京乙品牌经销商", territory=["320000"])
        response = browser_of(store.admin).get("/catalog/distributor-options/", {"distributor": "南京"})
        assert sorted(a.code for a in response.context["accounts"]) == ["NJ001", "NJ002"]


class TestQueryCounts:
    """List pages read a fixed number of rows whatever their number."""

    def queries(self, client, url, params=None) -> int:
        client.get(url, params)  # warm: sessions, the price engine's snapshot
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, params).status_code == 200
        return len(captured)

    def grow(self, store, n: int) -> None:
        shop = store.shop
        base = PriceList.objects.get(brand=shop.brand, code="base")
        start = Product.objects.filter(brand=shop.brand).count()
        for i in range(start, start + n):
            product = shop.product(f"Q{i:03d}", name=f"商品{i}")
            shop.allow(product, "320100" if i % 2 else None, priority=i)
            shop.promotion(
                f"p{i}", "amount_off", {"amount": "1"}, budget_amount=Decimal("100"), product_ids=[product.id]
            )
            shop.price_list(f"l{i}", kind="grade", grade="C", prices=[(product.sku, "1")])
        shop.prices(base, [(f"Q{i:03d}", "2") for i in range(start, start + n)])
        see_all_brands()

    @pytest.mark.parametrize(
        "url",
        [
            "/catalog/products/",
            "/catalog/authorizations/",
            "/catalog/price-lists/",
            "/catalog/promotions/",
            "/catalogue/",
        ],
    )
    def test_do_not_grow_with_rows(self, browser_of, store, url):
        client = browser_of(store.admin)
        params = {"distributor": store.account.id} if url == "/catalogue/" else None
        self.grow(store, 2)
        few = self.queries(client, url, params)
        self.grow(store, 12)
        many = self.queries(client, url, params)
        assert few == many

    def test_price_list_items_do_not_grow(self, browser_of, store):
        see_all_brands()
        base = PriceList.objects.get(brand=store.brand, code="base")
        client = browser_of(store.admin)
        few = self.queries(client, f"/catalog/price-lists/{base.id}/")
        self.grow(store, 12)
        assert self.queries(client, f"/catalog/price-lists/{base.id}/") == few
