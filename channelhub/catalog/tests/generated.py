"""Generated catalogues for the price engine's property tests (``test_properties``): hypothesis
settings, a fresh brand per example, bulk builders, and the strategies that draw orders.

Hypothesis runs all examples of a test inside the one pytest-django transaction, so each example
builds its catalogue for a new brand inside a savepoint rolled back when the example ends
(:func:`fresh_shop`); that is why the function-scoped-fixture health check is switched off. Most
rows are inserted in bulk, followed by ``services.bump_version`` as every service does: hundreds
of examples through the services would take minutes on PostgreSQL. The references the properties
compare the engine with live in the test module, not here.
"""

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from channelhub.catalog import services
from channelhub.catalog.models import Authorization, Category, PriceItem, PriceList, Product, Promotion
from channelhub.catalog.pricing import Line, quote
from channelhub.catalog.tests.conftest import Shop
from channelhub.regions.models import SalesRegion, SalesRegionDivision

PROPERTY = settings(
    max_examples=30,
    deadline=None,
    database=None,  # nothing written into the source tree; known failures are pinned with @example
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],  # no slow "explain"
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
AT = datetime(2026, 6, 1, 12, tzinfo=UTC)
FEN, UNIT = Decimal("0.01"), Decimal("0.0001")


@contextmanager
def fresh_shop():
    """A new brand's catalogue for one example, rolled back when the example ends."""
    with transaction.atomic():
        yield Shop()
        transaction.set_rollback(True)


def add_products(shop: Shop, categories: dict[str, Category]) -> dict[str, int]:
    """Products (SKU → its category) inserted in bulk; returns their ids by SKU."""
    Product.objects.bulk_create(
        Product(brand=shop.brand, sku=sku, name=sku, category=category) for sku, category in categories.items()
    )
    return dict(Product.objects.filter(brand=shop.brand).values_list("sku", "id"))


def add_base_prices(shop: Shop, prices: dict[int, Decimal]) -> None:
    """A base list pricing each product id from quantity 1."""
    base = PriceList.objects.create(brand=shop.brand, code="base", name="base", kind=PriceList.Kind.BASE)
    PriceItem.objects.bulk_create(
        PriceItem(brand=shop.brand, price_list=base, product_id=product_id, unit_price=price)
        for product_id, price in prices.items()
    )


def add_promotions(shop: Shop, promotions: list[dict]) -> None:
    """Active promotions (``code``, ``mechanic``, ``params`` and targets), running from yesterday."""
    now = timezone.now()
    Promotion.objects.bulk_create(
        Promotion(
            brand=shop.brand,
            name=fields["code"],
            status=Promotion.Status.ACTIVE,
            starts_at=now - timedelta(days=1),
            ends_at=now + timedelta(days=30),
            **fields,
        )
        for fields in promotions
    )


# --- the region tree, written out (GB/T 2260) so the references do not borrow the engine's code
# arithmetic. Specificity: national 0 < sales region 1 < province 2 < prefecture 3 < county 4.

PARENT = {
    "320102": "320100",  # 玄武区 in 南京市
    "320104": "320100",  # 秦淮区 in 南京市
    "320205": "320200",  # 锡山区 in 无锡市
    "320100": "320000",  # 南京市 in 江苏省
    "320200": "320000",  # 无锡市 in 江苏省
    "320000": None,
    "330102": "330100",  # 上城区 in 杭州市
    "330100": "330000",  # 杭州市 in 浙江省
    "330000": None,
}
SALES_REGIONS = {"east": {"320000", "330000"}, "zhejiang": {"330000"}, "xuanwu": {"320102"}}
HOME = "320102"
WHERE = ["", "east", "zhejiang", "xuanwu", "320102", "320104", "320100", "320200", "320000", "330000"]


def make_sales_regions(shop: Shop) -> dict[str, int]:
    """The brand's :data:`SALES_REGIONS`; returns their ids by code."""
    SalesRegion.objects.bulk_create(SalesRegion(brand=shop.brand, code=code, name=code) for code in SALES_REGIONS)
    ids = dict(SalesRegion.objects.filter(brand=shop.brand).values_list("code", "id"))
    SalesRegionDivision.objects.bulk_create(
        SalesRegionDivision(brand=shop.brand, sales_region_id=ids[code], division_id=division)
        for code, members in SALES_REGIONS.items()
        for division in sorted(members)
    )
    return ids


def division_of(where: str) -> str | None:
    """The division code of a ``where`` (None for a sales region or the whole country)."""
    return where if where and where not in SALES_REGIONS else None


# --- orders: three products, some lines, up to five promotions -----------------------------------

