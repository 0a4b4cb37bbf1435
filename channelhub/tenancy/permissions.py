"""Role checks shared by the services of every module."""

from channelhub.core.errors import Forbidden, NotFound, ValidationFailed
from channelhub.tenancy.actor import Actor
from channelhub.tenancy.models import Role

STAFF_WRITERS = (Role.GROUP_ADMIN, Role.BRAND_ADMIN)
DISTRIBUTOR_WRITERS = (Role.GROUP_ADMIN, Role.BRAND_ADMIN, Role.REGION_MANAGER)
AUDIT_READERS = (Role.GROUP_ADMIN, Role.GROUP_ANALYST, Role.BRAND_ADMIN)


def require_brand(actor: Actor, brand_id: int | None) -> int:
    """The brand to act in: the one given, or the actor's only brand; 404 if not the actor's."""
    if brand_id is None:
        if len(actor.brand_ids) == 1:
            return next(iter(actor.brand_ids))
        raise ValidationFailed("choose a brand (brand_id) to act in", code="brand_required", field="brand_id")
    if brand_id not in actor.brand_ids:
        raise NotFound("brand not found", field="brand_id")
    return brand_id


def require_role(actor: Actor, brand_id: int, *roles: str) -> None:
    if not actor.has_role(brand_id, *roles):
        raise Forbidden("your role does not allow this in this brand", code="permission_denied")
