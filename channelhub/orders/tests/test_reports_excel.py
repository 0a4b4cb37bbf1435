"""Sell-through and stock spreadsheets: bilingual templates, uploads through the same services,
row errors named with Excel's row numbers and the headers as written."""

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook

from channelhub.core.errors import NotFound
from channelhub.orders import report_excel
from channelhub.orders.models import CrossTerritoryAlert, SellThrough, StockReport
from channelhub.orders.tests.reports_fixtures import KUNSHAN, actor, build_world, counts, sheet_rows, xlsx
from channelhub.testing import see_all_brands

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world()


def filled(kind: str, rows: list[list]) -> bytes:
    """The downloaded template with rows typed in, as a distributor would."""
    workbook = load_workbook(BytesIO(report_excel.template(kind)))
    sheet = workbook.worksheets[0]
    for row in rows:
        sheet.append(row)
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def errors(report) -> list[tuple[int, str, str]]:
    return [(e.row, e.column, e.message) for e in report.errors]


def test_templates_have_chinese_and_english_headers():
    assert sheet_rows(report_excel.template("sell_through")) == [
        ("期间 Period", "SKU", "数量 Qty", "金额 Amount", "客户名称 Customer", "客户区县代码 County code")
    ]
    assert sheet_rows(report_excel.template("stock")) == [("SKU", "数量 Qty")]


def test_sell_through_round_trip(world):
    # given: a month typed as a date, a county code typed as a number, an empty amount
    content = filled(
        "sell_through",
        [
            ["2026-03", "W1", 12, 150.5, "玄武便利店", "320102"],
            [date(2026, 2, 1), "W2", 3, None, "昆山批发", int(KUNSHAN)],
        ],
    )
    # when
    report = report_excel.import_sell_through(actor=actor(world.dealer), account_id=world.account.id, file=content)
    # then
    assert (report.ok, report.rows, report.created, report.alerts) == (True, 2, 2, 1)
    see_all_brands()
    rows = SellThrough.objects.order_by("id").values_list(
        "period", "product__sku", "qty", "amount", "customer_division_id", "source"
    )
    assert list(rows) == [
        (date(2026, 3, 1), "W1", 12, Decimal("150.50"), "320102", "excel"),
        (date(2026, 2, 1), "W2", 3, None, KUNSHAN, "excel"),
    ]
    assert CrossTerritoryAlert.objects.get().division_id == KUNSHAN


def test_bad_rows_are_listed_with_excel_row_numbers_and_nothing_is_written(world):
    # given: English headers, two bad rows among good ones
    content = xlsx(
        [
            ["period", "sku", "qty", "amount", "customer", "county code"],
            ["2026-03", "W1", 1, None, "A", "320102"],
            ["2026-03", "NOPE", 0, None, "B", "320102"],
            ["2026-03", "W1", 1, None, "C", "320102"],
            ["三月", "W1", 1, "abc", "D", "320100"],
        ]
    )
    before = counts()
    # when
    report = report_excel.import_sell_through(actor=actor(world.dealer), account_id=world.account.id, file=content)
    # then
    assert errors(report) == [
        (3, "sku", "unknown SKU 'NOPE' in this brand"),
        (3, "qty", "must be a whole number from 1 to 10000000"),
        (5, "period", "must be a month such as 2026-03"),
        (5, "amount", "must be an amount such as 1280.50"),
        (5, "county code", "320100 江苏省 南京市 is not a county-level division"),
    ]
    assert (report.created, report.rows) == (0, 4)
    assert counts() == before


def test_unknown_and_missing_columns_are_reported(world):
    before = counts()
    content = xlsx([["SKU", "数量", "备注"], ["W1", 1, "x"]])
    report = report_excel.import_sell_through(actor=actor(world.dealer), account_id=world.account.id, file=content)
    assert [(e.row, e.column) for e in report.errors] == [
        (1, "备注"),
        (1, "期间 Period"),
        (1, "客户名称 Customer"),
        (1, "客户区县代码 County code"),
    ]
    assert counts() == before


def test_an_upload_for_another_account_is_not_found(world):
    before = counts()
    with pytest.raises(NotFound):
        report_excel.import_sell_through(actor=actor(world.other_dealer), account_id=world.account.id, file=b"x")
    assert counts() == before


def test_stock_round_trip_and_replacement(world):
    # given
    dealer = actor(world.dealer)
    first = report_excel.import_stock(
        actor=dealer, account_id=world.account.id, as_of=date(2026, 3, 31), file=filled("stock", [["W1", 40]])
    )
    # when
    second = report_excel.import_stock(
        actor=dealer,
        account_id=world.account.id,
        as_of=date(2026, 3, 31),
        file=filled("stock", [["W1", 35], ["W2", 0]]),
    )
    # then
    assert (first.created, second.created, second.updated) == (1, 1, 1)
    see_all_brands()
    assert list(StockReport.objects.order_by("product__sku").values_list("product__sku", "qty", "source")) == [
        ("W1", 35, "excel"),
        ("W2", 0, "excel"),
    ]


def test_stock_errors_name_the_rows(world):
    before = counts()
    report = report_excel.import_stock(
        actor=actor(world.dealer),
        account_id=world.account.id,
        as_of=date(2026, 3, 31),
        file=filled("stock", [["W1", 4], ["W1", -2], ["W2", "many"]]),
    )
    assert errors(report) == [
        (3, "SKU", "SKU 'W1' is also on row 2"),
        (3, "数量 Qty", "must be a whole number from 0 to 10000000"),
        (4, "数量 Qty", "must be a whole number from 0 to 10000000"),
    ]
    assert counts() == before
