from datetime import timedelta

import pytest
from django.utils import timezone

from channelhub.catalog import services
from channelhub.catalog.pricing import Buyer
from channelhub.testing import BrandFactory, actor_of, see_all_brands, user_with_role


class Shop:
    """A brand's catalogue built through the services, as its pricing manager would."""

    def __init__(self):
        self.brand = BrandFactory()
        self.actor = actor_of(user_with_role("brand_admin", self.brand))
        see_all_brands()
        self.root = self.category("drinks", "饮料")
        self.water = self.category("water", "饮用水", parent=self.root)

    def category(self, code, name, parent=None):
        return services.create_category(actor=self.actor, brand_id=self.brand.id, code=code, name=name, parent=parent)

    def product(self, sku, category=None, **kw):
        return services.create_product(
            actor=self.actor,
            brand_id=self.brand.id,
            sku=sku,
            name=kw.pop("name", sku),
            category=category or self.water,
            **kw,
        )

    def allow(self, target, region=None, allow=True, **kw):
        key = "product" if hasattr(target, "sku") else "category"
        where = {"sales_region": region} if isinstance(region, int) else {"division": region}
        return services.authorize(actor=self.actor, brand_id=self.brand.id, allow=allow, **{key: target}, **where, **kw)

    def forbid(self, target, region=None, **kw):
        return self.allow(target, region, allow=False, **kw)

    def price_list(self, code, kind="base", prices=(), **kw):
        price_list = services.create_price_list(
            actor=self.actor, brand_id=self.brand.id, code=code, name=kw.pop("name", code), kind=kind, **kw
        )
        if prices:
            self.prices(price_list, prices)
        return price_list

    def prices(self, price_list, prices):
        rows = [
            {"sku": sku, "unit_price": price, "min_qty": qty} for sku, price, qty in ((p + (1,))[:3] for p in prices)
        ]
        services.set_prices(actor=self.actor, price_list=price_list, prices=rows)

    def promotion(self, code, mechanic, params, **kw):
        now = timezone.now()
        kw.setdefault("starts_at", now - timedelta(days=1))
        kw.setdefault("ends_at", now + timedelta(days=30))
        kw.setdefault("status", "active")
        return services.create_promotion(
            actor=self.actor,
            brand_id=self.brand.id,
            code=code,
            name=kw.pop("name", code),
            mechanic=mechanic,
            params=params,
            **kw,
        )

    def buyer(self, *, grade="B", home="320102", territory=("320000",), regions=(), distributor_id=None):
        return Buyer(self.brand.id, distributor_id, grade, home, tuple(territory), tuple(regions))


@pytest.fixture
def shop(db):
    return Shop()
