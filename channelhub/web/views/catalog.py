"""订货目录: a distributor's catalogue with its own prices, the promotions reaching it, and 试算 (a
quote of the quantities typed on the page). Distributor users see their own account's; staff
choose a distributor they may see (``?distributor=<id>``).

Every price comes from the price engine (:mod:`channelhub.catalog.pricing`), the one that prices
orders and answers the API, so the page and an order can never disagree.
"""

from dataclasses import dataclass
from datetime import datetime

from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_POST

from channelhub.catalog import pricing
from channelhub.catalog import selectors as catalog
from channelhub.catalog.models import Product, Promotion
from channelhub.catalog.services import CATALOG_WRITERS
from channelhub.orders import stock
from channelhub.orders.services import BUYERS
from channelhub.partners import selectors as partners
from channelhub.partners.models import DistributorAccount
from channelhub.web.catalog_forms import LIST_KIND, CatalogueFilterForm, QuoteForm
from channelhub.web.catalog_text import REFUSAL, engine_text, mechanic_summary
from channelhub.web.views.base import actor_required, htmx_render, is_htmx

CATALOGUE_PAGE = 20
DISTRIBUTORS_OFFERED = 20
CATALOG_ADMINS = CATALOG_WRITERS


def buyer_of(account: DistributorAccount) -> pricing.Buyer:
    """The price engine's buyer for a distributor account (its territory prefetched or read here);
    the same composition as the catalogue API's."""
    territory = list(account.territory.all())
    return pricing.Buyer(
        brand_id=account.brand_id,
        distributor_id=account.id,
        grade=account.grade,
        home_division=account.registered_division_id,
        territory_divisions=tuple(t.division_id for t in territory if t.division_id),
        territory_sales_regions=tuple(t.sales_region_id for t in territory if t.sales_region_id),
    )


# --- promotions reaching a buyer ---------------------------------------------------------------


def promotions_reaching(book: pricing.PriceBook, buyer: pricing.Buyer, at: datetime) -> list[Promotion]:
    """The brand's promotions in force at ``at`` whose grades, distributors and regions include the
    buyer, whatever the products (the engine's ``_reaches`` without its product test)."""
    home = set(pricing.division_chain(buyer.home_division)) if buyer.home_division else set()
    home_regions = {sr for sr, members in book.sales_region_members.items() if members & home}
    found = []
    for promotion in book.promotions:
        if not (promotion.starts_at <= at < promotion.ends_at):
            continue
        if promotion.grades and buyer.grade not in promotion.grades:
            continue
        if promotion.distributor_ids and buyer.distributor_id not in promotion.distributor_ids:
            continue
        targets_regions = promotion.division_codes or promotion.sales_region_ids
        in_regions = set(promotion.division_codes) & home or set(promotion.sales_region_ids) & home_regions
        if targets_regions and not in_regions:
            continue
        found.append(promotion)
    return found


def covers(book: pricing.PriceBook, promotion: Promotion, product: Product) -> bool:
    """Whether the promotion's products (or categories, with their subcategories) include ``product``."""
    if not (promotion.product_ids or promotion.category_ids):
        return True
    lineage = book.lineage.get(product.category_id, [])
    return product.id in promotion.product_ids or bool(set(promotion.category_ids) & set(lineage))


def with_budget_left(actor, brand_id: int, promotions: list[Promotion]) -> list[Promotion]:
    """The promotions whose budget is not used up, read live (orders use budgets up): one query."""
    capped = [p.id for p in promotions if p.budget_amount is not None or p.budget_quantity is not None]
    if not capped:
        return promotions
    used_up = set()
    live = catalog.promotions_for(actor, brand_id=brand_id).filter(id__in=capped)
    for pid, used_amount, used_quantity, budget_amount, budget_quantity in live.values_list(
        "id", "used_amount", "used_quantity", "budget_amount", "budget_quantity"
    ):
        if (budget_amount is not None and used_amount >= budget_amount) or (
            budget_quantity is not None and used_quantity >= budget_quantity
        ):
            used_up.add(pid)
    return [p for p in promotions if p.id not in used_up]


def scope_summary(book: pricing.PriceBook, promotion: Promotion) -> list[str]:
    """The categories and SKUs a promotion covers, by name (empty: every product)."""
    names = [book.category_names.get(c, f"#{c}") for c in promotion.category_ids]
    names += [book.products_by_id[p].sku for p in promotion.product_ids if p in book.products_by_id]
    return names


# --- the account looked at ---------------------------------------------------------------------


def account_in_view(request: HttpRequest) -> DistributorAccount | None:
    """``?distributor=<id>`` when the actor may see it (else 404); without it, the actor's own
    account when they are a distributor user with exactly one account in view."""
    actor = request.actor
    chosen = request.GET.get("distributor")
    if chosen:
        return partners.get_distributor(actor, chosen)
    if not actor.brand_ids or not all(actor.is_distributor_only(b) for b in actor.brand_ids):
        return None
    own = list(partners.distributors_for(actor).values_list("id", flat=True)[:2])
    return partners.get_distributor(actor, own[0]) if len(own) == 1 else None


