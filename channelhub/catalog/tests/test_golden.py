"""Golden tests: the classes of pricing bugs distributors know from ERP systems, one scenario each.

Every test names the bug class in its docstring and pins the engine's answer to it with exact
prices. The catalogue is built through the services (``Shop``), as a pricing manager would.
"""

import copy
import time
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from channelhub.catalog import services
from channelhub.catalog.models import PriceItem, PriceList, Product
from channelhub.catalog.pricing import Line, catalogue, quote
from channelhub.regions.models import SalesRegion, SalesRegionDivision
from channelhub.testing import AccountFactory

pytestmark = pytest.mark.django_db

FEN = Decimal("0.01")


def one(buyer, sku="W1", qty=1, at=None):
    return quote(buyer, [Line(sku, qty)], at=at).lines[0]


def sales_region(shop, code, *divisions):
    region = SalesRegion.objects.create(brand=shop.brand, code=code, name=code)
    for division in divisions:
        SalesRegionDivision.objects.create(brand=shop.brand, sales_region=region, division_id=division)
    services.bump_version(shop.brand.id)
    return region


@pytest.fixture
def water(shop):
    product = shop.product("W1", name="矿泉水 550ml")
    shop.allow(shop.root)
    shop.price_list("base", prices=[("W1", "10.00")])
    return product


# --- large orders --------------------------------------------------------------------------------


class TestLargeOrders:
    LINES = 300

    @pytest.fixture
    def big_catalogue(self, shop):
        """300 SKUs (half water, half tea) with a base price each, a quantity break on every third, a
        江苏 list on every fifth, and 10 % off tea from a capped budget."""
        tea = shop.category("tea", "茶饮", parent=shop.root)
        Product.objects.bulk_create(
            Product(brand=shop.brand, sku=f"S{i:03d}", name=f"商品{i}", category=tea if i % 2 else shop.water)
            for i in range(self.LINES)
        )
        ids = dict(Product.objects.filter(brand=shop.brand).values_list("sku", "id"))
        base = shop.price_list("base")
        jiangsu = shop.price_list("js", kind="region", division="320000")
        PriceItem.objects.bulk_create(
            [
                PriceItem(brand=shop.brand, price_list=base, product_id=ids[sku], unit_price=self.base(i))
                for i, sku in self.skus()
            ]
            + [
                PriceItem(
                    brand=shop.brand, price_list=base, product_id=ids[sku], min_qty=10, unit_price=self.base(i) - 1
                )
                for i, sku in self.skus()
                if i % 3 == 0
            ]
            + [
                PriceItem(brand=shop.brand, price_list=jiangsu, product_id=ids[sku], unit_price=self.base(i) - 2)
                for i, sku in self.skus()
                if i % 5 == 0
            ]
        )
        services.bump_version(shop.brand.id)
        shop.allow(shop.root)
        shop.promotion(
            "tea10", "percent_off", {"percent": "10"}, category_ids=[tea.id], stackable=True, budget_amount="99999"
        )
        return [Line(sku, self.qty(i)) for i, sku in self.skus()]

    def skus(self):
        return [(i, f"S{i:03d}") for i in range(self.LINES)]

    @staticmethod
    def base(i: int) -> Decimal:
        return Decimal(10 + i) + Decimal(i % 100) / 100

    @staticmethod
    def qty(i: int) -> int:
        return 1 + i % 12

    def expected(self, i: int) -> tuple[Decimal, Decimal]:
        """(list price, amount) of line ``i``, worked out by hand from the fixture's rules."""
        if i % 5 == 0:
            price = self.base(i) - 2  # the 江苏 list beats the base list, whatever the quantity
        elif i % 3 == 0 and self.qty(i) >= 10:
            price = self.base(i) - 1  # the base list's break from 10
        else:
            price = self.base(i)
        list_amount = (price * self.qty(i)).quantize(FEN)
        off = (list_amount / 10).quantize(FEN, rounding=ROUND_HALF_UP) if i % 2 else Decimal("0")
        return price, list_amount - off

    def test_a_300_line_quote_prices_every_line_on_its_own_in_a_constant_number_of_queries(self, shop, big_catalogue):
        """Bug class: the order form that re-reads the rules for every line (N+1 queries, so a
        300-line order times out and gets split), or that lets one line's price leak into the next.

        The engine reads one snapshot per catalogue version: a warm quote costs the same few
        queries for 10 lines as for 300 (the version, and the live budget of the capped
        promotion); after a catalogue change, reloading the snapshot costs the same for both too.
        """
        buyer = shop.buyer()
        quote(buyer, big_catalogue[:1])  # the snapshot of this version is loaded
        # when
        with CaptureQueriesContext(connection) as ten:
            first_ten = quote(buyer, big_catalogue[:10])
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as all_lines:
            result = quote(buyer, big_catalogue)
        elapsed = time.perf_counter() - started
        services.bump_version(shop.brand.id)
        with CaptureQueriesContext(connection) as cold_ten:
            quote(buyer, big_catalogue[:10])
        services.bump_version(shop.brand.id)
        with CaptureQueriesContext(connection) as cold_all:
            quote(buyer, big_catalogue)
        # then: constant and small
        assert len(ten) == len(all_lines) == 2  # the catalogue version, the capped budget left
        assert len(cold_ten) == len(cold_all) <= 12  # and one query per catalogue table (+ savepoint)
        assert elapsed < 2.0  # a guard against per-line work in the database, not a benchmark
        # and every line has its own price
        assert result.ok
        for (i, sku), line in zip(self.skus(), result.lines, strict=True):
            assert (line.sku, line.list_price, line.amount) == (sku, *self.expected(i)), sku
        assert result.total == sum(self.expected(i)[1] for i, _ in self.skus())
        assert result.lines[:10] == first_ten.lines  # the other 290 lines change nothing in them


