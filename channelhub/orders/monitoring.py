"""Promotion execution monitoring (促销执行监控): how far a promotion got and what it did to sales.

For one promotion: its budget (money and units: cap, used, left, % used), the orders and
distributors it reached (orders not cancelled that took from it), the discount it gave, and the
sales of the lines it covers during its window against the same length of time just before it
began (the baseline), in total and per province. The covered lines are those of its target
products and categories (every line when it targets none), bought by its audience (its grades,
distributors, divisions and sales regions; everyone when it names none), gifts left out.

Every figure is aggregated in the database, grouped by province: a fixed number of queries
whatever the number of orders, on SQLite and PostgreSQL alike.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Case, Count, IntegerField, Q, Sum, Value, When
from django.db.models.functions import Substr
from django.utils import timezone

from channelhub.catalog.models import Promotion
from channelhub.core.errors import Forbidden
from channelhub.orders.models import Order, OrderLine, OrderPromotion
from channelhub.regions.models import Division, SalesRegionDivision
from channelhub.tenancy.actor import Actor

ZERO = Decimal("0.00")
NOT_SALES = (Order.Status.DRAFT, Order.Status.CANCELLED)


@dataclass(frozen=True)
class Budget:
    """One cap of the promotion (money or units); ``cap`` is ``None`` when uncapped."""

    cap: Decimal | int | None
    used: Decimal | int

    @property
    def left(self) -> Decimal | int | None:
        return None if self.cap is None else self.cap - self.used

    @property
    def percent_used(self) -> Decimal | None:
        return percent(Decimal(self.used), Decimal(self.cap)) if self.cap else None


@dataclass
class Figures:
    """What the promotion did in one province (or in total)."""

    orders: int = 0  # orders reached
    distributors: int = 0  # distinct accounts reached
    discount: Decimal = ZERO  # money given
    gift_units: int = 0  # units given free (买赠)
    sales: Decimal = ZERO  # covered lines during the window
    units: int = 0
    sales_orders: int = 0
    baseline_sales: Decimal = ZERO  # covered lines in the baseline period
    baseline_units: int = 0
    baseline_orders: int = 0

    @property
    def sales_change(self) -> Decimal | None:
        """Change of sales against the baseline in %, ``None`` without baseline sales."""
        return change(self.sales, self.baseline_sales)

    @property
    def units_change(self) -> Decimal | None:
        return change(Decimal(self.units), Decimal(self.baseline_units))


@dataclass
class ProvinceFigures(Figures):
    code: str = ""
    name: str = ""


@dataclass
class Execution:
    """A promotion's execution: windows compared, budgets, totals and the provinces, by sales."""

    promotion: Promotion
    starts_at: datetime
    until: datetime  # the window measured: from starts_at to the end or now, whichever is first
    baseline_from: datetime  # the baseline: baseline_from to starts_at, as long as the window
    money: Budget
    quantity: Budget
    total: Figures
    provinces: list[ProvinceFigures] = field(default_factory=list)

    @property
    def started(self) -> bool:
        return self.until > self.starts_at


def money(value: Decimal | None) -> Decimal:
    """A database sum to the fen (SQLite hands back more places)."""
    return (value or ZERO).quantize(ZERO, rounding=ROUND_HALF_UP)


