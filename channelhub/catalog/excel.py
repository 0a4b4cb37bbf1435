"""Catalogue spreadsheets (.xlsx): products in and out of Excel, and a distributor's price sheet.

Imports are all or nothing: every row is checked first against the brand's categories and
products, and only a clean file is written, in one bulk write through ``services.save_products``
(every row audited, the catalogue version raised once). The report lists every bad
cell with its row number as Excel shows it. Headers are the Chinese ones the export writes; the
English names are accepted too.

openpyxl reads in read-only mode and writes in write-only mode: both stream, so memory stays flat.
Writing costs some microseconds a cell, most of a large price sheet's time; cells carry no style
but the two number formats of the price sheet.
"""

import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from io import BytesIO
from typing import IO, Any

from django.apps import apps
from django.utils import timezone
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from channelhub.catalog import pricing, services
from channelhub.catalog.models import Category, Product
from channelhub.core.errors import Forbidden, ServiceError, ValidationFailed
from channelhub.tenancy.actor import Actor
from channelhub.tenancy.models import Brand
from channelhub.tenancy.permissions import require_brand, require_role

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_BYTES = 10 * 1024 * 1024
MAX_UNPACKED_BYTES = 300 * 1024 * 1024  # a 10 MB zip may hide gigabytes of XML
MAX_ROWS = 50_000
MAX_COLUMNS = 50
MAX_PACK_SIZE = 100_000  # the same bounds as the API's ProductIn
MAX_MIN_ORDER_QTY = 1_000_000
PRODUCT_FIELDS = [field for field in services.PRODUCT_FIELDS if field != "category"] + ["category_id"]


@dataclass(frozen=True)
class Column:
    """A product field as a spreadsheet column: the header written, and the headers accepted."""

    field: str
    header: str
    aliases: tuple[str, ...]
    max_length: int | None = None


PRODUCT_COLUMNS = (
    Column("sku", "商品编码", ("sku",), 64),
    Column("barcode", "条形码", ("条码", "barcode"), 32),
    Column("name", "名称", ("商品名称", "name"), 200),
    Column("category", "类目编码", ("category", "category code", "category_code"), 64),
    Column("unit", "单位", ("unit",), 16),
    Column("pack_size", "箱规", ("pack size", "pack_size")),
    Column("min_order_qty", "起订量", ("min order qty", "min_order_qty", "moq")),
    Column("tax_category", "税目", ("税率", "tax", "tax category", "tax_category")),
    Column("status", "状态", ("status",)),
)
COLUMN_OF = {column.field: column for column in PRODUCT_COLUMNS}


def _header_key(text: str) -> str:
    return re.sub(r"[\s_\-\u3000]+", "", text).lower()


HEADERS = {_header_key(alias): c for c in PRODUCT_COLUMNS for alias in (c.header, c.field, *c.aliases)}

TAX_RATES = {
    Product.TaxCategory.STANDARD: 13,
    Product.TaxCategory.REDUCED: 9,
    Product.TaxCategory.SERVICES: 6,
    Product.TaxCategory.EXEMPT: 0,
}
TAX_BY_RATE = {rate: code for code, rate in TAX_RATES.items()}
STATUS_WORDS = {
    Product.Status.ACTIVE: "在售",
    Product.Status.INACTIVE: "停售",
    Product.Status.DISCONTINUED: "已退市",
}
STATUS_BY_WORD = {
    _header_key(word): code
    for code, label in Product.Status.choices
    for word in (code, label, *label.split(maxsplit=1))
}


TAX_MESSAGE = "must be 13%, 9%, 6% or 0% (or vat13, vat9, vat6, vat0)"


def tax_label(code: str) -> str:
    """The rate a spreadsheet shows for a tax category ("13%")."""
    return f"{TAX_RATES[code]}%" if code in TAX_RATES else code


@dataclass(frozen=True)
class RowError:
    row: int  # as Excel numbers it: the header is row 1
    column: str  # the header as written in the file
    message: str


