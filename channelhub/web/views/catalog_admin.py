"""Catalogue administration for brand admins: products (商品) with categories and Excel import,
and region authorization (区域授权). Other staff are refused (403); other brands' rows are not
found (404). Every write is one catalogue service call; its refusals come back on the form.
"""

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from channelhub.catalog import selectors as catalog
from channelhub.catalog import services
from channelhub.catalog.models import Category
from channelhub.core.errors import Forbidden, NotFound, ServiceError
from channelhub.regions.selectors import sales_regions_for
from channelhub.tenancy.models import Brand
from channelhub.web.catalog_forms import (
    PRODUCT_STATUS,
    TAX_CATEGORY,
    AuthorizationForm,
    CategoryForm,
    ImportForm,
    ProductFilterForm,
    ProductForm,
)
from channelhub.web.catalog_text import import_message, service_message
from channelhub.web.views.base import (
    actor_required,
    brands_with_role,
    htmx_render,
    int_or_none,
    paginate,
    posted,
)

CATALOG_ADMINS = services.CATALOG_WRITERS
NOT_ALLOWED = "your role does not allow this in this brand"


# --- what every catalogue admin page shares ----------------------------------------------------


def admin_brand(request: HttpRequest) -> tuple[Brand, list[Brand]]:
    """The brand the page works on (``?brand=``, else the first the actor administers) and the
    brands to offer. Staff who administer no brand in view are refused; a brand not in view is 404."""
    brands = brands_with_role(request, *CATALOG_ADMINS)
    chosen = int_or_none(request.POST.get("brand") or request.GET.get("brand"))
    if chosen is not None and chosen not in {b.id for b in brands}:
        if chosen in request.actor.brand_ids:
            raise Forbidden(NOT_ALLOWED)
        raise NotFound("brand not found")
    if not brands:
        raise Forbidden(NOT_ALLOWED)
    return next((b for b in brands if b.id == chosen), brands[0]), brands


def require_admin(request: HttpRequest, brand_id: int) -> None:
    if not request.actor.has_role(brand_id, *CATALOG_ADMINS):
        raise Forbidden(NOT_ALLOWED)


def brand_url(name: str, brand_id: int, *args) -> str:
    return f"{reverse(name, args=args)}?brand={brand_id}"


def categories_of(actor, brand_id: int):
    return catalog.categories_for(actor, brand_id=brand_id).order_by("path")


def tree_order(categories) -> list[Category]:
    """Categories parents first, each followed by its subcategories."""
    return sorted(categories, key=lambda category: category.lineage)


def show_refusal(form: forms.Form, exc: ServiceError, field_of: Callable[[str], str | None] | dict | None) -> None:
    """A service refusal on the form field it names (through ``field_of``), else above the form."""
    name = exc.field or ""
    if callable(field_of):
        name = field_of(name) or name
    elif field_of:
        name = field_of.get(name, name)
    form.add_error(name if name in form.fields else None, service_message(exc))


def catalog_form(
    request: HttpRequest,
    form: forms.Form,
    template: str,
    context: dict,
    save: Callable[[forms.Form], HttpResponse],
    field_of: Callable[[str], str | None] | dict | None = None,
) -> HttpResponse:
    """Render ``form``; on a valid POST call ``save`` (one service call). Invalid input answers 422,
    a refusing service its own status with the message on the form; "not found" is the 404 page."""
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                return save(form)
            except NotFound:
                raise
            except ServiceError as exc:
                show_refusal(form, exc, field_of)
                status = exc.status
        else:
            status = 422
    return render(request, template, {**context, "form": form}, status=status)


def admin_context(brand: Brand, brands: list[Brand], tab: str) -> dict:
    return {"brand": brand, "brands": brands, "multi_brand": len(brands) > 1, "tab": tab}


# --- products and categories -------------------------------------------------------------------


@actor_required
def catalog_products(request: HttpRequest) -> HttpResponse:
    """商品: the brand's products, searchable by SKU, name or barcode, filtered by category, paged."""
    actor = request.actor
    brand, brands = admin_brand(request)
    form = ProductFilterForm(request.GET)
    if form.is_valid():
        data = form.cleaned_data
        products = catalog.products_for(actor, brand_id=brand.id, q=data["q"], category=data["category"])
    else:
        products = catalog.products_for(actor, brand_id=brand.id).none()
    categories = tree_order(categories_of(actor, brand.id))
    context = {
        **admin_context(brand, brands, "products"),
        "form": form,
        "page": paginate(request, products),
        "categories": categories,
        "category_form": CategoryForm(categories=categories_of(actor, brand.id)),
        "statuses": PRODUCT_STATUS,
        "taxes": TAX_CATEGORY,
    }
    return htmx_render(request, "web/catalog/products.html", "web/catalog/_products_results.html", context)


