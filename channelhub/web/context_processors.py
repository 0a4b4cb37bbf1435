"""What the page frame needs on every signed-in page: the actor, the brand switcher, the menu."""

from channelhub.tenancy.models import Role
from channelhub.tenancy.permissions import AUDIT_READERS
from channelhub.web.views.base import visible_brands

SECTIONS = ("distributor", "sales_region", "division", "audit", "api_key")


def _section(request) -> str:
    match = getattr(request, "resolver_match", None)
    name = match.url_name if match else ""
    return next((s for s in SECTIONS if (name or "").startswith(s)), name or "")


def tenant(request):
    actor = getattr(request, "actor", None)
    if actor is None:
        return {"actor": None}
    brand_ids = sorted(actor.brand_ids)
    return {
        "actor": actor,
        "switcher_brands": visible_brands(request) if len(actor.allowed_brand_ids) > 1 else [],
        "active_brand_id": actor.active_brand_id,
        "nav": {
            "section": _section(request),
            "staff": any(not actor.is_distributor_only(b) for b in brand_ids),
            "audit": any(actor.has_role(b, *AUDIT_READERS) for b in brand_ids),
            "api_keys": any(actor.has_role(b, Role.BRAND_ADMIN, Role.GROUP_ADMIN) for b in brand_ids),
        },
    }