@dataclass
class ImportReport:
    """What an import did, or (``errors`` not empty) why it wrote nothing."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class _BadCell(Exception):
    pass


# --- reading a workbook ------------------------------------------------------------------------


def _bad_file(message: str, code: str = "invalid_file") -> ValidationFailed:
    return ValidationFailed(message, code=code, field="file")


def _read_bytes(file: IO[bytes] | bytes) -> bytes:
    if isinstance(file, bytes | bytearray):
        data = bytes(file)
    else:
        if getattr(file, "size", None) is not None and file.size > MAX_BYTES:
            raise _bad_file(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB", code="file_too_large")
        if hasattr(file, "seek"):
            file.seek(0)
        data = file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise _bad_file(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB", code="file_too_large")
    return data


def rows_of(file: IO[bytes] | bytes) -> list[tuple[int, tuple]]:
    """The non-empty rows of the workbook's active sheet as (Excel row number, values)."""
    data = _read_bytes(file)
    not_xlsx = _bad_file("the file is not an Excel workbook (.xlsx); save it as .xlsx and upload it again")
    if not zipfile.is_zipfile(BytesIO(data)):
        raise not_xlsx  # an .xls, .csv or anything else
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise not_xlsx from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise _bad_file("the workbook is too large once unpacked", code="file_too_large")
    rows = []
    try:
        workbook = load_workbook(BytesIO(data), read_only=True, data_only=True)
        try:
            sheet = workbook.active or workbook.worksheets[0]
            for number, values in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1):
                if any(value is not None and str(value).strip() for value in values):
                    rows.append((number, values))
                    if len(rows) > MAX_ROWS + 1:  # the header and MAX_ROWS products
                        raise _bad_file(f"the sheet has more than {MAX_ROWS} rows", code="too_many_rows")
        finally:
            workbook.close()
    except ServiceError:
        raise
    except Exception:  # untrusted input: openpyxl, zipfile and the XML parser raise many kinds
        raise not_xlsx from None
    return rows


# --- cell values -------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool | datetime):
        raise _BadCell("must be text")
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a code typed as a number: 6901234567890, not 6901234567890.0
    return str(value).strip()


def _count(value: Any, limit: int) -> int:
    number = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    if number is None or not 1 <= number <= limit:
        raise _BadCell(f"must be a whole number from 1 to {limit}")
    return number


def _tax(value: Any) -> str:
    if isinstance(value, bool | datetime):
        raise _BadCell(TAX_MESSAGE)
    if isinstance(value, int | float | Decimal):
        rate = Decimal(str(value))
        rate = rate * 100 if 0 < rate < 1 else rate  # a percentage cell holds 0.13
    else:
        text = _header_key(_text(value)).replace("％", "%")
        if text in TAX_RATES:
            return text
        match = re.fullmatch(r"(\d+(?:\.\d+)?)(%.*)?", text)  # "13", "13%" or "13% 一般货物"
        rate = Decimal(match.group(1)) if match else None
    code = TAX_BY_RATE.get(int(rate)) if rate is not None and rate == rate.to_integral_value() else None
    if code is None:
        raise _BadCell(TAX_MESSAGE)
    return code


def _status(value: Any) -> str:
    code = STATUS_BY_WORD.get(_header_key(_text(value)))
    if code is None:
        raise _BadCell("must be 在售, 停售 or 已退市 (or active, inactive, discontinued)")
    return code


# --- products import ---------------------------------------------------------------------------


def _writer_brand(actor: Actor, brand_id: int | None) -> int:
    brand_id = require_brand(actor, brand_id)
    require_role(actor, brand_id, *services.CATALOG_WRITERS)
    return brand_id


def import_products(*, actor: Actor, brand_id: int | None, file: IO[bytes] | bytes) -> ImportReport:
    """Create or update the brand's products from a spreadsheet (one row a SKU; an existing SKU is
    updated). An empty cell keeps the current value (a new product takes the default), except the
    barcode, which it clears. All or nothing: with any bad row the report lists every bad cell and
    nothing is written."""
    brand_id = _writer_brand(actor, brand_id)
    rows = rows_of(file)
    report = ImportReport()
    if not rows:
        report.errors.append(RowError(1, COLUMN_OF["sku"].header, "the sheet is empty"))
        return report
    header_row, header = rows[0]
    columns = _columns(header_row, header, report)
    if report.errors:
        return report
    body = rows[1:]
    report.rows = len(body)
    plan = _plan(brand_id, columns, body, report)
    if report.errors:
        report.errors.sort(key=lambda error: error.row)
        return report
    _write(actor, brand_id, columns, plan, report)
    return report


def _columns(number: int, header: tuple, report: ImportReport) -> dict[int, tuple[Column, str]]:
    """Which product field each column holds: {index: (column, header as written)}."""
    columns: dict[int, tuple[Column, str]] = {}
    seen: dict[str, str] = {}
    for index, value in enumerate(header):
        written = str(value).strip() if value is not None else ""
        if not written:
            continue
        column = HEADERS.get(_header_key(written))
        if column is None:
            accepted = ", ".join(f"{c.header} ({c.field})" for c in PRODUCT_COLUMNS)
            report.errors.append(RowError(number, written, f"unknown column; the columns are {accepted}"))
        elif column.field in seen:
            report.errors.append(RowError(number, written, f"the same column as {seen[column.field]!r}"))
        else:
            seen[column.field] = written
            columns[index] = (column, written)
    if "sku" not in seen:
        report.errors.append(RowError(number, COLUMN_OF["sku"].header, "the sheet needs a 商品编码 (SKU) column"))
    return columns


