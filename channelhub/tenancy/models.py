"""The group, its brands (the tenants), users, roles and the credentials that act for them."""

from django.contrib.auth.models import AbstractUser
from django.db import models

from channelhub.core.models import TimeStampedModel


class CorporateGroup(TimeStampedModel):
    """The corporate group that runs the deployment; one deployment serves one group."""

    name = models.CharField(max_length=100)

    def __str__(self) -> str:
        return self.name


class Brand(TimeStampedModel):
    """A brand: the tenant. Everything a brand owns carries its id and is isolated by it."""

    group = models.ForeignKey(CorporateGroup, on_delete=models.PROTECT, related_name="brands")
    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=100)
    name_en = models.CharField(max_length=100, blank=True)
    line_of_business = models.CharField(max_length=100, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person who signs in. What they may see comes from their memberships, never from flags."""

    display_name = models.CharField(max_length=100, blank=True)

    def __str__(self) -> str:
        return self.display_name or self.username


class Role(models.TextChoices):
    GROUP_ADMIN = "group_admin", "集团管理员 Group admin"
    GROUP_ANALYST = "group_analyst", "集团分析师 Group analyst"
    BRAND_ADMIN = "brand_admin", "品牌管理员 Brand admin"
    REGION_MANAGER = "region_manager", "区域经理 Region manager"
    REVIEWER = "reviewer", "审核人 Reviewer"
    FINANCE = "finance", "财务 Finance"
    DISTRIBUTOR_USER = "distributor_user", "经销商用户 Distributor user"


GROUP_ROLES = frozenset({Role.GROUP_ADMIN, Role.GROUP_ANALYST})


class Membership(TimeStampedModel):
    """A role held by a user: group-wide (no brand) for group roles, else in one brand.

    ``divisions`` optionally limits a brand role to part of the country: a region manager of
    江苏 sees only distributors whose territory overlaps 江苏.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    brand = models.ForeignKey(Brand, null=True, blank=True, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=32, choices=Role.choices)
    divisions = models.ManyToManyField("regions.Division", blank=True, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "brand", "role"], name="membership_unique"),
            models.CheckConstraint(
                condition=(
                    models.Q(role__in=sorted(GROUP_ROLES), brand__isnull=True)
                    | (~models.Q(role__in=sorted(GROUP_ROLES)) & models.Q(brand__isnull=False))
                ),
                name="membership_group_roles_have_no_brand",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.role} {self.brand or '*'}"


class ApiToken(models.Model):
    """A personal bearer token (phones, scripts). Only a hash is stored; revoked tokens stay."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"


class ApiKey(models.Model):
    """An integration key (ERP, WMS, CRM) of one brand, limited to the scopes it was given."""

    class Scope(models.TextChoices):
        READ = "read", "read"
        WRITE = "write", "write"

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    scopes = models.JSONField(default=list)
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
