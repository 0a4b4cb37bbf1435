"""The price engine (``channelhub.catalog.pricing``) with a brand-sized catalogue.

Data: the first demo brand (清泉饮品) carries 20,000 SKUs at ``--scale 20000`` with the demo's
base, grade, region and agreement lists and five promotions. This module adds, in bulk, the
region layer the goals are stated for, and removes it again first on every run (codes start
with ``bench-``, authorization notes are ``bench``):

- region authorization over every county (2,845 rules), prefecture and province, on products
  and on categories, allowing and forbidding;
- 20,000 price rules (price items besides the base list): region lists for every province,
  100 prefectures and 400 counties, region + grade lists per sales region, agreement lists of
  24 distributors, some with quantity breaks, some expired or not yet valid;
- promotions up to 200 active ones: every mechanic; national, province, prefecture, county,
  sales-region, grade and distributor targets; products, categories or everything; some
  stackable, some with a money or unit budget.

The buyer is ``distributor_a1``'s account (江苏, grade and territory as the demo made them), whose
home county, prefecture and province all have lists. Engine figures are timed inside one
transaction that has set the brand scope (row-level security on PostgreSQL): the function call
only. ``pricing.api_quote_1_line.p50_ms`` is the whole HTTP request in-process.

Goals: quote of 1 line < 2 ms, of 300 lines < 150 ms, a warm catalogue page of 50 < 50 ms, the
whole price sheet as .xlsx < 3 s.
"""

import random
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connections, transaction
from django.test import Client
from django.utils import timezone

from bench.common import bearer_headers, first_brand_id, latency, percentile, time_calls, timed_ms
from channelhub.catalog import pricing
from channelhub.catalog.models import Authorization, Category, PriceItem, PriceList, Product, Promotion
from channelhub.catalog.services import bump_version
from channelhub.partners.models import DistributorAccount, DistributorUser
from channelhub.regions.models import Division, SalesRegion
from channelhub.tenancy.rls import set_brand_scope

PRICE_RULES = 20_000
ACTIVE_PROMOTIONS = 200
PAGE = 50
MECHANICS = list(Promotion.Mechanic.values)


def run():
    brand_id = first_brand_id()
    with transaction.atomic():
        set_brand_scope([brand_id])
        account = DistributorUser.objects.select_related("account").get(user__username="distributor_a1").account
        buyer = pricing.Buyer.of_account(account)
        data = build_layer(brand_id, account)
    _analyze()
    extra = {"distributor": account.code, **data}
    with transaction.atomic():
        set_brand_scope([brand_id])
        yield from engine_figures(buyer, extra)
    yield from cold_page(buyer, brand_id, extra)
    yield from price_sheet_figures(buyer, brand_id, extra)
    yield api_quote(buyer, account, extra)


# --- the data ---------------------------------------------------------------------------------


def remove_layer(brand_id: int) -> None:
    """Take the bench layer out of the brand's catalogue (other benchmarks measure the demo's)."""
    PriceList.objects.filter(brand_id=brand_id, code__startswith="bench-").delete()
    Promotion.objects.filter(brand_id=brand_id, code__startswith="bench-").delete()
    Authorization.objects.filter(brand_id=brand_id, note="bench").delete()
    bump_version(brand_id)


def build_layer(brand_id: int, account: DistributorAccount) -> dict:
    """Replace the bench layer of the brand's catalogue; returns the catalogue's sizes."""
    rng = random.Random(20_000)
    remove_layer(brand_id)
    products = list(Product.objects.filter(brand_id=brand_id).order_by("id").values_list("id", flat=True))
    categories = list(Category.objects.filter(brand_id=brand_id).values_list("id", "parent_id"))
    leaves = [c for c, parent in categories if parent is not None]
    divisions = list(
        Division.objects.exclude(province_id__in=["710000", "810000", "820000"]).values_list("code", "level")
    )
    by_level = {level: sorted(code for code, lvl in divisions if lvl == level) for level in (1, 2, 3)}
    home = pricing.division_chain(account.registered_division_id)  # county, prefecture, province
    _authorizations(rng, brand_id, products, leaves, by_level, home)
    _price_rules(rng, brand_id, products, by_level, home, account)
    _promotions(rng, brand_id, products, [c for c, _ in categories], by_level, home, account)
    bump_version(brand_id)
    items = PriceItem.objects.filter(brand_id=brand_id)
    return {
        "skus": len(products),
        "price_items": items.count(),
        "price_rules": items.exclude(price_list__code="base").count(),
        "price_lists": PriceList.objects.filter(brand_id=brand_id).count(),
        "authorizations": Authorization.objects.filter(brand_id=brand_id).count(),
        "active_promotions": Promotion.objects.filter(brand_id=brand_id, status="active").count(),
    }


