"""The demo catalogue: every brand gets a priced range, regional rules, price lists and promotions."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from stdnum import ean

from channelhub.catalog.models import Authorization, PriceItem, PriceList, Product, Promotion
from channelhub.catalog.pricing import Buyer, Line, catalogue, quote
from channelhub.demo.builder import build_demo
from channelhub.demo.catalog_plans import PLANS
from channelhub.partners.models import DistributorUser
from channelhub.tenancy.models import Brand
from channelhub.testing import see_all_brands

pytestmark = pytest.mark.django_db

MAIN = len(PLANS["qingquan"].items)


@pytest.fixture
def demo():
    build_demo(scale=MAIN + 40)
    see_all_brands()
    return {brand.code: brand for brand in Brand.objects.all()}


def a1_buyer() -> Buyer:
    account = DistributorUser.objects.get(user__username="distributor_a1").account
    territory = list(account.territory.all())
    return Buyer(
        brand_id=account.brand_id,
        distributor_id=account.id,
        grade=account.grade,
        home_division=account.registered_division_id,
        territory_divisions=tuple(t.division_id for t in territory if t.division_id),
        territory_sales_regions=tuple(t.sales_region_id for t in territory if t.sales_region_id),
    )


def sku(brand, name: str) -> str:
    return Product.objects.get(brand=brand, name=name).sku


def test_distributor_a1_gets_a_priced_catalogue_page(demo):
    # given the demo, whose drinks brand carries as many SKUs as its distributors (main range first)
    drinks = demo["qingquan"]
    skus = set(Product.objects.filter(brand=drinks).values_list("sku", flat=True))
    assert len(skus) == MAIN + 40
    # when distributor_a1 opens its catalogue
    page = catalogue(a1_buyer(), limit=50)
    everything = catalogue(a1_buyer(), limit=1000)
    # then it may order the whole range (the 江苏-only tea where its territory allows it), priced line by line
    assert skus - {sku(drinks, "清泉桂花乌龙茶（江苏限定） 500ml×15瓶")} <= {line.sku for line in everything.lines}
    assert len(page.lines) == 50
    assert all(line.ok and line.unit_price > 0 and line.price_rule for line in page.lines)


def test_a1_buys_at_its_agreement_price_and_gets_the_east_china_threshold_discount(demo):
    water = sku(demo["qingquan"], "清泉天然矿泉水 550ml×24瓶")
    line = quote(a1_buyer(), [Line(water, 200)]).lines[0]
    assert (line.price_rule, line.list_price) == ("agreement-a1", Decimal("27.4600"))  # 31.20 × 0.88
    assert [p["code"] for p in line.promotions] == ["water-threshold"]  # 满3000减100
    assert line.amount == Decimal("5392.00")


def test_regional_bans_and_allows(demo):
    drinks, farm = demo["qingquan"], demo["lvye"]
    xinjiang = Buyer(drinks.id, None, "C", "650102", ("650000",))
    zhejiang = Buyer(drinks.id, None, "C", "330102", ("330000",))
    energy, osmanthus = (
        sku(drinks, "清泉牛磺酸能量饮料 250ml×24罐"),
        sku(drinks, "清泉桂花乌龙茶（江苏限定） 500ml×15瓶"),
    )
    assert quote(xinjiang, [Line(energy, 10)]).lines[0].code == "not_authorized"
    assert quote(zhejiang, [Line(energy, 10)]).ok
    assert quote(zhejiang, [Line(osmanthus, 10)]).lines[0].code == "not_authorized"
    assert quote(Buyer(drinks.id, None, "C", "320102", ("320100",)), [Line(osmanthus, 10)]).ok  # 江苏 only
    corn = sku(farm, "绿野玉单8号 玉米种子 2.5kg")
    assert quote(Buyer(farm.id, None, "C", "230102", ("230000",)), [Line(corn, 10)]).ok  # 黑龙江
    assert quote(Buyer(farm.id, None, "C", "370102", ("370000",)), [Line(corn, 10)]).lines[0].code == "not_authorized"


def test_next_months_list_takes_over_on_its_date(demo):
    drinks = demo["qingquan"]
    buyer = Buyer(drinks.id, None, "C", "330102", ("330000",))  # no grade or region list reaches it
    water = sku(drinks, "清泉天然矿泉水 550ml×24瓶")
    following = PriceList.objects.get(brand=drinks, code="base-next")
    now = quote(buyer, [Line(water, 10)]).lines[0]
    later = quote(buyer, [Line(water, 10)], at=following.valid_from + timedelta(hours=1)).lines[0]
    assert (now.price_rule, now.list_price) == ("base", Decimal("31.2000"))
    assert (later.price_rule, later.list_price) == ("base-next", Decimal("32.7600"))  # + 5 %
    assert following.valid_from > timezone.now()


def test_every_brand_has_its_rules_lists_and_active_promotions(demo):
    for code, brand in demo.items():
        products = Product.objects.filter(brand=brand)
        assert all(ean.is_valid(p.barcode) for p in products)
        roots = Authorization.objects.filter(brand=brand, category__parent=None, division=None, allow=True)
        assert roots.count() == len(PLANS[code].tree)  # national allow on every root category
        assert Authorization.objects.filter(brand=brand, division__isnull=False).exists()
        kinds = set(PriceList.objects.filter(brand=brand).values_list("kind", flat=True))
        assert {"base", "grade", "region", "region_grade"} <= kinds
        assert PriceItem.objects.filter(brand=brand, min_qty__gt=1).exists()  # quantity breaks
        mechanics = Promotion.objects.filter(brand=brand, status="active").values_list("mechanic", flat=True)
        assert sorted(mechanics) == sorted(Promotion.Mechanic.values)
        assert Promotion.objects.filter(brand=brand, budget_amount__isnull=False).count() == 1
    assert set(Product.objects.filter(brand=demo["lvye"]).values_list("tax_category", flat=True)) == {"vat9"}
    assert set(Product.objects.filter(brand=demo["qingquan"]).values_list("tax_category", flat=True)) == {"vat13"}
    agreement = PriceList.objects.get(code="agreement-a1")
    assert agreement.distributor_id == a1_buyer().distributor_id


def test_the_catalogue_is_the_same_every_time():
    class Rollback(Exception):
        pass

    def build() -> list:
        rows = []
        try:
            with transaction.atomic():
                build_demo(scale=MAIN + 40)
                see_all_brands()
                items = PriceItem.objects.order_by(
                    "product__brand__code", "product__sku", "price_list__code", "min_qty"
                )
                rows = list(items.values_list("product__sku", "product__barcode", "product__name", "unit_price"))
                raise Rollback
        except Rollback:
            return rows

    assert build() == build() != []
