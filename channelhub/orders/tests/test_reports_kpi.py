"""The inventory-turnover KPI (库存周转), checked against numbers worked out by hand."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from channelhub.core.errors import NotFound
from channelhub.orders import reports
from channelhub.orders.report_selectors import Period, inventory_turnover, sku_turnover
from channelhub.orders.tests.reports_fixtures import actor, build_world, sale
from channelhub.testing import AccountFactory

pytestmark = pytest.mark.django_db

JAN_FEB = Period.of_months(date(2026, 1, 1), date(2026, 2, 1))


@pytest.fixture
def world():
    world = build_world()
    dealer = actor(world.dealer)
    reports.report_sell_through(
        actor=dealer,
        account_id=world.account.id,
        rows=[
            sale(period="2026-01", sku="W1", qty=30),
            sale(period="2026-01", sku="W2", qty=10),
            sale(period="2026-02", sku="W1", qty=20),
            sale(period="2026-04", sku="W1", qty=100),  # after the period
        ],
        source="phone",
    )
    for as_of, rows in [
        (date(2025, 12, 31), [("W1", 999)]),  # before the period
        (date(2026, 1, 31), [("W1", 40), ("W2", 10)]),
        (date(2026, 2, 28), [("W1", 20)]),
    ]:
        reports.report_stock(actor=dealer, account_id=world.account.id, as_of=as_of, rows=rows, source="phone")
    return world


def test_the_period_runs_from_the_first_to_the_last_day_of_the_months():
    assert (JAN_FEB.start, JAN_FEB.end, JAN_FEB.days) == (date(2026, 1, 1), date(2026, 2, 28), 59)


def test_per_account_figures(world):
    # when
    page = inventory_turnover(actor(world.admin), period=JAN_FEB)
    # then: 60 units sold; stock 50 on 31 Jan and 20 on 28 Feb, so 35 on average;
    # turnover 60 / 35 = 1.714…; days of inventory 59 / 1.714… = 34.416…
    assert page.count == 2
    figures = {
        i.account.code: (i.units_sold, i.average_stock, i.turnover, i.days_of_inventory, i.stock_days)
        for i in page.items
    }
    assert figures == {
        "NJ001": (60, Decimal("35.00"), Decimal("1.71"), Decimal("34.42"), 2),
        "SZ002": (0, None, None, None, 0),
    }


def test_per_sku_breakdown(world):
    # when
    account, items = sku_turnover(actor(world.dealer), world.account.id, JAN_FEB)
    # then: W1 50 sold, (40 + 20) / 2 = 30 on hand; W2 10 sold, (10 + 0) / 2 = 5 on hand
    assert account == world.account
    assert [(i.sku, i.units_sold, i.average_stock, i.turnover, i.days_of_inventory) for i in items] == [
        ("W1", 50, Decimal("30.00"), Decimal("1.67"), Decimal("35.40")),
        ("W2", 10, Decimal("5.00"), Decimal("2.00"), Decimal("29.50")),
    ]


def test_a_distributor_sees_its_own_account_only(world):
    page = inventory_turnover(actor(world.dealer), period=JAN_FEB)
    assert [i.account.code for i in page.items] == ["NJ001"]
    with pytest.raises(NotFound):
        sku_turnover(actor(world.other_dealer), world.account.id, JAN_FEB)


def test_paging_and_a_constant_number_of_queries(world):
    # given
    admin = actor(world.admin)
    with CaptureQueriesContext(connection) as few:
        inventory_turnover(admin, period=JAN_FEB)
    for n in range(5):
        AccountFactory(brand=world.brand, code=f"ZZ{n}")
    # when
    with CaptureQueriesContext(connection) as many:
        page = inventory_turnover(admin, period=JAN_FEB, limit=3, offset=3)
    # then
    assert len(many) == len(few) == 4
    assert page.count == 7 and [i.account.code for i in page.items] == ["ZZ1", "ZZ2", "ZZ3"]


def test_periods_are_bounded():
    with pytest.raises(ValueError, match="ends before it starts"):
        Period.of_months(date(2026, 3, 1), date(2026, 1, 1))
    with pytest.raises(ValueError, match="longer than 36 months"):
        Period.of_months(date(2023, 1, 1), date(2026, 1, 1))
