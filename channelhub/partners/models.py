"""Distributors (经销商): one group-level party per company, one account per brand it serves."""

from decimal import Decimal

from django.conf import settings
from django.db import models

from channelhub.core.models import CustomFieldsModel, TimeStampedModel
from channelhub.regions.models import Division, SalesRegion, SalesRegionDivision
from channelhub.regions.selectors import overlapping_division_codes
from channelhub.tenancy.actor import Actor
from channelhub.tenancy.scoping import BrandOwnedModel, BrandScopedQuerySet


class DistributorParty(TimeStampedModel):
    """A distributor company as the group knows it, keyed by its unified social credit code.

    Shared by all brands it serves; brand-specific data lives on :class:`DistributorAccount`.
    """

    credit_code = models.CharField("统一社会信用代码", max_length=18, unique=True)
    name = models.CharField(max_length=200, db_index=True)
    legal_representative = models.CharField(max_length=50, blank=True)
    registered_capital = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True, help_text="CNY")
    # How many brands hold an account with this company. Kept here, on the group-level row,
    # because a brand user cannot see (and on PostgreSQL, RLS will not show) other brands' accounts.
    account_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "distributor party"
        verbose_name_plural = "distributor parties"

    def __str__(self) -> str:
        return self.name


def territory_overlap_q(brand_ids: list[int], division_codes: frozenset[str]) -> models.Q:
    """Accounts (of these brands) whose territory overlaps the divisions: inside, equal or around.

    The overlapping division codes are resolved first (reference data, cached), so each branch is
    one indexed ``IN``: territory divisions, and sales regions having such a division as member.
    """
    codes = overlapping_division_codes(division_codes)
    regions = SalesRegionDivision.objects.filter(brand_id__in=brand_ids, division_id__in=codes)
    entries = TerritoryEntry.objects.filter(brand_id__in=brand_ids)
    by_division = entries.filter(division_id__in=codes).values("account_id")
    by_region = entries.filter(sales_region_id__in=regions.values("sales_region_id")).values("account_id")
    return models.Q(id__in=by_division) | models.Q(id__in=by_region)


class DistributorQuerySet(BrandScopedQuerySet):
    """Accounts narrowed by who looks: region limits for staff, one's own account for distributors."""

    def for_actor(self, actor: Actor, *, brand_id: int | None = None) -> "DistributorQuerySet":
        """What the actor may see, optionally of one brand only (one brand condition, not two)."""
        brand_ids = sorted(actor.brand_ids if brand_id is None else actor.brand_ids & {brand_id})
        whole_brands, condition = [], models.Q()
        for brand in brand_ids:
            if actor.sees_whole_brand(brand):
                whole_brands.append(brand)
            elif actor.is_distributor_only(brand):
                own = DistributorUser.objects.filter(brand_id=brand, user=actor.user)
                condition |= models.Q(brand_id=brand, id__in=own.values("account_id"))
            else:
                condition |= models.Q(brand_id=brand) & territory_overlap_q([brand], actor.division_limit(brand))
        if len(whole_brands) == 1:
            condition |= models.Q(brand_id=whole_brands[0])
        elif whole_brands:
            condition |= models.Q(brand_id__in=whole_brands)
        return self.filter(condition) if condition else self.none()

    def in_regions(self, brand_ids: list[int], division_codes: frozenset[str]) -> "DistributorQuerySet":
        """Accounts whose territory overlaps any of the divisions (inside, equal or around)."""
        return self.filter(territory_overlap_q(brand_ids, division_codes))


class DistributorAccount(BrandOwnedModel, TimeStampedModel, CustomFieldsModel):
    """A party's account with one brand: code, grade, status, address and sales territory."""

    class Grade(models.TextChoices):
        A = "A", "A"
        B = "B", "B"
        C = "C", "C"
        D = "D", "D"

    class Status(models.TextChoices):
        PROSPECT = "prospect", "意向 Prospect"
        ACTIVE = "active", "合作中 Active"
        SUSPENDED = "suspended", "暂停 Suspended"
        EXITED = "exited", "已退出 Exited"

    party = models.ForeignKey(DistributorParty, on_delete=models.PROTECT, related_name="accounts")
    code = models.CharField(max_length=32)
    name = models.CharField(max_length=200, help_text="name as the brand shows it")
    grade = models.CharField(max_length=2, choices=Grade.choices, default=Grade.C)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PROSPECT)
    registered_division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+")
    address = models.CharField(max_length=255, blank=True)
    credit_limit = models.DecimalField(max_digits=18, decimal_places=2, default=Decimal("0"))

    objects = DistributorQuerySet.as_manager()

    class Meta:
        verbose_name = "distributor"
        ordering = ["brand_id", "code"]
        constraints = [
            models.UniqueConstraint(fields=["brand", "code"], name="account_brand_code"),
            models.UniqueConstraint(fields=["brand", "party"], name="account_brand_party"),
        ]
        indexes = [
            models.Index(fields=["brand", "status", "grade"], name="account_brand_status_grade"),
            models.Index(fields=["brand", "name"], name="account_brand_name"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class TerritoryEntry(BrandOwnedModel):
    """One region of an account's sales territory: a division or a brand sales region."""

    account = models.ForeignKey(DistributorAccount, on_delete=models.CASCADE, related_name="territory")
    division = models.ForeignKey(Division, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    sales_region = models.ForeignKey(SalesRegion, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(division__isnull=False, sales_region__isnull=True)
                    | models.Q(division__isnull=True, sales_region__isnull=False)
                ),
                name="territory_one_kind",
            ),
            models.UniqueConstraint(fields=["account", "division"], name="territory_division"),
            models.UniqueConstraint(fields=["account", "sales_region"], name="territory_region"),
        ]
        indexes = [models.Index(fields=["brand", "division"], name="territory_brand_division")]


class DistributorContact(BrandOwnedModel):
    """A person to call at a distributor (owner, buyer, finance)."""

    account = models.ForeignKey(DistributorAccount, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=50)
    title = models.CharField(max_length=50, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    email = models.EmailField(blank=True)
    is_primary = models.BooleanField(default=False)

    class Meta:
        ordering = ["-is_primary", "id"]

    def __str__(self) -> str:
        return self.name


class DistributorUser(BrandOwnedModel):
    """Links a distributor_user sign-in to the one account it acts for."""

    account = models.ForeignKey(DistributorAccount, on_delete=models.CASCADE, related_name="users")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["brand", "user"], name="distributoruser_one_per_brand"),
        ]
