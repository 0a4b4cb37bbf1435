"""The price engine: for one buyer, some lines and a moment, what may be sold and at what price, and why.

One function answers every caller (catalogue page, order form, ``quote`` and ``explain`` in the
API), so they cannot disagree. It works on an in-memory snapshot of the brand's catalogue
(:class:`PriceBook`), kept per catalogue version: a quote reads one row to learn the version and
then computes in memory (budgets used are read live when a promotion with a cap applies).

Rules, in the order the trace shows them:
1. **Authorization** per area of the buyer's territory: the rule on the most specific region wins
   (county > prefecture > province > sales region > national), then the most specific item (the
   product > a deeper category > a shallower one), then the higher priority, then forbid over
   allow. A product is sold to the buyer if at least one territory area allows it; none: refused.
2. **List price** from the price lists that reach the buyer at that moment: distributor agreement >
   region + grade > region > grade > base; among region lists county > prefecture > province >
   sales region > national; then the higher priority; then the newer list. Within the winning list
   the quantity break with the largest ``min_qty`` not above the quantity applies; a list with no
   break low enough loses to the next one.
3. **Promotions** that reach the buyer, the product and the moment, with budget left: either the
   best single exclusive promotion or all stackable ones in ``sequence`` order, whichever leaves
   the buyer the lower amount (ties: more gift units, then stackable), decided for each group of
   lines that share promotions. Threshold discounts (满减) look at the amount of all the quote's
   lines the promotion covers and are spread over them by amount. A catalogue page prices each
   product as if ordered alone.

Rounding (ROUND_HALF_UP): unit prices to 4 places, amounts to the fen (2 places).
"""

import threading
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from channelhub.catalog.models import (
    Authorization,
    Category,
    PriceItem,
    PriceList,
    Product,
    Promotion,
)
from channelhub.core import sql
from channelhub.regions.models import SalesRegionDivision

UNIT = Decimal("0.0001")
FEN = Decimal("0.01")
ZERO = Decimal("0")
ZERO_AMOUNT = Decimal("0.00")

# region specificity: the higher, the more specific
NATIONAL, SALES_REGION, PROVINCE, PREFECTURE, COUNTY = range(5)
REGION_WORDS = {NATIONAL: "全国", SALES_REGION: "大区", PROVINCE: "省", PREFECTURE: "地市", COUNTY: "区县"}
KIND_RANK = {
    PriceList.Kind.DISTRIBUTOR: 5,
    PriceList.Kind.REGION_GRADE: 4,
    PriceList.Kind.REGION: 3,
    PriceList.Kind.GRADE: 2,
    PriceList.Kind.BASE: 1,
}


def unit_price(value: Decimal) -> Decimal:
    return value.quantize(UNIT, rounding=ROUND_HALF_UP)


def amount(value: Decimal) -> Decimal:
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


def division_level(code: str) -> int:
    if code.endswith("0000"):
        return PROVINCE
    return PREFECTURE if code.endswith("00") else COUNTY


def division_chain(code: str) -> list[str]:
    """The division and the ones containing it, most specific first (GB/T 2260 codes carry them)."""
    chain = [code]
    if division_level(code) == COUNTY:
        chain.append(code[:4] + "00")
    if division_level(code) != PROVINCE:
        chain.append(code[:2] + "0000")
    return chain


@dataclass(frozen=True)
class Buyer:
    """Who is buying: a brand's distributor account as the price engine needs it.

    ``home_division`` (the registered county) decides region prices and promotions; the
    ``territory`` (division codes and sales region ids) decides what may be sold.
    """

    brand_id: int
    distributor_id: int | None
    grade: str
    home_division: str
    territory_divisions: tuple[str, ...] = ()
    territory_sales_regions: tuple[int, ...] = ()

    @classmethod
    def of_account(cls, account) -> "Buyer":
        """A partners ``DistributorAccount`` (territory prefetched or read here) as the engine sees it."""
        territory = list(account.territory.all())
        return cls(
            brand_id=account.brand_id,
            distributor_id=account.id,
            grade=account.grade,
            home_division=account.registered_division_id,
            territory_divisions=tuple(t.division_id for t in territory if t.division_id),
            territory_sales_regions=tuple(t.sales_region_id for t in territory if t.sales_region_id),
        )


@dataclass(frozen=True)
class Line:
    sku: str
    qty: int


@dataclass
class Considered:
    """One rule the engine looked at for a line, and what became of it."""

    stage: str  # authorization | price | promotion
    rule: str
    outcome: str  # won | lost | applied | skipped
    why: str

    def as_dict(self) -> dict[str, str]:
        return {"stage": self.stage, "rule": self.rule, "outcome": self.outcome, "why": self.why}


