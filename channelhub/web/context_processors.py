"""What the page frame needs on every signed-in page: the actor, the brand switcher, the menu."""

from functools import cache

from channelhub.finance.selectors import readable_brand_ids
from channelhub.messaging.selectors import unread_count
from channelhub.orders.services import BUYERS
from channelhub.tenancy.models import Role
from channelhub.tenancy.permissions import AUDIT_READERS
from channelhub.web.views.base import visible_brands
from channelhub.workflow.selectors import SLA_READERS, inbox_for

# the first prefix of the page's URL name picks the highlighted menu entry
SECTIONS = (
    "catalogue",  # before "catalog": the distributor's catalogue is its own menu entry
    "catalog",
    "notification",
    "sla",
    "distributor",
    "sales_region",
    "division",
    "audit",
    "api_key",
    "approval_request",
    "approval",
    "process",
    "order",
    "stock",
    "finance",
    "reports",
)


def _section(request) -> str:
    match = getattr(request, "resolver_match", None)
    name = match.url_name if match else ""
    return next((s for s in SECTIONS if (name or "").startswith(s)), name or "")


def _inbox_count(request, actor):
    """The menu badge's number of open tasks: one COUNT, run only when a page draws the menu
    (htmx fragments do not), and not at all on the inbox, which counted already."""

    @cache
    def count() -> int:
        known = getattr(request, "inbox_count", None)
        return known if known is not None else inbox_for(actor).count()

    return count


def _unread_count(actor):
    """The header bell's number of unread notifications: one COUNT, only when a page draws the header."""

    @cache
    def count() -> int:
        return unread_count(actor)

    return count


def tenant(request):
    actor = getattr(request, "actor", None)
    if actor is None:
        return {"actor": None}
    brand_ids = sorted(actor.brand_ids)
    staff = any(not actor.is_distributor_only(b) for b in brand_ids)
    admin = any(actor.has_role(b, Role.BRAND_ADMIN, Role.GROUP_ADMIN) for b in brand_ids)
    return {
        "actor": actor,
        "switcher_brands": visible_brands(request) if len(actor.allowed_brand_ids) > 1 else [],
        "active_brand_id": actor.active_brand_id,
        "nav": {
            "section": _section(request),
            "staff": staff,
            "audit": any(actor.has_role(b, *AUDIT_READERS) for b in brand_ids),
            "api_keys": admin,
            "catalog": admin,
            "definitions": admin,
            "sla": any(actor.has_role(b, *SLA_READERS) for b in brand_ids),
            "orders_new": any(actor.has_role(b, *BUYERS) for b in brand_ids),
            "credit": bool(readable_brand_ids(actor)),
            "inbox_count": _inbox_count(request, actor) if staff else 0,
            "unread_count": _unread_count(actor),
        },
    }
