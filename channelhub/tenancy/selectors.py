"""Reads of brands, the actor's own data and credentials."""

from django.db.models import QuerySet

from channelhub.core.errors import NotFound
from channelhub.core.models import AuditEntry
from channelhub.tenancy.actor import Actor
from channelhub.tenancy.models import ApiKey, ApiToken, Brand, Role, User
from channelhub.tenancy.permissions import AUDIT_READERS


def brands_for(actor: Actor) -> QuerySet[Brand]:
    return Brand.objects.filter(id__in=actor.allowed_brand_ids).order_by("code")


def get_brand(actor: Actor, brand_id: int) -> Brand:
    brand = brands_for(actor).filter(id=brand_id).first()
    if brand is None:
        raise NotFound("brand not found")
    return brand


def api_tokens_for(actor: Actor) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=actor.user).order_by("-created_at")


def api_keys_for(actor: Actor) -> QuerySet[ApiKey]:
    """Integration keys of the brands the actor administers (nobody else sees them)."""
    administered = [b for b in sorted(actor.brand_ids) if actor.has_role(b, Role.BRAND_ADMIN, Role.GROUP_ADMIN)]
    return ApiKey.objects.filter(brand_id__in=administered).order_by("brand_id", "-created_at")


def audit_for(
    actor: Actor, *, brand_id: int | None = None, object_type: str = "", object_id: str = ""
) -> QuerySet[AuditEntry]:
    """Audit rows of brands where the actor administers or analyses; group rows for group users."""
    readable = [b for b in sorted(actor.brand_ids) if actor.has_role(b, *AUDIT_READERS)]
    qs = AuditEntry.objects.filter(brand_id__in=readable)
    if actor.is_group_user:
        qs = AuditEntry.objects.filter(brand_id__in=readable) | AuditEntry.objects.filter(brand_id__isnull=True)
    if brand_id is not None:
        qs = qs.filter(brand_id=brand_id)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id:
        qs = qs.filter(object_id=object_id)
    return qs.select_related("actor").order_by("-created_at", "-id")


def active_user(username: str) -> User | None:
    """A signed-up, active person by username (to hand work to), or None."""
    return User.objects.filter(username=username, is_active=True).first()


def colleagues_with_role(actor: Actor, *, brand_id: int, role: str, limit: int = 50) -> list[User]:
    """Active people holding ``role`` in one of the actor's brands, the actor left out."""
    if brand_id not in actor.brand_ids:
        return []
    users = User.objects.filter(memberships__brand_id=brand_id, memberships__role=role, is_active=True)
    if actor.user is not None:
        users = users.exclude(pk=actor.user.pk)
    return list(users.distinct().order_by("username")[:limit])