@dataclass
class QuotedLine:
    sku: str
    qty: int
    ok: bool = False
    reason: str = ""  # why the line cannot be sold, in words
    code: str = ""  # unknown_sku | not_authorized | bad_quantity | no_price | inactive
    product_id: int | None = None
    name: str = ""
    unit: str = ""
    tax_category: str = ""
    list_price: Decimal | None = None
    price_rule: str = ""
    price_list_id: int | None = None
    promotions: list[dict[str, Any]] = field(default_factory=list)  # applied, in order
    unit_price: Decimal | None = None
    amount: Decimal | None = None
    list_amount: Decimal | None = None
    gifts: list[dict[str, Any]] = field(default_factory=list)
    trace: list[Considered] = field(default_factory=list)


@dataclass
class Quote:
    at: datetime
    version: int
    lines: list[QuotedLine]
    book: "PriceBook | None" = field(default=None, repr=False, compare=False)  # the snapshot it came from

    @property
    def ok(self) -> bool:
        return all(line.ok for line in self.lines)

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines if line.ok), ZERO_AMOUNT)

    @property
    def list_total(self) -> Decimal:
        return sum((line.list_amount for line in self.lines if line.ok), ZERO_AMOUNT)


# --- the snapshot -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rule:
    id: int
    allow: bool
    priority: int
    region: int  # specificity of its region
    division: str | None
    sales_region: int | None
    note: str


@dataclass(frozen=True)
class _List:
    id: int
    code: str
    name: str
    kind: str
    grade: str
    distributor_id: int | None
    division: str | None
    sales_region: int | None
    valid_from: datetime | None
    valid_to: datetime | None
    priority: int
    active: bool

    @property
    def region(self) -> int:
        if self.division:
            return division_level(self.division)
        return SALES_REGION if self.sales_region else NATIONAL


@dataclass(frozen=True)
class _Targets:
    """A promotion's who and what as sets, built once per snapshot (the JSON lists are lists)."""

    divisions: frozenset[str]
    sales_regions: frozenset[int]
    grades: frozenset[str]
    distributors: frozenset[int]
    products: frozenset[int]
    categories: frozenset[int]

    @classmethod
    def of(cls, promotion: Promotion) -> "_Targets":
        return cls(
            frozenset(promotion.division_codes),
            frozenset(promotion.sales_region_ids),
            frozenset(promotion.grades),
            frozenset(promotion.distributor_ids),
            frozenset(promotion.product_ids),
            frozenset(promotion.category_ids),
        )


def _list_key(pl: "_List") -> tuple:
    """Where a list can reach, for :attr:`PriceBook.lists_by_key` (a superset: validity, status
    and the grade of region + grade lists are checked per quote)."""
    if pl.kind == PriceList.Kind.DISTRIBUTOR:
        return ("distributor", pl.distributor_id)
    if pl.kind == PriceList.Kind.GRADE:
        return ("grade", pl.grade)
    if pl.kind in (PriceList.Kind.REGION, PriceList.Kind.REGION_GRADE):
        if pl.division:
            return ("division", pl.division)
        return ("sales_region", pl.sales_region) if pl.sales_region else ("national",)
    return ("base",)