# --- parent groups -------------------------------------------------------------------------------


class TestParentGroups:
    def test_rules_on_a_parent_category_reach_products_in_its_grandchild_categories(self, shop):
        """Bug class: rules attached to a product group that only match products filed directly in
        that group, so moving SKUs into a new sub-group silently drops their authorization,
        category price or promotion.

        Here: 饮料 > 饮用水 > 纯净水; the rules sit on 饮料 and 饮用水, the product in 纯净水.
        """
        # given
        still = shop.category("still", "纯净水", parent=shop.water)
        tea = shop.category("tea", "茶饮", parent=shop.root)
        shop.product("DEEP", category=still)
        shop.product("TEA1", category=tea)
        shop.allow(shop.root)  # sold nationally: the rule is on the root
        shop.forbid(shop.water, "330000")  # no water of any kind in 浙江
        shop.price_list("base", prices=[("DEEP", "10.00"), ("TEA1", "10.00")])
        shop.promotion("water10", "percent_off", {"percent": "10"}, category_ids=[shop.water.id], stackable=True)
        shop.promotion(
            "drinks850", "special_price", {"price": "8.50"}, category_ids=[shop.root.id], stackable=True, sequence=200
        )
        # when
        deep, tea_line = quote(shop.buyer(), [Line("DEEP", 10), Line("TEA1", 10)]).lines
        in_zhejiang = quote(shop.buyer(home="330102", territory=("330000",)), [Line("DEEP", 1), Line("TEA1", 1)])
        # then: the grandchild gets both category promotions, in sequence order (100 → 90 → 8.50 each)
        assert [p["code"] for p in deep.promotions] == ["water10", "drinks850"]
        assert (deep.amount, deep.unit_price) == (Decimal("85.00"), Decimal("8.5000"))
        # and the sibling branch only the root's
        assert [p["code"] for p in tea_line.promotions] == ["drinks850"]
        assert tea_line.amount == Decimal("85.00")
        # and the ban on 饮用水 reaches 纯净水, not 茶饮
        assert [line.code for line in in_zhejiang.lines] == ["not_authorized", ""]
        # and the catalogue filtered by a parent category lists its grandchildren
        assert [line.sku for line in catalogue(shop.buyer(), category_id=shop.root.id).lines] == ["DEEP", "TEA1"]
        assert [line.sku for line in catalogue(shop.buyer(), category_id=shop.water.id).lines] == ["DEEP"]

    def test_rules_on_a_sales_region_reach_every_county_inside_its_provinces(self, shop, water):
        """Bug class: territory rules matched on the exact region code, so a rule for 华东大区 or
        for 江苏省 misses a distributor registered in 南京市玄武区."""
        # given: 华东 = 江苏 + 浙江, with its own authorization, list and promotion
        east = sales_region(shop, "east", "320000", "330000")
        shop.forbid(shop.root)
        shop.allow(shop.root, east.id)
        shop.price_list("east", kind="region", sales_region=east.id, prices=[("W1", "9.50")])
        shop.promotion("east50", "amount_off", {"amount": "0.50"}, sales_region_ids=[east.id])
        # when
        xuanwu = one(shop.buyer(home="320102", territory=("320102",)), qty=10)
        guangzhou = one(shop.buyer(home="440103", territory=("440103",)), qty=10)
        # then
        assert (xuanwu.ok, xuanwu.list_price, xuanwu.amount) == (True, Decimal("9.5000"), Decimal("90.00"))
        assert [p["code"] for p in xuanwu.promotions] == ["east50"]
        assert (guangzhou.ok, guangzhou.code, guangzhou.list_price) == (False, "not_authorized", None)


