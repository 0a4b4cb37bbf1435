"""订单 (orders): the order form (下单) with its live quote, and the list of orders.

A distributor's users order for their own account; the order desk (brand admins, region managers,
group admins) first chooses the distributor it orders for (代客下单). Every price, promotion, gift
and refusal on the form is the price engine's, and :func:`orders.services.submit_order` prices the
order again when it is placed, so the form can never promise what the order will not be.
"""

import re
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from channelhub.catalog import pricing
from channelhub.catalog.models import Product
from channelhub.core.errors import Forbidden, NotFound, ServiceError
from channelhub.finance import credit
from channelhub.finance.selectors import position_for
from channelhub.orders import selectors, services, stock
from channelhub.orders.models import Order
from channelhub.partners import selectors as partners
from channelhub.partners.models import DistributorAccount
from channelhub.web import labels
from channelhub.web.catalog_text import REFUSAL, engine_text
from channelhub.web.errors import error_message
from channelhub.web.views.base import actor_required, current_brands, htmx_render, int_or_none, is_htmx, paginate
from channelhub.web.views.catalog import account_in_view

SEARCH_RESULTS = 10
DISTRIBUTORS_OFFERED = 20
MAX_QTY = 10_000_000
KEY = re.compile(r"^[0-9a-f]{32}$")
SOURCES = (Order.Source.PHONE, Order.Source.WEB)


# The orders services' refusals a page shows most, in the page language (others as written).
ORDER_MESSAGES = [
    (re.compile(r"^not enough stock: (?P<value>.+)$"), gettext_lazy("Not enough stock: %(value)s")),
    (re.compile(r"^still not enough stock: (?P<value>.+)$"), gettext_lazy("Still not enough stock: %(value)s")),
    (
        re.compile(r"^this Idempotency-Key was used for a different request"),
        gettext_lazy("This form already placed an order; check your orders before placing another."),
    ),
    (re.compile(r"^say why the order is cancelled$"), gettext_lazy("Say why the order is cancelled.")),
    (re.compile(r"^say why the order is refused$"), gettext_lazy("Say why the order is refused.")),
    (re.compile(r"^say why the goods go back$"), gettext_lazy("Say why the goods go back.")),
    (re.compile(r"^say why the return is refused$"), gettext_lazy("Say why the return is refused.")),
    (
        re.compile(r"^a shipment needs a carrier and a tracking number$"),
        gettext_lazy("A shipment needs a carrier and a tracking number."),
    ),
    (re.compile(r"^name at least one line$"), gettext_lazy("Enter a quantity on at least one line.")),
    (
        re.compile(r"^a promotion's budget ran out while this order was being placed"),
        gettext_lazy("A promotion's budget ran out while this order was being placed; please submit again."),
    ),
]


def order_error(exc: ServiceError) -> str:
    """A refusal of the orders services in the page language when it is a known one."""
    for pattern, template in ORDER_MESSAGES:
        match = pattern.match(exc.message)
        if match:
            return str(template) % match.groupdict() if match.groupdict() else str(template)
    return error_message(exc)


# --- the order form's lines ------------------------------------------------------------------


