"""The demo's trade: warehouses and stock, credit lines, an order history and what distributors
report back (sell-through 动销, stock on hand, cross-territory alerts 窜货).

Like the rest of the demo the rows are inserted in bulk, not through the services, but they keep
the services' invariants, which the demo tests check:

- every line is priced by the price engine as of the day the order was placed, so amounts and
  promotions are real; promotions began a week ago, so only the last week's orders carry them;
- ``StockLevel.reserved`` = units allocated to open orders and not yet shipped;
- ``Promotion.used_amount`` / ``used_quantity`` = the sums of the orders' unreleased promotion uses
  (capped promotions; uncapped ones keep no counter);
- ``CreditAccount.committed`` = open approved and allocated orders; ``receivable`` = the sum of the
  account's entries (shipments billed less payments received).

Warehouses, stock and credit accounts cover every SKU and every distributor (``--scale`` included,
in large batches); the order history is the same few hundred orders at any scale.
"""

import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import F
from django.utils import timezone

from channelhub.catalog import pricing
from channelhub.catalog.models import Product, Promotion
from channelhub.demo.catalog_plans import PLANS
from channelhub.finance.models import CreditAccount, CreditEntry, TemporaryCredit
from channelhub.orders import services
from channelhub.orders.models import (
    Allocation,
    CrossTerritoryAlert,
    Order,
    OrderLine,
    OrderPromotion,
    SellThrough,
    Shipment,
    ShipmentLine,
    StockLevel,
    StockReport,
    Warehouse,
)
from channelhub.partners.models import DistributorAccount
from channelhub.regions.models import Division, SalesRegionDivision
from channelhub.tenancy.models import Brand, User

# (code, name, county, priority): 2-4 warehouses a brand ships from, its home warehouse first.
WAREHOUSES = {
    "qingquan": [
        ("sh-pudong", "华东仓（上海浦东）", "310115", 10),
        ("gz-panyu", "华南仓（广州番禺）", "440113", 20),
        ("bj-shunyi", "华北仓（北京顺义）", "110113", 30),
        ("cd-shuangliu", "西南仓（成都双流）", "510116", 40),
    ],
    "jiale": [
        ("fs-shunde", "华南仓（佛山顺德）", "440606", 10),
        ("sz-huqiu", "华东仓（苏州虎丘）", "320505", 20),
        ("tj-binhai", "华北仓（天津滨海）", "120116", 30),
    ],
    "lvye": [
        ("nj-jiangning", "华东仓（南京江宁）", "320115", 10),
        ("hrb-songbei", "东北仓（哈尔滨松北）", "230109", 20),
    ],
}
GRADE_LIMITS = {"A": Decimal(2_000_000), "B": Decimal(800_000), "C": Decimal(300_000), "D": Decimal(100_000)}
ORDERS_PER_BRAND = (200, 50, 50)
HISTORY_DAYS = 120
BATCH = 5000
NUMBER_CHARS = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CARRIERS = [("顺丰速运", "SF", 13), ("京东物流", "JDV", 12), ("德邦物流", "DPK", 12), ("中通快运", "ZTO", 12)]
CANCEL_REASONS = ["经销商撤单：客户需求变化", "重复下单", "改为下月统一订货", "收货地址有误，重新下单"]
NOTES = ["", "", "", "请周末前送达", "卸货需预约，提前电话联系", "随货附发票", "分批送货可接受"]
SHOPS = ["便利店", "连锁超市", "批发部", "餐饮店", "商贸行", "农资门市", "家电卖场"]
MAIN_SKU_OUT_OF_STOCK = 2  # main-range SKUs with no stock anywhere, so 缺货 shows in the demo
ZERO = Decimal("0.00")


