"""The distributor's 订货目录: only its authorized products at its own prices (the engine's),
search, category and paging, the promotions reaching it, 试算 (the quote partial), and who may
open whose catalogue."""

from decimal import Decimal
from types import SimpleNamespace

import pytest

from channelhub.catalog import pricing
from channelhub.catalog.models import PriceList, Promotion
from channelhub.testing import AccountFactory, BrandFactory, distributor_user, member, see_all_brands, user_with_role
from channelhub.web.tests.catalog_fixtures import HTMX, build_store, skus
from channelhub.web.views.catalog import buyer_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    return build_store()


class TestCatalogueAccess:
    def test_a_distributor_user_sees_its_own_catalogue_with_its_own_prices(self, browser_of, store):
        # given
        client = browser_of(distributor_user(store.account))
        # when
        response = client.get("/catalogue/")
        # then
        assert response.status_code == 200
        assert response.context["account"].id == store.account.id
        assert skus(response) == ["W1", "W2"]  # W3 is forbidden in 江苏, tea is not authorized
        w1, w2 = response.context["rows"]
        assert (w1.line.unit_price, w1.line.price_rule, w1.source.endswith("南京一号协议价")) == (
            Decimal("9.0000"),
            "nj001",
            True,
        )
        assert (w2.line.qty, w2.line.unit_price, w2.line.amount) == (12, Decimal("50.0000"), Decimal("600.00"))
        body = response.content.decode()
        assert "¥9.00" in body and "<code>W3</code>" not in body and "<code>T1</code>" not in body  # not the CSRF token

    def test_the_page_shows_the_engines_prices(self, browser_of, store):
        see_all_brands()
        expected = pricing.catalogue(buyer_of(store.account))
        response = browser_of(distributor_user(store.account)).get("/catalogue/")
        assert [(r.line.sku, r.line.unit_price) for r in response.context["rows"]] == [
            (line.sku, line.unit_price) for line in expected.lines
        ]

    def test_a_distributor_user_cannot_open_another_distributors_catalogue(self, browser_of, store):
        client = browser_of(distributor_user(store.account))
        response = client.get("/catalogue/", {"distributor": store.other.id})
        assert response.status_code == 404
        assert "南京二号商贸" not in response.content.decode()

    def test_staff_choose_a_distributor_and_see_its_prices(self, browser_of, store):
        client = browser_of(user_with_role("region_manager", store.brand, divisions=["320000"]))
        picker = client.get("/catalogue/", {"find": "南京"})
        assert picker.status_code == 200
        assert sorted(a.id for a in picker.context["accounts"]) == sorted([store.account.id, store.other.id])
        response = client.get("/catalogue/", {"distributor": store.other.id})
        assert response.status_code == 200
        w1 = response.context["rows"][0]
        assert (w1.line.sku, w1.line.unit_price, w1.line.price_rule) == ("W1", Decimal("10.0000"), "base")

    def test_another_brands_distributor_is_not_found(self, browser_of, store, brand_b):
        other_brand = AccountFactory(brand=brand_b, name="乙品牌经销商", territory=["320000"])
        client = browser_of(store.admin)
        response = client.get("/catalogue/", {"distributor": other_brand.id})
        assert response.status_code == 404
        assert client.get("/catalogue/", {"distributor": "abc"}).status_code == 404

    def test_the_picker_lists_no_other_brand(self, browser_of, store, brand_b):
        AccountFactory(brand=brand_b, name="南京乙品牌经销商", territory=["320000"])
        response = browser_of(store.admin).get("/catalogue/", {"find": "南京"})
        assert {a.brand_id for a in response.context["accounts"]} == {store.brand.id}


