"""What distributors report back: sell-through (动销) and stock on hand (库存上报), and the
cross-territory alerts (窜货预警) sell-through into a county outside the territory raises.

Every report is one batch, all or nothing: each row is checked first and a batch with any bad row
writes nothing and names every bad row (:class:`RowsRefused`). A clean batch is written with bulk
inserts and one audit row. Alerts are created in the same transaction; the region managers are
told after it commits (event ``orders.cross_territory``).
"""

import calendar
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from channelhub.catalog.models import Product
from channelhub.core import audit
from channelhub.core.errors import Conflict, ValidationFailed
from channelhub.core.events import emit, subscribe_many
from channelhub.core.models import AuditEntry
from channelhub.messaging.models import Notification
from channelhub.messaging.services import Notice, notify_many
from channelhub.orders.models import CrossTerritoryAlert, SellThrough, StockReport
from channelhub.partners.models import DistributorAccount, TerritoryEntry
from channelhub.regions.models import Division, SalesRegionDivision
from channelhub.tenancy.actor import Actor
from channelhub.tenancy.models import Membership, Role
from channelhub.tenancy.permissions import DISTRIBUTOR_WRITERS, require_role
from channelhub.tenancy.rls import set_brand_scope

REPORTERS = (Role.DISTRIBUTOR_USER, *DISTRIBUTOR_WRITERS)
ALERT_HANDLERS = (Role.REGION_MANAGER, Role.BRAND_ADMIN)
Source = SellThrough.Source
MAX_ROWS = 5000
MAX_QTY = 10_000_000
MAX_AMOUNT = Decimal("9999999999.99")
NAME_LENGTH = 200
NOTE_LENGTH = 300
MONTH = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?\s*$")
COUNTY_CODE = re.compile(r"^\d{6}$")
ALERT_EVENT = "orders.cross_territory"


@dataclass(frozen=True)
class RowProblem:
    """One bad value of a reported batch: the row (1 = the first row sent), the field, why."""

    row: int
    field: str
    message: str


class RowsRefused(ValidationFailed):
    """A batch refused as a whole; ``problems`` names every bad row and field."""

    code = "rows_invalid"

    def __init__(self, problems: list[RowProblem]):
        self.problems = sorted(problems, key=lambda p: p.row)
        rows = len({p.row for p in self.problems})
        first = self.problems[0]
        super().__init__(
            f"{rows} row(s) have errors; nothing was saved (row {first.row} {first.field}: {first.message})",
            field="rows",
        )


@dataclass
class SellThroughResult:
    rows: list[SellThrough] = field(default_factory=list)
    alerts: list[CrossTerritoryAlert] = field(default_factory=list)

    @property
    def units(self) -> int:
        return sum(row.qty for row in self.rows)


@dataclass
class StockResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


# --- parsing one value -------------------------------------------------------------------------


class _Bad(ValueError):
    pass


def parse_month(value: Any) -> date:
    """The first day of a month given as ``2026-03`` (also ``2026/3``, ``2026年3月``) or a date."""
    if isinstance(value, date):
        return value.replace(day=1)
    match = MONTH.match(str(value or ""))
    if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 2000:
        raise _Bad("must be a month such as 2026-03")
    return date(int(match[1]), int(match[2]), 1)


def month_end(first: date) -> date:
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def _qty(value: Any, *, minimum: int) -> int:
    number = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    if number is None or not minimum <= number <= MAX_QTY:
        raise _Bad(f"must be a whole number from {minimum} to {MAX_QTY}")
    return number


def _amount(value: Any) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise _Bad("must be an amount such as 1280.50")
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise _Bad("must be an amount such as 1280.50") from None
    if not number.is_finite() or number < 0 or number > MAX_AMOUNT:
        raise _Bad(f"must be an amount from 0 to {MAX_AMOUNT}")
    if number.as_tuple().exponent < -2:
        raise _Bad("has more than 2 decimal places")
    return number


def _text(value: Any, limit: int) -> str:
    text = "" if value is None else str(value).strip()
    if not text:
        raise _Bad("is required")
    if len(text) > limit:
        raise _Bad(f"is longer than {limit} characters")
    return text


# --- who reports for which account -------------------------------------------------------------


def account_for_reporting(actor: Actor, account_id: int) -> DistributorAccount:
    """The account, through the actor's scope (another distributor's is not found), if the actor may
    report for it: its own users and distributor staff (region managers, brand and group admins)."""
    account = DistributorAccount.objects.select_related("registered_division").get_for_actor(actor, id=account_id)
    require_role(actor, account.brand_id, *REPORTERS)
    return account