# --- territory and customer-group rules -----------------------------------------------------------


class TestTerritoryAndGrade:
    def test_region_and_grade_beats_region_beats_grade_beats_base_and_an_agreement_beats_all(self, shop, water):
        """Bug class: territory prices and customer-group (grade) prices that overwrite each other in
        whatever order they were loaded, so an A-grade distributor in 江苏 pays the 江苏 list
        price, or the A-grade price of another province."""
        # given
        shop.price_list("grade-b", kind="grade", grade="B", prices=[("W1", "9.80")])
        shop.price_list("js", kind="region", division="320000", prices=[("W1", "9.60")])
        shop.price_list("js-b", kind="region_grade", division="320000", grade="B", prices=[("W1", "9.40")])
        shop.price_list("js-a", kind="region_grade", division="320000", grade="A", prices=[("W1", "9.30")])
        agreement = AccountFactory(brand=shop.brand)
        shop.price_list("agreement", kind="distributor", distributor_id=agreement.id, prices=[("W1", "9.90")])
        buyers = {
            "B in 南京": shop.buyer(grade="B"),
            "A in 南京": shop.buyer(grade="A"),
            "C in 南京": shop.buyer(grade="C"),
            "B in 杭州": shop.buyer(grade="B", home="330102", territory=("330000",)),
            "C in 杭州": shop.buyer(grade="C", home="330102", territory=("330000",)),
            "B in 南京 with an agreement": shop.buyer(grade="B", distributor_id=agreement.id),
        }
        # when
        prices = {who: (one(buyer).price_rule, one(buyer).list_price) for who, buyer in buyers.items()}
        # then
        assert prices == {
            "B in 南京": ("js-b", Decimal("9.4000")),  # region + grade
            "A in 南京": ("js-a", Decimal("9.3000")),
            "C in 南京": ("js", Decimal("9.6000")),  # region
            "B in 杭州": ("grade-b", Decimal("9.8000")),  # grade
            "C in 杭州": ("base", Decimal("10.0000")),  # base
            "B in 南京 with an agreement": ("agreement", Decimal("9.9000")),  # even when dearer
        }

    def test_for_the_same_grade_the_more_specific_region_wins_whatever_its_priority(self, shop, water):
        """Bug class: the "last matching row wins" ERP: a province list entered after a county list
        (or given a higher priority) overrides the county's negotiated price.

        Specificity is compared within a kind only: a county *region* list does not beat a province
        *region + grade* list, because the kind comes first."""
        # given: B-grade lists for the province (cheapest, top priority), 南京 and 玄武区
        shop.price_list("js-b", kind="region_grade", division="320000", grade="B", priority=9, prices=[("W1", "9.00")])
        shop.price_list("nj-b", kind="region_grade", division="320100", grade="B", prices=[("W1", "9.10")])
        shop.price_list("xw-b", kind="region_grade", division="320102", grade="B", prices=[("W1", "9.20")])
        shop.price_list("xw", kind="region", division="320102", prices=[("W1", "8.00")])
        # when
        rules = {
            home: one(shop.buyer(grade="B", home=home, territory=(home,))).price_rule
            for home in ("320102", "320104", "320205")
        }
        # then
        assert rules == {"320102": "xw-b", "320104": "nj-b", "320205": "js-b"}  # 玄武区, 秦淮区, 无锡锡山区
        assert one(shop.buyer(grade="C")).price_rule == "xw"  # no grade list for C: the county region list

    def test_a_territory_of_sales_regions_only_does_not_add_the_registered_county(self, shop, water):
        """Bug class: a distributor's sales territory confused with its registered address, so a
        company registered in 南京 but appointed for 浙江 only may order what is sold in 江苏 only."""
        # given: W1 is sold in 江苏 only; the distributor is registered in 玄武区, its territory is 浙江大区
        zhejiang = sales_region(shop, "zhejiang", "330000")
        shop.forbid(shop.root)
        shop.allow(shop.root, "320000")
        buyer = shop.buyer(home="320102", territory=(), regions=(zhejiang.id,))
        # when
        line = one(buyer)
        # then
        assert (line.ok, line.code) == (False, "not_authorized")


