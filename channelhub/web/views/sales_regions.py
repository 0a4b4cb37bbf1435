"""Brand sales regions (大区): list, create, edit, delete."""

from django.contrib import messages
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from channelhub.core.errors import Forbidden, NotFound, ServiceError
from channelhub.regions import selectors, services
from channelhub.regions.models import SalesRegionDivision
from channelhub.tenancy.permissions import STAFF_WRITERS
from channelhub.web.errors import error_message
from channelhub.web.forms import SalesRegionForm
from channelhub.web.views.base import (
    actor_required,
    brands_with_role,
    current_brands,
    handle_form,
    int_or_none,
    paginate,
    posted,
)


def _with_members(queryset):
    return queryset.select_related("brand").prefetch_related(
        Prefetch("members", queryset=SalesRegionDivision.objects.select_related("division").order_by("division_id"))
    )


@actor_required
def sales_regions(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    brand_id = int_or_none(request.GET.get("brand"))
    page = paginate(request, _with_members(selectors.sales_regions_for(actor, brand_id=brand_id)))
    context = {
        "page": page,
        "brands": current_brands(request),
        "brand_id": brand_id,
        "writable": {b.id for b in brands_with_role(request, *STAFF_WRITERS)},
    }
    return render(request, "web/sales_regions/list.html", context)


@actor_required
def sales_region_create(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    brands = brands_with_role(request, *STAFF_WRITERS)
    if not brands:
        raise Forbidden("your role does not allow this in this brand")
    form = SalesRegionForm(posted(request), brands=brands)

    def save(form: SalesRegionForm) -> HttpResponse:
        region = services.create_sales_region(actor=actor, **form.create_kwargs())
        messages.success(request, _("Sales region %(name)s created.") % {"name": region.name})
        return redirect("web:sales_regions")

    return handle_form(request, form, "web/sales_regions/form.html", {"creating": True}, save)


@actor_required
def sales_region_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    region = _with_members(selectors.sales_regions_for(actor)).get_for_actor(actor, id=pk)
    if not actor.has_role(region.brand_id, *STAFF_WRITERS):
        raise Forbidden("your role does not allow this in this brand")
    form = SalesRegionForm(posted(request), brands=[], region=region)

    def save(form: SalesRegionForm) -> HttpResponse:
        services.update_sales_region(actor=actor, region=region, **form.update_kwargs())
        messages.success(request, _("Sales region %(name)s saved.") % {"name": form.cleaned_data["name"]})
        return redirect("web:sales_regions")

    return handle_form(request, form, "web/sales_regions/form.html", {"region": region}, save)


@actor_required
def sales_region_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation; POST deletes (refused while distributor territories use it)."""
    actor = request.actor
    region = selectors.get_sales_region(actor, pk)
    if not actor.has_role(region.brand_id, *STAFF_WRITERS):
        raise Forbidden("your role does not allow this in this brand")
    status, error = 200, None
    if request.method == "POST":
        try:
            services.delete_sales_region(actor=actor, region=region)
        except NotFound:
            raise
        except ServiceError as exc:
            status, error = exc.status, error_message(exc)
        else:
            messages.success(request, _("Sales region %(name)s deleted.") % {"name": region.name})
            return redirect("web:sales_regions")
    return render(request, "web/sales_regions/delete.html", {"region": region, "error": error}, status=status)
