"""The catalogue every catalogue page test starts from, and small readers of what the pages did."""

from types import SimpleNamespace

from channelhub.catalog.models import Product
from channelhub.catalog.tests.conftest import Shop
from channelhub.core.models import AuditEntry
from channelhub.testing import AccountFactory, see_all_brands

HTMX = {"HX-Request": "true"}


def build_store() -> SimpleNamespace:
    """A brand's catalogue: water (W1, W2) allowed nationally, W3 forbidden in 江苏, tea (T1) not
    authorized anywhere; a base list and an agreement price for the distributor 南京一号."""
    shop = Shop()
    tea = shop.category("tea", "茶饮", parent=shop.root)
    shop.product("W1", name="矿泉水 550ml")
    shop.product("W2", name="矿泉水整箱", unit="箱", pack_size=6, min_order_qty=12)
    shop.product("W3", name="苏打水")
    shop.product("T1", category=tea, name="绿茶")
    shop.allow(shop.water)
    shop.forbid(Product.objects.get(brand=shop.brand, sku="W3"), "320000")
    account = AccountFactory(brand=shop.brand, code="NJ001", name="南京一号商贸", grade="B", territory=["320000"])
    other = AccountFactory(brand=shop.brand, code="NJ002", name="南京二号商贸", grade="A", territory=["320000"])
    shop.price_list("base", name="全国基础价", prices=[("W1", "10.00"), ("W2", "50"), ("W3", "8"), ("T1", "20")])
    shop.price_list(
        "nj001", kind="distributor", name="南京一号协议价", distributor_id=account.id, prices=[("W1", "9.00")]
    )
    return SimpleNamespace(shop=shop, brand=shop.brand, admin=shop.actor.user, account=account, other=other)


def skus(response) -> list[str]:
    return [row.line.sku for row in response.context["rows"]]


def nothing_written(model, **lookup) -> bool:
    see_all_brands()
    return not model.objects.filter(**lookup).exists()


def audit_count() -> int:
    see_all_brands()
    return AuditEntry.objects.count()
