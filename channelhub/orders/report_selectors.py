"""Scoped reads of what distributors report: sell-through, stock reports, cross-territory alerts,
and the inventory-turnover KPI (库存周转) computed from them.

Every read starts from the accounts the actor may see (``DistributorAccount.objects.for_actor``):
a distributor sees its own account's rows, a region manager those of the accounts in its regions.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q, QuerySet, Sum

from channelhub.orders.models import CrossTerritoryAlert, SellThrough, StockReport
from channelhub.orders.reports import month_end
from channelhub.partners.models import DistributorAccount
from channelhub.regions.selectors import overlapping_division_codes
from channelhub.tenancy.actor import Actor

TWO_PLACES = Decimal("0.01")
MAX_MONTHS = 36


def visible_accounts(actor: Actor, *, brand_id: int | None = None) -> QuerySet[DistributorAccount]:
    return DistributorAccount.objects.for_actor(actor, brand_id=brand_id)


def sell_through_for(
    actor: Actor,
    *,
    brand_id: int | None = None,
    account_id: int | None = None,
    period: date | None = None,
) -> QuerySet[SellThrough]:
    """Sell-through rows of the accounts the actor may see, newest month first; ready to page."""
    qs = SellThrough.objects.for_actor(actor).filter(account__in=visible_accounts(actor, brand_id=brand_id))
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    if period is not None:
        qs = qs.filter(period=period)
    return qs.select_related("account", "product", "customer_division", "alert").order_by("-period", "-id")


def stock_reports_for(
    actor: Actor,
    *,
    brand_id: int | None = None,
    account_id: int | None = None,
    as_of: date | None = None,
) -> QuerySet[StockReport]:
    """Stock reports of the accounts the actor may see, latest day first; ready to page."""
    qs = StockReport.objects.for_actor(actor).filter(account__in=visible_accounts(actor, brand_id=brand_id))
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    if as_of is not None:
        qs = qs.filter(as_of=as_of)
    return qs.select_related("account", "product").order_by("-as_of", "account_id", "product__sku")


def alerts_for(
    actor: Actor, *, status: str = "", account_id: int | None = None, brand_id: int | None = None
) -> QuerySet[CrossTerritoryAlert]:
    """Cross-territory alerts the actor may see: staff only (never a distributor's own users); a
    region-limited manager sees alerts in its regions or about accounts in its regions."""
    condition = Q()
    for brand in sorted(actor.brand_ids if brand_id is None else actor.brand_ids & {brand_id}):
        if actor.is_distributor_only(brand):
            continue
        limit = actor.division_limit(brand)
        if limit is None:
            condition |= Q(brand_id=brand)
        else:
            around = overlapping_division_codes(limit)
            accounts = visible_accounts(actor, brand_id=brand).values("id")
            condition |= Q(brand_id=brand) & (Q(division_id__in=around) | Q(account_id__in=accounts))
    qs = CrossTerritoryAlert.objects.for_actor(actor)
    qs = qs.filter(condition) if condition else qs.none()
    if status:
        qs = qs.filter(status=status)
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    return qs.select_related(
        "account", "division", "handled_by", "sell_through__product", "sell_through__account__registered_division"
    ).order_by("-created_at", "-id")


def get_alert(actor: Actor, alert_id: int) -> CrossTerritoryAlert:
    return alerts_for(actor).get_for_actor(actor, id=alert_id)


# --- inventory turnover ------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Whole months, from the first day of ``start`` to the last day of ``end``."""

    start: date
    end: date

    @classmethod
    def of_months(cls, first: date, last: date) -> "Period":
        first, last = first.replace(day=1), last.replace(day=1)
        if last < first:
            raise ValueError("the period ends before it starts")
        if (last.year - first.year) * 12 + last.month - first.month >= MAX_MONTHS:
            raise ValueError(f"the period is longer than {MAX_MONTHS} months")
        return cls(first, month_end(last))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class Turnover:
    """Inventory turnover of one account (or one SKU of it) in a period.

    ``average_stock`` is the mean, over the days stock was reported in the period, of the units
    reported that day; ``turnover`` = units sold / average stock; ``days_of_inventory`` = days in
    the period / turnover. Both are ``None`` when there is nothing to divide by.
    """

    units_sold: int
    average_stock: Decimal | None
    turnover: Decimal | None
    days_of_inventory: Decimal | None
    stock_days: int


@dataclass(frozen=True)
class AccountTurnover(Turnover):
    account: DistributorAccount | None = None


@dataclass(frozen=True)
class SkuTurnover(Turnover):
    product_id: int = 0
    sku: str = ""
    name: str = ""


def _turnover(units: int, stock_total: int, stock_days: int, period: Period) -> dict:
    average = Decimal(stock_total) / stock_days if stock_days else None
    turnover = Decimal(units) / average if average else None
    days = Decimal(period.days) / turnover if turnover else None
    return {
        "units_sold": units,
        "average_stock": _round(average),
        "turnover": _round(turnover),
        "days_of_inventory": _round(days),
        "stock_days": stock_days,
    }


def _round(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def turnover_accounts(actor: Actor, *, brand_id: int | None = None) -> QuerySet[DistributorAccount]:
    """The accounts a turnover table lists, in a complete order (page it, then :func:`turnover_of`)."""
    return visible_accounts(actor, brand_id=brand_id).select_related("brand").order_by("brand_id", "code")


def turnover_of(accounts: Sequence[DistributorAccount], period: Period) -> list[AccountTurnover]:
    """The turnover of each account (already scoped and paged) in two queries, whatever their number."""
    ids = [a.pk for a in accounts]
    sold = dict(
        SellThrough.objects.filter(account_id__in=ids, period__range=(period.start, period.end))
        .order_by()
        .values_list("account_id")
        .annotate(units=Sum("qty"))
    )
    stock: dict[int, dict[date, int]] = defaultdict(dict)
    rows = (
        StockReport.objects.filter(account_id__in=ids, as_of__range=(period.start, period.end))
        .order_by()
        .values_list("account_id", "as_of")
        .annotate(units=Sum("qty"))
    )
    for account_id, as_of, units in rows:
        stock[account_id][as_of] = units
    return [
        AccountTurnover(
            account=a,
            **_turnover(sold.get(a.pk, 0), sum(stock[a.pk].values()), len(stock[a.pk]), period),
        )
        for a in accounts
    ]


@dataclass(frozen=True)
class TurnoverPage:
    count: int
    items: list[AccountTurnover]


def inventory_turnover(
    actor: Actor, *, period: Period, brand_id: int | None = None, limit: int = 50, offset: int = 0
) -> TurnoverPage:
    """One page of per-account turnover: four queries (count, page, sales, stock)."""
    accounts = turnover_accounts(actor, brand_id=brand_id)
    return TurnoverPage(accounts.count(), turnover_of(list(accounts[offset : offset + limit]), period))


def sku_turnover(actor: Actor, account_id: int, period: Period) -> tuple[DistributorAccount, list[SkuTurnover]]:
    """One account's turnover per SKU. A SKU's average stock is over the days the account reported
    any stock (a SKU missing that day counts 0), so the SKUs' averages add up to the account's."""
    account = DistributorAccount.objects.select_related("brand").get_for_actor(actor, id=account_id)
    sold = {
        row["product_id"]: row
        for row in SellThrough.objects.filter(account=account, period__range=(period.start, period.end))
        .order_by()
        .values("product_id", "product__sku", "product__name")
        .annotate(units=Sum("qty"))
    }
    stock_rows = list(
        StockReport.objects.filter(account=account, as_of__range=(period.start, period.end)).values(
            "product_id", "product__sku", "product__name", "as_of", "qty"
        )
    )
    stock_days = len({row["as_of"] for row in stock_rows})
    stock_total: dict[int, int] = defaultdict(int)
    names = {pid: (row["product__sku"], row["product__name"]) for pid, row in sold.items()}
    for row in stock_rows:
        stock_total[row["product_id"]] += row["qty"]
        names.setdefault(row["product_id"], (row["product__sku"], row["product__name"]))
    items = [
        SkuTurnover(
            product_id=pid,
            sku=sku,
            name=name,
            **_turnover(sold[pid]["units"] if pid in sold else 0, stock_total.get(pid, 0), stock_days, period),
        )
        for pid, (sku, name) in names.items()
    ]
    return account, sorted(items, key=lambda item: item.sku)