@dataclass
class _Planned:
    row: int
    sku: str
    data: dict[str, Any]  # fields to write (create: all given; update: only the changed ones)
    product: Product | None  # None: a new product


def _existing(brand_id: int, skus: list[str]) -> dict[str, Product]:
    found: dict[str, Product] = {}
    for start in range(0, len(skus), 500):
        chunk = skus[start : start + 500]
        rows = Product.objects.filter(brand_id=brand_id, sku__in=chunk).only("brand_id", *PRODUCT_FIELDS)
        found.update({p.sku: p for p in rows})
    return found


def _plan(brand_id: int, columns: dict, body: list[tuple[int, tuple]], report: ImportReport) -> list[_Planned]:
    """Check every row and work out what each one writes; bad cells go into the report."""
    categories = {c.code: c for c in Category.objects.filter(brand_id=brand_id)}
    header_of = {column.field: written for column, written in columns.values()}
    parsed, bad_cells = [], set()
    for number, values in body:
        data: dict[str, Any] = {}
        for index, (column, written) in columns.items():
            value = values[index] if index < len(values) else None
            try:
                parsed_value = _cell(column, value, categories)
            except _BadCell as bad:
                report.errors.append(RowError(number, written, str(bad)))
                bad_cells.add((number, column.field))
                continue
            if parsed_value is not None:
                data[column.field] = parsed_value
        parsed.append((number, data))
    skus = sorted({data["sku"] for _, data in parsed if data.get("sku")})
    existing = _existing(brand_id, skus)
    plan, first_row = [], {}
    for number, data in parsed:
        sku = data.pop("sku", "")

        def fail(field_name: str, message: str, number=number) -> None:
            if (number, field_name) not in bad_cells:  # one message a cell
                report.errors.append(RowError(number, header_of.get(field_name, COLUMN_OF[field_name].header), message))
                bad_cells.add((number, field_name))

        if not sku:
            fail("sku", "SKU is required")
            continue
        if sku in first_row:
            fail("sku", f"SKU {sku!r} is also on row {first_row[sku]}")
            continue
        first_row[sku] = number
        product = existing.get(sku)
        if product is None:
            for required in ("name", "category"):
                if required not in data:
                    fail(required, f"{required} is required for a new product")
            pack = data.get("pack_size", 1)
            minimum = data.get("min_order_qty", pack)
        else:
            pack = data.get("pack_size", product.pack_size)
            minimum = data.get("min_order_qty", product.min_order_qty)
            data = {key: value for key, value in data.items() if _differs(product, key, value)}
        if minimum % pack:
            where = "min_order_qty" if "min_order_qty" in header_of else "pack_size"
            fail(where, f"the minimum order quantity {minimum} must be a multiple of the pack size {pack}")
        plan.append(_Planned(number, sku, data, product))
    return plan


