"""Prices for brand admins: price lists (价格表) with their items, promotions (促销) with their
budgets and approval, and 价格解释 (the price engine's full trace for one distributor and SKU)."""

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from channelhub.catalog import pricing, services
from channelhub.catalog import selectors as catalog
from channelhub.core.errors import NotFound, ServiceError
from channelhub.partners import selectors as partners
from channelhub.regions.selectors import sales_regions_for
from channelhub.web.catalog_forms import (
    LIST_KIND,
    LIST_STATUS,
    MECHANIC,
    PROMOTION_STATUS,
    ExplainForm,
    PriceListForm,
    PricesForm,
    PromotionFilterForm,
    PromotionForm,
)
from channelhub.web.catalog_text import OUTCOME, STAGE, engine_text, mechanic_summary, service_message
from channelhub.web.views.base import actor_required, paginate, posted
from channelhub.web.views.catalog import buyer_of
from channelhub.web.views.catalog_admin import (
    admin_brand,
    admin_context,
    brand_url,
    catalog_form,
    categories_of,
    require_admin,
    show_refusal,
)

DISTRIBUTORS_OFFERED = 20


def _distributor_by_code(actor, brand_id: int, code: str):
    return partners.distributors_for(actor, brand_id=brand_id).filter(code=code.strip()).first()


def _suggest_distributors(field, brand_id: int) -> None:
    """Fill the field's datalist with the distributors matching what is typed (htmx)."""
    field.widget.attrs.update(
        {
            "hx-get": f"{reverse('web:catalog_distributor_options')}?brand={brand_id}",
            "hx-trigger": "input changed delay:300ms",
            "hx-target": "#distributor-codes",
            "hx-swap": "innerHTML",
        }
    )


# --- price lists -------------------------------------------------------------------------------


@actor_required
def catalog_price_lists(request: HttpRequest) -> HttpResponse:
    """价格表: the brand's price lists with how many prices each holds."""
    actor = request.actor
    brand, brands = admin_brand(request)
    lists = (
        catalog.price_lists_for(actor, brand_id=brand.id)
        .select_related("distributor", "division", "sales_region")
        .annotate(item_count=Count("items"))
        .order_by("code")
    )
    context = {
        **admin_context(brand, brands, "price_lists"),
        "page": paginate(request, lists),
        "kinds": LIST_KIND,
        "statuses": LIST_STATUS,
    }
    return render(request, "web/catalog/price_lists.html", context)