@dataclass
class _Placed:
    """One generated order and the rows that hang off it, before they are inserted."""

    order: Order
    lines: list[OrderLine]
    gifts: list[tuple[OrderLine, OrderLine]]  # (gift line, the line that earned it)
    uses: list[OrderPromotion]
    allocations: list[tuple[OrderLine, Warehouse, int, int]] = field(default_factory=list)  # qty, shipped
    shipped_at: datetime | None = None


def build_orders(*, brands: list[Brand], seed: int, home_account: DistributorAccount, home_user: User) -> None:
    """Stock, credit and trade of every brand; ``home_account`` (distributor_a1's) gets reports."""
    rng = random.Random(f"orders-{seed}")
    now = timezone.now()
    counties = list(Division.objects.filter(level=3).values_list("code", "prefecture_id", "province_id"))
    counties.sort()
    for brand, count in zip(brands, ORDERS_PER_BRAND, strict=False):
        _Brand(rng, brand, now, counties).build(count, home_account, home_user)


class _Brand:
    """One brand's demo trade, generated in memory and then inserted table by table."""

    def __init__(self, rng: random.Random, brand: Brand, now: datetime, counties: list[tuple]):
        self.rng, self.brand, self.now, self.counties = rng, brand, now, counties
        self.numbers: set[str] = set()
        plan = PLANS[brand.code]
        products = Product.objects.filter(brand=brand, status=Product.Status.ACTIVE).order_by("id")
        self.product_ids = list(products.values_list("id", flat=True))
        self.main = list(products[: len(plan.items)])
        self.by_sku = {p.sku: p for p in self.main}
        self.promotions = dict(Promotion.objects.filter(brand=brand).values_list("code", "id"))
        self.capped = {p.id for p in Promotion.objects.filter(brand=brand) if p.is_capped}

    def build(self, count: int, home_account: DistributorAccount, home_user: User) -> None:
        self.warehouses = self._warehouses()
        self.stock = self._stock_levels()
        self.credit = self._credit_accounts()
        accounts = self._ordering_accounts(home_account)
        home = home_account if home_account.brand_id == self.brand.id else None
        placed = self._history(count, accounts, home, home_user)
        self._tighten_credit(placed, home)
        StockLevel.objects.bulk_create(self.stock.values(), batch_size=BATCH)
        CreditAccount.objects.bulk_create(self.credit.values(), batch_size=BATCH)
        self._insert(placed)
        if home is not None:
            self._temporary_credit(home, home_user)
            self._reports(home, home_user, accounts)

    # -- warehouses, stock, credit lines ------------------------------------------------------

    def _warehouses(self) -> list[Warehouse]:
        rows = [
            Warehouse(brand=self.brand, code=code, name=name, division_id=county, priority=priority)
            for code, name, county, priority in WAREHOUSES[self.brand.code]
        ]
        return Warehouse.objects.bulk_create(rows)

    def _stock_levels(self) -> dict[tuple[int, int], StockLevel]:
        """Plenty of every active SKU in every warehouse; some SKUs low or out (缺货) here and there,
        a couple of the main range out everywhere. Saved after the orders reserved their units."""
        rng, stock = self.rng, {}
        packs = {p.id: p.pack_size for p in self.main}
        empty = {p.id for p in self.main[3 : 3 + MAIN_SKU_OUT_OF_STOCK]}
        for product_id in self.product_ids:
            pack = packs.get(product_id, 1)
            for warehouse in self.warehouses:
                draw = rng.random()
                if product_id in empty or draw < 0.03:
                    units = 0
                elif draw < 0.08:
                    units = rng.randint(1, 40)
                else:
                    units = rng.randint(500, 5000)
                units = units // pack * pack
                stock[warehouse.pk, product_id] = StockLevel(
                    brand=self.brand, warehouse=warehouse, product_id=product_id, on_hand=units
                )
        return stock

    def _credit_accounts(self) -> dict[int, CreditAccount]:
        """A credit line for every account: its agreed limit, else the grade's default."""
        rows = DistributorAccount.objects.filter(brand=self.brand).values_list("id", "grade", "credit_limit")
        return {
            account_id: CreditAccount(
                brand=self.brand,
                account_id=account_id,
                limit=agreed if agreed else GRADE_LIMITS.get(grade, GRADE_LIMITS["D"]),
                limit_valid_from=date(self.now.year, 1, 1),
            )
            for account_id, grade, agreed in rows.iterator(chunk_size=BATCH)
        }

    # -- the order history --------------------------------------------------------------------

    def _ordering_accounts(self, home: DistributorAccount) -> list[tuple[DistributorAccount, pricing.Buyer]]:
        """The brand's active accounts that trade in the demo (the first forty, and distributor_a1's)."""
        rows = DistributorAccount.objects.filter(brand=self.brand, status=DistributorAccount.Status.ACTIVE)
        accounts = list(rows.order_by("id").prefetch_related("territory")[:40])
        if home.brand_id == self.brand.id and home.pk not in {a.pk for a in accounts}:
            accounts.insert(0, DistributorAccount.objects.prefetch_related("territory").get(pk=home.pk))
        return [(account, pricing.Buyer.of_account(account)) for account in accounts]

    def _history(self, count: int, accounts, home, home_user) -> list[_Placed]:
        rng, placed = self.rng, []
        regular = [a for a in accounts if home is None or a[0].pk != home.pk]
        tight = regular[-2:]  # the two accounts whose orders wait on credit
        for n in range(count):
            age = self._age()
            status = self._status(age)
            if status == Order.Status.CREDIT_HOLD:
                account, buyer = tight[n % len(tight)]
            elif home is not None and n % 8 == 0:
                account, buyer = next(a for a in accounts if a[0].pk == home.pk)
            else:
                account, buyer = rng.choice(regular)
            at = self.now - timedelta(minutes=int(age * 24 * 60))
            order = self._order(account, buyer, at, status, home_user if account is home else None)
            if order is not None:
                placed.append(order)
        return placed

    def _age(self) -> float:
        """Days ago: a quarter of the orders in the promotions' first week, the rest over 120 days."""
        draw = self.rng.random()
        if draw < 0.25:
            return self.rng.uniform(0.05, 6.9)
        if draw < 0.35:
            return self.rng.uniform(7.1, 14)
        return self.rng.uniform(14, HISTORY_DAYS)

    def _status(self, age: float) -> str:
        S = Order.Status
        if age > 20:
            choices = [(S.COMPLETED, 88), (S.CANCELLED, 7), (S.DELIVERED, 5)]
        elif age > 10:
            choices = [(S.COMPLETED, 40), (S.DELIVERED, 35), (S.SHIPPED, 15), (S.CANCELLED, 10)]
        elif age > 4:
            choices = [(S.COMPLETED, 10), (S.DELIVERED, 30), (S.SHIPPED, 40), (S.ALLOCATED, 15), (S.CANCELLED, 5)]
        else:
            choices = [
                (S.SHIPPED, 20),
                (S.ALLOCATED, 30),
                (S.APPROVED, 12),
                (S.CREDIT_HOLD, 15),
                (S.SUBMITTED, 10),
                (S.CANCELLED, 13),
            ]
        return self.rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]

    def _lines(self, buyer: pricing.Buyer, at: datetime) -> pricing.Quote | None:
        rng = self.rng
        products = rng.sample(self.main, min(len(self.main), rng.choice((1, 1, 2, 2, 3, 4, 5))))
        lines = []
        for product in products:
            step = math.ceil(product.min_order_qty / product.pack_size) * product.pack_size
            lines.append(pricing.Line(product.sku, step * rng.randint(1, 20)))
        quote = pricing.quote(buyer, lines, at=at)
        if not quote.ok:  # not authorized here: order what may be sold
            lines = [pricing.Line(q.sku, q.qty) for q in quote.lines if q.ok]
            quote = pricing.quote(buyer, lines, at=at) if lines else None
        return quote

    def _order(self, account, buyer, at: datetime, status: str, user: User | None) -> _Placed | None:
        rng = self.rng
        quote = self._lines(buyer, at)
        if quote is None:
            return None
        order = Order(
            brand=self.brand,
            number=self._number("SO", at),
            account=account,
            division_id=account.registered_division_id,
            status=status,
            source=rng.choice(["phone", "web"]) if user else rng.choice(["web", "web", "phone", "staff", "api"]),
            placed_by=user,
            note=rng.choice(NOTES),
            ship_to=account.address,
            catalog_version=quote.version,
            priced_at=at,
            list_total=quote.list_total,
            total=quote.total,
            created_at=at,
            submitted_at=at,
        )
        rows = services.lines_of(quote)  # as an order placed through the service would hold them
        for number, row in enumerate(rows, start=1):
            row.brand, row.order, row.line_no = self.brand, order, number
        lines = [row for row in rows if not getattr(row, "gift_parent", None)]
        gifts = [(row, row.gift_parent) for row in rows if getattr(row, "gift_parent", None)]
        uses = services.promotion_uses(quote)
        released = status == Order.Status.CANCELLED
        promotion_uses = [
            OrderPromotion(
                brand=self.brand,
                order=order,
                promotion_id=self.promotions[code],
                money_used=money,
                units_used=units,
                released=released,
            )
            for code, (money, units) in uses.items()
        ]
        if not released:
            for use in promotion_uses:  # live, as an order would: the next quote sees what is left
                if use.promotion_id not in self.capped:
                    continue
                Promotion.objects.filter(pk=use.promotion_id).update(
                    used_amount=F("used_amount") + use.money_used, used_quantity=F("used_quantity") + use.units_used
                )
        placed = _Placed(order, lines, gifts, promotion_uses)
        self._progress(placed, at)
        return placed

    def _progress(self, placed: _Placed, at: datetime) -> None:
        """Take the order as far as its status says: approval, allocation, shipping, receipt, close."""
        S, order, rng = Order.Status, placed.order, self.rng
        span = self.now - at
        if order.status == S.CANCELLED:
            order.closed_at = at + span * 0.2
            order.cancel_reason = rng.choice(CANCEL_REASONS)
            return
        if order.status in (S.SUBMITTED, S.CREDIT_HOLD):
            if order.status == S.CREDIT_HOLD:
                order.hold_reason = "信用额度不足，待财务审批放行"
            return
        order.approved_at = at + min(timedelta(hours=4), span * 0.1)
        everything = placed.lines + [gift for gift, _ in placed.gifts]
        if order.status in (S.APPROVED, S.ALLOCATED):
            if order.status == S.ALLOCATED and not self._allocate(placed, everything, shipped=False):
                order.status = S.APPROVED  # waiting for stock (缺货)
            order.credit_committed = order.total
            return
        self._allocate(placed, everything, shipped=True)
        placed.shipped_at = at + min(timedelta(days=2), span * 0.3)
        if order.status in (S.DELIVERED, S.COMPLETED):
            order.delivered_at = placed.shipped_at + min(timedelta(days=3), span * 0.3)
        if order.status == S.COMPLETED:
            order.closed_at = order.delivered_at + min(timedelta(days=7), span * 0.3)

    def _allocate(self, placed: _Placed, lines: list[OrderLine], *, shipped: bool) -> bool:
        """Reserve every line in the warehouses nearest the buyer (same province first, then by
        priority), splitting a line over warehouses when one has too few; False when stock lacks."""
        province = placed.order.division_id[:2]
        ranked = sorted(self.warehouses, key=lambda w: (w.division_id[:2] != province, w.priority))
        plan = []
        for line in lines:
            wanted = line.qty
            for warehouse in ranked:
                level = self.stock[warehouse.pk, line.product_id]
                free = (
                    line.qty
                    if shipped
                    else level.on_hand
                    - level.reserved
                    - sum(q for ln, w, q, _ in plan if w is warehouse and ln.product_id == line.product_id)
                )
                take = min(wanted, max(free, 0))
                if take > 0:
                    plan.append((line, warehouse, take, take if shipped else 0))
                    wanted -= take
                if wanted == 0:
                    break
            if wanted:
                return False
        for line, warehouse, qty, _ in plan:
            if shipped:
                line.shipped_qty += qty
            else:
                line.reserved_qty += qty
                self.stock[warehouse.pk, line.product_id].reserved += qty
        placed.allocations = plan
        return True

    def _number(self, prefix: str, at: datetime) -> str:
        day = timezone.localtime(at).strftime("%Y%m%d")
        while True:
            number = f"{prefix}{day}-{''.join(self.rng.choice(NUMBER_CHARS) for _ in range(6))}"
            if number not in self.numbers:
                self.numbers.add(number)
                return number

    # -- credit -------------------------------------------------------------------------------

    def _tighten_credit(self, placed: list[_Placed], home: DistributorAccount | None) -> None:
        """Open orders count against the credit line; the accounts with orders on credit hold are
        left with less available credit than those orders need, one of them over its limit."""
        held: dict[int, Decimal] = {}
        for p in placed:
            if p.order.credit_committed:
                self.credit[p.order.account_id].committed += p.order.credit_committed
            if p.order.status == Order.Status.CREDIT_HOLD:
                held[p.order.account_id] = min(held.get(p.order.account_id, p.order.total), p.order.total)
        self._entries = self._receivables(placed)
        for credit in self.credit.values():
            credit.receivable = sum((e.amount for e in self._entries.get(credit.account_id, [])), ZERO)
        for n, (account_id, smallest) in enumerate(sorted(held.items())):
            credit = self.credit[account_id]
            used = credit.receivable + credit.committed
            room = smallest / 2 if n == 0 else -smallest / 5  # the first near its limit, the next over
            credit.limit = max(ZERO, Decimal(math.floor((used + room) / 1000) * 1000))
            DistributorAccount.objects.filter(pk=account_id).update(credit_limit=credit.limit)

    def _receivables(self, placed: list[_Placed]) -> dict[int, list[CreditEntry]]:
        """A shipment entry per shipment; completed orders paid, some delivered ones in part."""
        entries: dict[int, list[CreditEntry]] = defaultdict(list)
        self._shipments: list[tuple[_Placed, Shipment, list[ShipmentLine]]] = []
        for p in placed:
            shipped_at = p.shipped_at
            if shipped_at is None:
                continue
            credit = self.credit[p.order.account_id]
            by_warehouse: dict[int, list] = defaultdict(list)
            for line, warehouse, qty, _ in p.allocations:
                by_warehouse[warehouse.pk].append((line, warehouse, qty))
            for rows in by_warehouse.values():
                warehouse = rows[0][1]
                carrier, prefix, digits = self.rng.choice(CARRIERS)
                amount = sum((line.amount * qty / line.qty for line, _, qty in rows), ZERO).quantize(Decimal("0.01"))
                shipment = Shipment(
                    brand=self.brand,
                    order=p.order,
                    number=self._number("SH", shipped_at),
                    warehouse=warehouse,
                    carrier=carrier,
                    tracking_no=prefix + "".join(self.rng.choice("0123456789") for _ in range(digits)),
                    amount=amount,
                    shipped_at=shipped_at,
                    received_at=p.order.delivered_at,
                )
                lines = [ShipmentLine(brand=self.brand, shipment=shipment, line=line, qty=qty) for line, _, qty in rows]
                self._shipments.append((p, shipment, lines))
                entries[credit.account_id].append(
                    _entry(credit, CreditEntry.Kind.SHIPMENT, amount, shipment.number, shipped_at)
                )
            total = sum((s.amount for q, s, _ in self._shipments if q is p), ZERO)
            paid = p.order.status == Order.Status.COMPLETED or (
                p.order.status == Order.Status.DELIVERED and self.rng.random() < 0.4
            )
            if paid:
                part = total if p.order.status == Order.Status.COMPLETED else (total / 2).quantize(Decimal("0.01"))
                when = p.order.closed_at or (p.order.delivered_at + (self.now - p.order.delivered_at) / 2)
                reference = "HX" + "".join(self.rng.choice("0123456789") for _ in range(14))
                entries[credit.account_id].append(
                    _entry(credit, CreditEntry.Kind.PAYMENT, -part, reference, when, note=f"{p.order.number} 回款")
                )
        return entries

    def _temporary_credit(self, home: DistributorAccount, user: User) -> None:
        today = timezone.localdate(self.now)
        TemporaryCredit.objects.create(
            brand=self.brand,
            credit_account=self.credit[home.pk],
            amount=Decimal("200000.00"),
            valid_from=today - timedelta(days=7),
            valid_to=today + timedelta(days=30),
            reason="春季促销备货临时额度",
        )

    # -- inserting ----------------------------------------------------------------------------

    def _insert(self, placed: list[_Placed]) -> None:
        _backdated(Order, [p.order for p in placed])
        OrderLine.objects.bulk_create([line for p in placed for line in p.lines], batch_size=2000)
        for p in placed:
            for gift, earned_by in p.gifts:
                gift.gift_of = earned_by
        OrderLine.objects.bulk_create([gift for p in placed for gift, _ in p.gifts], batch_size=2000)
        OrderPromotion.objects.bulk_create([use for p in placed for use in p.uses], batch_size=2000)
        Allocation.objects.bulk_create(
            [
                Allocation(brand=self.brand, line=line, warehouse=warehouse, qty=qty, shipped_qty=shipped)
                for p in placed
                for line, warehouse, qty, shipped in p.allocations
            ],
            batch_size=2000,
        )
        Shipment.objects.bulk_create([s for _, s, _ in self._shipments], batch_size=1000)
        ShipmentLine.objects.bulk_create([line for _, _, lines in self._shipments for line in lines], batch_size=2000)
        _backdated(CreditEntry, [e for rows in self._entries.values() for e in rows])

    # -- what distributors report back --------------------------------------------------------

    def _reports(self, home: DistributorAccount, user: User, accounts) -> None:
        """Three months of sell-through by distributor_a1 and eight other accounts, a few of them
        into counties outside the seller's territory (with their alerts); a1's weekly stock."""
        rng, today = self.rng, timezone.localdate(self.now)
        months = [_month(today, back) for back in (2, 1, 0)]
        reporters = [a for a in accounts if a[0].pk == home.pk] + [a for a in accounts if a[0].pk != home.pk][:8]
        rows, outside = [], []
        for index, (account, buyer) in enumerate(reporters):
            inside = self._counties_in(buyer)
            strays = 2 if index == 0 else (1 if index in (1, 2) else 0)
            for n in range(rng.randint(8, 14) + strays):
                period = rng.choice(months)
                stray = n < strays
                county = self._county_outside(buyer) if stray else rng.choice(inside)
                product = rng.choice(self.main)
                qty = rng.randint(1, 20) * max(product.min_order_qty // 2, 1)
                row = SellThrough(
                    brand=self.brand,
                    account=account,
                    period=period,
                    product=product,
                    qty=qty,
                    amount=(qty * Decimal(rng.randint(20, 60))).quantize(Decimal("0.01")),
                    customer_name=f"{_division_names()[county]}{rng.choice('恒鑫利华盛')}{rng.choice(SHOPS)}",
                    customer_division_id=county,
                    source=rng.choice(["phone", "excel", "api"]),
                    reported_by=user if account.pk == home.pk else None,
                )
                rows.append(row)
                if stray:
                    outside.append(row)
        SellThrough.objects.bulk_create(rows, batch_size=2000)
        statuses = [CrossTerritoryAlert.Status.OPEN] * (len(outside) - 2) + [
            CrossTerritoryAlert.Status.CONFIRMED,
            CrossTerritoryAlert.Status.DISMISSED,
        ]
        alerts = []
        for row, status in zip(outside, statuses, strict=False):
            handled = status != CrossTerritoryAlert.Status.OPEN
            alerts.append(
                CrossTerritoryAlert(
                    brand=self.brand,
                    account=row.account,
                    sell_through=row,
                    division_id=row.customer_division_id,
                    status=status,
                    note={"confirmed": "已核实，扣减当季返利", "dismissed": "客户为连锁总部统一采购，已报备"}.get(
                        status, ""
                    ),
                    handled_at=self.now - timedelta(days=1) if handled else None,
                )
            )
        CrossTerritoryAlert.objects.bulk_create(alerts)
        for n, row in enumerate(rows):
            month_start = timezone.make_aware(datetime.combine(row.period, datetime.min.time()))
            row.created_at = min(month_start + timedelta(days=27, hours=n % 9), self.now - timedelta(hours=2))
        SellThrough.objects.bulk_update(rows, ["created_at"], batch_size=1000)
        for alert in alerts:
            alert.created_at = alert.sell_through.created_at
        CrossTerritoryAlert.objects.bulk_update(alerts, ["created_at"])
        reported = rng.sample(self.main, min(8, len(self.main)))
        monday = today - timedelta(days=today.weekday())
        StockReport.objects.bulk_create(
            [
                StockReport(
                    brand=self.brand,
                    account=home,
                    as_of=monday - timedelta(weeks=week),
                    product=product,
                    qty=rng.randint(0, 40) * max(product.min_order_qty // 2, 1),
                    source=rng.choice(["phone", "excel"]),
                    reported_by=user,
                )
                for week in range(6)
                for product in reported
            ]
        )

    def _territory(self, buyer: pricing.Buyer) -> set[str]:
        """The division codes the buyer's territory names, its sales regions' members included."""
        codes = set(buyer.territory_divisions)
        if buyer.territory_sales_regions:
            rows = SalesRegionDivision.objects.filter(sales_region_id__in=buyer.territory_sales_regions)
            codes |= set(rows.values_list("division_id", flat=True))
        return codes

    def _counties_in(self, buyer: pricing.Buyer) -> list[str]:
        territory = self._territory(buyer)
        inside = [code for code, *parents in self.counties if territory & {code, *parents}]
        return inside or [buyer.home_division]

    def _county_outside(self, buyer: pricing.Buyer) -> str:
        """A county outside the territory, in a neighbouring province of east or central China if any."""
        territory = self._territory(buyer)
        outside = [c for c in self.counties if not territory & set(c)]
        near = [c for c in outside if c[2] in ("330000", "340000", "410000", "360000")]
        return self.rng.choice(near or outside)[0]


def _backdated(model, rows: list) -> None:
    """Insert ``rows`` keeping their ``created_at`` (``auto_now_add`` would write the present)."""
    when = [row.created_at for row in rows]
    model.objects.bulk_create(rows, batch_size=1000)
    for row, at in zip(rows, when, strict=True):
        row.created_at = at
    model.objects.bulk_update(rows, ["created_at"], batch_size=1000)


def _entry(credit: CreditAccount, kind: str, amount: Decimal, reference: str, at: datetime, note="") -> CreditEntry:
    entry = CreditEntry(
        brand_id=credit.brand_id, credit_account=credit, kind=kind, amount=amount, reference=reference, note=note
    )
    entry.created_at = at
    return entry


def _month(today: date, back: int) -> date:
    year, month = today.year, today.month - back
    while month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1)


_names: dict[str, str] = {}


def _division_names() -> dict[str, str]:
    if not _names:
        _names.update(Division.objects.values_list("code", "name"))
    return _names
