"""One order (订单详情): its lines, shipments, returns and timeline, and what the actor may do to it
now — cancel (取消订单), decide a credit hold (财务审核), allocate again (重新配货), ship (发货),
complete (完成), confirm receipt (确认收货), ask for a return (申请退货) and decide or receive it.

Each action is one POST calling one service of ``orders.services`` or ``orders.fulfilment``; the
service decides whether it is allowed, and its refusal is shown on the order page.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from channelhub.core.errors import NotFound, ServiceError
from channelhub.orders import fulfilment, selectors, services
from channelhub.orders.fulfilment import LineQty
from channelhub.orders.models import Order, OrderLine, ReturnRequest, Warehouse
from channelhub.web.views.base import actor_required
from channelhub.web.views.orders import MAX_QTY, order_error

S = Order.Status
DECISIONS = [("approve", gettext_lazy("Approve")), ("reject", gettext_lazy("Reject"))]


class CancelForm(forms.Form):
    reason = forms.CharField(required=False, max_length=300, label=gettext_lazy("Why cancel"))


class CreditDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=DECISIONS)
    comment = forms.CharField(
        required=False, max_length=300, label=gettext_lazy("Comment"), widget=forms.Textarea(attrs={"rows": 2})
    )


class ShipmentForm(forms.Form):
    warehouse = forms.CharField(max_length=32, widget=forms.HiddenInput)
    carrier = forms.CharField(required=False, max_length=50, label=gettext_lazy("Carrier"))
    tracking_no = forms.CharField(required=False, max_length=64, label=gettext_lazy("Tracking number"))


class ReturnRequestForm(forms.Form):
    reason = forms.CharField(
        required=False, max_length=300, label=gettext_lazy("Why return"), widget=forms.Textarea(attrs={"rows": 2})
    )


class ReturnDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=DECISIONS)
    note = forms.CharField(required=False, max_length=300, label=gettext_lazy("Note"))


class ReturnReceiveForm(forms.Form):
    warehouse = forms.CharField(max_length=32, label=gettext_lazy("Into warehouse"))


def line_quantities(form: forms.Form, data, lines: list[OrderLine]) -> list[LineQty]:
    """The ``qty_<line id>`` fields posted with a shipment or a return, blank or 0 left out; a
    quantity that is not a whole number becomes an error on the form."""
    wanted = []
    for line in lines:
        raw = (data.get(f"qty_{line.pk}") or "").strip()
        if not raw or raw == "0":
            continue
        if not raw.isdecimal() or int(raw) > MAX_QTY:
            form.add_error(None, _("Line %(n)s: the quantity must be a whole number.") % {"n": line.line_no})
            continue
        wanted.append(LineQty(qty=int(raw), line_no=line.line_no))
    return wanted


def posted_quantities(data) -> dict[int, str]:
    """What was typed in the ``qty_<line id>`` fields of a refused form, to show it again."""
    return {int(k[4:]): v for k, v in data.items() if k.startswith("qty_") and k[4:].isdecimal()}


# --- what the page shows ------------------------------------------------------------------------


@dataclass
class ShipFrom:
    """The units still reserved for the order in one warehouse: one 发货 form each."""

    warehouse: Warehouse
    rows: list[tuple[OrderLine, int]] = field(default_factory=list)
    form: ShipmentForm | None = None
    posted: dict = field(default_factory=dict)


@dataclass
class TimelineRow:
    at: object
    who: str
    title: str
    status: str
    note: str


def _timeline(order: Order) -> list[TimelineRow]:
    rows = []
    for entry in selectors.order_timeline(order):
        changes = entry.changes or {}
        status = changes.get("status")
        after = status[1] if isinstance(status, list | tuple) and len(status) == 2 else status
        note = changes.get("note")
        note = note[1] if isinstance(note, list | tuple) and len(note) == 2 else note
        if entry.action == "create":
            title, after = _("Order placed"), "submitted"
        else:
            title = S(after).label if after in S.values else _("Order changed")
        rows.append(TimelineRow(entry.created_at, entry.actor_label or str(entry.actor or ""), title, after or "",
                                note or ""))  # fmt: skip
    return rows


def _ship_from(order: Order, lines: list[OrderLine], warehouses: dict[int, Warehouse]) -> list[ShipFrom]:
    by_warehouse: dict[int, ShipFrom] = {}
    for line in lines:
        for allocation in line.allocations.all():
            left = allocation.qty - allocation.shipped_qty
            if left > 0 and allocation.warehouse_id in warehouses:
                group = by_warehouse.setdefault(allocation.warehouse_id, ShipFrom(warehouses[allocation.warehouse_id]))
                group.rows.append((line, left))
    return sorted(by_warehouse.values(), key=lambda g: (g.warehouse.priority, g.warehouse.code))


def _detail(request: HttpRequest, pk: int, *, status: int = 200, failed: dict | None = None) -> HttpResponse:
    """The order page; ``failed`` names the action just refused (``action``, ``target``, ``form``,
    ``posted``) so its form shows the refusal with what was typed."""
    actor = request.actor
    order = selectors.get_order(actor, pk, with_allocations=True)
    failed = failed or {}
    brand_id = order.brand_id
    lines = list(order.lines.all())
    actions = services.allowed_actions(actor, order)
    desk = actor.has_role(brand_id, *services.ORDER_DESK)
    own = actor.is_distributor_only(brand_id)
    warehouses = {w.pk: w for w in selectors.warehouses_for(actor, brand_id=brand_id)}
    returnable = fulfilment.returnable_units(order)
    ship_from = _ship_from(order, lines, warehouses) if "ship" in actions else []
    for group in ship_from:
        if failed.get("action") == "ship" and failed.get("target") == group.warehouse.code:
            group.form, group.posted = failed["form"], posted_quantities(failed.get("posted", {}))
        else:
            group.form = ShipmentForm(initial={"warehouse": group.warehouse.code})
    parents = {line.pk: line for line in lines}

    def form_for(action: str, form_class: type[forms.Form], target: str = "", **initial) -> forms.Form:
        if failed.get("action") == action and failed.get("target", "") == target:
            return failed["form"]
        return form_class(initial=initial)

    returns = list(order.returns.all())
    context = {
        "order": order,
        "lines": lines,
        "parents": parents,
        "shipments": list(order.shipments.all()),
        "returns": [
            {
                "request": r,
                "decide": form_for("decide_return", ReturnDecisionForm, str(r.pk)),
                "receive": form_for("receive_return", ReturnReceiveForm, str(r.pk)),
            }
            for r in returns
        ],
        "timeline": _timeline(order),
        "failed": failed,
        "desk": desk,
        "own": own,
        "warehouses": [w for w in warehouses.values() if w.is_active],
        "may_cancel": "cancel" in actions,
        "may_edit_draft": actor.has_role(brand_id, *services.BUYERS),
        "may_decide_credit": "decide_credit" in actions,
        "may_allocate": "allocate" in actions,
        "ship_from": ship_from,
        "may_complete": "complete" in actions,
        "may_receive": "receive" in actions,
        "may_return": "request_return" in actions and any(returnable.values()),
        "returnable": returnable,
        "return_rows": [(line, returnable[line.pk]) for line in lines if returnable[line.pk]],
        "cancel_form": form_for("cancel", CancelForm),
        "credit_form": form_for("credit", CreditDecisionForm),
        "return_form": form_for("return", ReturnRequestForm),
        "return_posted": posted_quantities(failed.get("posted", {})) if failed.get("action") == "return" else {},
    }
    return render(request, "web/orders/detail.html", context, status=status)


def _run(
    request: HttpRequest,
    pk: int,
    action: str,
    form: forms.Form,
    call: Callable[[Order, dict], str],
    *,
    target: str = "",
) -> HttpResponse:
    """Parse the form, call the one service ``call`` runs and go back to the order with what it
    said; a refusal (or unparsable input) shows the order page again with the form's errors."""
    order = selectors.get_order(request.actor, pk)
    failed = {"action": action, "target": target, "form": form, "posted": request.POST}
    if not form.is_valid():
        return _detail(request, pk, status=422, failed=failed)
    try:
        done = call(order, form.cleaned_data)
    except NotFound:
        raise
    except ServiceError as exc:
        name = exc.field if exc.field in form.fields and exc.field != "warehouse" else None
        form.add_error(name, order_error(exc))
        return _detail(request, pk, status=exc.status, failed=failed)
    if form.errors:  # the call found input it could not use (quantities), and called no service
        return _detail(request, pk, status=422, failed=failed)
    messages.success(request, done)
    return redirect("web:order_detail", pk=pk)