def _cell(column: Column, value: Any, categories: dict[str, Category]) -> Any:
    """The field value of one cell; ``None`` when the cell is empty and keeps the current value."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return "" if column.field == "barcode" else None  # an empty barcode clears it
    if column.field in ("pack_size", "min_order_qty"):
        return _count(value, MAX_PACK_SIZE if column.field == "pack_size" else MAX_MIN_ORDER_QTY)
    if column.field == "tax_category":
        return _tax(value)
    if column.field == "status":
        return _status(value)
    text = _text(value)
    if column.max_length and len(text) > column.max_length:
        raise _BadCell(f"is longer than {column.max_length} characters")
    if column.field == "category":
        if text not in categories:
            raise _BadCell(f"unknown category code {text!r}")
        return categories[text]
    return text


def _differs(product: Product, key: str, value: Any) -> bool:
    if key == "category":
        return product.category_id != value.pk
    return getattr(product, key) != value


def _write(actor: Actor, brand_id: int, columns: dict, plan: list[_Planned], report: ImportReport) -> None:
    """Write the checked rows in one bulk write; a row the services still refuse (a concurrent
    change) undoes them all and is reported."""
    header_of = {column.field: written for column, written in columns.values()}
    changes = [
        services.ProductChange(row.row, row.product, {"sku": row.sku, **row.data} if row.product is None else row.data)
        for row in plan
        if row.product is None or row.data
    ]
    report.unchanged = len(plan) - len(changes)
    try:
        report.created, report.updated = services.save_products(actor=actor, brand_id=brand_id, changes=changes)
    except ServiceError as refused:
        number, _, message = refused.message.partition(": ")
        row = int(number.removeprefix("row ")) if number.startswith("row ") else plan[0].row
        column = header_of.get(refused.field or "", COLUMN_OF["sku"].header)
        report.errors.append(RowError(row, column, message or refused.message))
        report.created = report.updated = report.unchanged = 0


# --- products export ---------------------------------------------------------------------------


def _workbook(title: str) -> tuple[Workbook, Any]:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    return workbook, sheet


def _header_cells(sheet, headers: list[str]) -> list[WriteOnlyCell]:
    bold = Font(bold=True)
    cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = bold
        cells.append(cell)
    return cells


def _save(workbook: Workbook) -> bytes:
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_products(*, actor: Actor, brand_id: int | None) -> bytes:
    """The brand's products as a workbook that :func:`import_products` reads back unchanged."""
    brand_id = require_brand(actor, brand_id)
    if actor.is_distributor_only(brand_id):
        raise Forbidden("your role does not allow this in this brand", code="permission_denied")
    workbook, sheet = _workbook("商品")
    for letter, width in zip("ABCDEFGHI", (18, 16, 36, 14, 8, 8, 8, 8, 8), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    sheet.append(_header_cells(sheet, [column.header for column in PRODUCT_COLUMNS]))
    rows = (
        Product.objects.for_actor(actor)
        .filter(brand_id=brand_id)
        .order_by("sku")
        .values_list(
            "sku", "barcode", "name", "category__code", "unit", "pack_size", "min_order_qty", "tax_category", "status"
        )
    )
    for sku, barcode, name, category, unit, pack, minimum, tax, status in rows.iterator(chunk_size=5000):
        status = STATUS_WORDS.get(status, status)
        sheet.append([sku, barcode or None, name, category, unit, pack, minimum, tax_label(tax), status])
    return _save(workbook)


# --- a distributor's price sheet ---------------------------------------------------------------

PRICE_SHEET_HEADERS = ["SKU", "名称", "单位", "起订量", "税目", "价格来源", "单价", "起订金额", "备注"]


@dataclass(frozen=True)
class SheetParties:
    brand: str
    distributor_code: str
    distributor_name: str


def brand_name(brand_id: int) -> str:
    return Brand.objects.filter(pk=brand_id).values_list("name", flat=True).first() or ""


def sheet_parties(buyer: pricing.Buyer) -> SheetParties:
    """The brand and distributor names a price sheet is titled with."""
    brand = brand_name(buyer.brand_id)
    # the account is read by name: catalog does not import partners
    account = apps.get_model("partners", "DistributorAccount").objects.filter(
        brand_id=buyer.brand_id, pk=buyer.distributor_id
    )
    code, name = account.values_list("code", "name").first() or ("", "")
    return SheetParties(brand, code, name)


def price_sheet_xlsx(buyer: pricing.Buyer, *, at: datetime | None = None) -> bytes:
    """The buyer's price sheet (:func:`pricing.price_sheet`) as a workbook: a title row naming the
    brand, the distributor and the moment, a bold frozen header, one row a product."""
    at = at or timezone.now()
    lines = pricing.price_sheet(buyer, at=at)
    parties = sheet_parties(buyer)
    workbook, sheet = _workbook("价格表")
    for letter, width in zip("ABCDEFGHI", (18, 36, 8, 8, 8, 16, 12, 12, 40), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A3"
    moment = timezone.localtime(at)
    distributor = f"{parties.distributor_code} {parties.distributor_name}".strip()
    title = f"{parties.brand} 价格表 · {distributor} · {moment:%Y-%m-%d %H:%M} (UTC{moment:%z})"
    sheet.append(_header_cells(sheet, [title]))
    sheet.append(_header_cells(sheet, PRICE_SHEET_HEADERS))
    # Two styled cells reused on every row: write-only mode writes a row when it is appended, and
    # a fresh styled cell per row would double the time.
    price, total = WriteOnlyCell(sheet), WriteOnlyCell(sheet)
    price.number_format, total.number_format = "0.0000", "0.00"
    for line in lines:
        if line.ok:
            price.value, total.value = line.unit_price, line.amount
            values = [line.sku, line.name, line.unit, line.qty, tax_label(line.tax_category), line.price_rule]
            sheet.append([*values, price, total, None])
        else:
            note = line.reason or "no price list in force prices this product for this distributor"
            values = [line.sku, line.name, line.unit, line.qty, tax_label(line.tax_category)]
            sheet.append([*values, None, None, None, note])
    return _save(workbook)
