"""A brand's catalogue: categories, products, where they may be sold, what they cost, promotions.

Region rules point at a division (county, prefecture or province) or a brand sales region, or at
neither (national). Money is ``Decimal``: unit prices keep 4 places, amounts 2 (the fen).
"""

import uuid

from django.db import models

from channelhub.core.models import CustomFieldsModel, TimeStampedModel
from channelhub.regions.models import Division, SalesRegion
from channelhub.tenancy.scoping import BrandOwnedModel

PRICE = {"max_digits": 18, "decimal_places": 4}
AMOUNT = {"max_digits": 18, "decimal_places": 2}


class Category(BrandOwnedModel, TimeStampedModel):
    """A node of the brand's category tree. ``path`` lists the ids from the root down to this node
    ("/3/17/42/"), so ancestors are read without walking and descendants with one prefix match."""

    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    code = models.SlugField(max_length=64)
    name = models.CharField(max_length=100)
    path = models.CharField(max_length=255, blank=True, db_index=True)

    class Meta:
        verbose_name_plural = "categories"
        ordering = ["brand_id", "path"]
        constraints = [models.UniqueConstraint(fields=["brand", "code"], name="category_brand_code")]

    def __str__(self) -> str:
        return self.name

    @property
    def lineage(self) -> list[int]:
        """Ids from the root down to this category."""
        return [int(part) for part in self.path.strip("/").split("/") if part]


class Product(BrandOwnedModel, TimeStampedModel, CustomFieldsModel):
    """A sellable item (SKU). Orders must be positive multiples of ``pack_size`` and at least
    ``min_order_qty``."""

    class Status(models.TextChoices):
        ACTIVE = "active", "在售 Active"
        INACTIVE = "inactive", "停售 Inactive"
        DISCONTINUED = "discontinued", "已退市 Discontinued"

    class TaxCategory(models.TextChoices):
        """VAT rates of the Chinese VAT law (增值税): goods 13 %, agricultural and some goods 9 %,
        services 6 %, exempt 0 %."""

        STANDARD = "vat13", "13% 一般货物"
        REDUCED = "vat9", "9% 农产品等"
        SERVICES = "vat6", "6% 现代服务"
        EXEMPT = "vat0", "0% 免税"

    sku = models.CharField(max_length=64)
    barcode = models.CharField(max_length=32, blank=True, db_index=True)
    name = models.CharField(max_length=200)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    unit = models.CharField(max_length=16, default="件", help_text="sales unit, e.g. 箱, 瓶, 件")
    pack_size = models.PositiveIntegerField(default=1, help_text="order quantities are multiples of this")
    min_order_qty = models.PositiveIntegerField(default=1)
    tax_category = models.CharField(max_length=8, choices=TaxCategory.choices, default=TaxCategory.STANDARD)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)

    class Meta:
        ordering = ["brand_id", "sku"]
        constraints = [models.UniqueConstraint(fields=["brand", "sku"], name="product_brand_sku")]
        indexes = [
            models.Index(fields=["brand", "category"], name="product_brand_category"),
            models.Index(fields=["brand", "name"], name="product_brand_name"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"


class RegionTarget(models.Model):
    """Where a rule applies: a division, a sales region, or (neither) the whole country."""

    division = models.ForeignKey(Division, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    sales_region = models.ForeignKey(SalesRegion, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        abstract = True


class Authorization(BrandOwnedModel, TimeStampedModel, RegionTarget):
    """Allow or forbid a product, or a whole category, in a region (区域授权).

    For one product and one area the rule on the most specific *region* wins (county > prefecture >
    province > sales region > national), then the most specific *item* (the product > a deeper
    category > a shallower one), then the higher ``priority``, then forbid over allow.
    """

    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    allow = models.BooleanField(default=True)
    priority = models.IntegerField(default=0)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(product__isnull=False, category__isnull=True)
                | models.Q(product__isnull=True, category__isnull=False),
                name="authorization_product_or_category",
            ),
            models.CheckConstraint(
                condition=~models.Q(division__isnull=False, sales_region__isnull=False),
                name="authorization_one_region",
            ),
        ]
        indexes = [
            models.Index(fields=["brand", "product"], name="authorization_brand_product"),
            models.Index(fields=["brand", "category"], name="authorization_brand_category"),
        ]

    def __str__(self) -> str:
        return f"{'allow' if self.allow else 'forbid'} #{self.pk}"


class PriceList(BrandOwnedModel, TimeStampedModel, RegionTarget):
    """A set of unit prices for some buyers during a window of time.

    Which buyers: everyone (base), a region, a grade, a region and a grade, or one distributor
    (agreement prices). Precedence (written in ``KIND_RANK``): distributor > region+grade > region >
    grade > base; among region lists the more specific region wins (county > prefecture > province >
    sales region), then the higher ``priority``.
    """

    class Kind(models.TextChoices):
        BASE = "base", "基础价 Base"
        GRADE = "grade", "等级价 Grade"
        REGION = "region", "区域价 Region"
        REGION_GRADE = "region_grade", "区域等级价 Region + grade"
        DISTRIBUTOR = "distributor", "协议价 Distributor agreement"

    class Status(models.TextChoices):
        ACTIVE = "active", "生效 Active"
        INACTIVE = "inactive", "停用 Inactive"

    code = models.SlugField(max_length=64)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    grade = models.CharField(max_length=2, blank=True)
    distributor = models.ForeignKey(
        "partners.DistributorAccount", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_to = models.DateTimeField(null=True, blank=True, help_text="exclusive")
    priority = models.IntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)

    class Meta:
        ordering = ["brand_id", "code"]
        constraints = [models.UniqueConstraint(fields=["brand", "code"], name="pricelist_brand_code")]
        indexes = [models.Index(fields=["brand", "status", "kind"], name="pricelist_brand_status_kind")]

    def __str__(self) -> str:
        return self.name


class PriceItem(BrandOwnedModel):
    """One product's unit price in a price list from ``min_qty`` on (quantity breaks are rows)."""

    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    min_qty = models.PositiveIntegerField(default=1)
    unit_price = models.DecimalField(**PRICE)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["price_list", "product", "min_qty"], name="priceitem_list_product_qty"),
            models.CheckConstraint(condition=models.Q(unit_price__gte=0), name="priceitem_price_not_negative"),
        ]
        indexes = [models.Index(fields=["product", "price_list"], name="priceitem_product_list")]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.unit_price}"