class PriceBook:
    """Everything the engine reads about one brand's catalogue, as of one version."""

    def __init__(self, brand_id: int, version: int, stamp: str):
        self.brand_id, self.version, self.stamp = brand_id, version, stamp
        self.products: dict[str, Product] = {}
        self.products_by_id: dict[int, Product] = {}
        self.lineage: dict[int, list[int]] = {}  # category id -> ids from the root down
        self.category_names: dict[int, str] = {}
        self.product_rules: dict[int, list[_Rule]] = defaultdict(list)
        self.category_rules: dict[int, list[_Rule]] = defaultdict(list)
        self.lists: dict[int, _List] = {}
        self.items: dict[int, list[tuple[int, int, Decimal]]] = defaultdict(list)  # product -> (list, qty, price)
        self.promotions: list[Promotion] = []
        self.targets: dict[int, _Targets] = {}  # promotion id -> its targets as sets
        self.lists_by_key: dict[tuple, list[_List]] = defaultdict(list)
        self.sales_region_members: dict[int, set[str]] = defaultdict(set)
        self.authorized: OrderedDict[tuple, list[int]] = OrderedDict()  # territory -> product ids (LRU)
        self.reaching: OrderedDict[tuple, list[Promotion]] = OrderedDict()  # buyer -> promotions (LRU)

    def load(self) -> "PriceBook":
        brand = self.brand_id
        for category in Category.objects.filter(brand_id=brand).only("id", "name", "path"):
            self.lineage[category.id] = category.lineage
            self.category_names[category.id] = category.name
        for product in Product.objects.filter(brand_id=brand).defer("custom_fields", "created_at", "updated_at"):
            self.products[product.sku] = product
            self.products_by_id[product.id] = product
        for a in Authorization.objects.filter(brand_id=brand).values(
            "id", "product_id", "category_id", "allow", "priority", "division_id", "sales_region_id", "note"
        ):
            region = (
                division_level(a["division_id"])
                if a["division_id"]
                else (SALES_REGION if a["sales_region_id"] else NATIONAL)
            )
            rule = _Rule(a["id"], a["allow"], a["priority"], region, a["division_id"], a["sales_region_id"], a["note"])
            (self.product_rules[a["product_id"]] if a["product_id"] else self.category_rules[a["category_id"]]).append(
                rule
            )
        for pl in PriceList.objects.filter(brand_id=brand).values():
            self.lists[pl["id"]] = _List(
                pl["id"],
                pl["code"],
                pl["name"],
                pl["kind"],
                pl["grade"],
                pl["distributor_id"],
                pl["division_id"],
                pl["sales_region_id"],
                pl["valid_from"],
                pl["valid_to"],
                pl["priority"],
                pl["status"] == PriceList.Status.ACTIVE,
            )
        rows = PriceItem.objects.filter(brand_id=brand).values_list(
            "product_id", "price_list_id", "min_qty", "unit_price"
        )
        for product_id, list_id, min_qty, price in rows.iterator(chunk_size=5000):
            self.items[product_id].append((list_id, min_qty, price))
        self.promotions = list(
            Promotion.objects.filter(brand_id=brand, status=Promotion.Status.ACTIVE).order_by("sequence", "id")
        )
        self.targets = {p.id: _Targets.of(p) for p in self.promotions}
        for pl in self.lists.values():
            self.lists_by_key[_list_key(pl)].append(pl)
        for sales_region_id, code in SalesRegionDivision.objects.filter(brand_id=brand).values_list(
            "sales_region_id", "division_id"
        ):
            self.sales_region_members[sales_region_id].add(code)
        return self


_books: dict[int, PriceBook] = {}
_books_lock = threading.Lock()


def current_version(brand_id: int) -> tuple[int, str]:
    """The brand's catalogue version and the stamp that names it (new on every change).

    Every quote asks, so it is one plain statement: the ORM's query building cost more than the
    read. The stamp is only compared with itself, in whatever form the database gives it."""
    with sql.cursor() as cursor:
        cursor.execute("SELECT version, stamp FROM catalog_catalogversion WHERE brand_id = %s", [brand_id])
        row = cursor.fetchone()
    return (row[0], str(row[1])) if row else (0, "")


def book_for(brand_id: int) -> PriceBook:
    """The brand's snapshot as of its current catalogue version (loaded again after any change)."""
    version, stamp = current_version(brand_id)
    if not stamp:  # nothing written through the services yet (or not visible): never from the cache
        return PriceBook(brand_id, version, stamp).load()
    book = _books.get(brand_id)
    if book is not None and book.stamp == stamp:
        return book
    with _books_lock:
        book = _books.get(brand_id)
        if book is not None and book.stamp == stamp:
            return book
        with transaction.atomic():  # one snapshot: reloaded if a write committed while loading
            for _ in range(3):
                book = PriceBook(brand_id, version, stamp).load()
                if current_version(brand_id) == (version, stamp):
                    break
                version, stamp = current_version(brand_id)
        _books[brand_id] = book
        return book


# --- the engine -------------------------------------------------------------------------------

AUTHORIZED_CACHE = 512  # territories whose authorized product lists a snapshot keeps


def quote(buyer: Buyer, lines: list[Line], *, at: datetime | None = None) -> Quote:
    """Price ``lines`` for ``buyer`` at ``at`` (now): every line priced or refused with a reason."""
    at = at or timezone.now()
    book = book_for(buyer.brand_id)
    context = _Context(book, buyer, at)
    quoted = [context.line(line) for line in lines]
    context.promote(quoted)
    return Quote(at=at, version=book.version, lines=quoted, book=book)


@dataclass
class CataloguePage:
    total: int
    lines: list[QuotedLine]


