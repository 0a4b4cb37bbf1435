"""China's administrative divisions (GB/T 2260) and the sales regions brands build from them."""

from django.db import models

from channelhub.core.models import TimeStampedModel
from channelhub.tenancy.scoping import BrandOwnedModel


class Division(models.Model):
    """A province-, prefecture- or county-level division, keyed by its six-digit GB/T 2260 code.

    ``province`` and ``prefecture`` repeat the ancestors so that "inside 江苏" is one indexed
    comparison instead of a walk up the tree.
    """

    class Level(models.IntegerChoices):
        PROVINCE = 1, "省级 Province"
        PREFECTURE = 2, "地级 Prefecture"
        COUNTY = 3, "县级 County"

    code = models.CharField(max_length=6, primary_key=True)
    name = models.CharField(max_length=50, db_index=True)
    full_name = models.CharField(max_length=150, db_index=True)
    level = models.PositiveSmallIntegerField(choices=Level.choices, db_index=True)
    kind = models.CharField(max_length=20)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    province = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    prefecture = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.full_name

    @property
    def ancestor_codes(self) -> list[str]:
        return [c for c in (self.province_id, self.prefecture_id) if c and c != self.code]


class SalesRegion(BrandOwnedModel, TimeStampedModel):
    """A brand's own sales region (大区), e.g. 华东大区 = 上海 + 江苏 + 浙江 + 安徽."""

    code = models.SlugField(max_length=32)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    divisions = models.ManyToManyField(Division, through="SalesRegionDivision", related_name="+")

    class Meta:
        ordering = ["brand_id", "code"]
        constraints = [
            models.UniqueConstraint(fields=["brand", "code"], name="salesregion_brand_code"),
        ]

    def __str__(self) -> str:
        return self.name


class SalesRegionDivision(BrandOwnedModel):
    """One division inside a sales region (a row, not a list column)."""

    sales_region = models.ForeignKey(SalesRegion, on_delete=models.CASCADE, related_name="members")
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sales_region", "division"], name="salesregiondivision_unique"),
        ]
