"""Orders and what they move: stock per warehouse, shipments, returns, and what distributors report
back (sell-through 动销, stock on hand 库存, cross-territory alerts 窜货).

Quantities are whole units; money is ``Decimal`` (unit prices 4 places, amounts 2), copied from the
price engine when the order is submitted and never recomputed.
"""

from django.conf import settings
from django.db import models

from channelhub.regions.models import Division
from channelhub.tenancy.scoping import BrandOwnedModel

PRICE = {"max_digits": 18, "decimal_places": 4}
AMOUNT = {"max_digits": 18, "decimal_places": 2}


class Warehouse(BrandOwnedModel):
    """A brand's warehouse (usually run by its WMS); orders draw on the nearest ones first."""

    code = models.SlugField(max_length=32)
    name = models.CharField(max_length=100)
    division = models.ForeignKey(Division, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    priority = models.IntegerField(default=100, help_text="lower is drawn on first, after same-province ones")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["brand_id", "priority", "code"]
        constraints = [models.UniqueConstraint(fields=["brand", "code"], name="warehouse_brand_code")]

    def __str__(self) -> str:
        return self.name


class StockLevel(BrandOwnedModel):
    """Units of one SKU in one warehouse: ``on_hand`` as the WMS counts them, ``reserved`` for
    approved orders not yet shipped. Available = on_hand − reserved, never taken below zero."""

    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="stock")
    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="+")
    on_hand = models.IntegerField(default=0)
    reserved = models.IntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "product"], name="stock_warehouse_product"),
            models.CheckConstraint(condition=models.Q(on_hand__gte=0), name="stock_on_hand_not_negative"),
            models.CheckConstraint(condition=models.Q(reserved__gte=0), name="stock_reserved_not_negative"),
        ]
        indexes = [models.Index(fields=["brand", "product"], name="stock_brand_product")]


class Order(BrandOwnedModel):
    """A distributor's purchase order (订货单), priced and snapshotted when submitted."""

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿 Draft"
        SUBMITTED = "submitted", "已提交 Submitted"
        CREDIT_HOLD = "credit_hold", "信用冻结 Credit hold"
        APPROVED = "approved", "已审核 Approved"
        ALLOCATED = "allocated", "已配货 Allocated"
        PARTIALLY_SHIPPED = "partially_shipped", "部分发货 Partially shipped"
        SHIPPED = "shipped", "已发货 Shipped"
        DELIVERED = "delivered", "已签收 Delivered"
        COMPLETED = "completed", "已完成 Completed"
        CANCELLED = "cancelled", "已取消 Cancelled"

    class Source(models.TextChoices):
        PHONE = "phone", "手机 Phone"
        WEB = "web", "网页 Web"
        API = "api", "接口 API"
        STAFF = "staff", "代客下单 Staff"

    number = models.CharField(max_length=32)
    account = models.ForeignKey("partners.DistributorAccount", on_delete=models.PROTECT, related_name="orders")
    # The account's registered division when ordering: region managers see their regions' orders.
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.WEB)
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(max_length=500, blank=True)
    ship_to = models.CharField(max_length=255, blank=True)
    catalog_version = models.PositiveIntegerField(default=0)
    priced_at = models.DateTimeField(null=True, blank=True)
    list_total = models.DecimalField(**AMOUNT, default=0)
    total = models.DecimalField(**AMOUNT, default=0)
    hold_reason = models.CharField(max_length=300, blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)
    credit_process_id = models.BigIntegerField(null=True, blank=True, help_text="order_credit_override instance")
    credit_committed = models.DecimalField(**AMOUNT, default=0, help_text="still counted as open approved orders")
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True, help_text="completed or cancelled")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["brand", "number"], name="order_brand_number"),
            models.CheckConstraint(condition=models.Q(credit_committed__gte=0), name="order_credit_not_negative"),
        ]
        indexes = [
            models.Index(fields=["brand", "status", "-created_at"], name="order_brand_status_time"),
            models.Index(fields=["account", "-created_at"], name="order_account_time"),
            models.Index(fields=["brand", "division"], name="order_brand_division"),
        ]

    def __str__(self) -> str:
        return self.number


class OrderLine(BrandOwnedModel):
    """One SKU of an order with the price the engine gave it; gifts (买赠) are lines at zero."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    line_no = models.PositiveIntegerField()
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    sku = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    unit = models.CharField(max_length=16)
    tax_category = models.CharField(max_length=8)
    qty = models.PositiveIntegerField()
    list_price = models.DecimalField(**PRICE)
    unit_price = models.DecimalField(**PRICE)
    list_amount = models.DecimalField(**AMOUNT)
    amount = models.DecimalField(**AMOUNT)
    price_rule = models.CharField(max_length=200, blank=True)
    promotions = models.JSONField(default=list, blank=True, help_text="applied, in order: code, label, off, why")
    gift_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="gifts")
    promotion_code = models.CharField(max_length=64, blank=True, help_text="the promotion that gave this gift")
    reserved_qty = models.PositiveIntegerField(default=0)
    shipped_qty = models.PositiveIntegerField(default=0)
    returned_qty = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order_id", "line_no"]
        constraints = [
            models.UniqueConstraint(fields=["order", "line_no"], name="orderline_order_no"),
            models.CheckConstraint(condition=models.Q(qty__gt=0), name="orderline_qty_positive"),
            models.CheckConstraint(condition=models.Q(shipped_qty__lte=models.F("qty")), name="orderline_ship_le_qty"),
            models.CheckConstraint(
                condition=models.Q(returned_qty__lte=models.F("shipped_qty")), name="orderline_return_le_shipped"
            ),
        ]
        indexes = [models.Index(fields=["brand", "product"], name="orderline_brand_product")]


class OrderPromotion(BrandOwnedModel):
    """What one order took from one promotion's budget, given back if the order is cancelled."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="promotion_uses")
    promotion = models.ForeignKey("catalog.Promotion", on_delete=models.PROTECT, related_name="+")
    money_used = models.DecimalField(**AMOUNT, default=0)
    units_used = models.PositiveIntegerField(default=0)
    released = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["order", "promotion"], name="orderpromotion_once")]
        indexes = [models.Index(fields=["brand", "promotion"], name="orderpromotion_promotion")]