class Promotion(BrandOwnedModel, TimeStampedModel):
    """A brand promotion: who (regions, grades, distributors), what (products, categories), when,
    how (``mechanic`` with its ``params``), how much (budget caps) and how it combines.

    Mechanics and their params:
    - ``percent_off``: ``{"percent": "10"}`` off the unit price;
    - ``amount_off``: ``{"amount": "5.00"}`` off each unit;
    - ``special_price``: ``{"price": "88.00"}`` per unit;
    - ``threshold`` (满减, several tiers 多坎级): ``{"tiers": [{"min_amount": "1000", "off": "50"}, ...]}``
      on the amount of the promotion's lines; the highest tier reached applies, spread over the lines;
    - ``buy_x_get_y`` (买赠): ``{"buy": 10, "get": 1, "gift_sku": "SKU-2"}``; the gift may differ.
    Exclusive promotions never combine; stackable ones apply in ``sequence`` order.
    """

    class Mechanic(models.TextChoices):
        PERCENT_OFF = "percent_off", "折扣 Percentage off"
        AMOUNT_OFF = "amount_off", "立减 Amount off"
        SPECIAL_PRICE = "special_price", "特价 Special price"
        THRESHOLD = "threshold", "满减 Threshold discount"
        BUY_X_GET_Y = "buy_x_get_y", "买赠 Buy X get Y"

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿 Draft"
        PENDING = "pending", "审批中 Pending approval"
        ACTIVE = "active", "已生效 Active"
        REJECTED = "rejected", "已驳回 Rejected"
        ENDED = "ended", "已结束 Ended"

    code = models.SlugField(max_length=64)
    name = models.CharField(max_length=200)
    mechanic = models.CharField(max_length=16, choices=Mechanic.choices)
    params = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(help_text="exclusive")
    stackable = models.BooleanField(default=False, help_text="combines with other stackable promotions")
    sequence = models.IntegerField(default=100, help_text="stackable promotions apply in this order")
    # who and what: empty means everyone / every product
    division_codes = models.JSONField(default=list, blank=True)
    sales_region_ids = models.JSONField(default=list, blank=True)
    grades = models.JSONField(default=list, blank=True)
    distributor_ids = models.JSONField(default=list, blank=True)
    product_ids = models.JSONField(default=list, blank=True)
    category_ids = models.JSONField(default=list, blank=True)
    # caps (促销额度): discount money given and units (free or discounted) given
    budget_amount = models.DecimalField(**AMOUNT, null=True, blank=True)
    budget_quantity = models.PositiveIntegerField(null=True, blank=True)
    # The caps' counters, kept for capped promotions only: an uncapped promotion's use is summed
    # from the orders, so orders sharing it never queue on this row.
    used_amount = models.DecimalField(**AMOUNT, default=0)
    used_quantity = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["brand_id", "sequence", "id"]
        constraints = [
            models.UniqueConstraint(fields=["brand", "code"], name="promotion_brand_code"),
            models.CheckConstraint(
                condition=models.Q(budget_amount__isnull=True) | models.Q(used_amount__lte=models.F("budget_amount")),
                name="promotion_budget_amount_cap",
            ),
            models.CheckConstraint(
                condition=models.Q(budget_quantity__isnull=True)
                | models.Q(used_quantity__lte=models.F("budget_quantity")),
                name="promotion_budget_quantity_cap",
            ),
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="promotion_window"),
        ]
        indexes = [models.Index(fields=["brand", "status", "ends_at"], name="promotion_brand_status_end")]

    @property
    def is_capped(self) -> bool:
        return self.budget_amount is not None or self.budget_quantity is not None

    def __str__(self) -> str:
        return self.name


class CatalogVersion(BrandOwnedModel):
    """A counter every catalogue write of the brand increases in its transaction. The price engine
    keeps one in-memory snapshot of the brand's catalogue per version, so a quote reads one row
    and never a stale price (budgets used are read live, they change with every order)."""

    version = models.PositiveBigIntegerField(default=0)
    stamp = models.UUIDField(default=uuid.uuid4, help_text="new on every change: names the snapshot")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["brand"], name="catalogversion_brand")]

    def __str__(self) -> str:
        return f"{self.brand_id}@{self.version}"