def catalogue(
    buyer: Buyer,
    *,
    q: str = "",
    category_id: int | None = None,
    offset: int = 0,
    limit: int = 50,
    at: datetime | None = None,
) -> CataloguePage:
    """The products the buyer may order (authorized, on sale), in SKU order, one page priced at
    each product's minimum order quantity by the same engine as :func:`quote`."""
    at = at or timezone.now()
    book = book_for(buyer.brand_id)
    context = _Context(book, buyer, at)
    ids = context.authorized_ids()
    query = q.strip().lower()
    if query or category_id is not None:
        ids = [i for i in ids if _matches(book, book.products_by_id[i], query, category_id)]
    page = ids[offset : offset + limit]
    lines = [context.line(Line(book.products_by_id[i].sku, book.products_by_id[i].min_order_qty)) for i in page]
    context.budgets(context.buyer_promotions())  # one read of the budgets left for the whole page
    for line in lines:  # each as if ordered alone: a listed price must not depend on its neighbours
        context.promote([line])
    return CataloguePage(total=len(ids), lines=lines)


def price_sheet(buyer: Buyer, *, at: datetime | None = None) -> list[QuotedLine]:
    """Every product the buyer may order, priced at its minimum order quantity (promotions left
    out: they depend on the order), in SKU order: what a distributor's price sheet lists."""
    at = at or timezone.now()
    book = book_for(buyer.brand_id)
    context = _Context(book, buyer, at)
    lines = []
    for product_id in context.authorized_ids():
        product = book.products_by_id[product_id]
        out = QuotedLine(sku=product.sku, qty=product.min_order_qty, product_id=product.id, name=product.name)
        out.unit, out.tax_category = product.unit, product.tax_category
        if context.list_price(product, product.min_order_qty, out):
            out.ok, out.unit_price = True, out.list_price
            out.list_amount = out.amount = amount(out.list_price * product.min_order_qty)
        else:
            out.code, out.reason = "no_price", f"no price list in force prices {product.sku} for this distributor"
        lines.append(out)
    return lines


def _matches(book: PriceBook, product: Product, query: str, category_id: int | None) -> bool:
    if category_id is not None and category_id not in book.lineage.get(product.category_id, ()):
        return False
    if not query:
        return True
    return query in product.sku.lower() or query in product.name.lower() or query == product.barcode