class Allocation(BrandOwnedModel):
    """Units of an order line reserved in one warehouse."""

    line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="allocations")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    qty = models.PositiveIntegerField()
    shipped_qty = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["line", "warehouse"], name="allocation_line_warehouse"),
            models.CheckConstraint(condition=models.Q(shipped_qty__lte=models.F("qty")), name="allocation_ship_le_qty"),
        ]


class IdempotencyKey(BrandOwnedModel):
    """A client's ``Idempotency-Key`` and the order its first request created: a retry with the same
    key and body gets that order back; the same key with another body is refused."""

    client = models.CharField(max_length=64, help_text="user:<id> or key:<prefix>")
    key = models.CharField(max_length=128)
    body_hash = models.CharField(max_length=64)
    order = models.ForeignKey(Order, null=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["brand", "client", "key"], name="idempotency_client_key")]


class Shipment(BrandOwnedModel):
    """Goods leaving one warehouse for an order (发货单); the distributor confirms receipt."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="shipments")
    number = models.CharField(max_length=32)
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    carrier = models.CharField(max_length=50)
    tracking_no = models.CharField(max_length=64)
    amount = models.DecimalField(**AMOUNT, default=0)
    shipped_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    received_at = models.DateTimeField(null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["order_id", "shipped_at", "id"]
        constraints = [models.UniqueConstraint(fields=["brand", "number"], name="shipment_brand_number")]


class ShipmentLine(BrandOwnedModel):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="+")
    qty = models.PositiveIntegerField()

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(qty__gt=0), name="shipmentline_qty_positive")]


class ReturnRequest(BrandOwnedModel):
    """A return (退货) of shipped goods, line by line; once the goods are back the amount is credited."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "待审核 Requested"
        APPROVED = "approved", "已同意 Approved"
        REJECTED = "rejected", "已拒绝 Rejected"
        RECEIVED = "received", "已入库 Received"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="returns")
    number = models.CharField(max_length=32)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.REQUESTED)
    reason = models.CharField(max_length=300)
    amount = models.DecimalField(**AMOUNT, default=0)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision_note = models.CharField(max_length=300, blank=True)
    warehouse = models.ForeignKey(Warehouse, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["brand", "number"], name="return_brand_number")]


class ReturnLine(BrandOwnedModel):
    request = models.ForeignKey(ReturnRequest, on_delete=models.CASCADE, related_name="lines")
    line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="+")
    qty = models.PositiveIntegerField()
    amount = models.DecimalField(**AMOUNT)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(qty__gt=0), name="returnline_qty_positive")]


# --- what distributors report back ------------------------------------------------------------


class SellThrough(BrandOwnedModel):
    """What a distributor sold on to its own customers (动销) in one month, per SKU and customer."""

    class Source(models.TextChoices):
        PHONE = "phone", "手机 Phone"
        EXCEL = "excel", "Excel"
        API = "api", "接口 API"

    account = models.ForeignKey("partners.DistributorAccount", on_delete=models.CASCADE, related_name="+")
    period = models.DateField(help_text="first day of the month sold in")
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    qty = models.PositiveIntegerField()
    amount = models.DecimalField(**AMOUNT, null=True, blank=True)
    customer_name = models.CharField(max_length=200)
    customer_division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=8, choices=Source.choices)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-period", "-id"]
        indexes = [
            models.Index(fields=["brand", "account", "period"], name="sellthrough_account_period"),
            models.Index(fields=["brand", "period", "product"], name="sellthrough_period_product"),
        ]


class StockReport(BrandOwnedModel):
    """A distributor's stock on hand of one SKU on one day (库存上报); a later report of the same
    day replaces it."""

    account = models.ForeignKey("partners.DistributorAccount", on_delete=models.CASCADE, related_name="+")
    as_of = models.DateField()
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    qty = models.PositiveIntegerField()
    source = models.CharField(max_length=8, choices=SellThrough.Source.choices)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-as_of", "product_id"]
        constraints = [models.UniqueConstraint(fields=["account", "as_of", "product"], name="stockreport_once_a_day")]


class CrossTerritoryAlert(BrandOwnedModel):
    """Sell-through reported into a county outside the distributor's territory (窜货)."""

    class Status(models.TextChoices):
        OPEN = "open", "待处理 Open"
        CONFIRMED = "confirmed", "确认窜货 Confirmed"
        DISMISSED = "dismissed", "已排除 Dismissed"

    account = models.ForeignKey("partners.DistributorAccount", on_delete=models.CASCADE, related_name="+")
    sell_through = models.OneToOneField(SellThrough, on_delete=models.CASCADE, related_name="alert")
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    note = models.CharField(max_length=300, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["brand", "status", "-created_at"], name="alert_brand_status_time")]