@dataclass
class CatalogueRow:
    line: pricing.QuotedLine
    product: Product
    source: str  # the kind and name of the price list that priced it
    promotions: list[Promotion]  # those covering the product (applied at the minimum quantity or not)
    applied: set[str]
    available: int = 0  # units free to promise over the brand's active warehouses

    @property
    def discounted(self) -> bool:
        return self.line.ok and self.line.unit_price != self.line.list_price


def _engine_page(buyer: pricing.Buyer, filters: dict, number: int, at: datetime) -> tuple[Page, pricing.CataloguePage]:
    """One page of the engine's catalogue with a paginator over its total (no rows are read twice)."""
    result = pricing.catalogue(buyer, **filters, offset=(number - 1) * CATALOGUE_PAGE, limit=CATALOGUE_PAGE, at=at)
    page = Paginator(range(result.total), CATALOGUE_PAGE).get_page(number)
    if page.number != number:  # past the last page: show the last one
        offset = (page.number - 1) * CATALOGUE_PAGE
        result = pricing.catalogue(buyer, **filters, offset=offset, limit=CATALOGUE_PAGE, at=at)
    return page, result


def _distributor_picker(request: HttpRequest) -> HttpResponse:
    """Staff without ``?distributor``: find the distributor whose catalogue to open."""
    query = request.GET.get("find", "").strip()[:100]
    accounts = partners.distributors_for(request.actor, query=query)[:DISTRIBUTORS_OFFERED]
    context = {"query": query, "accounts": accounts, "offered": DISTRIBUTORS_OFFERED}
    return htmx_render(request, "web/catalog/pick_distributor.html", "web/catalog/_distributor_matches.html", context)


@actor_required
def catalogue(request: HttpRequest) -> HttpResponse:
    """订货目录: the products the distributor may order, priced for it, searchable and paged."""
    actor = request.actor
    account = account_in_view(request)
    if account is None:
        return _distributor_picker(request)
    form = CatalogueFilterForm(request.GET)
    valid = form.is_valid()
    filters = {
        "q": form.cleaned_data.get("q", "") if valid else "",
        "category_id": form.cleaned_data.get("category") if valid else None,
    }
    number = (form.cleaned_data.get("page") if valid else None) or 1
    at = timezone.now()
    buyer = buyer_of(account)
    page, result = _engine_page(buyer, filters, number, at)
    book = pricing.book_for(account.brand_id)
    reaching = with_budget_left(actor, account.brand_id, promotions_reaching(book, buyer, at))
    free = stock.available(account.brand_id, [line.product_id for line in result.lines])
    rows = []
    for line in result.lines:
        product = book.products_by_id[line.product_id]
        priced_by = book.lists.get(line.price_list_id) if line.price_list_id else None
        source = f"{LIST_KIND.get(priced_by.kind, priced_by.kind)} · {priced_by.name}" if priced_by else ""
        rows.append(
            CatalogueRow(
                line=line,
                product=product,
                source=source,
                promotions=[p for p in reaching if covers(book, p, product)],
                applied={applied["code"] for applied in line.promotions},
                available=free.get(line.product_id, 0),
            )
        )
    categories = sorted(catalog.categories_for(actor, brand_id=account.brand_id), key=lambda c: c.lineage)
    context = {
        "account": account,
        "form": form,
        "page": page,
        "rows": rows,
        "promotions": [
            {"promotion": p, "summary": mechanic_summary(p), "scope": scope_summary(book, p)} for p in reaching
        ],
        "categories": categories,
        "is_own": "distributor" not in request.GET,
        "explains": actor.has_role(account.brand_id, *CATALOG_ADMINS),
        "may_order": actor.has_role(account.brand_id, *BUYERS),
        "at": at,
    }
    return htmx_render(request, "web/catalog/catalogue.html", "web/catalog/_catalogue_results.html", context)


@dataclass
class QuoteRow:
    line: pricing.QuotedLine
    refusal: str
    reason: str
    promotions: list[dict]


@actor_required
@require_POST
def catalogue_quote(request: HttpRequest) -> HttpResponse:
    """试算: the engine's quote of the quantities typed on the catalogue page (htmx: the quote only)."""
    account = account_in_view(request)
    if account is None:
        return _distributor_picker(request)
    form = QuoteForm(request.POST)
    context: dict = {"account": account, "form": form, "quote": None, "rows": []}
    status = 200
    if form.is_valid():
        quote = pricing.quote(buyer_of(account), [pricing.Line(sku, qty) for sku, qty in form.lines])
        context["quote"] = quote
        context["rows"] = [
            QuoteRow(
                line=line,
                refusal=str(REFUSAL.get(line.code, "")),
                reason=engine_text(line.reason),
                promotions=[{**applied, "why": engine_text(applied.get("why", ""))} for applied in line.promotions],
            )
            for line in quote.lines
        ]
        context["saving"] = quote.list_total - quote.total
    elif not is_htmx(request):
        status = 422  # htmx swaps only successful answers: the errors come back as a 200 fragment
    template = "web/catalog/_quote.html" if is_htmx(request) else "web/catalog/quote.html"
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response
