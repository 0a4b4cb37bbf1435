"""Distributors (经销商): the filtered list, a detail page, create and edit forms."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from channelhub.core.errors import Forbidden
from channelhub.partners import selectors, services
from channelhub.regions.selectors import sales_regions_for, search_divisions
from channelhub.tenancy.permissions import AUDIT_READERS, DISTRIBUTOR_WRITERS
from channelhub.tenancy.selectors import audit_for
from channelhub.web.forms import DistributorFilterForm, DistributorForm
from channelhub.web.views.base import (
    actor_required,
    brands_with_role,
    current_brands,
    handle_form,
    htmx_render,
    int_or_none,
    paginate,
    posted,
)

RECENT_CHANGES = 10


@actor_required
def distributors(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    form = DistributorFilterForm(request.GET)
    if form.is_valid():
        queryset = selectors.distributors_for(actor, **form.selector_kwargs())
    else:
        queryset = selectors.distributors_for(actor).none()
    brands = current_brands(request)
    context = {
        "form": form,
        "page": paginate(request, queryset),
        "brands": brands,
        "sales_regions": list(sales_regions_for(actor).select_related("brand").order_by("brand_id", "name")),
        "multi_brand": len(brands) > 1,
        "provinces": search_divisions(level=1),
        "can_create": bool(brands_with_role(request, *DISTRIBUTOR_WRITERS)),
    }
    return htmx_render(request, "web/distributors/list.html", "web/distributors/_results.html", context)


@actor_required
def distributor_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    account = selectors.get_distributor(actor, pk)
    can_read_audit = actor.has_role(account.brand_id, *AUDIT_READERS)
    changes = (
        list(audit_for(actor, object_type="partners.distributoraccount", object_id=str(account.id))[:RECENT_CHANGES])
        if can_read_audit
        else []
    )
    context = {
        "account": account,
        "brands_served": selectors.brands_serving_party(actor, account.party),
        "changes": changes,
        "can_read_audit": can_read_audit,
        "can_edit": actor.has_role(account.brand_id, *DISTRIBUTOR_WRITERS),
    }
    return render(request, "web/distributors/detail.html", context)


def _regions_of(actor, brand_ids: list[int]) -> list:
    return list(
        sales_regions_for(actor).filter(brand_id__in=brand_ids).select_related("brand").order_by("brand_id", "name")
    )


@actor_required
def distributor_create(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    brands = brands_with_role(request, *DISTRIBUTOR_WRITERS)
    if not brands:
        raise Forbidden("your role does not allow this in this brand")
    # The territory's sales regions are those of the brand chosen in the form (the first at start).
    chosen = int_or_none(request.POST.get("brand") or request.GET.get("brand"))
    brand_id = chosen if chosen in {b.id for b in brands} else brands[0].id
    form = DistributorForm(
        posted(request), brands=brands, sales_regions=_regions_of(actor, [brand_id]), initial={"brand": brand_id}
    )
    form.fields["brand"].widget.attrs.update(
        {
            "hx-get": reverse("web:distributor_sales_region_choices"),
            "hx-target": "#sales-region-choices",
        }
    )

    def save(form: DistributorForm) -> HttpResponse:
        account = services.create_distributor(actor=actor, **form.create_kwargs())
        messages.success(request, _("Distributor %(name)s created.") % {"name": account.name})
        return redirect("web:distributor_detail", pk=account.pk)

    return handle_form(
        request, form, "web/distributors/form.html", {"creating": True}, save, DistributorForm.SERVICE_FIELDS
    )


@actor_required
def distributor_sales_region_choices(request: HttpRequest) -> HttpResponse:
    """The territory's sales-region checkboxes for the brand chosen in the create form (htmx)."""
    actor = request.actor
    brands = brands_with_role(request, *DISTRIBUTOR_WRITERS)
    brand_id = int_or_none(request.GET.get("brand"))
    chosen = [b.id for b in brands if b.id == brand_id]
    form = DistributorForm(brands=brands, sales_regions=_regions_of(actor, chosen))
    return render(request, "web/distributors/_sales_region_choices.html", {"form": form})


@actor_required
def distributor_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    account = selectors.get_distributor(actor, pk)
    if not actor.has_role(account.brand_id, *DISTRIBUTOR_WRITERS):
        raise Forbidden("your role does not allow this in this brand")
    regions = _regions_of(actor, [account.brand_id])
    form = DistributorForm(posted(request), brands=[], sales_regions=regions, account=account)

    def save(form: DistributorForm) -> HttpResponse:
        changes = form.changes()
        if changes:
            services.update_distributor(actor=actor, account=account, changes=changes)
            messages.success(request, _("Distributor %(name)s saved.") % {"name": form.cleaned_data["name"]})
        return redirect("web:distributor_detail", pk=account.pk)

    return handle_form(
        request, form, "web/distributors/form.html", {"account": account}, save, DistributorForm.SERVICE_FIELDS
    )
