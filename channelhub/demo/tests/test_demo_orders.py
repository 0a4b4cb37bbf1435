"""The demo's trade: stock in every warehouse, a credit line per account, an order history whose
rows agree with each other (prices, reservations, promotion budgets, credit), and reports."""

import re
from collections import defaultdict
from decimal import Decimal

import pytest
from django.db.models import Count, Sum

from channelhub.catalog.models import Product, Promotion
from channelhub.demo.builder import build_demo
from channelhub.demo.catalog_plans import PLANS
from channelhub.finance.models import CreditAccount, CreditEntry, TemporaryCredit
from channelhub.orders.models import (
    Allocation,
    CrossTerritoryAlert,
    Order,
    OrderLine,
    OrderPromotion,
    SellThrough,
    Shipment,
    StockLevel,
    StockReport,
    Warehouse,
)
from channelhub.partners.models import DistributorAccount, DistributorUser
from channelhub.regions.models import SalesRegionDivision
from channelhub.tenancy.models import Brand
from channelhub.testing import see_all_brands

pytestmark = pytest.mark.django_db

MAIN = len(PLANS["qingquan"].items)
OPEN = ("approved", "allocated")


@pytest.fixture
def demo():
    build_demo(scale=MAIN + 40)
    see_all_brands()
    return {brand.code: brand for brand in Brand.objects.all()}


def test_every_brand_stocks_every_sku_and_every_account_has_a_credit_line(demo):
    for brand in demo.values():
        # given the demo brand's warehouses and SKUs
        warehouses = Warehouse.objects.filter(brand=brand).count()
        skus = Product.objects.filter(brand=brand, status="active").count()
        # then each warehouse holds a stock row of each SKU, and some SKUs are out of stock
        assert 2 <= warehouses <= 4
        assert StockLevel.objects.filter(brand=brand).count() == warehouses * skus
        assert StockLevel.objects.filter(brand=brand, on_hand=0).exists()
        assert StockLevel.objects.filter(brand=brand, on_hand__gte=500).count() > warehouses * skus * 0.8
        # and every account has a credit line: its agreed limit, else its grade's default
        accounts = DistributorAccount.objects.filter(brand=brand)
        assert CreditAccount.objects.filter(brand=brand).count() == accounts.count()
        defaults = {"A": Decimal(2_000_000), "B": Decimal(800_000), "C": Decimal(300_000), "D": Decimal(100_000)}
        for credit in CreditAccount.objects.filter(brand=brand).select_related("account"):
            assert credit.limit == (credit.account.credit_limit or defaults[credit.account.grade])
    # and distributor_a1 has temporary credit for the promotion season
    a1 = DistributorUser.objects.get(user__username="distributor_a1").account
    assert TemporaryCredit.objects.get(credit_account__account=a1).amount == Decimal("200000.00")


