"""Promotion execution monitoring: budget, reach and sales against the baseline, per province."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from channelhub.catalog.models import Product, Promotion
from channelhub.catalog.tests.conftest import Shop
from channelhub.core.errors import Forbidden, NotFound
from channelhub.orders.models import Order, OrderLine, OrderPromotion
from channelhub.orders.monitoring import promotion_execution
from channelhub.testing import AccountFactory, actor_of, distributor_user, see_all_brands, user_with_role

pytestmark = pytest.mark.django_db

NOW = timezone.now()
START = NOW - timedelta(days=2)  # the promotion has run two days: the baseline is the two before
_numbers = iter(range(1, 10**6))


def order(account, at, lines, *, status="completed", use=None, promotion=None) -> Order:
    """An order placed at ``at`` with ``lines`` of (product, qty, amount); ``use`` = (money, units)
    taken from ``promotion``."""
    see_all_brands()
    placed = Order.objects.create(
        brand_id=account.brand_id,
        number=f"SO-{next(_numbers)}",
        account=account,
        division_id=account.registered_division_id,
        status=status,
        submitted_at=at,
        total=sum((Decimal(amount) for _, _, amount in lines), Decimal("0")),
    )
    for number, (product, qty, amount) in enumerate(lines, start=1):
        OrderLine.objects.create(
            brand_id=account.brand_id,
            order=placed,
            line_no=number,
            product=product,
            sku=product.sku,
            name=product.name,
            unit=product.unit,
            tax_category=product.tax_category,
            qty=qty,
            list_price=Decimal(amount) / qty,
            unit_price=Decimal(amount) / qty,
            list_amount=Decimal(amount),
            amount=Decimal(amount),
        )
    if use is not None:
        OrderPromotion.objects.create(
            brand_id=account.brand_id,
            order=placed,
            promotion=promotion,
            money_used=Decimal(use[0]),
            units_used=use[1],
            released=status == "cancelled",
        )
    return placed


@pytest.fixture
def trade():
    """Water 10 % off since two days, budget ¥1,000 (¥30 used); tea is not promoted. 南京 and
    杭州 distributors of grades A and B ordered during the promotion, before it, and long before."""
    shop = Shop()
    tea = shop.category("tea", "茶饮", parent=shop.root)
    shop.product("W1", name="矿泉水")
    shop.product("T1", category=tea, name="绿茶")
    water, green_tea = (Product.objects.get(brand=shop.brand, sku=sku) for sku in ("W1", "T1"))
    promotion = shop.promotion(
        "water-10",
        "percent_off",
        {"percent": "10"},
        category_ids=[shop.water.id],
        starts_at=START,
        budget_amount="1000",
    )
    Promotion.objects.filter(pk=promotion.pk).update(used_amount=Decimal("30.00"))
    nanjing = AccountFactory(brand=shop.brand, registered_division_id="320102", grade="A")
    hangzhou = AccountFactory(brand=shop.brand, registered_division_id="330102", grade="B")
    suzhou = AccountFactory(brand=shop.brand, registered_division_id="320505", grade="A")
    during, before = NOW - timedelta(days=1), START - timedelta(days=1)
    first = order(
        nanjing, during, [(water, 10, "90.00"), (green_tea, 5, "100.00")], use=("10.00", 0), promotion=promotion
    )
    OrderLine.objects.create(  # a gift: not sales
        brand=shop.brand, order=first, line_no=3, product=water, sku="W1", name="矿泉水", unit="件",
        tax_category="vat13", qty=2, list_price=0, unit_price=0, list_amount=0, amount=0,
        gift_of=first.lines.get(line_no=1),
    )  # fmt: skip
    order(hangzhou, during, [(water, 20, "180.00")], status="shipped", use=("20.00", 0), promotion=promotion)
    order(suzhou, during, [(water, 100, "900.00")], status="cancelled", use=("100.00", 0), promotion=promotion)
    order(nanjing, before, [(water, 5, "50.00")])
    order(hangzhou, START - timedelta(days=3), [(water, 50, "500.00")])  # before the baseline
    return shop, promotion, {"nanjing": nanjing, "hangzhou": hangzhou}


def test_budget_reach_and_sales_against_the_baseline_per_province(trade):
    shop, promotion, _ = trade
    # when the brand admin looks at the promotion's execution
    execution = promotion_execution(shop.actor, promotion.id, now=NOW)
    # then the budget: ¥30 of ¥1,000 used
    money = execution.money
    assert (money.cap, money.used, money.left, money.percent_used) == (
        Decimal("1000.00"),
        Decimal("30.00"),
        Decimal("970.00"),
        Decimal("3.0"),
    )
    assert execution.quantity.cap is None and execution.quantity.percent_used is None
    # and the windows: two days of promotion against the two days before it
    assert (execution.starts_at, execution.until, execution.baseline_from) == (START, NOW, START - timedelta(days=2))
    # and the reach: two orders (the cancelled one does not count) of two distributors, ¥30 off
    total = execution.total
    assert (total.orders, total.distributors, total.discount, total.gift_units) == (2, 2, Decimal("30.00"), 0)
    # and sales of water (not tea, not the gift): ¥90 + ¥180 against ¥50 before, +440 %
    assert (total.sales, total.units, total.sales_orders) == (Decimal("270.00"), 30, 2)
    assert (total.baseline_sales, total.baseline_units, total.baseline_orders) == (Decimal("50.00"), 5, 1)
    assert total.sales_change == Decimal("440.0")
    # and per province, largest sales first
    rows = [
        (p.code, p.name, p.orders, p.distributors, p.discount, p.sales, p.baseline_sales) for p in execution.provinces
    ]
    assert rows == [
        ("330000", "浙江省", 1, 1, Decimal("20.00"), Decimal("180.00"), Decimal("0.00")),
        ("320000", "江苏省", 1, 1, Decimal("10.00"), Decimal("90.00"), Decimal("50.00")),
    ]
    assert [p.sales_change for p in execution.provinces] == [None, Decimal("80.0")]


def test_sales_count_only_the_promotions_audience(trade):
    # given the promotion is for grade A distributors only (南京 is A, 杭州 is B)
    shop, promotion, _ = trade
    Promotion.objects.filter(pk=promotion.pk).update(grades=["A"])
    # when
    total = promotion_execution(shop.actor, promotion.id, now=NOW).total
    # then only 南京's water counts as sales (its reach is what the orders recorded)
    assert (total.sales, total.baseline_sales, total.sales_change) == (
        Decimal("90.00"),
        Decimal("50.00"),
        Decimal("80.0"),
    )


def test_a_region_manager_sees_the_orders_of_their_region(trade):
    # given the 江苏 region manager
    shop, promotion, _ = trade
    manager = actor_of(user_with_role("region_manager", shop.brand, divisions=["320000"]))
    # when
    execution = promotion_execution(manager, promotion.id, now=NOW)
    # then 浙江 is left out
    assert [p.code for p in execution.provinces] == ["320000"]
    assert (execution.total.orders, execution.total.sales) == (1, Decimal("90.00"))


def test_other_brands_and_distributors_are_refused(trade):
    shop, promotion, accounts = trade
    # given another brand's admin and one of the brand's distributors
    stranger = Shop().actor
    distributor = actor_of(distributor_user(accounts["nanjing"]))
    # then the promotion is not found for the first and refused to the second
    with pytest.raises(NotFound):
        promotion_execution(stranger, promotion.id)
    with pytest.raises(Forbidden):
        promotion_execution(distributor, promotion.id)


def test_the_query_count_does_not_grow_with_the_orders(trade):
    shop, promotion, accounts = trade
    with CaptureQueriesContext(connection) as few:
        promotion_execution(shop.actor, promotion.id, now=NOW)
    # given twenty more orders in more provinces
    water = Product.objects.get(brand=shop.brand, sku="W1")
    for n, county in enumerate(["440106", "110105", "510104", "370102"] * 5):
        account = AccountFactory(brand=shop.brand, registered_division_id=county)
        order(account, NOW - timedelta(hours=n + 1), [(water, 1, "9.00")], use=("1.00", 0), promotion=promotion)
    # when
    with CaptureQueriesContext(connection) as many:
        execution = promotion_execution(shop.actor, promotion.id, now=NOW)
    # then
    assert len(many) == len(few) <= 6
    assert (execution.total.orders, len(execution.provinces)) == (22, 6)


def test_the_api_answers_the_execution(trade, api):
    shop, promotion, _ = trade
    client = api(shop.actor.user)
    response = client.get(f"/catalog/promotions/{promotion.id}/execution")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["budget_amount"] == {"cap": "1000.00", "used": "30.00", "left": "970.00", "percent_used": "3.0"}
    assert (body["total"]["orders"], body["total"]["sales"], body["total"]["baseline_sales"]) == (2, "270.00", "50.00")
    assert [p["name"] for p in body["provinces"]] == ["浙江省", "江苏省"]
    other = api(Shop().actor.user)
    assert other.get(f"/catalog/promotions/{promotion.id}/execution").status_code == 404