class _Context:
    """What stays the same across the lines of one quote: the buyer's regions, lists, promotions."""

    def __init__(self, book: PriceBook, buyer: Buyer, at: datetime):
        self.book, self.buyer, self.at = book, buyer, at
        self.home = division_chain(buyer.home_division) if buyer.home_division else []
        home_set = set(self.home)
        self.home_sales_regions = {sr for sr, members in book.sales_region_members.items() if members & home_set}
        self.areas = self._areas()
        keys = [("base",), ("grade", buyer.grade), ("national",), ("distributor", buyer.distributor_id)]
        keys += [("division", code) for code in self.home]
        keys += [("sales_region", sr) for sr in self.home_sales_regions]
        candidates = (pl for key in keys for pl in book.lists_by_key.get(key, ()))
        meant = [pl for pl in candidates if self._meant_for_buyer(pl)]
        self.dormant = {pl.id: self._why_not_in_force(pl) for pl in meant if self._why_not_in_force(pl)}
        self.lists = sorted(
            (pl for pl in meant if pl.id not in self.dormant),
            key=lambda pl: (KIND_RANK[pl.kind], pl.region, pl.priority, pl.id),
            reverse=True,
        )
        self.rank = {pl.id: position for position, pl in enumerate(self.lists)}
        self._buyer_promotions: list[Promotion] | None = None
        self._budgets: dict[int, tuple[Decimal | None, int | None]] = {}

    # -- territory and authorization

    def _areas(self) -> list[tuple[str, set[str], set[int]]]:
        """Each territory area as (label, division codes it lies in, sales regions it lies in)."""
        areas = []
        codes = self.buyer.territory_divisions
        if not codes and not self.buyer.territory_sales_regions and self.buyer.home_division:
            codes = (self.buyer.home_division,)  # no territory recorded: the registered county
        for code in codes:
            chain = set(division_chain(code))
            regions = {sr for sr, members in self.book.sales_region_members.items() if members & chain}
            areas.append((code, chain, regions))
        for sales_region in self.buyer.territory_sales_regions:
            areas.append((f"sales-region:{sales_region}", set(), {sales_region}))
        return areas

    def authorized_ids(self) -> list[int]:
        """Ids of the products on sale that the buyer's territory may sell, in SKU order (kept
        per territory in the snapshot)."""
        book = self.book
        key = tuple((label, frozenset(chain), frozenset(regions)) for label, chain, regions in self.areas)
        if key in book.authorized:
            book.authorized.move_to_end(key)
            return book.authorized[key]
        # Without a rule of its own a product is sold where its category is: decided once per category.
        by_category: dict[int, bool] = {}
        ids = []
        for _, product in sorted(book.products.items()):
            if product.status != Product.Status.ACTIVE:
                continue
            if book.product_rules.get(product.id):
                allowed = self.authorize(product, None)
            elif product.category_id in by_category:
                allowed = by_category[product.category_id]
            else:
                allowed = by_category[product.category_id] = self.authorize(product, None)
            if allowed:
                ids.append(product.id)
        book.authorized[key] = ids
        if len(book.authorized) > AUTHORIZED_CACHE:
            book.authorized.popitem(last=False)
        return ids

    def authorize(self, product: Product, out: QuotedLine | None) -> bool:
        """Whether the product may be sold to the buyer; ``out`` (if given) gets the trace."""
        candidates = [(rule, 10_000, "product") for rule in self.book.product_rules.get(product.id, ())]
        lineage = self.book.lineage.get(product.category_id, [])
        for depth, category_id in enumerate(lineage):
            name = self.book.category_names.get(category_id, "")
            candidates += [(rule, depth, f"category {name}") for rule in self.book.category_rules.get(category_id, ())]
        allowed = False
        for label, chain, regions in self.areas:
            matching = [
                (rule, item_rank, item)
                for rule, item_rank, item in candidates
                if (
                    rule.division in chain
                    if rule.division
                    else (rule.sales_region in regions if rule.sales_region else True)
                )
            ]
            if not matching:
                if out is not None:
                    why = "no rule covers this area: not authorized"
                    out.trace.append(Considered("authorization", f"area {label}", "lost", why))
                continue
            matching.sort(key=lambda m: (m[0].region, m[1], m[0].priority, not m[0].allow), reverse=True)
            winner = matching[0][0]
            allowed = allowed or winner.allow
            if out is None:
                continue
            for rule, _, item in matching:
                verdict = "allows" if rule.allow else "forbids"
                where = REGION_WORDS[rule.region]
                text = f"rule #{rule.id}: {item} {verdict} in {rule.division or rule.sales_region or '全国'} ({where})"
                if rule is winner:
                    out.trace.append(Considered("authorization", text, "won", f"most specific rule for area {label}"))
                else:
                    out.trace.append(Considered("authorization", text, "lost", "a more specific rule applies"))
        return allowed

    # -- list price

    def _why_not_in_force(self, pl: _List) -> str:
        """Why a list meant for the buyer does not price now ("" when it does)."""
        if not pl.active:
            return "the list is inactive"
        if pl.valid_from and pl.valid_from > self.at:
            return f"not yet valid: valid from {pl.valid_from.isoformat()}"
        if pl.valid_to and pl.valid_to <= self.at:
            return f"expired: valid until {pl.valid_to.isoformat()}"
        return ""

    def _meant_for_buyer(self, pl: _List) -> bool:
        buyer = self.buyer
        if pl.kind == PriceList.Kind.DISTRIBUTOR:
            return pl.distributor_id is not None and pl.distributor_id == buyer.distributor_id
        if pl.kind == PriceList.Kind.GRADE:
            return pl.grade == buyer.grade
        if pl.kind in (PriceList.Kind.REGION, PriceList.Kind.REGION_GRADE):
            if pl.kind == PriceList.Kind.REGION_GRADE and pl.grade != buyer.grade:
                return False
            if pl.division:
                return pl.division in self.home
            return pl.sales_region in self.home_sales_regions if pl.sales_region else True
        return True  # base

    def list_price(self, product: Product, qty: int, out: QuotedLine) -> bool:
        by_list: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
        dormant = set()
        for list_id, min_qty, price in self.book.items.get(product.id, ()):
            if list_id in self.rank:
                by_list[list_id].append((min_qty, price))
            elif list_id in self.dormant:
                dormant.add(list_id)
        for list_id in sorted(dormant):
            pl = self.book.lists[list_id]
            label = f"price list {pl.code} ({pl.name}, {pl.kind}, priority {pl.priority})"
            out.trace.append(Considered("price", label, "skipped", self.dormant[list_id]))
        won = False
        for pl in sorted((self.book.lists[i] for i in by_list), key=lambda p: self.rank[p.id]):
            breaks = sorted(by_list[pl.id], reverse=True)
            label = f"price list {pl.code} ({pl.name}, {pl.kind}, priority {pl.priority})"
            usable = next(((q, p) for q, p in breaks if q <= qty), None)
            if won:
                out.trace.append(Considered("price", label, "lost", "a list with higher precedence priced it"))
            elif usable is None:
                lowest = breaks[-1][0]
                out.trace.append(Considered("price", label, "lost", f"its prices start at quantity {lowest}"))
            else:
                min_qty, price = usable
                out.list_price, out.price_list_id = unit_price(price), pl.id
                out.price_rule = f"{pl.code} ≥{min_qty}" if min_qty > 1 else pl.code
                out.trace.append(Considered("price", label, "won", f"{price} from quantity {min_qty}"))
                won = True
        return won

    def line(self, line: Line) -> QuotedLine:
        out = QuotedLine(sku=line.sku, qty=line.qty)
        product = self.book.products.get(line.sku)
        if product is None:
            out.code, out.reason = "unknown_sku", f"unknown SKU {line.sku!r}"
            return out
        out.product_id, out.name, out.unit, out.tax_category = (
            product.id,
            product.name,
            product.unit,
            product.tax_category,
        )
        if product.status != Product.Status.ACTIVE:
            out.code, out.reason = "inactive", f"{line.sku} is not on sale ({product.status})"
            return out
        if not isinstance(line.qty, int) or line.qty <= 0 or line.qty % product.pack_size:
            out.code = "bad_quantity"
            out.reason = f"quantity must be a positive multiple of the pack size {product.pack_size}"
            return out
        if line.qty < product.min_order_qty:
            out.code, out.reason = "bad_quantity", f"the minimum order quantity is {product.min_order_qty}"
            return out
        if not self.authorize(product, out):
            out.code, out.reason = "not_authorized", f"{line.sku} is not authorized for this distributor's territory"
            return out
        if not self.list_price(product, line.qty, out):
            out.code, out.reason = "no_price", f"no price list in force prices {line.sku} for this distributor"
            return out
        out.ok = True
        out.unit_price = out.list_price
        out.list_amount = out.amount = amount(out.list_price * line.qty)
        return out

    # -- promotions

    def _reaches_buyer(self, promotion: Promotion) -> bool:
        """Grade, distributor and region: the same for every quote of the buyer."""
        buyer, targets = self.buyer, self.book.targets[promotion.id]
        if targets.grades and buyer.grade not in targets.grades:
            return False
        if targets.distributors and buyer.distributor_id not in targets.distributors:
            return False
        if targets.divisions or targets.sales_regions:
            in_division = not targets.divisions.isdisjoint(self.home)
            in_region = not targets.sales_regions.isdisjoint(self.home_sales_regions)
            if not (in_division or in_region):
                return False
        return True

    def buyer_promotions(self) -> list[Promotion]:
        """The promotions that reach the buyer at the moment (any product), in sequence order."""
        if self._buyer_promotions is None:
            book, buyer = self.book, self.buyer
            key = (buyer.grade, buyer.distributor_id, tuple(self.home), frozenset(self.home_sales_regions))
            if key in book.reaching:
                book.reaching.move_to_end(key)
            else:
                book.reaching[key] = [p for p in book.promotions if self._reaches_buyer(p)]
                if len(book.reaching) > AUTHORIZED_CACHE:
                    book.reaching.popitem(last=False)
            self._buyer_promotions = [p for p in book.reaching[key] if p.starts_at <= self.at < p.ends_at]
        return self._buyer_promotions

    def promotions_for(self, product: Product) -> list[Promotion]:
        """The promotions that reach the buyer, the product and the moment, in sequence order."""
        lineage = self.book.lineage.get(product.category_id, ())
        reaching = []
        for promotion in self.buyer_promotions():
            targets = self.book.targets[promotion.id]
            targeted = targets.products or targets.categories
            if targeted and product.id not in targets.products and targets.categories.isdisjoint(lineage):
                continue
            reaching.append(promotion)
        return reaching

    def budgets(self, promotions: list[Promotion]) -> dict[int, tuple[Decimal | None, int | None]]:
        """What capped promotions may still give, read once per quote (one query)."""
        capped = [p for p in promotions if p.budget_amount is not None or p.budget_quantity is not None]
        missing = [p for p in capped if p.id not in self._budgets]
        if missing:
            self._budgets.update(_budgets_left(missing))
        return {p.id: self._budgets[p.id] for p in capped if p.id in self._budgets}

    def promote(self, lines: list[QuotedLine]) -> None:
        """Apply promotions to the priced lines (see the module docstring for how they combine).

        Lines that share no promotion are decided apart: an exclusive promotion on one line never
        costs another line its own discount."""
        priced = [line for line in lines if line.ok]
        if not priced or not self.book.promotions:
            return
        reach: dict[int, list[Promotion]] = {}
        covered: dict[int, list[QuotedLine]] = defaultdict(list)  # promotion id -> its lines, in order
        for line in priced:
            reach[id(line)] = self.promotions_for(self.book.products_by_id[line.product_id])
            for promotion in reach[id(line)]:
                covered[promotion.id].append(line)
        left = self.budgets([p for ps in reach.values() for p in ps])
        for group in _groups(priced, reach):
            self._promote_group(group, reach, covered, left)

    def _promote_group(self, group: list[QuotedLine], reach, covered, left) -> None:
        reached = {p.id for line in group for p in reach[id(line)]}
        relevant = {p.id: p for p in self.book.promotions if p.id in reached}  # catalogue order, not line order
        exhausted = {
            pid
            for pid, (money, units) in left.items()
            if pid in relevant and ((money is not None and money <= 0) or (units is not None and units <= 0))
        }
        options = [("stackable", [p for p in relevant.values() if p.stackable and p.id not in exhausted])]
        options += [
            (f"exclusive {p.code}", [p]) for p in relevant.values() if not p.stackable and p.id not in exhausted
        ]
        best = None
        list_amounts = {id(line): line.list_amount for line in group}
        for label, chosen in options:  # the larger saving, then more gift units, then stackable
            result = _apply(chosen, list_amounts, covered, left)
            saving = sum((list_amounts[key] - r["amount"] for key, r in result.items()), ZERO)
            gifts = sum(g["qty"] for r in result.values() for g in r["gifts"])
            if best is None or (-saving, -gifts) < best[1]:
                best = (label, (-saving, -gifts), result, chosen)
        label, _, result, chosen = best
        chosen_ids = {p.id for p in chosen}
        for line in group:
            outcome = result[id(line)]
            for promotion in reach[id(line)]:
                if promotion.id in exhausted:
                    why = "its budget is used up"
                    line.trace.append(Considered("promotion", _promo_label(promotion), "skipped", why))
                elif promotion.id not in chosen_ids:
                    why = (
                        "another combination leaves the buyer a lower amount"
                        if not promotion.stackable
                        else "an exclusive promotion gives more"
                    )
                    line.trace.append(Considered("promotion", _promo_label(promotion), "lost", why))
            for applied in outcome["applied"]:
                line.trace.append(Considered("promotion", applied["label"], "applied", applied["why"]))
            line.promotions = [{k: v for k, v in a.items() if k != "label"} for a in outcome["applied"]]
            line.gifts = outcome["gifts"]
            line.amount = outcome["amount"]
            line.unit_price = unit_price(line.amount / line.qty)