# --- prices between order and invoice ----------------------------------------------------------------


class TestOrderToInvoice:
    def test_a_returned_quote_is_a_snapshot_later_catalogue_changes_do_not_touch(self, shop, water):
        """Bug class: order lines that keep a reference to the live price list, so the invoice shows
        the price of the day it is printed instead of the price the distributor ordered at."""
        # given: a quote taken while 10.00 and 10 % off were in force
        promotion = shop.promotion("p10", "percent_off", {"percent": "10"}, stackable=True)
        ordered = quote(shop.buyer(), [Line("W1", 10)])
        kept = copy.deepcopy(ordered.lines)
        # when: the price rises and the promotion ends
        shop.prices(PriceList.objects.get(brand=shop.brand, code="base"), [("W1", "12.00")])
        services.set_promotion_status(actor=shop.actor, promotion=promotion, status="ended")
        now = quote(shop.buyer(), [Line("W1", 10)])
        # then: new quotes see the change
        assert (now.lines[0].list_price, now.lines[0].amount, now.lines[0].promotions) == (
            Decimal("12.0000"),
            Decimal("120.00"),
            [],
        )
        assert now.version > ordered.version
        # and the quote already returned is exactly as it was
        assert ordered.lines == kept
        assert (ordered.lines[0].list_price, ordered.lines[0].amount) == (Decimal("10.0000"), Decimal("90.00"))

    def test_quoting_at_the_order_moment_gives_that_window_s_price_after_a_price_rise(self, shop, water):
        """Bug class: re-pricing at invoice time with today's prices: an order placed before a
        price rise is invoiced at the new price. With validity windows, pricing the invoice at the
        order moment gives the order's price (valid_from inclusive, valid_to exclusive)."""
        # given: the B-grade price rises from 9.00 to 9.60 at ``rise``; a promotion ended then too
        rise = timezone.now() - timedelta(days=10)
        shop.price_list("b-old", kind="grade", grade="B", valid_to=rise, prices=[("W1", "9.00")])
        shop.price_list("b-new", kind="grade", grade="B", valid_from=rise, prices=[("W1", "9.60")])
        shop.promotion("spring", "amount_off", {"amount": "0.50"}, starts_at=rise - timedelta(days=30), ends_at=rise)
        ordered_at = rise - timedelta(days=1)
        # when
        at_order = one(shop.buyer(), qty=10, at=ordered_at)
        at_invoice = one(shop.buyer(), qty=10)
        invoice_of_that_order = one(shop.buyer(), qty=10, at=ordered_at)
        # then
        assert (at_order.price_rule, at_order.amount) == ("b-old", Decimal("85.00"))
        assert (at_invoice.price_rule, at_invoice.amount) == ("b-new", Decimal("96.00"))
        assert invoice_of_that_order == at_order
        # and the boundary belongs to the new window
        assert one(shop.buyer(), at=rise).price_rule == "b-new"
        assert one(shop.buyer(), at=rise - timedelta(microseconds=1)).price_rule == "b-old"


# --- refusals -------------------------------------------------------------------------------------


