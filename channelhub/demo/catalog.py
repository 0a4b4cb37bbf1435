"""The demo brands' catalogues: category trees, SKUs, region authorization, price lists, promotions.

Each brand sells its own trade: 清泉饮品 drinks by the case (箱) or bottle (瓶) at 13 % VAT, 佳乐家电
appliances by the unit (台) at 13 %, 绿野农资 fertilizer, seeds and crop protection by the bag (袋)
or bottle at the 9 % rate of agricultural inputs. The hand-written items are each brand's main
range: grade, region and agreement lists and promotions price them. With ``--scale`` the drinks
brand also gets a long tail of regional and channel editions (up to 20,000 SKUs) priced by the
base list alone, which is what a benchmark of the price engine needs.

Rows are inserted in bulk like the distributors, not through the services, so each brand's
catalogue version is raised at the end: the price engine then loads the new snapshot.
"""

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone
from stdnum import ean

from channelhub.catalog.models import Authorization, Category, PriceItem, PriceList, Product, Promotion
from channelhub.catalog.services import bump_version
from channelhub.demo.catalog_plans import PLANS, Item, Plan
from channelhub.partners.models import DistributorAccount
from channelhub.regions.models import SalesRegion
from channelhub.tenancy.models import Brand

MAX_SKUS = 20_000
CENT = Decimal("0.01")
EDITIONS = ["餐饮专供", "电商专供", "商超促销装", "家庭装", "礼盒装", "区域定制", "校园专供", "便利店装"]


@dataclass
class _Built:
    """One brand's rows as they are inserted: categories by code, the main range by leaf, prices."""

    brand: Brand
    plan: Plan
    categories: dict[str, Category]
    main: list[Product]
    tail: list[Product]
    price: dict[str, Decimal]  # SKU -> base unit price

    def leaf(self, code: str) -> list[Product]:
        return [p for p in self.main if p.category_id == self.categories[code].pk]

    def in_leaves(self, leaves: tuple[str, ...]) -> list[Product]:
        ids = {self.categories[code].pk for code in leaves}
        return [p for p in self.main if not ids or p.category_id in ids]


def build_catalogues(
    *, brands: list[Brand], scale: int, seed: int, agreement_account: DistributorAccount | None = None
) -> int:
    """Every brand's catalogue; the drinks brand carries ``scale`` SKUs (its main range at least,
    20,000 at most). ``agreement_account`` gets an agreement price list. Returns the SKU count."""
    rng = random.Random(f"catalog-{seed}")
    now = timezone.now()
    total = 0
    for brand in brands:
        plan = PLANS[brand.code]
        categories = _categories(brand, plan)
        long_tail = max(0, min(scale, MAX_SKUS) - len(plan.items)) if plan.long_tail else 0
        built = _products(rng, brand, plan, categories, long_tail)
        _authorizations(built)
        account = agreement_account if agreement_account and agreement_account.brand_id == brand.id else None
        _price_lists(built, now, account)
        _promotions(built, now)
        bump_version(brand.id)
        total += len(built.main) + len(built.tail)
    return total


def _categories(brand: Brand, plan: Plan) -> dict[str, Category]:
    roots = Category.objects.bulk_create([Category(brand=brand, code=code, name=name) for code, name, _ in plan.tree])
    for root in roots:
        root.path = f"/{root.pk}/"
    leaves = Category.objects.bulk_create(
        [
            Category(brand=brand, parent=root, code=code, name=name)
            for root, (_, _, children) in zip(roots, plan.tree, strict=True)
            for code, name, _ in children
        ]
    )
    for leaf in leaves:
        leaf.path = f"{leaf.parent.path}{leaf.pk}/"
    Category.objects.bulk_update(roots + leaves, ["path"])
    return {c.code: c for c in roots + leaves}