def _groups(lines: list[QuotedLine], reach) -> list[list[QuotedLine]]:
    """The lines joined by the promotions they share (each group decided on its own), in order."""
    group_of: dict[int, int] = {}  # promotion id -> group number
    groups: list[list[QuotedLine]] = []
    for line in lines:
        joined = sorted({group_of[p.id] for p in reach[id(line)] if p.id in group_of})
        if not joined:
            groups.append([line])
            number = len(groups) - 1
        else:
            number = joined[0]
            for other in joined[1:]:  # this line links groups that were apart until now
                groups[number].extend(groups[other])
                groups[other] = []
                for pid, n in group_of.items():
                    if n == other:
                        group_of[pid] = number
            groups[number].append(line)
        for promotion in reach[id(line)]:
            group_of[promotion.id] = number
    order = {id(line): index for index, line in enumerate(lines)}
    return [sorted(g, key=lambda line: order[id(line)]) for g in groups if g]


def _promo_label(promotion: Promotion) -> str:
    kind = "stackable" if promotion.stackable else "exclusive"
    return f"promotion {promotion.code} ({promotion.name}, {promotion.mechanic}, {kind}, sequence {promotion.sequence})"


def _budgets_left(promotions: list[Promotion]) -> dict[int, tuple[Decimal | None, int | None]]:
    """Money and units each capped promotion may still give (read live: orders use them up)."""
    if not promotions:
        return {}
    caps = {p.id: p for p in promotions}
    used = sql.fetch(  # every quote with a capped promotion asks: no ORM query building
        Promotion,
        ["id", "used_amount", "used_quantity"],
        f"SELECT id, used_amount, used_quantity FROM catalog_promotion WHERE id IN ({sql.marks(caps)})",  # noqa: S608 - placeholders only
        list(caps),
    )
    return {
        row.id: (
            caps[row.id].budget_amount - row.used_amount if caps[row.id].budget_amount is not None else None,
            caps[row.id].budget_quantity - row.used_quantity if caps[row.id].budget_quantity is not None else None,
        )
        for row in used
    }