def _authorizations(rng, brand_id, products, leaves, by_level, home) -> None:
    """One rule per county, prefecture and province, a fifth of them on a category. None names the
    buyer's own divisions, so it may still buy the whole range; the category rules still cost it
    time, as every product of their categories is checked against them."""
    rules = []
    for level, codes in by_level.items():
        for code in codes:
            if code in home:
                continue
            on_category = rng.random() < 0.2
            target = {"category_id": rng.choice(leaves)} if on_category else {"product_id": rng.choice(products)}
            allow = rng.random() < (0.33 if level == 3 else 0.8)
            rules.append(Authorization(brand_id=brand_id, division_id=code, allow=allow, note="bench", **target))
    Authorization.objects.bulk_create(rules, batch_size=2000)


def _price_rules(rng, brand_id, products, by_level, home, account) -> None:
    """``PRICE_RULES`` price items over region, region + grade and agreement lists."""
    county, prefecture, province = home
    prefectures = [prefecture, *rng.sample([c for c in by_level[2] if c != prefecture], 99)]
    counties = [county, *rng.sample([c for c in by_level[3] if c != county], 399)]
    regions = list(SalesRegion.objects.filter(brand_id=brand_id).values_list("id", flat=True))
    others = list(
        DistributorAccount.objects.filter(brand_id=brand_id).exclude(pk=account.pk).values_list("id", flat=True)[:2000]
    )
    distributors = [account.id, *rng.sample(others, 23)]
    now = timezone.now()
    specs = []  # (list, rows)
    for n, code in enumerate(by_level[1]):
        specs.append((PriceList(code=f"bench-p{n}", name=f"省级价 {code}", kind="region", division_id=code), 250))
    for n, code in enumerate(prefectures):
        specs.append((PriceList(code=f"bench-c{n}", name=f"地市价 {code}", kind="region", division_id=code), 50))
    for n, code in enumerate(counties):
        specs.append((PriceList(code=f"bench-x{n}", name=f"区县价 {code}", kind="region", division_id=code), 10))
    for n, (region, grade) in enumerate((r, g) for r in regions for g in "AB"):
        kind = "region_grade"
        specs.append(
            (PriceList(code=f"bench-g{n}", name="大区等级价", kind=kind, grade=grade, sales_region_id=region), 150)
        )
    for n, distributor in enumerate(distributors):
        specs.append((PriceList(code=f"bench-d{n}", name="协议价", kind="distributor", distributor_id=distributor), 50))
    lists = [price_list for price_list, _ in specs]
    for n, price_list in enumerate(lists):
        price_list.brand_id = brand_id
        price_list.priority = rng.randint(0, 3)
        if n % 10 == 7:  # expired
            price_list.valid_from, price_list.valid_to = now - timedelta(days=90), now - timedelta(days=30)
        elif n % 10 == 8:  # from next month
            price_list.valid_from = now + timedelta(days=30)
    PriceList.objects.bulk_create(lists, batch_size=1000)
    wanted = sum(rows for _, rows in specs)
    items = []
    for price_list, rows in specs:
        rows = rows if price_list is not lists[-1] else rows + PRICE_RULES - wanted
        chosen = rng.sample(products, rows)
        for index, product in enumerate(chosen):
            price = Decimal(rng.randint(1500, 12000)) / 100
            min_qty = 1 if index % 5 or index + 1 == len(chosen) else rng.choice((50, 100, 500))
            items.append(
                PriceItem(
                    brand_id=brand_id, price_list=price_list, product_id=product, min_qty=min_qty, unit_price=price
                )
            )
    PriceItem.objects.bulk_create(items, batch_size=2000)