def percent(part: Decimal, whole: Decimal) -> Decimal:
    return (part * 100 / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def change(now: Decimal, before: Decimal) -> Decimal | None:
    return percent(now - before, before) if before else None


def promotion_execution(actor: Actor, promotion_id: int, *, now: datetime | None = None) -> Execution:
    """The execution of a promotion the actor may see (404 otherwise). Brand staff only: a
    distributor's own user is refused; a region manager sees the orders of their regions."""
    promotion = Promotion.objects.get_for_actor(actor, id=promotion_id)
    if actor.is_distributor_only(promotion.brand_id):
        raise Forbidden("your role does not allow this in this brand")
    now = now or timezone.now()
    until = min(max(now, promotion.starts_at), promotion.ends_at)
    baseline_from = promotion.starts_at - (until - promotion.starts_at)
    orders = Q(order__brand_id=promotion.brand_id) & _within(actor.division_limit(promotion.brand_id))

    total, provinces = Figures(), {}

    def province(prefix: str) -> ProvinceFigures:
        code = f"{prefix}0000"
        return provinces.setdefault(code, ProvinceFigures(code=code))

    uses = OrderPromotion.objects.filter(
        orders, brand_id=promotion.brand_id, promotion_id=promotion.id, released=False
    ).exclude(order__status=Order.Status.CANCELLED)
    reach = {
        "reached": Count("order_id", distinct=True),
        "accounts": Count("order__account_id", distinct=True),
        "given": Sum("money_used"),
        "given_units": Sum("units_used"),
    }
    grouped = uses.annotate(prefix=Substr("order__division_id", 1, 2)).values("prefix").annotate(**reach)
    for row in [uses.aggregate(**reach) | {"prefix": None}, *grouped.order_by()]:
        figures = total if row["prefix"] is None else province(row["prefix"])
        figures.orders, figures.distributors = row["reached"], row["accounts"]
        figures.discount, figures.gift_units = money(row["given"]), row["given_units"] or 0

    lines = (
        OrderLine.objects.filter(orders, brand_id=promotion.brand_id, gift_of__isnull=True)
        .filter(_covered(promotion), _audience(promotion))
        .exclude(order__status__in=NOT_SALES)
        .filter(order__submitted_at__gte=baseline_from, order__submitted_at__lt=until)
        .annotate(
            prefix=Substr("order__division_id", 1, 2),
            during=Case(
                When(order__submitted_at__gte=promotion.starts_at, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            ),
        )
        .values("prefix", "during")
        .annotate(sold=Sum("amount"), sold_units=Sum("qty"), order_count=Count("order_id", distinct=True))
        .order_by()
    )
    for row in lines:
        amount, qty, count = money(row["sold"]), row["sold_units"] or 0, row["order_count"]
        for figures in (total, province(row["prefix"])):
            if row["during"]:
                figures.sales += amount
                figures.units += qty
                figures.sales_orders += count if figures is not total else 0
            else:
                figures.baseline_sales += amount
                figures.baseline_units += qty
                figures.baseline_orders += count if figures is not total else 0
    # An order's lines sit in one province, so the provinces' order counts add up to the total.
    total.sales_orders = sum(p.sales_orders for p in provinces.values())
    total.baseline_orders = sum(p.baseline_orders for p in provinces.values())

    names = dict(Division.objects.filter(code__in=list(provinces)).values_list("code", "name"))
    for code, figures in provinces.items():
        figures.name = names.get(code, code)
    ranked = sorted(provinces.values(), key=lambda p: (-p.sales, -p.orders, p.code))
    return Execution(
        promotion=promotion,
        starts_at=promotion.starts_at,
        until=until,
        baseline_from=baseline_from,
        # an uncapped promotion keeps no counter: what it gave is what the orders took
        money=Budget(promotion.budget_amount, promotion.used_amount if promotion.is_capped else total.discount),
        quantity=Budget(
            promotion.budget_quantity, promotion.used_quantity if promotion.is_capped else total.gift_units
        ),
        total=total,
        provinces=ranked,
    )


def _in_divisions(prefix: str, codes) -> Q:
    """Orders placed from inside ``codes`` (counties, prefectures or provinces; a list or a subquery)."""
    return (
        Q(**{f"{prefix}division_id__in": codes})
        | Q(**{f"{prefix}division__prefecture_id__in": codes})
        | Q(**{f"{prefix}division__province_id__in": codes})
    )


def _within(limit: frozenset[str] | None) -> Q:
    """A region manager's regions; the whole brand for everyone else."""
    return Q() if limit is None else _in_divisions("order__", list(limit))


def _covered(promotion: Promotion) -> Q:
    """The lines of the promotion's target products and categories (and their subcategories)."""
    if not promotion.product_ids and not promotion.category_ids:
        return Q()
    q = Q(product_id__in=promotion.product_ids) if promotion.product_ids else Q(pk__in=[])
    for category_id in promotion.category_ids:
        q |= Q(product__category__path__contains=f"/{int(category_id)}/")
    return q


def _audience(promotion: Promotion) -> Q:
    """The orders of the buyers the promotion reaches (as the price engine decides it, by the
    registered division and the account's grade); everyone when it names nobody."""
    q = Q()
    if promotion.grades:
        q &= Q(order__account__grade__in=promotion.grades)
    if promotion.distributor_ids:
        q &= Q(order__account_id__in=promotion.distributor_ids)
    if promotion.division_codes or promotion.sales_region_ids:
        where = _in_divisions("order__", promotion.division_codes) if promotion.division_codes else Q(pk__in=[])
        if promotion.sales_region_ids:
            members = SalesRegionDivision.objects.filter(
                brand_id=promotion.brand_id, sales_region_id__in=promotion.sales_region_ids
            ).values("division_id")
            where |= _in_divisions("order__", members)
        q &= where
    return q