class TestCatalogueBrowsing:
    @pytest.fixture
    def many(self, store):
        """25 more water products (C01…C25) and a juice category with one product."""
        shop = store.shop
        juice = shop.category("juice", "果汁", parent=shop.root)
        for n in range(1, 26):
            shop.product(f"C{n:02d}", name=f"纯净水{n}号")
        shop.product("J1", category=juice, name="橙汁")
        shop.allow(juice)
        shop.prices(PriceList.objects.get(brand=shop.brand, code="base"), [(f"C{n:02d}", "3") for n in range(1, 26)])
        return SimpleNamespace(**vars(store), juice=juice)

    def test_paging_with_the_engines_offset_and_limit(self, browser_of, many):
        client = browser_of(distributor_user(many.account))
        first = client.get("/catalogue/")
        second = client.get("/catalogue/", {"page": 2})
        past = client.get("/catalogue/", {"page": 9})
        assert first.context["page"].paginator.count == 28  # C01–C25, J1, W1, W2
        assert len(skus(first)) == 20 and len(skus(second)) == 8
        assert set(skus(first)).isdisjoint(skus(second))
        assert skus(past) == skus(second)

    def test_search_and_category_filter(self, browser_of, many):
        client = browser_of(distributor_user(many.account))
        assert skus(client.get("/catalogue/", {"q": "橙汁"})) == ["J1"]
        assert skus(client.get("/catalogue/", {"q": "c2"})) == ["C20", "C21", "C22", "C23", "C24", "C25"]
        assert skus(client.get("/catalogue/", {"category": many.juice.id})) == ["J1"]
        assert len(skus(client.get("/catalogue/", {"category": many.shop.root.id}))) == 20
        assert skus(client.get("/catalogue/", {"q": "T1"})) == []  # not authorized: not found either

    def test_live_search_gets_only_the_results(self, browser_of, many):
        response = browser_of(distributor_user(many.account)).get("/catalogue/", {"q": "橙汁"}, headers=HTMX)
        body = response.content.decode()
        assert response.status_code == 200
        assert "<html" not in body and "橙汁" in body
        assert "HX-Request" in response["Vary"]

    def test_promotions_reaching_the_distributor_are_listed_and_badged(self, browser_of, store):
        # given: one for grade B on water, one for grade A only, one for 浙江 only
        shop = store.shop
        shop.promotion("b-water", "percent_off", {"percent": "10"}, name="B级水九折", grades=["B"])
        shop.promotion("a-only", "amount_off", {"amount": "1"}, name="A级立减", grades=["A"])
        shop.promotion("zj", "amount_off", {"amount": "1"}, name="浙江立减", division_codes=["330000"])
        capped = shop.promotion("capped", "amount_off", {"amount": "1"}, name="额度已满", budget_amount=Decimal("10"))
        Promotion.objects.filter(pk=capped.pk).update(used_amount=Decimal("10"))  # used up by orders
        # when
        response = browser_of(distributor_user(store.account)).get("/catalogue/")
        # then
        listed = [item["promotion"].code for item in response.context["promotions"]]
        assert listed == ["b-water"]
        w1 = response.context["rows"][0]
        assert ([p.code for p in w1.promotions], w1.applied) == (["b-water"], {"b-water"})
        assert w1.line.unit_price == Decimal("8.1000")
        assert "B级水九折" in response.content.decode()


class TestQuote:
    def post(self, client, pairs, **params):
        data = {"sku": [sku for sku, _ in pairs], "qty": [qty for _, qty in pairs]}
        url = "/catalogue/quote/" + (f"?distributor={params['distributor']}" if params else "")
        return client.post(url, data, headers=HTMX)

    def test_the_quote_partial_prices_the_lines_and_says_why_a_line_cannot_be_ordered(self, browser_of, store):
        client = browser_of(distributor_user(store.account))
        response = self.post(client, [("W1", "100"), ("W2", "7"), ("W3", "5"), ("W9", "1"), ("T1", "")])
        assert response.status_code == 200
        body = response.content.decode()
        assert "<html" not in body
        rows = {row.line.sku: row for row in response.context["rows"]}
        assert list(rows) == ["W1", "W2", "W3", "W9"]  # empty quantities are left out
        assert (rows["W1"].line.ok, rows["W1"].line.amount) == (True, Decimal("900.00"))
        assert [(sku, rows[sku].line.code) for sku in ("W2", "W3", "W9")] == [
            ("W2", "bad_quantity"),
            ("W3", "not_authorized"),
            ("W9", "unknown_sku"),
        ]
        assert response.context["quote"].total == Decimal("900.00")
        assert "¥900.00" in body

    def test_staff_quote_for_the_chosen_distributor(self, browser_of, store):
        response = self.post(browser_of(store.admin), [("W1", "10")], distributor=store.other.id)
        assert response.context["quote"].total == Decimal("100.00")  # the other one pays the base price

    def test_bad_input_is_explained_without_a_quote(self, browser_of, store):
        client = browser_of(distributor_user(store.account))
        assert self.post(client, [("W1", "")]).context["quote"] is None
        response = self.post(client, [("W1", "abc")])
        assert response.context["quote"] is None and response.context["form"].errors
        no_htmx = client.post("/catalogue/quote/", {"sku": ["W1"], "qty": ["0"]})
        assert no_htmx.status_code == 422

    def test_a_quote_for_another_distributor_is_not_found(self, browser_of, store):
        client = browser_of(distributor_user(store.account))
        assert self.post(client, [("W1", "10")], distributor=store.other.id).status_code == 404


def test_the_menu_offers_the_catalogue_to_everyone_and_the_admin_pages_to_admins(browser_of, store):
    admin = browser_of(store.admin).get("/catalogue/").content.decode()
    distributor = browser_of(distributor_user(store.account)).get("/catalogue/").content.decode()
    assert 'href="/catalogue/" aria-current="page"' in admin and 'href="/catalog/products/"' in admin
    assert 'href="/catalogue/" aria-current="page"' in distributor and 'href="/catalog/products/"' not in distributor


def test_a_staff_user_of_two_brands_picks_the_brand(browser_of, store):
    second = BrandFactory(name="第二品牌")
    member(store.admin, "brand_admin", second)
    client = browser_of(store.admin)
    response = client.get("/catalog/products/")
    assert response.context["multi_brand"] is True
    assert [p.sku for p in client.get("/catalog/products/", {"brand": second.id}).context["page"]] == []