SKUS = ["P0", "P1", "P2"]
prices = st.one_of(
    st.sampled_from([Decimal("0.01"), Decimal("1.00"), Decimal("9.99"), Decimal("10.00")]),  # ties, tiny lines
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("300"), places=2),
)
as_typed = st.sampled_from([str, lambda d: f"{d.normalize():f}"])  # "40.00" or "40", as a manager types it
tiers = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("500"), places=2).flatmap(
    lambda low: st.tuples(st.decimals(min_value=Decimal("0.01"), max_value=low, places=2), as_typed).map(
        lambda off: {"min_amount": str(low), "off": off[1](off[0])}
    )
)
mechanics = st.one_of(
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99.99"), places=2).map(
        lambda p: ("percent_off", {"percent": str(p)})
    ),
    st.decimals(min_value=Decimal("0"), max_value=Decimal("20"), places=2).map(
        lambda a: ("amount_off", {"amount": str(a)})
    ),
    st.decimals(min_value=Decimal("0"), max_value=Decimal("300"), places=4).map(
        lambda p: ("special_price", {"price": str(p)})
    ),
    st.lists(tiers, min_size=1, max_size=3, unique_by=lambda tier: Decimal(tier["min_amount"])).map(
        lambda tiers: ("threshold", {"tiers": tiers})
    ),
    st.tuples(st.integers(1, 10), st.integers(1, 3)).map(
        lambda bg: ("buy_x_get_y", {"buy": bg[0], "get": bg[1], "gift_sku": ""})
    ),
)
promotion_specs = st.fixed_dictionaries(
    {
        "mechanic": mechanics,
        "stackable": st.sampled_from([True, True, False]),
        "sequence": st.integers(0, 3),
        "products": st.sets(st.sampled_from(SKUS), max_size=2),  # empty: every product
    }
)
orders = st.fixed_dictionaries(
    {
        "prices": st.lists(prices, min_size=3, max_size=3),
        "lines": st.lists(st.tuples(st.sampled_from(SKUS), st.integers(1, 30)), min_size=1, max_size=5),
        "promotions": st.lists(promotion_specs, max_size=5),
    }
)


def order_of(prices: str, lines: list[tuple[str, int]], *promotions: tuple) -> dict:
    """An order spec written out: promotions as (mechanic, params, stackable, sequence, products)."""
    return {
        "prices": [Decimal(price) for price in prices.split()],
        "lines": lines,
        "promotions": [
            {"mechanic": (m, params), "stackable": stackable, "sequence": seq, "products": set(products)}
            for m, params, stackable, seq, products in promotions
        ],
    }


def build_order(shop: Shop, order: dict) -> tuple:
    """The catalogue of ``order``: three products sold nationally at a base price, its promotions."""
    products = add_products(shop, dict.fromkeys(SKUS, shop.water))
    add_base_prices(shop, {products[sku]: price for sku, price in zip(SKUS, order["prices"], strict=True)})
    Authorization.objects.create(brand=shop.brand, category=shop.root, allow=True)
    add_promotions(
        shop,
        [
            {
                "code": f"m{index}",
                "mechanic": spec["mechanic"][0],
                "params": spec["mechanic"][1],
                "stackable": spec["stackable"],
                "sequence": spec["sequence"],
                "product_ids": sorted(products[sku] for sku in spec["products"]),
            }
            for index, spec in enumerate(order["promotions"])
        ],
    )
    services.bump_version(shop.brand.id)
    return shop.buyer(), [Line(sku, qty) for sku, qty in order["lines"]]


def fen(value: Decimal) -> Decimal:
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


def outcome(line) -> tuple:
    """Everything a quoted line says, as comparable data."""
    return (
        line.sku,
        line.qty,
        line.ok,
        line.code,
        line.list_price,
        line.unit_price,
        line.amount,
        line.list_amount,
        tuple((p["code"], p["off"], p["why"]) for p in line.promotions),
        tuple((g["sku"], g["qty"], g["promotion"]) for g in line.gifts),
        tuple(tuple(c.as_dict().values()) for c in line.trace),
    )


# --- budgets ------------------------------------------------------------------------------------

budgets = st.fixed_dictionaries(
    {
        "per_unit": st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5"), places=2),
        "money": st.one_of(st.none(), st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100"), places=2)),
        "units": st.one_of(st.none(), st.integers(1, 40)),
        "used": st.floats(0, 1),  # the share of each cap already used by earlier orders
        "prices": st.lists(prices, min_size=3, max_size=3),
        "lines": st.lists(st.tuples(st.sampled_from(SKUS), st.integers(1, 30)), min_size=1, max_size=4),
    }
)


def quote_capped(shop: Shop, budget: dict) -> tuple[list, Decimal | None, int | None]:
    """Quote ``budget``'s lines under an ``amount_off`` promotion with its caps, partly used; returns
    the lines and the money and units left."""
    products = add_products(shop, dict.fromkeys(SKUS, shop.water))
    add_base_prices(shop, {products[sku]: price for sku, price in zip(SKUS, budget["prices"], strict=True)})
    Authorization.objects.create(brand=shop.brand, category=shop.root, allow=True)
    money, units = budget["money"], budget["units"]
    used_money = fen(money * Decimal(str(budget["used"]))) if money is not None else Decimal("0")
    used_units = int(units * budget["used"]) if units is not None else 0
    add_promotions(
        shop,
        [
            {
                "code": "capped",
                "mechanic": Promotion.Mechanic.AMOUNT_OFF,
                "params": {"amount": str(budget["per_unit"])},
                "budget_amount": money,
                "budget_quantity": units,
                "used_amount": used_money,
                "used_quantity": used_units,
            }
        ],
    )
    services.bump_version(shop.brand.id)
    lines = quote(shop.buyer(), [Line(sku, qty) for sku, qty in budget["lines"]]).lines
    return (
        lines,
        None if money is None else money - used_money,
        None if units is None else units - used_units,
    )