def _rows_limit(rows: Sequence) -> None:
    if not rows:
        raise ValidationFailed("report at least one row", code="no_rows", field="rows")
    if len(rows) > MAX_ROWS:
        raise ValidationFailed(f"report at most {MAX_ROWS} rows at once", code="too_many_rows", field="rows")


def _products(brand_id: int, skus: Iterable[str]) -> dict[str, Product]:
    skus = sorted(set(skus))
    found: dict[str, Product] = {}
    for start in range(0, len(skus), 500):
        chunk = Product.objects.filter(brand_id=brand_id, sku__in=skus[start : start + 500]).only("id", "sku", "name")
        found.update({p.sku: p for p in chunk})
    return found


def territory_codes(account: DistributorAccount) -> frozenset[str]:
    """The division codes the account's territory names: its divisions and its sales regions'
    members. A county is inside the territory when it, its prefecture or its province is one."""
    entries = TerritoryEntry.objects.filter(brand_id=account.brand_id, account_id=account.pk)
    codes = set(entries.filter(division__isnull=False).values_list("division_id", flat=True))
    regions = entries.filter(sales_region__isnull=False).values("sales_region_id")
    members = SalesRegionDivision.objects.filter(brand_id=account.brand_id, sales_region_id__in=regions)
    codes |= set(members.values_list("division_id", flat=True))
    return frozenset(codes)


def covering_codes(division: Division) -> frozenset[str]:
    """The division and the divisions containing it (its prefecture and province)."""
    return frozenset(c for c in (division.code, division.prefecture_id, division.province_id) if c)


# --- sell-through ------------------------------------------------------------------------------


@dataclass
class _CheckedSale:
    period: date
    product: Product
    qty: int
    amount: Decimal | None
    customer_name: str
    county: Division


def _numbers(rows: Sequence, row_numbers: Sequence[int] | None) -> Sequence[int]:
    """How problems name rows: as the caller numbers them (Excel's row numbers), else 1, 2, …"""
    if row_numbers is None:
        return range(1, len(rows) + 1)
    if len(row_numbers) != len(rows):
        raise ValueError("one row number per row")
    return row_numbers


def _check_sales(brand_id: int, rows: Sequence[Mapping[str, Any]], numbers: Sequence[int]) -> list[_CheckedSale]:
    """Every row checked; raises :class:`RowsRefused` naming every bad value."""
    problems: list[RowProblem] = []
    skus = [str(row.get("sku") or "").strip() for row in rows]
    counties = {str(row.get("customer_county") or "").strip() for row in rows}
    products = _products(brand_id, [s for s in skus if s])
    divisions = Division.objects.in_bulk([c for c in counties if COUNTY_CODE.match(c)])
    this_month = timezone.localdate().replace(day=1)
    checked = []
    for number, row, sku in zip(numbers, rows, skus, strict=True):
        values: dict[str, Any] = {}

        def take(name: str, parse, number=number, values=values) -> None:
            try:
                values[name] = parse()
            except _Bad as bad:
                problems.append(RowProblem(number, name, str(bad)))

        def period(row=row) -> date:
            month = parse_month(row.get("period"))
            if month > this_month:
                raise _Bad("is a month still to come")
            return month

        def product(sku=sku) -> Product:
            if not sku:
                raise _Bad("is required")
            if sku not in products:
                raise _Bad(f"unknown SKU {sku!r} in this brand")
            return products[sku]

        def county(row=row) -> Division:
            code = str(row.get("customer_county") or "").strip()
            if not code:
                raise _Bad("is required")
            division = divisions.get(code)
            if division is None:
                raise _Bad(f"unknown division code {code!r}")
            if division.level != Division.Level.COUNTY:
                raise _Bad(f"{code} {division.full_name} is not a county-level division")
            return division

        take("period", period)
        take("sku", product)
        take("qty", lambda row=row: _qty(row.get("qty"), minimum=1))
        take("amount", lambda row=row: _amount(row.get("amount")))
        take("customer_name", lambda row=row: _text(row.get("customer_name"), NAME_LENGTH))
        take("customer_county", county)
        if len(values) == 6:
            checked.append(
                _CheckedSale(
                    values["period"],
                    values["sku"],
                    values["qty"],
                    values["amount"],
                    values["customer_name"],
                    values["customer_county"],
                )
            )
    if problems:
        raise RowsRefused(problems)
    return checked