@actor_required
def catalog_price_list_create(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    brand, brands = admin_brand(request)
    form = PriceListForm(posted(request), sales_regions=sales_regions_for(actor, brand_id=brand.id).order_by("name"))
    _suggest_distributors(form.fields["distributor"], brand.id)

    def save(form: PriceListForm) -> HttpResponse:
        code = form.cleaned_data["distributor"].strip()
        distributor_id = None
        if code:
            account = _distributor_by_code(actor, brand.id, code)
            if account is None:
                form.add_error("distributor", _("Unknown distributor code %(code)s.") % {"code": code})
                return render(request, "web/catalog/price_list_form.html", {**context, "form": form}, status=422)
            distributor_id = account.id
        price_list = services.create_price_list(actor=actor, brand_id=brand.id, **form.create_kwargs(distributor_id))
        messages.success(request, _("Price list %(name)s created.") % {"name": price_list.name})
        return redirect("web:catalog_price_list", pk=price_list.pk)

    context = admin_context(brand, brands, "price_lists")
    return catalog_form(request, form, "web/catalog/price_list_form.html", context, save, PriceListForm.SERVICE_FIELDS)


def _prices_text(items) -> str:
    return "\n".join(f"{item.product.sku}\t{item.unit_price.normalize():f}\t{item.min_qty}" for item in items)


@actor_required
def catalog_price_list(request: HttpRequest, pk: int) -> HttpResponse:
    """One price list: its prices (paged) and a form pasting rows into it (SKU, price, min qty)."""
    actor = request.actor
    price_list = catalog.get_price_list(actor, pk)
    require_admin(request, price_list.brand_id)
    brand, brands = admin_brand(request)
    brand = next(b for b in brands if b.id == price_list.brand_id)
    items = price_list.items.select_related("product").order_by("product__sku", "min_qty")
    page = paginate(request, items)
    initial = {"rows": _prices_text(page.object_list)} if request.GET.get("edit") else None
    form = PricesForm(posted(request), initial=initial)
    status = 200
    if request.method == "POST":
        if not form.is_valid():
            status = 422
        else:
            try:
                count = services.set_prices(actor=actor, price_list=price_list, prices=form.cleaned_data["rows"])
            except NotFound:
                raise
            except ServiceError as exc:
                show_refusal(form, form.on_lines(exc), lambda field: "rows")
                status = exc.status
            else:
                messages.success(request, _("%(count)s prices saved.") % {"count": count})
                return redirect("web:catalog_price_list", pk=price_list.pk)
    context = {
        **admin_context(brand, brands, "price_lists"),
        "price_list": price_list,
        "page": page,
        "form": form,
        "kinds": LIST_KIND,
        "statuses": LIST_STATUS,
    }
    return render(request, "web/catalog/price_list.html", context, status=status)


# --- promotions --------------------------------------------------------------------------------


def _percent(used, cap) -> int | None:
    if cap is None:
        return None
    if not cap:
        return 100
    return min(100, int(used * 100 / cap))


@actor_required
def catalog_promotions(request: HttpRequest) -> HttpResponse:
    """促销: the brand's promotions with their status and the budget used so far."""
    actor = request.actor
    brand, brands = admin_brand(request)
    form = PromotionFilterForm(request.GET)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    page = paginate(request, catalog.promotions_for(actor, brand_id=brand.id, status=status).order_by("-id"))
    rows = [
        {
            "promotion": p,
            "summary": mechanic_summary(p),
            "amount_used": _percent(p.used_amount, p.budget_amount),
            "quantity_used": _percent(p.used_quantity, p.budget_quantity),
            "submittable": p.status in ("draft", "rejected"),
        }
        for p in page.object_list
    ]
    context = {
        **admin_context(brand, brands, "promotions"),
        "page": page,
        "rows": rows,
        "status": status,
        "statuses": PROMOTION_STATUS,
        "mechanics": MECHANIC,
    }
    return render(request, "web/catalog/promotions.html", context)


@actor_required
def catalog_promotion_create(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    brand, brands = admin_brand(request)
    form = PromotionForm(
        posted(request),
        categories=categories_of(actor, brand.id),
        sales_regions=sales_regions_for(actor, brand_id=brand.id).order_by("name"),
    )

    def save(form: PromotionForm) -> HttpResponse:
        data = form.cleaned_data
        accounts = dict(
            partners.distributors_for(actor, brand_id=brand.id)
            .filter(code__in=data["distributors"])
            .values_list("code", "id")
        )
        products = dict(
            catalog.products_for(actor, brand_id=brand.id).filter(sku__in=data["products"]).values_list("sku", "id")
        )
        unknown_codes = [code for code in data["distributors"] if code not in accounts]
        unknown_skus = [sku for sku in data["products"] if sku not in products]
        if unknown_codes:
            form.add_error(
                "distributors", _("Unknown distributor codes: %(codes)s") % {"codes": ", ".join(unknown_codes)}
            )
        if unknown_skus:
            form.add_error("products", _("Unknown SKUs: %(skus)s") % {"skus": ", ".join(unknown_skus)})
        if unknown_codes or unknown_skus:
            return render(request, "web/catalog/promotion_form.html", {**context, "form": form}, status=422)
        promotion = services.create_promotion(
            actor=actor,
            brand_id=brand.id,
            **form.create_kwargs(
                distributor_ids=sorted(set(accounts.values())), product_ids=sorted(set(products.values()))
            ),
        )
        messages.success(request, _("Promotion %(name)s saved as a draft.") % {"name": promotion.name})
        return redirect(brand_url("web:catalog_promotions", brand.id))

    context = {**admin_context(brand, brands, "promotions"), "mechanics": MECHANIC}
    return catalog_form(request, form, "web/catalog/promotion_form.html", context, save, form.params_field)


@actor_required
@require_POST
def catalog_promotion_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """提交审批: send a draft (or rejected) promotion into the brand's promotion_approval process."""
    actor = request.actor
    promotion = catalog.get_promotion(actor, pk)
    require_admin(request, promotion.brand_id)
    try:
        services.submit_promotion(actor=actor, promotion=promotion)
    except NotFound:
        raise
    except ServiceError as exc:
        messages.error(request, service_message(exc))
    else:
        messages.success(request, _("Promotion %(name)s submitted for approval.") % {"name": promotion.name})
    return redirect(brand_url("web:catalog_promotions", promotion.brand_id))


# --- price explanation -------------------------------------------------------------------------


def _find_distributor(actor, brand_id: int, text: str):
    """The distributor a typed code or name means: the exact code, else the one name or code
    containing the text. Returns (account or None, the candidates when several match)."""
    exact = _distributor_by_code(actor, brand_id, text)
    if exact is not None:
        return exact, []
    found = list(partners.distributors_for(actor, brand_id=brand_id, query=text)[: DISTRIBUTORS_OFFERED + 1])
    return (found[0], []) if len(found) == 1 else (None, found[:DISTRIBUTORS_OFFERED])


@actor_required
def catalog_explain(request: HttpRequest) -> HttpResponse:
    """价格解释: which authorization rules, price lists and promotions the engine considered for one
    distributor, SKU and quantity (now, or at a chosen moment), and why each won or lost."""
    actor = request.actor
    brand, brands = admin_brand(request)
    asked = "sku" in request.GET
    form = ExplainForm(request.GET if asked else None)
    _suggest_distributors(form.fields["distributor"], brand.id)
    context = {**admin_context(brand, brands, "explain"), "form": form, "line": None, "candidates": []}
    status = 200
    if asked and form.is_valid():
        data = form.cleaned_data
        account, candidates = _find_distributor(actor, brand.id, data["distributor"])
        if account is None:
            form.add_error(
                "distributor",
                _("Several distributors match; choose one below.") if candidates else _("No distributor matches."),
            )
            context["candidates"] = candidates
            status = 422
        else:
            account = partners.get_distributor(actor, account.id)
            quote = pricing.quote(buyer_of(account), [pricing.Line(data["sku"].strip(), data["qty"])], at=data["at"])
            line = quote.lines[0]
            context.update(
                account=account,
                quote=quote,
                line=line,
                reason=engine_text(line.reason),
                trace=[
                    {
                        "stage": str(STAGE.get(c.stage, c.stage)),
                        "rule": engine_text(c.rule),
                        "outcome": c.outcome,
                        "outcome_label": str(OUTCOME.get(c.outcome, c.outcome)),
                        "why": engine_text(c.why),
                    }
                    for c in line.trace
                ],
                applied=[{**a, "why": engine_text(a.get("why", ""))} for a in line.promotions],
            )
    elif asked:
        status = 422
    return render(request, "web/catalog/explain.html", context, status=status)


@actor_required
def catalog_distributor_options(request: HttpRequest) -> HttpResponse:
    """The ``<option>``s of a distributor code datalist, for what was typed (htmx)."""
    actor = request.actor
    brand, _brands = admin_brand(request)
    text = (request.GET.get("distributor") or "").strip()[:100]
    accounts = partners.distributors_for(actor, brand_id=brand.id, query=text)[:DISTRIBUTORS_OFFERED] if text else []
    return render(request, "web/catalog/_distributor_options.html", {"accounts": accounts})