def test_the_order_history_agrees_with_itself(demo):
    orders = Order.objects.all()
    # orders of the last 120 days in every status the pages show
    assert 250 <= orders.count() <= 300
    statuses = set(orders.values_list("status", flat=True))
    assert {"completed", "delivered", "shipped", "allocated", "credit_hold", "cancelled"} <= statuses
    numbers = list(orders.values_list("brand_id", "number"))
    assert len(set(numbers)) == len(numbers)
    assert all(re.fullmatch(r"SO\d{8}-[0-9A-Z]{6}", number) for _, number in numbers)
    # totals are the sums of their priced lines; gifts are lines at zero
    for order in orders.annotate(lines_total=Sum("lines__amount"), lines_list=Sum("lines__list_amount")):
        assert (order.total, order.list_total) == (order.lines_total, order.lines_list)
    assert OrderLine.objects.filter(gift_of__isnull=False).exclude(amount=0).count() == 0
    assert OrderLine.objects.filter(promotions__isnull=False).exclude(promotions=[]).exists()

    # stock reserved = units allocated to open orders and not shipped yet
    reserved = defaultdict(int)
    for allocation in Allocation.objects.select_related("line"):
        reserved[allocation.warehouse_id, allocation.line.product_id] += allocation.qty - allocation.shipped_qty
    assert sum(reserved.values()) > 0
    for level in StockLevel.objects.filter(reserved__gt=0):
        assert level.reserved == reserved.pop((level.warehouse_id, level.product_id))
        assert level.reserved <= level.on_hand
    assert not any(reserved.values())
    assert not Allocation.objects.exclude(line__order__status__in=[*OPEN, "shipped", "delivered", "completed"]).exists()

    # shipped orders have shipments with tracking numbers, covering every unit
    for order in orders.filter(status__in=["shipped", "delivered", "completed"]).prefetch_related("shipments"):
        assert order.shipments.all() and all(s.tracking_no and s.carrier for s in order.shipments.all())
        assert sum(s.amount for s in order.shipments.all()) == order.total
    assert not Shipment.objects.filter(order__status__in=[*OPEN, "cancelled", "credit_hold"]).exists()

    # promotion budgets used = the sums of the orders' unreleased promotion uses
    uses = (
        OrderPromotion.objects.filter(released=False)
        .values("promotion_id")
        .annotate(money=Sum("money_used"), units=Sum("units_used"))
    )
    used = {row["promotion_id"]: (row["money"], row["units"]) for row in uses}
    assert used
    for promotion in Promotion.objects.all():
        expected = used.get(promotion.id, (0, 0)) if promotion.is_capped else (0, 0)  # no counter when uncapped
        assert (promotion.used_amount, promotion.used_quantity) == expected
    assert not OrderPromotion.objects.filter(order__status="cancelled", released=False).exists()

    # credit: committed = open approved orders, receivable = the account's entries
    open_orders = dict(
        orders.filter(status__in=OPEN).values("account_id").annotate(s=Sum("total")).values_list("account_id", "s")
    )
    entries = dict(
        CreditEntry.objects.values("credit_account__account_id")
        .annotate(s=Sum("amount"))
        .values_list("credit_account__account_id", "s")
    )
    for credit in CreditAccount.objects.filter(brand=demo["qingquan"]):
        assert credit.committed == open_orders.get(credit.account_id, 0)
        assert credit.receivable == entries.get(credit.account_id, 0)
    assert CreditEntry.objects.filter(kind="payment", amount__lt=0).exists()
    over = [c for c in CreditAccount.objects.all() if c.receivable + c.committed >= c.limit * Decimal("0.9")]
    assert len(over) >= 2  # a couple of accounts at or over their limit


def test_distributor_a1_has_reports_and_some_sell_through_strays_out_of_territory(demo):
    a1 = DistributorUser.objects.get(user__username="distributor_a1").account
    assert Order.objects.filter(account=a1).count() >= 20
    assert SellThrough.objects.filter(account=a1).count() >= 8
    assert StockReport.objects.filter(account=a1).values("as_of").distinct().count() == 6
    alerts = CrossTerritoryAlert.objects.select_related("sell_through", "account")
    assert alerts.filter(account=a1).count() == 2
    assert set(alerts.values_list("status", flat=True)) == {"open", "confirmed", "dismissed"}
    for alert in alerts:
        # the customer's county lies outside every territory entry of the seller
        territory = set(alert.account.territory.exclude(division=None).values_list("division_id", flat=True))
        regions = alert.account.territory.exclude(sales_region=None).values_list("sales_region_id", flat=True)
        territory |= set(
            SalesRegionDivision.objects.filter(sales_region_id__in=regions).values_list("division_id", flat=True)
        )
        county = alert.sell_through.customer_division
        assert alert.division_id == county.code
        assert not territory & {county.code, county.prefecture_id, county.province_id}
    counts = SellThrough.objects.values("account_id").annotate(n=Count("id"))
    assert len(counts) == 9