def _promotions(rng, brand_id, products, categories, by_level, home, account) -> None:
    """Promotions until the brand has ``ACTIVE_PROMOTIONS`` active ones, mixed mechanics and targets."""
    existing = Promotion.objects.filter(brand_id=brand_id, status=Promotion.Status.ACTIVE).count()
    regions = list(SalesRegion.objects.filter(brand_id=brand_id).values_list("id", flat=True))
    skus = dict(Product.objects.filter(brand_id=brand_id, id__in=products[:500]).values_list("id", "sku"))
    now = timezone.now()
    rows = []
    for n in range(max(0, ACTIVE_PROMOTIONS - existing)):
        mechanic = MECHANICS[n % len(MECHANICS)]
        params = {
            "percent_off": lambda: {"percent": str(rng.choice((3, 5, 8, 10, 15)))},
            "amount_off": lambda: {"amount": str(rng.choice((0.5, 1, 2, 5)))},
            "special_price": lambda: {"price": f"{rng.randint(2000, 6000) / 100:.2f}"},
            "threshold": lambda: {
                "tiers": [{"min_amount": str(low), "off": str(low // 25)} for low in (1000, 5000, 20000)]
            },
            "buy_x_get_y": lambda: {
                "buy": rng.choice((5, 10, 20)),
                "get": 1,
                "gift_sku": rng.choice(list(skus.values())),
            },
        }[mechanic]()
        what = rng.random()
        where = rng.random()
        promotion = Promotion(
            brand_id=brand_id,
            code=f"bench-{n}",
            name=f"基准促销 {n}",
            mechanic=mechanic,
            params=params,
            status=Promotion.Status.ACTIVE,
            starts_at=now - timedelta(days=10),
            ends_at=now + timedelta(days=60),
            stackable=rng.random() < 0.5,
            sequence=rng.randint(1, 200),
            product_ids=rng.sample(products, rng.randint(1, 30)) if what < 0.4 else [],
            category_ids=rng.sample(categories, rng.randint(1, 2)) if 0.4 <= what < 0.8 else [],
            grades=rng.choice((["A"], ["A", "B"], ["B", "C"])) if rng.random() < 0.2 else [],
        )
        if where < 0.3:
            promotion.division_codes = rng.sample(by_level[1], rng.randint(1, 3)) + ([home[2]] if n % 4 == 0 else [])
        elif where < 0.45:
            promotion.division_codes = rng.sample(by_level[2], 3) + ([home[1]] if n % 3 == 0 else [])
        elif where < 0.55:
            promotion.division_codes = rng.sample(by_level[3], 5) + ([home[0]] if n % 2 == 0 else [])
        elif where < 0.7:
            promotion.sales_region_ids = rng.sample(regions, 2)
        if rng.random() < 0.05:
            promotion.distributor_ids = [account.id, rng.randint(1, 20_000)]
        if rng.random() < 0.15:
            promotion.budget_amount = Decimal(rng.choice((5_000, 50_000, 500_000)))
        elif mechanic == "buy_x_get_y" and rng.random() < 0.5:
            promotion.budget_quantity = rng.choice((100, 1000))
        rows.append(promotion)
    Promotion.objects.bulk_create(rows)


def _analyze() -> None:
    """Fresh planner statistics after the bulk insert, as autovacuum would give production."""
    if "owner" in settings.DATABASES:
        with connections["owner"].cursor() as cursor:
            cursor.execute("ANALYZE")


# --- the figures ------------------------------------------------------------------------------


def engine_figures(buyer: pricing.Buyer, extra: dict):
    sheet = pricing.price_sheet(buyer)  # loads the snapshot and the buyer's authorized products
    sellable = [(line.sku, line.qty) for line in sheet if line.ok]
    if len(sellable) < 300:
        raise RuntimeError(f"only {len(sellable)} products priced for the buyer")
    rng = random.Random(1)
    singles = [[pricing.Line(*rng.choice(sellable))] for _ in range(200)]
    check = pricing.quote(buyer, singles[0])
    if not check.ok:
        raise RuntimeError(f"a sellable line was refused: {check.lines[0].reason}")
    calls = iter(range(10**9))
    samples = time_calls(lambda: pricing.quote(buyer, singles[next(calls) % len(singles)]), n=1000, warmup=50)
    yield latency("pricing.quote_1_line.p50_ms", samples, sellable=len(sellable), **extra)

    orders = []
    for _ in range(10):
        picked = rng.sample(sellable, 300)
        orders.append([pricing.Line(sku, qty * rng.choice((1, 1, 2, 5, 10, 50))) for sku, qty in picked])
    quoted = pricing.quote(buyer, orders[0])
    promoted = sum(1 for line in quoted.lines if line.promotions)
    calls = iter(range(10**9))
    samples = time_calls(lambda: pricing.quote(buyer, orders[next(calls) % len(orders)]), n=40, warmup=3)
    yield latency("pricing.quote_300_lines.p50_ms", samples, lines_with_promotions=promoted, **extra)

    pages = len(sellable) // PAGE
    calls = iter(range(10**9))

    def page():
        return pricing.catalogue(buyer, offset=(next(calls) % min(pages, 40)) * PAGE, limit=PAGE)

    first = page()
    if len(first.lines) != PAGE or not all(line.ok for line in first.lines):
        raise RuntimeError("the catalogue page is not a full page of priced products")
    samples = time_calls(page, n=200, warmup=10)
    yield latency("pricing.catalog_page_50.p50_ms", samples, total=first.total, **extra)


def cold_page(buyer: pricing.Buyer, brand_id: int, extra: dict, runs: int = 5):
    """The first page after a catalogue change: the snapshot and the authorized list are rebuilt."""
    samples = []
    for _ in range(runs):
        with transaction.atomic():
            set_brand_scope([brand_id])
            bump_version(brand_id)
        with transaction.atomic():
            set_brand_scope([brand_id])
            samples.append(timed_ms(lambda: pricing.catalogue(buyer, offset=0, limit=PAGE)))
    yield latency("pricing.catalog_page_50_cold.p50_ms", samples, **extra)


def price_sheet_figures(buyer: pricing.Buyer, brand_id: int, extra: dict, runs: int = 5):
    """The whole price sheet: the engine alone, and exported to .xlsx when the exporter exists."""
    try:
        from channelhub.catalog.excel import price_sheet_xlsx
    except ImportError:
        price_sheet_xlsx = None
    with transaction.atomic():
        set_brand_scope([brand_id])
        lines = len(pricing.price_sheet(buyer))
        engine = time_calls(lambda: pricing.price_sheet(buyer), n=runs, warmup=0)
        yield seconds("pricing.price_sheet_engine.s", engine, lines=lines, **extra)
        if price_sheet_xlsx is not None:
            size = len(price_sheet_xlsx(buyer))
            xlsx = time_calls(lambda: price_sheet_xlsx(buyer), n=runs, warmup=0)
            yield seconds("pricing.price_sheet_all_skus.s", xlsx, lines=lines, xlsx_bytes=size, **extra)


def seconds(metric: str, samples_ms: list[float], **extra) -> dict:
    return {
        "metric": metric,
        "value": round(percentile(samples_ms, 50) / 1000, 3),
        "unit": "s",
        "n": len(samples_ms),
        "p90": round(percentile(samples_ms, 90) / 1000, 3),
        **extra,
    }


def api_quote(buyer: pricing.Buyer, account: DistributorAccount, extra: dict) -> dict:
    """POST /api/v1/catalog/quote with one line as distributor_a1, the whole request in-process."""
    client = Client()
    headers = bearer_headers(client, "distributor_a1")
    with transaction.atomic():
        set_brand_scope([buyer.brand_id])
        sheet = [line for line in pricing.price_sheet(buyer) if line.ok]
    rng = random.Random(2)
    bodies = [
        {"distributor_id": account.id, "lines": [{"sku": line.sku, "qty": line.qty}]} for line in rng.sample(sheet, 100)
    ]
    response = client.post("/api/v1/catalog/quote", bodies[0], content_type="application/json", **headers)
    if response.status_code != 200 or not response.json()["ok"]:
        raise RuntimeError(f"quote: {response.status_code} {response.content[:300]!r}")
    calls = iter(range(10**9))

    def post():
        body = bodies[next(calls) % len(bodies)]
        return client.post("/api/v1/catalog/quote", body, content_type="application/json", **headers)

    samples = time_calls(post, n=200, warmup=20)
    return latency("pricing.api_quote_1_line.p50_ms", samples, **extra)