class CartForm(forms.Form):
    """What the order form posts: pairs of ``sku`` and ``qty`` (a blank quantity keeps its line
    while it is being typed, ``0`` drops it), plus ``add`` or ``remove`` of one SKU, the note, the
    delivery address, where it was placed from and the idempotency key."""

    note = forms.CharField(required=False, max_length=500, label=gettext_lazy("Note"))
    ship_to = forms.CharField(required=False, max_length=255, label=gettext_lazy("Deliver to"))
    source = forms.ChoiceField(required=False, choices=[(s, s) for s in SOURCES])
    key = forms.CharField(required=False, max_length=64)

    def __init__(self, data, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.lines: list[tuple[str, int | None]] = []

    def clean(self):
        data = super().clean()
        skus, quantities = self.data.getlist("sku"), self.data.getlist("qty")
        if len(skus) != len(quantities):
            raise forms.ValidationError(_("Each quantity needs its SKU."))
        lines: dict[str, int | None] = {}
        for sku, qty in zip(skus, quantities, strict=True):
            sku, qty = sku.strip()[:64], qty.strip()
            if not sku:
                continue
            if not qty:
                lines.setdefault(sku, None)
                continue
            number = int(qty) if qty.isdecimal() and len(qty) <= 9 else -1
            if not 0 <= number <= MAX_QTY:
                raise forms.ValidationError(
                    _("The quantity of %(sku)s must be a whole number from 1 to %(max)s.")
                    % {"sku": sku, "max": MAX_QTY}
                )
            if number:
                lines[sku] = number
            else:
                lines.pop(sku, None)
        removed = self.data.get("remove", "").strip()
        lines.pop(removed, None)
        added = self.data.get("add", "").strip()[:64]
        if added and added not in lines:
            lines[added] = 0  # its minimum order quantity, read from the catalogue by the view
        if len(lines) > services.MAX_LINES:
            raise forms.ValidationError(_("An order has at most %(n)s lines.") % {"n": services.MAX_LINES})
        self.lines = list(lines.items())
        return data


@dataclass
class CartLine:
    """One line of the order form: what was typed, the engine's answer and the stock free for it."""

    sku: str
    qty: int | None
    product: Product | None
    quoted: pricing.QuotedLine | None
    available: int | None
    refusal: str = ""
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.quoted is not None and self.quoted.ok

    @property
    def short(self) -> bool:
        return self.qty is not None and self.available is not None and self.qty > self.available

    @property
    def promotions(self) -> list[dict]:
        applied = self.quoted.promotions if self.quoted else []
        return [{**a, "why": engine_text(a.get("why", ""))} for a in applied]


@dataclass
class Cart:
    lines: list[CartLine]
    quote: pricing.Quote | None
    position: credit.CreditPosition | None

    @property
    def ready(self) -> bool:
        """Every line has a quantity and a price: the order may be sent."""
        return bool(self.lines) and all(line.ok for line in self.lines)

    @property
    def total(self) -> Decimal:
        return self.quote.total if self.quote else Decimal("0.00")

    @property
    def saving(self) -> Decimal:
        return (self.quote.list_total - self.quote.total) if self.quote else Decimal("0.00")

    @property
    def over_credit(self) -> bool:
        return self.position is not None and self.ready and self.total > self.position.available

    @property
    def short(self) -> bool:
        return any(line.short for line in self.lines)


def build_cart(actor, account: DistributorAccount, lines: list[tuple[str, int | None]]) -> Cart:
    """Quote the lines that have a quantity (a new line gets its minimum order quantity) and read
    the stock free for each product: one engine call, one stock query, one credit read."""
    book = pricing.book_for(account.brand_id)
    lines = [(sku, (book.products[sku].min_order_qty if sku in book.products else 1) if qty == 0 else qty)
             for sku, qty in lines]  # fmt: skip
    priced = [(sku, qty) for sku, qty in lines if qty]
    quote = pricing.quote(services.buyer_of(account), [pricing.Line(s, q) for s, q in priced]) if priced else None
    quoted = {line.sku: line for line in quote.lines} if quote else {}
    products = [book.products.get(sku) for sku, _qty in lines]
    free = stock.available(account.brand_id, [p.id for p in products if p is not None])
    rows = []
    for (sku, qty), product in zip(lines, products, strict=True):
        line = quoted.get(sku)
        rows.append(
            CartLine(
                sku=sku,
                qty=qty,
                product=product,
                quoted=line,
                available=free.get(product.id, 0) if product is not None else None,
                refusal=str(REFUSAL.get(line.code, "")) if line and not line.ok else "",
                reason=engine_text(line.reason) if line and not line.ok else "",
            )
        )
    return Cart(rows, quote, position_for(account))


# --- 下单: the order form ---------------------------------------------------------------------


def _buying_account(request: HttpRequest) -> DistributorAccount | None:
    """The account the order is for (404 when not the actor's to see); refused unless the actor
    may place orders in its brand."""
    account = account_in_view(request)
    if account is not None and not request.actor.has_role(account.brand_id, *services.BUYERS):
        raise Forbidden("your role may not place orders in this brand", code="permission_denied")
    return account


def _order_url(account: DistributorAccount, request: HttpRequest, name: str = "web:order_new") -> str:
    url = reverse(name)
    return f"{url}?distributor={account.id}" if "distributor" in request.GET else url


def _distributor_picker(request: HttpRequest) -> HttpResponse:
    """代客下单: staff first find the distributor to order for."""
    query = request.GET.get("find", "").strip()[:100]
    buying = [b for b in request.actor.brand_ids if request.actor.has_role(b, *services.ORDER_DESK)]
    accounts = partners.distributors_for(request.actor, query=query).filter(
        brand_id__in=buying, status=DistributorAccount.Status.ACTIVE
    )[:DISTRIBUTORS_OFFERED]
    context = {"query": query, "accounts": accounts, "offered": DISTRIBUTORS_OFFERED, "may_order": bool(buying)}
    return htmx_render(request, "web/orders/pick_distributor.html", "web/orders/_distributor_matches.html", context)


def _search(account: DistributorAccount, query: str) -> tuple[list[dict], int]:
    """The first products of the catalogue matching ``query``, priced for the account, with stock."""
    result = pricing.catalogue(services.buyer_of(account), q=query, limit=SEARCH_RESULTS)
    book = pricing.book_for(account.brand_id)
    free = stock.available(account.brand_id, [line.product_id for line in result.lines])
    found = [
        {"line": line, "product": book.products_by_id[line.product_id], "available": free.get(line.product_id, 0)}
        for line in result.lines
    ]
    return found, result.total


def _form_page(
    request: HttpRequest,
    account: DistributorAccount,
    form: CartForm,
    cart: Cart,
    *,
    key: str,
    status: int = 200,
    draft: Order | None = None,
) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    found, total = _search(account, query)
    context = {
        "account": account,
        "form": form,
        "cart": cart,
        "key": key,
        "query": query,
        "found": found,
        "found_total": total,
        "is_own": "distributor" not in request.GET,
        "form_url": _order_url(account, request),
        "quote_url": _order_url(account, request, "web:order_quote"),
        "draft": draft,
    }
    response = render(request, "web/orders/new.html", context, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response


@actor_required
def order_new(request: HttpRequest) -> HttpResponse:
    """下单: search the catalogue, add SKUs, see the live quote and credit, and place the order."""
    account = _buying_account(request)
    if account is None:
        return _distributor_picker(request)
    if request.method == "POST":
        return _place(request, account)
    if is_htmx(request):  # the live search of the catalogue
        found, total = _search(account, request.GET.get("q", "").strip()[:100])
        context = {
            "account": account,
            "found": found,
            "found_total": total,
            "quote_url": _order_url(account, request, "web:order_quote"),
        }
        return htmx_render(request, "web/orders/new.html", "web/orders/_search_results.html", context)
    draft = _draft(request, account, request.GET.get("draft"))
    form = CartForm(request.GET)
    form.is_valid()
    lines = form.lines
    if draft is not None and not lines:  # 继续编辑 a saved draft
        lines = [(line.sku, line.qty) for line in services.draft_lines(draft)]
        saved = QueryDict(mutable=True)
        saved.update({"note": draft.note, "ship_to": draft.ship_to})
        form = CartForm(saved)
        form.is_valid()
    cart = build_cart(request.actor, account, lines)
    blank = form if draft is not None else CartForm(None)
    return _form_page(request, account, blank, cart, key=uuid.uuid4().hex, draft=draft)


def _draft(request: HttpRequest, account: DistributorAccount, value: str | None) -> Order | None:
    """The saved draft (草稿) the form continues, if it names one of this account's."""
    if not value or not value.isdigit():
        return None
    order = selectors.get_order(request.actor, int(value))
    if order.account_id != account.id or order.status != Order.Status.DRAFT:
        return None
    return order


def _save_draft(
    request: HttpRequest, account: DistributorAccount, form: CartForm, lines: list, draft: Order | None
) -> HttpResponse:
    """保存草稿: keep the cart to finish later; nothing is reserved."""
    data = form.cleaned_data
    try:
        order = services.save_draft(
            actor=request.actor, account_id=account.id, lines=lines, note=data["note"], ship_to=data["ship_to"],
            draft=draft,
        )  # fmt: skip
    except ServiceError as exc:
        form.add_error(None, order_error(exc))
        cart = build_cart(request.actor, account, form.lines)
        return _form_page(request, account, form, cart, key=uuid.uuid4().hex, status=exc.status, draft=draft)
    messages.success(request, _("Draft %(number)s is saved.") % {"number": order.number})
    return redirect("web:order_detail", pk=order.pk)


def _place(request: HttpRequest, account: DistributorAccount) -> HttpResponse:
    """Submit the order once: a second POST with the same key (a double tap, a retry) answers with
    the order the first one created."""
    actor = request.actor
    form = CartForm(request.POST)
    key = request.POST.get("key", "")
    draft = _draft(request, account, request.POST.get("draft"))
    if not form.is_valid():
        return _form_page(request, account, form, Cart([], None, None), key=key or uuid.uuid4().hex, status=422)
    if not KEY.match(key):
        form.add_error(None, _("This form has expired; check the lines and submit again."))
        cart = build_cart(actor, account, form.lines)
        return _form_page(request, account, form, cart, key=uuid.uuid4().hex, status=400)
    if any(qty is None for _sku, qty in form.lines):
        form.add_error(None, _("Enter a quantity for every line, or remove it."))
        return _form_page(request, account, form, build_cart(actor, account, form.lines), key=key, status=422)
    lines = [services.OrderLineIn(sku, qty) for sku, qty in form.lines]
    data = form.cleaned_data
    if request.POST.get("action") == "draft":
        return _save_draft(request, account, form, lines, draft)
    body = {"distributor_id": account.id, "lines": [[line.sku, line.qty] for line in lines],
            "note": data["note"], "ship_to": data["ship_to"]}  # fmt: skip
    try:
        result = services.submit_order(
            actor=actor,
            account_id=account.id,
            lines=lines,
            note=data["note"],
            ship_to=data["ship_to"],
            source=data["source"] or Order.Source.WEB,
            idempotency_key=key,
            body_hash=services.request_hash(body),
            draft=draft,
        )
    except NotFound:
        raise
    except ServiceError as exc:
        form.add_error(None, order_error(exc))
        fresh = exc.code == "idempotency_key_reused"  # this form already placed another order
        cart = build_cart(actor, account, form.lines)
        return _form_page(request, account, form, cart, key=uuid.uuid4().hex if fresh else key, status=exc.status)
    order = result.order
    if result.replayed:
        messages.info(request, _("Order %(number)s was already placed.") % {"number": order.number})
    elif order.status == Order.Status.CREDIT_HOLD:
        messages.warning(
            request, _("Order %(number)s is placed and waits for a credit decision.") % {"number": order.number}
        )
    else:
        messages.success(request, _("Order %(number)s is placed.") % {"number": order.number})
    return redirect("web:order_detail", pk=order.pk)


@actor_required
@require_POST
def order_quote(request: HttpRequest) -> HttpResponse:
    """The live quote of the order form (htmx: the lines, totals and credit only)."""
    account = _buying_account(request)
    if account is None:
        raise NotFound("distributor not found")
    form = CartForm(request.POST)
    valid = form.is_valid()
    cart = build_cart(request.actor, account, form.lines) if valid else Cart([], None, None)
    if not is_htmx(request):
        return _form_page(request, account, form, cart, key=request.POST.get("key") or uuid.uuid4().hex)
    context = {
        "account": account,
        "form": form,
        "cart": cart,
        "quote_url": _order_url(account, request, "web:order_quote"),
    }
    response = render(request, "web/orders/_cart.html", context)
    patch_vary_headers(response, ("HX-Request",))
    return response


# --- 订单: the list ---------------------------------------------------------------------------


def brand_names_in_view(request: HttpRequest) -> dict[int, str]:
    brands = current_brands(request)
    return {b.id: labels.brand_name(b) for b in brands} if len(brands) > 1 else {}


@actor_required
def order_list(request: HttpRequest) -> HttpResponse:
    """订单: the orders the actor may see, newest first, by status and searched by number or
    distributor; a fixed number of queries whatever the page holds."""
    actor = request.actor
    query = request.GET.get("q", "").strip()[:100]
    status = request.GET.get("status", "")
    status = status if status in Order.Status.values else ""
    brand_id = int_or_none(request.GET.get("brand"))
    brand_id = brand_id if brand_id in actor.brand_ids else None  # the dashboard links one brand's orders
    matching = selectors.orders_for(actor, brand_id=brand_id, query=query)
    counts = dict(matching.order_by().values_list("status").annotate(n=Count("id")))
    page = paginate(request, matching.filter(status=status) if status else matching)
    tabs = [("", _("All"), sum(counts.values()))]
    tabs += [(value, label, counts[value]) for value, label in Order.Status.choices if counts.get(value)]
    if status and status not in counts:
        tabs.append((status, Order.Status(status).label, 0))
    context = {
        "page": page,
        "query": query,
        "status": status,
        "brand_id": brand_id,
        "tabs": tabs,
        "brand_names": brand_names_in_view(request),
        "staff": any(not actor.is_distributor_only(b) for b in actor.brand_ids),
        "may_order": any(actor.has_role(b, *services.BUYERS) for b in actor.brand_ids),
    }
    return htmx_render(request, "web/orders/list.html", "web/orders/_list_results.html", context)