def _products(rng: random.Random, brand: Brand, plan: Plan, categories: dict[str, Category], long_tail: int) -> _Built:
    """The main range, then ``long_tail`` editions of it (channel and regional packs)."""
    part = {leaf: code for _, _, children in plan.tree for leaf, _, code in children}
    rows: list[tuple[Item, str, Decimal]] = [(item, item.name, Decimal(item.price)) for item in plan.items]
    for n in range(long_tail):
        item = plan.items[n % len(plan.items)]
        edition = EDITIONS[(n // len(plan.items)) % len(EDITIONS)]
        batch = n // (len(plan.items) * len(EDITIONS)) + 1
        price = (Decimal(item.price) * rng.randint(95, 112) / 100).quantize(CENT)
        rows.append((item, f"{item.name}（{edition}{batch:03d}）", price))
    products, prices = [], {}
    for serial, (item, name, price) in enumerate(rows, start=1):
        digits = f"{plan.company}{serial:05d}"
        sku = f"{plan.prefix}-{part[item.leaf]}-{serial:05d}"
        products.append(
            Product(
                brand_id=brand.id,
                sku=sku,
                barcode=digits + ean.calc_check_digit(digits),
                name=name,
                category_id=categories[item.leaf].pk,
                unit=item.unit,
                pack_size=item.pack_size,
                min_order_qty=item.min_order_qty,
                tax_category=item.vat,
            )
        )
        prices[sku] = price
    Product.objects.bulk_create(products, batch_size=2000)
    main = len(plan.items)
    return _Built(brand, plan, categories, products[:main], products[main:], prices)


def _authorizations(built: _Built) -> None:
    """National allow on every root category, then the plan's regional bans and allows."""
    brand, plan, categories = built.brand, built.plan, built.categories
    by_name = {p.name: p for p in built.main}
    rules = [Authorization(brand=brand, category=categories[code], note="全国授权") for code, _, _ in plan.tree]
    for target, division, verdict, note in plan.bans:
        item = {"category": categories[target]} if target in categories else {"product": by_name[target]}
        rules.append(Authorization(brand=brand, division_id=division, allow=verdict == "allow", note=note, **item))
    for name, provinces, note in plan.only_in:
        rules.append(Authorization(brand=brand, product=by_name[name], allow=False, note=f"{note}：其他地区不售"))
        rules += [Authorization(brand=brand, product=by_name[name], division_id=p, note=note) for p in provinces]
    Authorization.objects.bulk_create(rules)


def _price_lists(built: _Built, now: datetime, account: DistributorAccount | None) -> None:
    """Base list with quantity breaks, grade lists A/B, region lists, next month's list, agreement."""
    brand, plan, main = built.brand, built.plan, built.main
    local = timezone.localtime(now)
    next_month = (local.replace(day=1, hour=0, minute=0, second=0, microsecond=0) + timedelta(days=32)).replace(day=1)
    sales_regions = {r.code: r for r in SalesRegion.objects.filter(brand=brand)}
    base = PriceList(brand=brand, code="base", name=f"{local.year}年基础价", kind=PriceList.Kind.BASE)
    grade = PriceList.Kind.GRADE
    lists: list[tuple[PriceList, list[Product], str]] = [
        (PriceList(brand=brand, code="grade-a", name="A级经销商价", kind=grade, grade="A"), main, "0.92"),
        (PriceList(brand=brand, code="grade-b", name="B级经销商价", kind=grade, grade="B"), main, "0.96"),
    ]
    for spec in plan.regions:
        kind = PriceList.Kind.REGION_GRADE if spec.grade else PriceList.Kind.REGION
        where = (
            {"sales_region": sales_regions[spec.where]} if spec.where in sales_regions else {"division_id": spec.where}
        )
        price_list = PriceList(brand=brand, code=spec.code, name=spec.name, kind=kind, grade=spec.grade, **where)
        lists.append((price_list, built.in_leaves(spec.leaves), spec.factor))
    if account is not None:
        home = PriceList(
            brand=brand,
            code="region-home",
            name=f"{account.registered_division.name}区县价",
            kind=PriceList.Kind.REGION,
            division_id=account.registered_division_id,
        )
        agreement = PriceList(
            brand=brand,
            code="agreement-a1",
            name=f"协议价 {account.name}",
            kind=PriceList.Kind.DISTRIBUTOR,
            distributor=account,
            priority=10,
        )
        lists += [(home, main[:6], "0.95"), (agreement, main[:12], "0.88")]
    following = PriceList(
        brand=brand,
        code="base-next",
        name=f"{next_month.year}年{next_month.month}月调价",
        kind=PriceList.Kind.BASE,
        valid_from=next_month,
        priority=10,
    )
    lists.append((following, main, "1.05"))
    PriceList.objects.bulk_create([base] + [price_list for price_list, _, _ in lists])
    price = built.price
    items = [
        PriceItem(brand_id=brand.id, price_list_id=base.pk, product_id=p.pk, unit_price=price[p.sku])
        for p in main + built.tail
    ]
    for product in main:
        for min_qty, factor in zip(plan.breaks, ("0.97", "0.94"), strict=True):
            min_qty = math.ceil(min_qty / product.pack_size) * product.pack_size
            unit_price = _times(price[product.sku], factor)
            items.append(
                PriceItem(brand=brand, price_list=base, product=product, min_qty=min_qty, unit_price=unit_price)
            )
    for price_list, products, factor in lists:
        items += [
            PriceItem(brand=brand, price_list=price_list, product=p, unit_price=_times(price[p.sku], factor))
            for p in products
        ]
    PriceItem.objects.bulk_create(items, batch_size=2000)


def _times(price: Decimal, factor: str) -> Decimal:
    return (price * Decimal(factor)).quantize(CENT, rounding=ROUND_HALF_UP)


def _promotions(built: _Built, now: datetime) -> None:
    """The plan's promotions, active from a week ago for 75 days."""
    sales_regions = dict(SalesRegion.objects.filter(brand=built.brand).values_list("code", "id"))
    rows = []
    for spec in built.plan.promotions:
        params = dict(spec.params)
        if spec.gift is not None:
            leaf, position = spec.gift
            params["gift_sku"] = built.leaf(leaf)[position].sku
        product_ids = [built.leaf(leaf)[position].pk for leaf, position in spec.products]
        product_ids += [p.pk for leaf in spec.leaves for p in built.leaf(leaf)]
        rows.append(
            Promotion(
                brand=built.brand,
                code=spec.code,
                name=spec.name,
                mechanic=spec.mechanic,
                params=params,
                status=Promotion.Status.ACTIVE,
                starts_at=now - timedelta(days=7),
                ends_at=now + timedelta(days=75),
                stackable=spec.stackable,
                sequence=spec.sequence,
                sales_region_ids=[sales_regions[code] for code in spec.sales_regions],
                grades=list(spec.grades),
                product_ids=product_ids,
                category_ids=[built.categories[code].pk for code in spec.categories],
                budget_amount=Decimal(spec.budget_amount) if spec.budget_amount else None,
                budget_quantity=spec.budget_quantity,
            )
        )
    Promotion.objects.bulk_create(rows)