# --- the views --------------------------------------------------------------------------------


@actor_required
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The order: header, lines, shipments, returns, timeline and the actions open to the actor."""
    return _detail(request, pk)


@actor_required
@require_POST
def order_discard(request: HttpRequest, pk: int) -> HttpResponse:
    """删除草稿: a draft was never placed, so it simply goes."""
    order = selectors.get_order(request.actor, pk)
    try:
        services.discard_draft(actor=request.actor, order=order)
    except ServiceError as exc:
        messages.error(request, order_error(exc))
        return redirect("web:order_detail", pk=pk)
    messages.success(request, _("Draft %(number)s is deleted.") % {"number": order.number})
    return redirect("web:order_list")


@actor_required
@require_POST
def order_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """取消订单: with a reason, while nothing has shipped."""

    def call(order: Order, data: dict) -> str:
        services.cancel_order(actor=request.actor, order=order, reason=data["reason"])
        return _("Order %(number)s is cancelled.") % {"number": order.number}

    return _run(request, pk, "cancel", CancelForm(request.POST), call)


@actor_required
@require_POST
def order_credit_decision(request: HttpRequest, pk: int) -> HttpResponse:
    """财务审核: release an order held over its credit, or refuse it (it is then cancelled)."""

    def call(order: Order, data: dict) -> str:
        approve = data["decision"] == "approve"
        order = services.decide_credit_hold(actor=request.actor, order=order, approve=approve, comment=data["comment"])
        if approve:
            return _("Credit released: order %(number)s is %(status)s.") % {
                "number": order.number,
                "status": order.get_status_display(),
            }
        return _("Order %(number)s is refused and cancelled.") % {"number": order.number}

    return _run(request, pk, "credit", CreditDecisionForm(request.POST), call)


@actor_required
@require_POST
def order_allocate(request: HttpRequest, pk: int) -> HttpResponse:
    """重新配货: try again to reserve stock for an approved order waiting for it."""

    def call(order: Order, data: dict) -> str:
        services.allocate_order(actor=request.actor, order=order)
        return _("Stock is reserved for order %(number)s.") % {"number": order.number}

    return _run(request, pk, "allocate", forms.Form(request.POST), call)


@actor_required
@require_POST
def order_ship(request: HttpRequest, pk: int) -> HttpResponse:
    """发货: goods of the order leave one warehouse, with carrier and tracking number."""
    form = ShipmentForm(request.POST)

    def call(order: Order, data: dict) -> str:
        wanted = line_quantities(form, request.POST, list(order.lines.all()))
        if form.errors:
            return ""
        shipment = fulfilment.create_shipment(
            actor=request.actor,
            order=order,
            warehouse_code=data["warehouse"],
            carrier=data["carrier"],
            tracking_no=data["tracking_no"],
            lines=wanted,
        )
        return _("Shipment %(number)s is recorded.") % {"number": shipment.number}

    return _run(request, pk, "ship", form, call, target=request.POST.get("warehouse", ""))


@actor_required
@require_POST
def order_complete(request: HttpRequest, pk: int) -> HttpResponse:
    """完成: close a delivered order."""

    def call(order: Order, data: dict) -> str:
        services.complete_order(actor=request.actor, order=order)
        return _("Order %(number)s is completed.") % {"number": order.number}

    return _run(request, pk, "complete", forms.Form(request.POST), call)


@actor_required
@require_POST
def order_receive(request: HttpRequest, pk: int, shipment_pk: int) -> HttpResponse:
    """确认收货: the distributor confirms a shipment of this order arrived."""
    shipment = selectors.get_shipment(request.actor, shipment_pk)
    if shipment.order_id != pk:
        raise NotFound("shipment not found")

    def call(order: Order, data: dict) -> str:
        fulfilment.confirm_receipt(actor=request.actor, shipment=shipment)
        return _("Receipt of shipment %(number)s is confirmed.") % {"number": shipment.number}

    return _run(request, pk, "receive", forms.Form(request.POST), call, target=str(shipment_pk))


@actor_required
@require_POST
def order_return(request: HttpRequest, pk: int) -> HttpResponse:
    """申请退货: ask to send back shipped units, line by line, with a reason."""
    form = ReturnRequestForm(request.POST)

    def call(order: Order, data: dict) -> str:
        wanted = line_quantities(form, request.POST, list(order.lines.all()))
        if form.errors:
            return ""
        returned = fulfilment.request_return(actor=request.actor, order=order, lines=wanted, reason=data["reason"])
        return _("Return %(number)s is requested.") % {"number": returned.number}

    return _run(request, pk, "return", form, call)


def _return_of(request: HttpRequest, pk: int, return_pk: int) -> ReturnRequest:
    returned = selectors.get_return(request.actor, return_pk)
    if returned.order_id != pk:
        raise NotFound("return not found")
    return returned


@actor_required
@require_POST
def order_return_decision(request: HttpRequest, pk: int, return_pk: int) -> HttpResponse:
    """The order desk accepts a return or refuses it with a reason."""
    returned = _return_of(request, pk, return_pk)

    def call(order: Order, data: dict) -> str:
        approve = data["decision"] == "approve"
        fulfilment.decide_return(actor=request.actor, request=returned, approve=approve, note=data["note"])
        if approve:
            return _("Return %(number)s is accepted.") % {"number": returned.number}
        return _("Return %(number)s is refused.") % {"number": returned.number}

    return _run(request, pk, "decide_return", ReturnDecisionForm(request.POST), call, target=str(return_pk))


@actor_required
@require_POST
def order_return_receive(request: HttpRequest, pk: int, return_pk: int) -> HttpResponse:
    """The returned goods arrived in a warehouse: back in stock, their amount credited."""
    returned = _return_of(request, pk, return_pk)

    def call(order: Order, data: dict) -> str:
        fulfilment.receive_return(actor=request.actor, request=returned, warehouse_code=data["warehouse"])
        return _("Return %(number)s is received.") % {"number": returned.number}

    return _run(request, pk, "receive_return", ReturnReceiveForm(request.POST), call, target=str(return_pk))