@transaction.atomic
def report_sell_through(
    *,
    actor: Actor,
    account_id: int,
    rows: Sequence[Mapping[str, Any]],
    source: str,
    row_numbers: Sequence[int] | None = None,
) -> SellThroughResult:
    """Record a distributor's sell-through (动销): each row a month (``2026-03``), a SKU of the brand,
    units (> 0), an optional amount, the customer's name and county (a county-level code).

    All or nothing. A row sold into a county outside the account's territory raises a
    cross-territory alert (窜货), and the region managers covering that county or the account's
    registered division are told once the batch is committed. ``row_numbers`` name the rows in a
    refusal (an upload's Excel row numbers); by default they are 1, 2, …
    """
    account = account_for_reporting(actor, account_id)
    _rows_limit(rows)
    if source not in Source.values:
        raise ValidationFailed(f"source must be one of {', '.join(Source.values)}", field="source")
    checked = _check_sales(account.brand_id, rows, _numbers(rows, row_numbers))
    user = actor.user
    sales = SellThrough.objects.bulk_create(
        [
            SellThrough(
                brand_id=account.brand_id,
                account=account,
                period=sale.period,
                product=sale.product,
                qty=sale.qty,
                amount=sale.amount,
                customer_name=sale.customer_name,
                customer_division=sale.county,
                source=source,
                reported_by=user,
            )
            for sale in checked
        ],
        batch_size=1000,
    )
    territory = territory_codes(account)
    outside = [
        (sale, row) for sale, row in zip(sales, checked, strict=True) if not covering_codes(row.county) & territory
    ]
    alerts = CrossTerritoryAlert.objects.bulk_create(
        [
            CrossTerritoryAlert(brand_id=account.brand_id, account=account, sell_through=sale, division=row.county)
            for sale, row in outside
        ],
        batch_size=1000,
    )
    audit.record(
        actor=actor,
        action=AuditEntry.Action.CREATE,
        obj=account,
        brand_id=account.brand_id,
        after={
            "sell_through_rows": len(sales),
            "sell_through_units": sum(s.qty for s in sales),
            "periods": sorted({s.period.isoformat()[:7] for s in sales}),
            "source": source,
            "cross_territory_alerts": len(alerts),
        },
    )
    if alerts:
        emit(
            ALERT_EVENT,
            {
                "brand_id": account.brand_id,
                "account_id": account.pk,
                "account": str(account),
                "home": sorted(covering_codes(account.registered_division)),
                "alerts": [
                    {"id": alert.pk, "county": row.county.full_name, "covers": sorted(covering_codes(row.county))}
                    for alert, (_, row) in zip(alerts, outside, strict=True)
                ],
            },
        )
    return SellThroughResult(rows=sales, alerts=alerts)


# --- stock on hand -----------------------------------------------------------------------------


@transaction.atomic
def report_stock(
    *,
    actor: Actor,
    account_id: int,
    as_of: date,
    rows: Sequence[tuple[Any, Any]],
    source: str,
    row_numbers: Sequence[int] | None = None,
) -> StockResult:
    """Record a distributor's stock on hand (库存上报) on one day: ``(sku, units ≥ 0)`` rows. A SKU
    reported again for the same day replaces the earlier figure. All or nothing."""
    account = account_for_reporting(actor, account_id)
    _rows_limit(rows)
    if source not in Source.values:
        raise ValidationFailed(f"source must be one of {', '.join(Source.values)}", field="source")
    if not isinstance(as_of, date) or as_of > timezone.localdate():
        raise ValidationFailed("as_of must be a day no later than today", field="as_of")
    skus = [str(sku or "").strip() for sku, _ in rows]
    products = _products(account.brand_id, [s for s in skus if s])
    problems, first_row, wanted = [], {}, {}
    for number, (_, qty), sku in zip(_numbers(rows, row_numbers), rows, skus, strict=True):
        if not sku:
            problems.append(RowProblem(number, "sku", "is required"))
        elif sku not in products:
            problems.append(RowProblem(number, "sku", f"unknown SKU {sku!r} in this brand"))
        elif sku in first_row:
            problems.append(RowProblem(number, "sku", f"SKU {sku!r} is also on row {first_row[sku]}"))
        else:
            first_row[sku] = number
        try:
            units = _qty(qty, minimum=0)
        except _Bad as bad:
            problems.append(RowProblem(number, "qty", str(bad)))
            continue
        if sku in products:
            wanted.setdefault(products[sku].pk, units)
    if problems:
        raise RowsRefused(problems)
    existing = {
        r.product_id: r
        for r in StockReport.objects.select_for_update().filter(
            brand_id=account.brand_id, account=account, as_of=as_of, product_id__in=list(wanted)
        )
    }
    result, changed, new = StockResult(), [], []
    for product_id, units in wanted.items():
        report = existing.get(product_id)
        if report is None:
            new.append(
                StockReport(
                    brand_id=account.brand_id,
                    account=account,
                    as_of=as_of,
                    product_id=product_id,
                    qty=units,
                    source=source,
                    reported_by=actor.user,
                )
            )
        elif report.qty != units:
            report.qty, report.source, report.reported_by = units, source, actor.user
            report.updated_at = timezone.now()
            changed.append(report)
        else:
            result.unchanged += 1
    StockReport.objects.bulk_create(new, batch_size=1000)
    StockReport.objects.bulk_update(changed, ["qty", "source", "reported_by", "updated_at"], batch_size=1000)
    result.created, result.updated = len(new), len(changed)
    audit.record(
        actor=actor,
        action=AuditEntry.Action.CREATE if not existing else AuditEntry.Action.UPDATE,
        obj=account,
        brand_id=account.brand_id,
        after={
            "stock_as_of": as_of,
            "stock_rows": len(wanted),
            "stock_units": sum(wanted.values()),
            "source": source,
        },
    )
    return result


