"""Integration keys (ERP, WMS, CRM) of the brands the user administers."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from channelhub.core.errors import Forbidden, NotFound, ServiceError
from channelhub.tenancy import selectors, services
from channelhub.tenancy.models import Role
from channelhub.web.forms import ApiKeyForm
from channelhub.web.views.base import actor_required, add_service_error, brands_with_role, paginate, posted

KEY_ADMINS = (Role.BRAND_ADMIN, Role.GROUP_ADMIN)


def _admin_brands(request: HttpRequest) -> list:
    brands = brands_with_role(request, *KEY_ADMINS)
    if not brands:
        raise Forbidden("only brand admins manage integration keys")
    return brands


@actor_required
def api_keys(request: HttpRequest) -> HttpResponse:
    """The keys, and a form that creates one; the new key's secret is shown on this answer only."""
    actor = request.actor
    brands = _admin_brands(request)
    form = ApiKeyForm(posted(request), brands=brands)
    status, created = 200, None
    if request.method == "POST":
        if not form.is_valid():
            status = 422
        else:
            try:
                key, raw = services.create_api_key(actor=actor, **form.create_kwargs())
            except NotFound:
                raise
            except ServiceError as exc:
                add_service_error(form, exc, {"brand_id": "brand"})
                status = exc.status
            else:
                created = {"key": key, "raw": raw}
                status = 201
                form = ApiKeyForm(brands=brands)
    keys = selectors.api_keys_for(actor).filter(brand_id__in=[b.id for b in brands]).select_related("brand")
    context = {"form": form, "created": created, "page": paginate(request, keys), "multi_brand": len(brands) > 1}
    response = render(request, "web/api_keys.html", context, status=status)
    add_never_cache_headers(response)
    return response


@actor_required
@require_POST
def api_key_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    brands = _admin_brands(request)
    key = selectors.api_keys_for(actor).filter(id=pk, brand_id__in=[b.id for b in brands]).first()
    if key is None:
        raise NotFound("API key not found")
    services.revoke_api_key(actor=actor, key=key)
    messages.success(request, _("Key %(name)s revoked.") % {"name": key.name})
    return redirect("web:api_keys")
