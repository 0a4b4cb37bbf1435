"""Sell-through and stock reports as spreadsheets (.xlsx): blank templates with bilingual headers,
and uploads that go through the same services as the phone form and the API.

An upload is all or nothing, like the catalogue import: the cells are read as they are (a month
typed as a date, a county code typed as a number) and handed to the service, whose refusal names
every bad row; the report gives each problem the row number Excel shows and the header as written.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from io import BytesIO
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from channelhub.catalog.excel import XLSX_TYPE, RowError
from channelhub.catalog.excel import rows_of as read_rows  # the catalogue's bounded, streaming reader
from channelhub.orders import reports
from channelhub.tenancy.actor import Actor

__all__ = ["XLSX_TYPE", "ImportReport", "RowError", "import_sell_through", "import_stock"]


@dataclass(frozen=True)
class Column:
    field: str
    header: str  # as the template writes it: Chinese, then English
    aliases: tuple[str, ...]
    required: bool = True


SELL_THROUGH_COLUMNS = (
    Column("period", "期间 Period", ("期间", "月份", "period", "month")),
    Column("sku", "SKU", ("商品编码", "sku")),
    Column("qty", "数量 Qty", ("数量", "qty", "quantity")),
    Column("amount", "金额 Amount", ("金额", "amount"), required=False),
    Column("customer_name", "客户名称 Customer", ("客户名称", "客户", "customer", "customer name")),
    Column("customer_county", "客户区县代码 County code", ("客户区县代码", "区县代码", "county", "county code")),
)
STOCK_COLUMNS = (
    Column("sku", "SKU", ("商品编码", "sku")),
    Column("qty", "数量 Qty", ("数量", "库存", "qty", "quantity")),
)
INSTRUCTIONS = {
    "sell_through": [
        ("期间 Period", "销售月份，如 2026-03 / the month sold in, e.g. 2026-03"),
        ("SKU", "品牌商品编码 / the brand's SKU"),
        ("数量 Qty", "大于 0 的整数 / a whole number above 0"),
        ("金额 Amount", "选填，元，最多两位小数 / optional, CNY, at most 2 decimals"),
        ("客户名称 Customer", "下游客户名称 / your customer's name"),
        ("客户区县代码 County code", "客户所在区县的六位行政区划代码，如 320102 / the customer's county code"),
    ],
    "stock": [
        ("SKU", "品牌商品编码 / the brand's SKU"),
        ("数量 Qty", "当日库存，0 或正整数 / units on hand that day, 0 or more"),
    ],
}


def _key(text: str) -> str:
    return re.sub(r"[\s_\-\u3000()（）]+", "", text).lower()


def _header_map(columns: tuple[Column, ...]) -> dict[str, Column]:
    return {_key(alias): c for c in columns for alias in (c.header, c.field, *c.aliases)}


@dataclass
class ImportReport:
    """What an upload wrote, or (``errors`` not empty) why it wrote nothing."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    alerts: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


# --- templates ---------------------------------------------------------------------------------


def template(kind: str) -> bytes:
    """A blank template: the bilingual header row on the first sheet, what each column means on
    a second one (the upload reads the first sheet only)."""
    columns = SELL_THROUGH_COLUMNS if kind == "sell_through" else STOCK_COLUMNS
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("动销 Sell-through" if kind == "sell_through" else "库存 Stock")
    for index, _column in enumerate(columns):
        sheet.column_dimensions[chr(ord("A") + index)].width = 24
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    cells = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column.header)
        cell.font = bold
        cells.append(cell)
    sheet.append(cells)
    notes = workbook.create_sheet("说明 Instructions")
    notes.column_dimensions["A"].width = 26
    notes.column_dimensions["B"].width = 80
    notes.append(["列 Column", "填写说明 How to fill in"])
    for row in INSTRUCTIONS[kind]:
        notes.append(list(row))
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- reading -----------------------------------------------------------------------------------


