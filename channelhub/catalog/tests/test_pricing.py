"""The price engine: authorization, list-price precedence, quantity breaks, validity, promotions."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from channelhub.catalog import services
from channelhub.catalog.pricing import Line, catalogue, price_sheet, quote

pytestmark = pytest.mark.django_db


def one(shop, buyer, sku="W1", qty=1, at=None):
    return quote(buyer, [Line(sku, qty)], at=at).lines[0]


@pytest.fixture
def water(shop):
    product = shop.product("W1", name="矿泉水 550ml")
    shop.allow(shop.root)  # the whole range, nationally
    shop.price_list("base", prices=[("W1", "10.00")])
    return product


class TestAuthorization:
    def test_nothing_is_sold_without_a_rule(self, shop):
        shop.product("W1")
        shop.price_list("base", prices=[("W1", "10")])
        line = one(shop, shop.buyer())
        assert (line.ok, line.code) == (False, "not_authorized")

    def test_a_province_ban_beats_a_national_allow_of_the_product(self, shop, water):
        shop.forbid(shop.water, "320000")
        assert one(shop, shop.buyer()).code == "not_authorized"
        assert one(shop, shop.buyer(home="330102", territory=("330000",))).ok

    def test_a_county_allow_inside_a_banned_province(self, shop, water):
        shop.forbid(shop.root, "320000")
        shop.allow(water, "320102")
        assert one(shop, shop.buyer(territory=("320102",))).ok
        assert not one(shop, shop.buyer(territory=("320104",))).ok

    def test_same_region_the_product_beats_its_category_and_priority_breaks_ties(self, shop, water):
        shop.forbid(shop.water, "320000")
        shop.allow(water, "320000")
        assert one(shop, shop.buyer()).ok
        shop.forbid(water, "320000", priority=5)
        assert not one(shop, shop.buyer()).ok

    def test_any_allowed_territory_area_is_enough_and_the_trace_says_which(self, shop, water):
        shop.forbid(shop.root, "320000")
        line = one(shop, shop.buyer(territory=("320000", "330000")))
        assert line.ok
        won = [c.rule for c in line.trace if c.stage == "authorization" and c.outcome == "won"]
        assert len(won) == 2

    def test_sales_region_rules(self, shop, water):
        from channelhub.regions.models import SalesRegion, SalesRegionDivision

        east = SalesRegion.objects.create(brand=shop.brand, code="east", name="华东")
        SalesRegionDivision.objects.create(brand=shop.brand, sales_region=east, division_id="320000")
        services.bump_version(shop.brand.id)
        shop.forbid(shop.root, east.id)
        assert not one(shop, shop.buyer()).ok  # 江苏 lies in 华东
        shop.allow(shop.root, "320000")
        assert one(shop, shop.buyer()).ok  # the province is more specific than the sales region


class TestListPrice:
    def test_precedence_distributor_region_grade_base(self, shop, water):
        shop.price_list("grade_b", kind="grade", grade="B", prices=[("W1", "9.50")])
        assert one(shop, shop.buyer()).list_price == Decimal("9.5000")
        shop.price_list("js", kind="region", division="320000", prices=[("W1", "9.20")])
        assert one(shop, shop.buyer()).list_price == Decimal("9.2000")
        shop.price_list("js_b", kind="region_grade", division="320000", grade="B", prices=[("W1", "9.00")])
        assert one(shop, shop.buyer()).list_price == Decimal("9.0000")
        assert one(shop, shop.buyer(grade="A")).list_price == Decimal("9.2000")

    def test_county_beats_prefecture_beats_province(self, shop, water):
        shop.price_list("js", kind="region", division="320000", prices=[("W1", "9.30")])
        shop.price_list("nj", kind="region", division="320100", prices=[("W1", "9.20")])
        assert one(shop, shop.buyer()).list_price == Decimal("9.2000")
        shop.price_list("xw", kind="region", division="320102", prices=[("W1", "9.10")])
        line = one(shop, shop.buyer())
        assert (line.list_price, line.price_rule) == (Decimal("9.1000"), "xw")
        assert [c.outcome for c in line.trace if c.stage == "price"] == ["won", "lost", "lost", "lost"]

    def test_quantity_breaks_and_a_list_without_a_low_break_loses(self, shop, water):
        shop.price_list("js", kind="region", division="320000", prices=[("W1", "8.00", 100)])
        assert one(shop, shop.buyer(), qty=99).list_price == Decimal("10.0000")
        assert one(shop, shop.buyer(), qty=100).list_price == Decimal("8.0000")

    def test_validity_windows_and_future_prices(self, shop, water):
        now = timezone.now()
        shop.price_list("next", kind="grade", grade="B", valid_from=now + timedelta(days=7), prices=[("W1", "11")])
        assert one(shop, shop.buyer()).list_price == Decimal("10.0000")
        assert one(shop, shop.buyer(), at=now + timedelta(days=8)).list_price == Decimal("11.0000")

    def test_a_price_change_is_seen_at_once(self, shop, water):
        assert one(shop, shop.buyer()).list_price == Decimal("10.0000")
        base = services.PriceList.objects.get(code="base")
        shop.prices(base, [("W1", "10.50")])
        assert one(shop, shop.buyer()).list_price == Decimal("10.5000")


class TestLineRefusals:
    def test_unknown_sku_pack_size_minimum_and_no_price(self, shop, water):
        shop.product("CASE", pack_size=6, min_order_qty=12)
        lines = quote(
            shop.buyer(), [Line("NOPE", 1), Line("CASE", 7), Line("CASE", 6), Line("CASE", 12), Line("W1", 0)]
        ).lines
        assert [line.code for line in lines] == [
            "unknown_sku",
            "bad_quantity",
            "bad_quantity",
            "no_price",
            "bad_quantity",
        ]
        assert "pack size 6" in lines[1].reason


class TestPromotions:
    def test_percent_off_then_threshold_in_sequence(self, shop, water):
        shop.promotion("p10", "percent_off", {"percent": "10"}, stackable=True, sequence=1)
        shop.promotion(
            "mj",
            "threshold",
            {"tiers": [{"min_amount": "100", "off": "5"}, {"min_amount": "500", "off": "40"}]},
            stackable=True,
            sequence=2,
        )
        line = one(shop, shop.buyer(), qty=60)  # 600 list, 540 after 10 %, tier 500 reached: -40
        assert (line.list_amount, line.amount) == (Decimal("600.00"), Decimal("500.00"))
        assert [p["code"] for p in line.promotions] == ["p10", "mj"]

    def test_exclusive_wins_only_when_it_gives_more(self, shop, water):
        shop.promotion("p5", "percent_off", {"percent": "5"}, stackable=True)
        shop.promotion("special", "special_price", {"price": "9.00"})
        line = one(shop, shop.buyer(), qty=10)
        assert (line.amount, [p["code"] for p in line.promotions]) == (Decimal("90.00"), ["special"])
        assert any(c.outcome == "lost" and "p5" in c.rule for c in line.trace)

    def test_buy_ten_get_one_gift_of_another_sku(self, shop, water):
        shop.product("CUP")
        shop.promotion("gift", "buy_x_get_y", {"buy": 10, "get": 1, "gift_sku": "CUP"})
        line = one(shop, shop.buyer(), qty=25)
        assert line.gifts == [{"sku": "CUP", "qty": 2, "promotion": "gift"}]
        assert line.amount == Decimal("250.00")

    def test_targets_grade_region_and_category(self, shop, water):
        shop.promotion("a_only", "amount_off", {"amount": "1"}, grades=["A"])
        shop.promotion("zj_only", "amount_off", {"amount": "2"}, division_codes=["330000"])
        assert one(shop, shop.buyer(grade="B")).promotions == []
        assert one(shop, shop.buyer(grade="A")).amount == Decimal("9.00")
        assert one(shop, shop.buyer(home="330102", territory=("330000",))).amount == Decimal("8.00")

    def test_budget_caps_the_discount_and_a_used_up_budget_is_skipped(self, shop, water):
        promotion = shop.promotion("capped", "amount_off", {"amount": "1"}, budget_amount="5.00")
        assert one(shop, shop.buyer(), qty=10).amount == Decimal("95.00")
        assert services.use_budget(promotion_id=promotion.id, money_used=Decimal("5.00"))
        line = one(shop, shop.buyer(), qty=10)
        assert line.amount == Decimal("100.00")
        assert any(c.outcome == "skipped" and "budget" in c.why for c in line.trace)
        assert not services.use_budget(promotion_id=promotion.id, money_used=Decimal("0.01"))

    def test_a_quote_is_deterministic(self, shop, water):
        shop.promotion("p10", "percent_off", {"percent": "10"}, stackable=True)
        at = timezone.now()
        first = quote(shop.buyer(), [Line("W1", 3), Line("W1", 7)], at=at)
        second = quote(shop.buyer(), [Line("W1", 3), Line("W1", 7)], at=at)
        assert [(x.amount, x.trace) for x in first.lines] == [(x.amount, x.trace) for x in second.lines]


class TestCataloguePage:
    def test_only_authorized_products_on_sale_paged_and_priced(self, shop, water):
        other = shop.category("tea", "茶饮", parent=shop.root)
        for sku in ("T1", "T2", "T3"):
            shop.product(sku, category=other, name=f"绿茶{sku}")
        shop.product("OFF", status="inactive")
        shop.forbid(other, "320000")
        shop.allow(shop.product("T9", category=other), "320000")
        shop.prices(services.PriceList.objects.get(code="base"), [("T9", "3.50")])
        page = catalogue(shop.buyer())
        assert (page.total, [line.sku for line in page.lines]) == (2, ["T9", "W1"])
        assert [line.unit_price for line in page.lines] == [Decimal("3.5000"), Decimal("10.0000")]
        zhejiang = shop.buyer(home="330102", territory=("330000",))
        assert catalogue(zhejiang, limit=2).total == 5
        assert [line.sku for line in catalogue(zhejiang, offset=2, limit=2).lines] == ["T3", "T9"]
        assert [line.sku for line in catalogue(zhejiang, q="绿茶T1").lines] == ["T1"]
        assert [line.sku for line in catalogue(zhejiang, category_id=other.id).lines] == ["T1", "T2", "T3", "T9"]

    def test_price_sheet_lists_every_authorized_product(self, shop, water):
        shop.product("NOPRICE")
        sheet = price_sheet(shop.buyer())
        assert [(line.sku, line.ok, line.unit_price) for line in sheet] == [
            ("NOPRICE", False, None),
            ("W1", True, Decimal("10.0000")),
        ]


class TestPromotionGroups:
    def test_an_exclusive_on_one_line_does_not_cost_another_line_its_discount(self, shop, water):
        shop.product("W2")
        shop.prices(services.PriceList.objects.get(code="base"), [("W2", "10.00")])
        w2 = services.Product.objects.get(sku="W2")
        shop.promotion("x", "percent_off", {"percent": "10"}, product_ids=[water.id])
        shop.promotion("y", "percent_off", {"percent": "20"}, product_ids=[w2.id], stackable=True)
        lines = quote(shop.buyer(), [Line("W1", 10), Line("W2", 10)]).lines
        assert [(line.amount, [p["code"] for p in line.promotions]) for line in lines] == [
            (Decimal("90.00"), ["x"]),
            (Decimal("80.00"), ["y"]),
        ]

    def test_a_catalogue_price_does_not_depend_on_the_other_products_on_the_page(self, shop, water):
        shop.product("W2")
        shop.prices(services.PriceList.objects.get(code="base"), [("W2", "100.00")])
        shop.promotion("mj", "threshold", {"tiers": [{"min_amount": "100", "off": "30"}]}, stackable=True)
        page = {line.sku: line.unit_price for line in catalogue(shop.buyer()).lines}
        alone = {line.sku: line.unit_price for line in catalogue(shop.buyer(), q="W1").lines}
        assert page["W1"] == alone["W1"] == Decimal("10.0000")
        assert page["W2"] == Decimal("70.0000")
