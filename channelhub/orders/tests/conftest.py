from decimal import Decimal

import pytest

from channelhub.catalog.tests.conftest import Shop
from channelhub.finance.models import CreditAccount
from channelhub.orders import stock
from channelhub.orders.models import StockLevel
from channelhub.testing import AccountFactory, actor_of, distributor_user, see_all_brands, user_with_role


class Desk(Shop):
    """A brand ready to take orders: three waters priced and authorized in 江苏, two warehouses
    with stock, a distributor in 南京 with a 10,000 credit limit and its own user."""

    def __init__(self):
        super().__init__()
        self.still = self.product("W-STILL", name="矿泉水 550ml", pack_size=12, min_order_qty=12)
        self.spark = self.product("W-SPARK", name="苏打水 330ml", pack_size=6, min_order_qty=6)
        self.tea = self.product("T-GREEN", name="绿茶 500ml")
        for product in (self.still, self.spark, self.tea):
            self.allow(product, "320000")
        self.base = self.price_list("base", prices=[("W-STILL", "2.50"), ("W-SPARK", "3.00"), ("T-GREEN", "4.00")])
        self.east = stock.create_warehouse(actor=self.actor, brand_id=self.brand.id, code="east", name="华东仓",
                                           division_code="320100", priority=10)  # fmt: skip
        self.north = stock.create_warehouse(actor=self.actor, brand_id=self.brand.id, code="north", name="华北仓",
                                            division_code="110000", priority=5)  # fmt: skip
        self.count("east", {"W-STILL": 1200, "W-SPARK": 600, "T-GREEN": 100})
        self.count("north", {"W-STILL": 240, "T-GREEN": 50})
        self.account = AccountFactory(brand=self.brand, credit_limit=Decimal("10000"), territory=["320000"])
        CreditAccount.objects.create(brand=self.brand, account=self.account, limit=Decimal("10000"))
        self.buyer_user = distributor_user(self.account)
        self.distributor = actor_of(self.buyer_user)
        self.finance = actor_of(user_with_role("finance", self.brand))
        self.manager = actor_of(user_with_role("region_manager", self.brand, divisions=["320000"]))
        see_all_brands()

    def count(self, warehouse: str, counts: dict[str, int]):
        stock.sync_stock(actor=self.actor, brand_id=self.brand.id, warehouse_code=warehouse,
                         counts=[stock.StockCount(sku, n) for sku, n in counts.items()])  # fmt: skip

    def level(self, warehouse, product) -> tuple[int, int]:
        row = StockLevel.objects.get(warehouse=warehouse, product=product)
        return row.on_hand, row.reserved

    def credit(self) -> CreditAccount:
        return CreditAccount.objects.get(account=self.account)


@pytest.fixture
def desk(db):
    return Desk()