def _cell(column: Column, value: Any) -> Any:
    """A cell as the service expects it; anything odd is passed on for the service to name."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if column.field == "period" and isinstance(value, datetime | date):
        return f"{value.year:04d}-{value.month:02d}"
    if column.field in ("period", "customer_county", "sku", "customer_name") and isinstance(value, int):
        return str(value)
    return value


def _read(
    file: IO[bytes] | bytes, columns: tuple[Column, ...], report: ImportReport
) -> tuple[list[int], list[dict], dict[str, str]]:
    """(Excel row numbers, rows as ``{field: value}``, ``{field: header as written}``)."""
    rows = read_rows(file)
    if not rows:
        report.errors.append(RowError(1, columns[0].header, "the sheet is empty"))
        return [], [], {}
    header_row, header = rows[0]
    known, written_of, index_of = _header_map(columns), {}, {}
    for index, value in enumerate(header):
        written = str(value).strip() if value is not None else ""
        if not written:
            continue
        column = known.get(_key(written))
        if column is None:
            accepted = ", ".join(c.header for c in columns)
            report.errors.append(RowError(header_row, written, f"unknown column; the columns are {accepted}"))
        elif column.field in written_of:
            report.errors.append(RowError(header_row, written, f"the same column as {written_of[column.field]!r}"))
        else:
            written_of[column.field], index_of[column.field] = written, index
    for column in columns:
        if column.required and column.field not in written_of:
            report.errors.append(RowError(header_row, column.header, "this column is missing"))
    body = rows[1:]
    if not body and not report.errors:
        report.errors.append(RowError(header_row + 1, columns[0].header, "the sheet has no rows below the header"))
    if len(body) > reports.MAX_ROWS:
        report.errors.append(RowError(header_row, columns[0].header, f"more than {reports.MAX_ROWS} rows"))
    if report.errors:
        return [], [], written_of
    by_field = {c.field: c for c in columns}
    data = [
        {
            name: _cell(by_field[name], values[index] if index < len(values) else None)
            for name, index in index_of.items()
        }
        for _, values in body
    ]
    report.rows = len(data)
    return [number for number, _ in body], data, written_of


def _refused(report: ImportReport, refused: reports.RowsRefused, written: dict, columns) -> None:
    headers = {c.field: c.header for c in columns}
    for problem in refused.problems:
        column = written.get(problem.field, headers.get(problem.field, problem.field))
        report.errors.append(RowError(problem.row, column, problem.message))


def import_sell_through(*, actor: Actor, account_id: int, file: IO[bytes] | bytes) -> ImportReport:
    """Report the sheet's sell-through for the account (source ``excel``); all or nothing."""
    reports.account_for_reporting(actor, account_id)  # another's account: 404 before reading anything
    report = ImportReport()
    numbers, rows, written = _read(file, SELL_THROUGH_COLUMNS, report)
    if report.errors:
        return report
    try:
        result = reports.report_sell_through(
            actor=actor, account_id=account_id, rows=rows, source=reports.Source.EXCEL, row_numbers=numbers
        )
    except reports.RowsRefused as refused:
        _refused(report, refused, written, SELL_THROUGH_COLUMNS)
        report.rows = len(rows)
        return report
    report.created, report.alerts = len(result.rows), len(result.alerts)
    return report


def import_stock(*, actor: Actor, account_id: int, as_of: date, file: IO[bytes] | bytes) -> ImportReport:
    """Report the sheet's stock on hand on ``as_of`` for the account (source ``excel``); all or nothing."""
    reports.account_for_reporting(actor, account_id)
    report = ImportReport()
    numbers, rows, written = _read(file, STOCK_COLUMNS, report)
    if report.errors:
        return report
    try:
        result = reports.report_stock(
            actor=actor,
            account_id=account_id,
            as_of=as_of,
            rows=[(row.get("sku"), row.get("qty")) for row in rows],
            source=reports.Source.EXCEL,
            row_numbers=numbers,
        )
    except reports.RowsRefused as refused:
        _refused(report, refused, written, STOCK_COLUMNS)
        return report
    report.created, report.updated, report.unchanged = result.created, result.updated, result.unchanged
    return report