class _Outcomes(dict):
    """Each line's outcome by ``id(line)``; made on first use, so that an option costs the lines
    its promotions cover, not the whole quote (a line left alone keeps its list amount)."""

    def __init__(self, list_amounts: dict[int, Decimal]):
        super().__init__()
        self.list_amounts = list_amounts

    def __missing__(self, key: int) -> dict:
        outcome = self[key] = {"amount": self.list_amounts[key], "applied": [], "gifts": []}
        return outcome


def _apply(chosen: list[Promotion], list_amounts: dict[int, Decimal], covered_by, left) -> dict[int, dict]:
    """Each line's amount after ``chosen`` promotions (in sequence order), within budgets."""
    result = _Outcomes(list_amounts)
    budget = {pid: list(values) for pid, values in left.items()}
    for promotion in sorted(chosen, key=lambda p: (p.sequence, p.id)):
        covered = covered_by.get(promotion.id, [])
        if not covered:
            continue
        params = promotion.params or {}
        mechanic = promotion.mechanic
        if mechanic == Promotion.Mechanic.THRESHOLD:
            base = sum((result[id(line)]["amount"] for line in covered), ZERO)
            tiers = sorted(
                ((Decimal(str(t["min_amount"])), Decimal(str(t["off"]))) for t in params.get("tiers", [])), reverse=True
            )
            reached = next(((m, off) for m, off in tiers if base >= m), None)
            if reached is None:
                continue
            off = _within_money(promotion, amount(min(reached[1], base)), budget)
            if off <= 0:
                continue
            _spread(off, covered, result, promotion, f"满 {reached[0]} 减 {reached[1]} on {base}")
            continue
        for line in covered:
            now = result[id(line)]["amount"]
            per_unit = now / line.qty
            if mechanic == Promotion.Mechanic.PERCENT_OFF:
                off = amount(now * Decimal(str(params.get("percent", "0"))) / 100)
                why = f"{params.get('percent')}% off"
            elif mechanic == Promotion.Mechanic.AMOUNT_OFF:
                off = min(now, amount(Decimal(str(params.get("amount", "0"))) * line.qty))
                why = f"{params.get('amount')} off each unit"
            elif mechanic == Promotion.Mechanic.SPECIAL_PRICE:
                special = Decimal(str(params.get("price", "0")))
                off = amount(max(ZERO, (per_unit - special) * line.qty))
                why = f"special price {special}"
            elif mechanic == Promotion.Mechanic.BUY_X_GET_Y:
                buy, get = int(params.get("buy", 0)), int(params.get("get", 0))
                free = (line.qty // buy) * get if buy > 0 else 0
                free = _within_units(promotion, free, budget)
                if free > 0:
                    gift_sku = params.get("gift_sku") or line.sku
                    result[id(line)]["gifts"].append({"sku": gift_sku, "qty": free, "promotion": promotion.code})
                    result[id(line)]["applied"].append(
                        {
                            "code": promotion.code,
                            "label": _promo_label(promotion),
                            "off": "0.00",
                            "why": f"buy {buy} get {get} free: {free} × {gift_sku}",
                        }
                    )
                continue
            else:
                continue
            if promotion.budget_quantity is not None:  # the unit cap may reach only part of the line
                off = amount(off * _within_units(promotion, line.qty, budget) / line.qty)
            off = _within_money(promotion, off, budget)
            if off <= 0:
                continue
            result[id(line)]["amount"] = now - off
            result[id(line)]["applied"].append(
                {"code": promotion.code, "label": _promo_label(promotion), "off": str(off), "why": why}
            )
    return result


def _within_money(promotion: Promotion, off: Decimal, budget) -> Decimal:
    money = budget.get(promotion.id, [None, None])[0]
    if money is None:
        return off
    off = max(ZERO, min(off, money))
    budget[promotion.id][0] = money - off
    return off


def _within_units(promotion: Promotion, units: int, budget) -> int:
    left = budget.get(promotion.id, [None, None])[1]
    if left is None:
        return units
    units = max(0, min(units, left))
    budget[promotion.id][1] = left - units
    return units


def _spread(off: Decimal, covered: list[QuotedLine], result, promotion: Promotion, why: str) -> None:
    """Spread an order-level discount over the lines by amount: each line's share rounded down to
    the fen, the fens left over going to the largest remainders (ties by SKU and quantity, so the
    order of the lines does not matter), never taking a line below zero."""
    base = sum((result[id(line)]["amount"] for line in covered), ZERO)
    exact = {id(line): off * result[id(line)]["amount"] / base for line in covered}
    shares = {key: value.quantize(FEN, rounding=ROUND_DOWN) for key, value in exact.items()}
    left = off - sum(shares.values(), ZERO)
    order = sorted(covered, key=lambda line: (shares[id(line)] - exact[id(line)], line.sku, line.qty))
    while left > 0:
        given = False
        for line in order:
            if left > 0 and shares[id(line)] + FEN <= result[id(line)]["amount"]:
                shares[id(line)] += FEN
                left -= FEN
                given = True
        if not given:
            break
    for line in covered:
        share = shares[id(line)]
        result[id(line)]["amount"] -= share
        result[id(line)]["applied"].append(
            {"code": promotion.code, "label": _promo_label(promotion), "off": str(share), "why": why}
        )
