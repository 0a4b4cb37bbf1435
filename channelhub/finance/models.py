"""Finance: for now the credit a brand extends to each distributor account (授信).

Available credit = credit limit (while valid) + temporary credit in force − receivables
outstanding − open approved orders. The two running balances live on :class:`CreditAccount` and
change only through ``finance.credit``, under the row's lock.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models

from channelhub.tenancy.scoping import BrandOwnedModel

AMOUNT = {"max_digits": 18, "decimal_places": 2}


class CreditAccount(BrandOwnedModel):
    """One distributor account's credit line and running balances.

    ``committed`` is the amount of approved orders not yet shipped; ``receivable`` what has been
    shipped (or invoiced) and not yet paid, below zero when the distributor has paid ahead or been
    credited a return after paying. Shipping moves an amount from the first to the second.
    """

    account = models.OneToOneField(
        "partners.DistributorAccount", on_delete=models.PROTECT, related_name="credit_account"
    )
    limit = models.DecimalField("信用额度", **AMOUNT, default=Decimal("0"))
    limit_valid_from = models.DateField(null=True, blank=True)
    limit_valid_to = models.DateField(null=True, blank=True, help_text="inclusive; empty: open-ended")
    committed = models.DecimalField(**AMOUNT, default=Decimal("0"))
    receivable = models.DecimalField(**AMOUNT, default=Decimal("0"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(limit__gte=0), name="credit_limit_not_negative"),
            models.CheckConstraint(condition=models.Q(committed__gte=0), name="credit_committed_not_negative"),
        ]

    def __str__(self) -> str:
        return f"credit of account {self.account_id}"


class TemporaryCredit(BrandOwnedModel):
    """Extra credit for a period (临时额度), e.g. for a promotion season; counts while in force."""

    credit_account = models.ForeignKey(CreditAccount, on_delete=models.CASCADE, related_name="temporary")
    amount = models.DecimalField(**AMOUNT)
    valid_from = models.DateField()
    valid_to = models.DateField(help_text="inclusive")
    reason = models.CharField(max_length=200)
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-valid_from", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="temporary_credit_positive"),
            models.CheckConstraint(
                condition=models.Q(valid_to__gte=models.F("valid_from")), name="temporary_credit_window"
            ),
        ]


class CreditEntry(BrandOwnedModel):
    """One movement of the receivable balance: a shipment billed, a payment, a return credited."""

    class Kind(models.TextChoices):
        SHIPMENT = "shipment", "发货应收 Shipment"
        PAYMENT = "payment", "回款 Payment"
        RETURN = "return", "退货冲减 Return"
        ADJUSTMENT = "adjustment", "调整 Adjustment"

    credit_account = models.ForeignKey(CreditAccount, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    amount = models.DecimalField(**AMOUNT, help_text="positive raises the receivable, negative lowers it")
    reference = models.CharField(max_length=64, blank=True, help_text="order, shipment, return or bank reference")
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["credit_account", "-created_at"], name="credit_entry_account_time")]
