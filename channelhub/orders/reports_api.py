"""Endpoints of what distributors report: sell-through (动销), stock on hand (库存上报), cross-territory
alerts (窜货) and the inventory-turnover KPI. Thin: parse, scope, call one service or selector."""

from datetime import date, datetime
from decimal import Decimal

from django.http import HttpRequest, HttpResponse
from ninja import Field, File, Form, Query, Router, Schema, UploadedFile
from ninja.pagination import paginate

from channelhub.core.api import Id, Input, Paging
from channelhub.core.errors import ValidationFailed
from channelhub.orders import report_selectors as selectors
from channelhub.orders import reports
from channelhub.orders.models import CrossTerritoryAlert

router = Router(tags=["sell-through 动销与库存上报"])

MONTH_PATTERN = r"^\d{4}-\d{2}$"


class RowProblemOut(Schema):
    row: int
    field: str
    message: str


class RowsRefusedOut(Schema):
    code: str
    message: str
    field: str
    rows: list[RowProblemOut]


def _rows_refused(refused: reports.RowsRefused) -> tuple[int, dict]:
    rows = [{"row": p.row, "field": p.field, "message": p.message} for p in refused.problems]
    return 422, {"code": refused.code, "message": refused.message, "field": "rows", "rows": rows}


def _month(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return reports.parse_month(value)
    except ValueError:
        raise ValidationFailed(f"{name} must be a month such as 2026-03", field=name) from None


# --- sell-through ------------------------------------------------------------------------------


class SellThroughRowIn(Input):
    period: str = Field(..., max_length=10, description="the month sold in, YYYY-MM")
    sku: str = Field(..., max_length=64)
    qty: int
    amount: Decimal | None = None
    customer_name: str = Field(..., max_length=300)
    customer_county: str = Field(..., max_length=6, description="county-level GB/T 2260 code")


class SellThroughIn(Input):
    account_id: Id
    rows: list[SellThroughRowIn] = Field(..., min_length=1, max_length=reports.MAX_ROWS)


class SellThroughReportedOut(Schema):
    rows: int
    units: int
    alerts: int
    ids: list[int]


class SellThroughOut(Schema):
    id: int
    brand_id: int
    account_id: int
    account_code: str
    period: str
    sku: str
    product_name: str
    qty: int
    amount: Decimal | None
    customer_name: str
    customer_county: str
    customer_county_name: str
    source: str
    alert_id: int | None
    created_at: datetime

    @staticmethod
    def resolve_account_code(obj) -> str:
        return obj.account.code

    @staticmethod
    def resolve_period(obj) -> str:
        return obj.period.isoformat()[:7]

    @staticmethod
    def resolve_sku(obj) -> str:
        return obj.product.sku

    @staticmethod
    def resolve_product_name(obj) -> str:
        return obj.product.name

    @staticmethod
    def resolve_customer_county(obj) -> str:
        return obj.customer_division_id

    @staticmethod
    def resolve_customer_county_name(obj) -> str:
        return obj.customer_division.full_name

    @staticmethod
    def resolve_alert_id(obj) -> int | None:
        alert = getattr(obj, "alert", None)  # the reverse one-to-one raises an AttributeError when absent
        return alert.pk if alert else None


class SellThroughFilter(Schema):
    brand_id: Id | None = None
    account_id: Id | None = None
    period: str | None = Field(None, pattern=MONTH_PATTERN)


@router.post("/sell-through", response={201: SellThroughReportedOut, 422: RowsRefusedOut})
def report_sell_through(request: HttpRequest, payload: SellThroughIn):
    """Report sell-through rows for an account, all or nothing: a 422 lists every bad row. Rows sold
    into a county outside the account's territory raise cross-territory alerts."""
    try:
        result = reports.report_sell_through(
            actor=request.actor,
            account_id=payload.account_id,
            rows=[row.dict() for row in payload.rows],
            source=reports.Source.API,
        )
    except reports.RowsRefused as refused:
        return _rows_refused(refused)
    return 201, {
        "rows": len(result.rows),
        "units": result.units,
        "alerts": len(result.alerts),
        "ids": [r.pk for r in result.rows],
    }


@router.get("/sell-through", response=list[SellThroughOut])
@paginate(Paging)
def list_sell_through(request: HttpRequest, filters: Query[SellThroughFilter]):
    return selectors.sell_through_for(
        request.actor,
        brand_id=filters.brand_id,
        account_id=filters.account_id,
        period=_month(filters.period, "period"),
    )


class ImportOut(Schema):
    rows: int
    created: int
    updated: int
    unchanged: int
    alerts: int


class ImportErrorOut(Schema):
    row: int
    column: str
    message: str


class ImportFailedOut(Schema):
    code: str
    message: str
    field: str
    rows: list[ImportErrorOut]


def _import_answer(report):
    if report.ok:
        return 200, report
    message = f"{len({e.row for e in report.errors})} row(s) have errors; nothing was imported"
    rows = [{"row": e.row, "column": e.column, "message": e.message} for e in report.errors]
    return 422, {"code": "import_failed", "message": message, "field": "file", "rows": rows}


@router.post("/sell-through/import", response={200: ImportOut, 422: ImportFailedOut})
def import_sell_through(request: HttpRequest, account_id: Form[Id], file: File[UploadedFile] = None):
    """Sell-through from an .xlsx sheet (期间, SKU, 数量, 金额, 客户名称, 客户区县代码); all or nothing."""
    from channelhub.orders import report_excel

    if file is None:
        raise ValidationFailed("upload the .xlsx file as the multipart field 'file'", field="file")
    return _import_answer(report_excel.import_sell_through(actor=request.actor, account_id=account_id, file=file))


@router.get("/sell-through/template")
def sell_through_template(request: HttpRequest):
    """The blank sell-through template (.xlsx, headers in Chinese and English)."""
    from channelhub.orders import report_excel

    return _xlsx(report_excel.template("sell_through"), "sell-through-template.xlsx")


# --- stock on hand -----------------------------------------------------------------------------


class StockRowIn(Input):
    sku: str = Field(..., max_length=64)
    qty: int


class StockIn(Input):
    account_id: Id
    as_of: date
    rows: list[StockRowIn] = Field(..., min_length=1, max_length=reports.MAX_ROWS)


class StockReportedOut(Schema):
    created: int
    updated: int
    unchanged: int


class StockReportOut(Schema):
    id: int
    brand_id: int
    account_id: int
    account_code: str
    as_of: date
    sku: str
    product_name: str
    qty: int
    source: str
    updated_at: datetime

    @staticmethod
    def resolve_account_code(obj) -> str:
        return obj.account.code

    @staticmethod
    def resolve_sku(obj) -> str:
        return obj.product.sku

    @staticmethod
    def resolve_product_name(obj) -> str:
        return obj.product.name


class StockFilter(Schema):
    brand_id: Id | None = None
    account_id: Id | None = None
    as_of: date | None = None


@router.post("/stock-reports", response={201: StockReportedOut, 422: RowsRefusedOut})
def report_stock(request: HttpRequest, payload: StockIn):
    """Report stock on hand of SKUs on one day; a SKU reported again that day replaces the figure."""
    try:
        result = reports.report_stock(
            actor=request.actor,
            account_id=payload.account_id,
            as_of=payload.as_of,
            rows=[(row.sku, row.qty) for row in payload.rows],
            source=reports.Source.API,
        )
    except reports.RowsRefused as refused:
        return _rows_refused(refused)
    return 201, result


@router.get("/stock-reports", response=list[StockReportOut])
@paginate(Paging)
def list_stock_reports(request: HttpRequest, filters: Query[StockFilter]):
    return selectors.stock_reports_for(
        request.actor, brand_id=filters.brand_id, account_id=filters.account_id, as_of=filters.as_of
    )


@router.post("/stock-reports/import", response={200: ImportOut, 422: ImportFailedOut})
def import_stock(request: HttpRequest, account_id: Form[Id], as_of: Form[date], file: File[UploadedFile] = None):
    """Stock on hand on ``as_of`` from an .xlsx sheet (SKU, 数量); all or nothing."""
    from channelhub.orders import report_excel

    if file is None:
        raise ValidationFailed("upload the .xlsx file as the multipart field 'file'", field="file")
    report = report_excel.import_stock(actor=request.actor, account_id=account_id, as_of=as_of, file=file)
    return _import_answer(report)


@router.get("/stock-reports/template")
def stock_template(request: HttpRequest):
    from channelhub.orders import report_excel

    return _xlsx(report_excel.template("stock"), "stock-template.xlsx")


def _xlsx(content: bytes, name: str) -> HttpResponse:
    from channelhub.orders.report_excel import XLSX_TYPE

    response = HttpResponse(content, content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- cross-territory alerts --------------------------------------------------------------------


class AlertOut(Schema):
    id: int
    brand_id: int
    account_id: int
    account_code: str
    account_name: str
    sell_through_id: int
    period: str
    sku: str
    qty: int
    customer_name: str
    county: str
    county_name: str
    status: str
    note: str
    handled_by: str | None
    created_at: datetime
    handled_at: datetime | None

    @staticmethod
    def resolve_account_code(obj) -> str:
        return obj.account.code

    @staticmethod
    def resolve_account_name(obj) -> str:
        return obj.account.name

    @staticmethod
    def resolve_period(obj) -> str:
        return obj.sell_through.period.isoformat()[:7]

    @staticmethod
    def resolve_sku(obj) -> str:
        return obj.sell_through.product.sku

    @staticmethod
    def resolve_qty(obj) -> int:
        return obj.sell_through.qty

    @staticmethod
    def resolve_customer_name(obj) -> str:
        return obj.sell_through.customer_name

    @staticmethod
    def resolve_county(obj) -> str:
        return obj.division_id

    @staticmethod
    def resolve_county_name(obj) -> str:
        return obj.division.full_name

    @staticmethod
    def resolve_handled_by(obj) -> str | None:
        return obj.handled_by.username if obj.handled_by else None


class AlertFilter(Schema):
    brand_id: Id | None = None
    account_id: Id | None = None
    status: CrossTerritoryAlert.Status | None = None


class AlertNoteIn(Input):
    note: str = Field("", max_length=reports.NOTE_LENGTH)


@router.get("/cross-territory-alerts", response=list[AlertOut])
@paginate(Paging)
def list_alerts(request: HttpRequest, filters: Query[AlertFilter]):
    return selectors.alerts_for(
        request.actor, status=filters.status or "", account_id=filters.account_id, brand_id=filters.brand_id
    )


@router.post("/cross-territory-alerts/{int:alert_id}/confirm", response=AlertOut)
def confirm_alert(request: HttpRequest, alert_id: Id, payload: AlertNoteIn):
    """Confirm cross-territory selling (region managers and brand admins)."""
    alert = reports.confirm_alert(actor=request.actor, alert_id=alert_id, note=payload.note)
    return selectors.get_alert(request.actor, alert.pk)


@router.post("/cross-territory-alerts/{int:alert_id}/dismiss", response=AlertOut)
def dismiss_alert(request: HttpRequest, alert_id: Id, payload: AlertNoteIn):
    """Rule an alert out, with a note saying why (region managers and brand admins)."""
    alert = reports.dismiss_alert(actor=request.actor, alert_id=alert_id, note=payload.note)
    return selectors.get_alert(request.actor, alert.pk)


# --- inventory turnover ------------------------------------------------------------------------


class TurnoverFilter(Schema):
    start: str = Field(..., pattern=MONTH_PATTERN, description="first month, YYYY-MM")
    end: str = Field(..., pattern=MONTH_PATTERN, description="last month, YYYY-MM")
    brand_id: Id | None = None


class PageIn(Schema):
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=10_000_000)


class TurnoverFigures(Schema):
    units_sold: int
    average_stock: Decimal | None
    turnover: Decimal | None
    days_of_inventory: Decimal | None
    stock_days: int


class AccountTurnoverOut(TurnoverFigures):
    account_id: int
    brand_id: int
    account_code: str
    account_name: str


class TurnoverPageOut(Schema):
    start: date
    end: date
    days: int
    count: int
    items: list[AccountTurnoverOut]


class SkuTurnoverOut(TurnoverFigures):
    product_id: int
    sku: str
    name: str


class SkuTurnoverPageOut(Schema):
    account_id: int
    start: date
    end: date
    days: int
    items: list[SkuTurnoverOut]


def _period(filters: TurnoverFilter) -> selectors.Period:
    try:
        return selectors.Period.of_months(_month(filters.start, "start"), _month(filters.end, "end"))
    except ValueError as exc:
        raise ValidationFailed(str(exc), field="end") from None


def _figures(item) -> dict:
    return {
        "units_sold": item.units_sold,
        "average_stock": item.average_stock,
        "turnover": item.turnover,
        "days_of_inventory": item.days_of_inventory,
        "stock_days": item.stock_days,
    }


@router.get("/kpi/inventory-turnover", response=TurnoverPageOut)
def inventory_turnover(request: HttpRequest, filters: Query[TurnoverFilter], paging: Query[PageIn]):
    """Per account: units sold, average stock on hand, turnover and days of inventory (paged)."""
    period = _period(filters)
    page = selectors.inventory_turnover(
        request.actor, period=period, brand_id=filters.brand_id, limit=paging.limit, offset=paging.offset
    )
    items = [
        {
            "account_id": i.account.pk,
            "brand_id": i.account.brand_id,
            "account_code": i.account.code,
            "account_name": i.account.name,
            **_figures(i),
        }
        for i in page.items
    ]
    return {"start": period.start, "end": period.end, "days": period.days, "count": page.count, "items": items}


@router.get("/kpi/inventory-turnover/{int:account_id}/skus", response=SkuTurnoverPageOut)
def inventory_turnover_by_sku(request: HttpRequest, account_id: Id, filters: Query[TurnoverFilter]):
    """One account's turnover per SKU."""
    period = _period(filters)
    account, items = selectors.sku_turnover(request.actor, account_id, period)
    return {
        "account_id": account.pk,
        "start": period.start,
        "end": period.end,
        "days": period.days,
        "items": [{"product_id": i.product_id, "sku": i.sku, "name": i.name, **_figures(i)} for i in items],
    }