# --- handling alerts ---------------------------------------------------------------------------


def _handle(actor: Actor, alert_id: int, status: str, note: str) -> CrossTerritoryAlert:
    from channelhub.orders.report_selectors import alerts_for

    alert = alerts_for(actor).select_for_update(of=("self",)).get_for_actor(actor, id=alert_id)
    require_role(actor, alert.brand_id, *ALERT_HANDLERS)
    note = (note or "").strip()
    if len(note) > NOTE_LENGTH:
        raise ValidationFailed(f"the note is longer than {NOTE_LENGTH} characters", field="note")
    if status == CrossTerritoryAlert.Status.DISMISSED and not note:
        raise ValidationFailed("say why this is not cross-territory selling", field="note")
    if alert.status != CrossTerritoryAlert.Status.OPEN:
        raise Conflict("this alert has already been handled", code="already_handled")
    before = audit.snapshot(alert, ["status", "note", "handled_by"])
    alert.status, alert.note, alert.handled_by = status, note, actor.user
    alert.handled_at = timezone.now()
    alert.save(update_fields=["status", "note", "handled_by", "handled_at"])
    audit.record(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        obj=alert,
        brand_id=alert.brand_id,
        before=before,
        after=audit.snapshot(alert, ["status", "note", "handled_by"]),
    )
    return alert


@transaction.atomic
def confirm_alert(*, actor: Actor, alert_id: int, note: str = "") -> CrossTerritoryAlert:
    """A region manager or brand admin confirms the sale was cross-territory selling (窜货)."""
    return _handle(actor, alert_id, CrossTerritoryAlert.Status.CONFIRMED, note)


@transaction.atomic
def dismiss_alert(*, actor: Actor, alert_id: int, note: str) -> CrossTerritoryAlert:
    """A region manager or brand admin rules the alert out, saying why (e.g. an agreed project)."""
    return _handle(actor, alert_id, CrossTerritoryAlert.Status.DISMISSED, note)


# --- telling region managers (after commit) ----------------------------------------------------


def _on_alerts(payloads: list[dict]) -> None:
    """One notification per region manager per reported batch; a single alert links to itself."""
    notices = []
    for payload in payloads:
        brand_id, home = payload["brand_id"], frozenset(payload["home"])
        with transaction.atomic():
            set_brand_scope({brand_id})
            managers = Membership.objects.filter(brand_id=brand_id, role=Role.REGION_MANAGER, user__is_active=True)
            limits: dict[int, set[str] | None] = {}
            for user_id, code in managers.values_list("user_id", "divisions__code"):
                if code is None:
                    limits[user_id] = None
                elif limits.get(user_id, set()) is not None:
                    limits.setdefault(user_id, set()).add(code)
        by_user: dict[int, list[dict]] = {}
        for alert in payload["alerts"]:
            covers = home | frozenset(alert["covers"])
            for user_id, limit in limits.items():
                if limit is None or limit & covers:
                    by_user.setdefault(user_id, []).append(alert)
        for user_id, alerts in sorted(by_user.items()):
            counties = "、".join(dict.fromkeys(a["county"] for a in alerts))
            link = (
                f"/reports/alerts/{alerts[0]['id']}/"
                if len(alerts) == 1
                else f"/reports/alerts/?account={payload['account_id']}&status=open"
            )
            title = f"窜货预警：{payload['account']} 在 {counties} 动销 {len(alerts)} 条"
            notices.append(Notice(brand_id, (user_id,), Notification.Kind.CROSS_TERRITORY, title, link))
    if notices:
        with transaction.atomic():
            set_brand_scope({n.brand_id for n in notices})
            notify_many(notices=notices)


def connect() -> None:
    """Subscribe the region managers' notice to the alert event (idempotent)."""
    subscribe_many(ALERT_EVENT, _on_alerts)