@actor_required
def catalog_product_create(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    brand, brands = admin_brand(request)
    form = ProductForm(posted(request), categories=categories_of(actor, brand.id))

    def save(form: ProductForm) -> HttpResponse:
        product = services.create_product(actor=actor, brand_id=brand.id, **form.create_kwargs())
        messages.success(request, _("Product %(sku)s created.") % {"sku": product.sku})
        return redirect(brand_url("web:catalog_products", brand.id))

    context = {**admin_context(brand, brands, "products"), "creating": True}
    return catalog_form(request, form, "web/catalog/product_form.html", context, save)


@actor_required
def catalog_product_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    product = catalog.get_product(actor, pk)
    require_admin(request, product.brand_id)
    brand, brands = admin_brand(request)
    if brand.id != product.brand_id:
        brand = next(b for b in brands if b.id == product.brand_id)
    form = ProductForm(posted(request), categories=categories_of(actor, product.brand_id), product=product)

    def save(form: ProductForm) -> HttpResponse:
        changes = form.changes()
        if changes:
            services.update_product(actor=actor, product=product, changes=changes)
            messages.success(request, _("Product %(sku)s saved.") % {"sku": form.cleaned_data["sku"]})
        return redirect(brand_url("web:catalog_products", product.brand_id))

    context = {**admin_context(brand, brands, "products"), "product": product}
    return catalog_form(request, form, "web/catalog/product_form.html", context, save)


@actor_required
def catalog_category_create(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    brand, brands = admin_brand(request)
    form = CategoryForm(posted(request), categories=categories_of(actor, brand.id))

    def save(form: CategoryForm) -> HttpResponse:
        data = form.cleaned_data
        category = services.create_category(
            actor=actor, brand_id=brand.id, code=data["code"], name=data["name"], parent=data["parent"]
        )
        messages.success(request, _("Category %(name)s created.") % {"name": category.name})
        return redirect(brand_url("web:catalog_products", brand.id))

    context = admin_context(brand, brands, "products")
    return catalog_form(request, form, "web/catalog/category_form.html", context, save)


@actor_required
def catalog_product_import(request: HttpRequest) -> HttpResponse:
    """导入: an .xlsx sheet of products, all or nothing; a refused file lists every bad cell."""
    from channelhub.catalog import excel  # the spreadsheet module loads openpyxl: only here

    actor = request.actor
    brand, brands = admin_brand(request)
    form = ImportForm(posted(request), request.FILES or None)
    context = {
        **admin_context(brand, brands, "products"),
        "form": form,
        "report": None,
        "columns": excel.PRODUCT_COLUMNS,
    }
    status = 200
    if request.method == "POST":
        if not form.is_valid():
            status = 422
        else:
            try:
                report = excel.import_products(actor=actor, brand_id=brand.id, file=form.cleaned_data["file"])
            except NotFound:
                raise
            except ServiceError as exc:
                show_refusal(form, exc, None)
                status = exc.status
            else:
                if report.ok:
                    messages.success(
                        request,
                        _("%(rows)s rows imported: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.")
                        % {
                            "rows": report.rows,
                            "created": report.created,
                            "updated": report.updated,
                            "unchanged": report.unchanged,
                        },
                    )
                    return redirect(brand_url("web:catalog_products", brand.id))
                status = 422
                context["report"] = report
                context["errors"] = [
                    {"row": e.row, "column": e.column, "message": import_message(e.message)} for e in report.errors
                ]
    return render(request, "web/catalog/import.html", context, status=status)


# --- region authorization ----------------------------------------------------------------------


@actor_required
def catalog_authorizations(request: HttpRequest) -> HttpResponse:
    """区域授权: the brand's rules, newest first, and a form adding one (allow or forbid)."""
    actor = request.actor
    brand, brands = admin_brand(request)
    form = AuthorizationForm(
        posted(request),
        categories=categories_of(actor, brand.id),
        sales_regions=sales_regions_for(actor, brand_id=brand.id).order_by("name"),
    )

    def save(form: AuthorizationForm) -> HttpResponse:
        data = form.cleaned_data
        product = None
        if data["target"] == "product":
            product = catalog.products_for(actor, brand_id=brand.id).filter(sku=data["sku"].strip()).first()
            if product is None:
                form.add_error("sku", _("Unknown SKU %(sku)s.") % {"sku": data["sku"].strip()})
                return render_page(422)
        rule = services.authorize(
            actor=actor,
            brand_id=brand.id,
            allow=data["allow"],
            product=product,
            category=data["category"] if data["target"] == "category" else None,
            division=data["division"].strip() if data["where"] == "division" else None,
            sales_region=data["sales_region"].id if data["where"] == "sales_region" else None,
            priority=data["priority"],
            note=data["note"],
        )
        messages.success(request, _("Rule #%(id)s added.") % {"id": rule.id})
        return redirect(brand_url("web:catalog_authorizations", brand.id))

    def render_page(status: int) -> HttpResponse:
        return render(request, "web/catalog/authorizations.html", {**context(), "form": form}, status=status)

    def context() -> dict:
        return {
            **admin_context(brand, brands, "authorizations"),
            "page": paginate(request, catalog.authorizations_for(actor, brand_id=brand.id)),
        }

    return catalog_form(
        request, form, "web/catalog/authorizations.html", context(), save, {"product": "sku", "category": "category"}
    )


@actor_required
@require_POST
def catalog_authorization_remove(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    rule = catalog.get_authorization(actor, pk)
    require_admin(request, rule.brand_id)
    services.remove_authorization(actor=actor, rule=rule)
    messages.success(request, _("Rule #%(id)s removed.") % {"id": pk})
    return redirect(brand_url("web:catalog_authorizations", rule.brand_id))