class TestRefusals:
    def test_an_expired_list_falls_back_to_the_next_list_in_force_or_to_no_price(self, shop, water):
        """Bug class: an expired promotional price list still used (its end date ignored or read
        inclusive), or, once expired, a line left at 0.00 instead of refused."""
        # given: a B-grade list that ended yesterday, over W1 (which has a base price) and ONLY
        now = timezone.now()
        shop.product("ONLY")
        shop.price_list(
            "summer",
            kind="grade",
            grade="B",
            valid_from=now - timedelta(days=30),
            valid_to=now - timedelta(days=1),
            prices=[("W1", "8.00"), ("ONLY", "8.00")],
        )
        # when
        fallback, nothing = quote(shop.buyer(), [Line("W1", 1), Line("ONLY", 1)], at=now).lines
        # then: W1 falls back to the base list
        assert (fallback.ok, fallback.price_rule, fallback.list_price) == (True, "base", Decimal("10.0000"))
        assert [c.rule.split()[2] for c in fallback.trace if c.stage == "price" and c.outcome == "won"] == ["base"]
        # and ONLY is refused, with no price at all rather than a stale one
        assert (nothing.ok, nothing.code, nothing.list_price, nothing.amount) == (False, "no_price", None, None)
        assert nothing.reason == "no price list in force prices ONLY for this distributor"
        # and the day before it ended, the list was used
        assert one(shop.buyer(), at=now - timedelta(days=2)).price_rule == "summer"

    def test_the_trace_says_why_an_expired_list_was_not_used(self, shop, water):
        """Bug class: "why didn't I get the summer price?" with no answer: the explanation lists only
        the rules that were used, not the one that has expired."""
        now = timezone.now()
        shop.price_list(
            "summer",
            kind="grade",
            grade="B",
            valid_from=now - timedelta(days=30),
            valid_to=now - timedelta(days=1),
            prices=[("W1", "8.00")],
        )
        line = one(shop.buyer(), at=now)
        summer = [c for c in line.trace if c.stage == "price" and "summer" in c.rule]
        assert len(summer) == 1 and summer[0].outcome != "won"
        assert "expired" in summer[0].why or "valid" in summer[0].why

    def test_each_bad_line_is_refused_with_its_own_reason_and_never_gets_a_price(self, shop, water):
        """Bug class: one bad line priced wrongly instead of refused (0.00 for an unknown SKU, the
        previous line's price, a rounded-up quantity), or failing the whole order without saying
        which line and why; and refused lines counting towards a 满减 threshold."""
        # given
        shop.product("CASE", pack_size=6, min_order_qty=12)
        shop.product("HIDDEN")
        shop.product("OFF", status="inactive")
        shop.product("NOPRICE")
        shop.forbid(Product.objects.get(brand=shop.brand, sku="HIDDEN"))
        shop.prices(
            PriceList.objects.get(brand=shop.brand, code="base"),
            [("CASE", "5.00"), ("HIDDEN", "10.00"), ("OFF", "10.00")],
        )
        shop.promotion("mj", "threshold", {"tiers": [{"min_amount": "200", "off": "20"}]}, stackable=True)
        lines = [
            Line("W1", 5),
            Line("NOPE", 1),
            Line("HIDDEN", 100),
            Line("CASE", 7),
            Line("CASE", 6),
            Line("OFF", 1),
            Line("NOPRICE", 1),
            Line("W1", 0),
            Line("CASE", 12),
        ]
        # when
        result = quote(shop.buyer(), lines)
        # then: each line says what is wrong with it
        assert [(line.sku, line.code, line.reason) for line in result.lines] == [
            ("W1", "", ""),
            ("NOPE", "unknown_sku", "unknown SKU 'NOPE'"),
            ("HIDDEN", "not_authorized", "HIDDEN is not authorized for this distributor's territory"),
            ("CASE", "bad_quantity", "quantity must be a positive multiple of the pack size 6"),
            ("CASE", "bad_quantity", "the minimum order quantity is 12"),
            ("OFF", "inactive", "OFF is not on sale (inactive)"),
            ("NOPRICE", "no_price", "no price list in force prices NOPRICE for this distributor"),
            ("W1", "bad_quantity", "quantity must be a positive multiple of the pack size 1"),
            ("CASE", "", ""),
        ]
        # and no refused line carries a price, a discount or a gift
        for line in result.lines[1:-1]:
            assert (line.ok, line.list_price, line.unit_price, line.amount, line.list_amount) == (
                False,
                None,
                None,
                None,
                None,
            )
            assert (line.promotions, line.gifts) == ([], [])
        # and the good lines are priced as if alone: 50.00 + 60.00, the refused 1,000.00 of HIDDEN
        # does not reach the 满 200 threshold for them
        assert [(line.amount, line.promotions) for line in (result.lines[0], result.lines[-1])] == [
            (Decimal("50.00"), []),
            (Decimal("60.00"), []),
        ]
        assert (result.ok, result.total) == (False, Decimal("110.00"))
