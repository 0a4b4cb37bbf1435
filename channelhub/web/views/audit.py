"""The audit trail: who changed what, when, in which brand, each field before and after."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from channelhub.core.errors import Forbidden
from channelhub.tenancy.permissions import AUDIT_READERS
from channelhub.tenancy.selectors import audit_for
from channelhub.web import labels
from channelhub.web.views.base import actor_required, brands_with_role, int_or_none, paginate, visible_brands


@actor_required
def audit_log(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    readable = brands_with_role(request, *AUDIT_READERS)
    if not readable:
        raise Forbidden("your role does not allow this in this brand")
    brand_id = int_or_none(request.GET.get("brand"))
    object_type = request.GET.get("object_type", "")[:64]
    object_id = request.GET.get("object_id", "")[:64]
    page = paginate(request, audit_for(actor, brand_id=brand_id, object_type=object_type, object_id=object_id))
    context = {
        "page": page,
        "brands": readable,
        "brand_id": brand_id,
        "object_type": object_type,
        "object_id": object_id,
        "brand_names": {b.id: labels.brand_name(b) for b in visible_brands(request)},
        "object_types": sorted(labels.OBJECT_TYPE.items(), key=lambda item: str(item[1])),
    }
    return render(request, "web/audit.html", context)
