"""信用额度 (credit) pages for finance: every distributor's credit at a glance, and one account's
credit with the forms finance uses on it (standing limit, temporary credit, payments received,
corrections). Region managers read their regions; a distributor's users read their own account.
Every write is one ``finance.services`` call; its refusals come back on the form (Post/Redirect/Get).
"""

from collections.abc import Callable
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from channelhub.core.errors import Forbidden, NotFound, ServiceError
from channelhub.finance import selectors, services
from channelhub.finance.services import CREDIT_WRITERS
from channelhub.web.errors import error_message
from channelhub.web.views.base import actor_required, current_brands, htmx_render, paginate

NOT_ALLOWED = "your role does not allow this in this brand"
MAX_AMOUNT = services.MAX_AMOUNT
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

STATUS_TABS = {
    "all": gettext_lazy("All"),
    "over_limit": gettext_lazy("Over limit"),
    "near_limit": gettext_lazy("Near limit"),
}
STATE = {
    "ok": gettext_lazy("Within limit"),
    "near_limit": gettext_lazy("Near limit"),
    "over_limit": gettext_lazy("Over limit"),
}
STATE_BADGE = {"ok": "active", "near_limit": "draft", "over_limit": "rejected"}
TEMPORARY_STATE = {
    "in_force": gettext_lazy("In force"),
    "scheduled": gettext_lazy("Scheduled"),
    "expired": gettext_lazy("Expired"),
    "revoked": gettext_lazy("Revoked"),
}
TEMPORARY_BADGE = {"in_force": "active", "scheduled": "info", "expired": "done", "revoked": "cancelled"}
ENTRY_KIND = {
    "shipment": gettext_lazy("Shipment billed"),
    "payment": gettext_lazy("Payment received"),
    "return": gettext_lazy("Return credited"),
    "adjustment": gettext_lazy("Adjustment"),
}

# the finance services' refusals in the page language (others are shown as written)
MESSAGES = {
    "valid_to cannot be before valid_from": gettext_lazy("The end date cannot be before the start date."),
    "valid_to is in the past: the credit would never count": gettext_lazy(
        "The end date is in the past: this credit would never count."
    ),
    "this temporary credit has already been revoked": gettext_lazy("This temporary credit has already been revoked."),
    "reason is required": gettext_lazy("Say why the temporary credit is granted."),
    "reference is required": gettext_lazy("Enter the bank or receipt reference."),
    "note is required": gettext_lazy("Say why the receivable is corrected."),
    "amount cannot be zero": gettext_lazy("The amount cannot be zero."),
    "amount must be more than zero": gettext_lazy("The amount must be more than zero."),
    "limit cannot be negative": gettext_lazy("The limit cannot be negative."),
}


def _message(exc: ServiceError) -> str:
    known = MESSAGES.get(exc.message)
    return str(known) if known is not None else error_message(exc)


# --- forms: shape only, the services check every rule ----------------------------------------


def _money(label, *, signed: bool = False, help_text: str = "") -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        max_digits=18,
        decimal_places=2,
        min_value=None if signed else Decimal("0"),
        max_value=MAX_AMOUNT,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )


class _Window(forms.Form):
    """A form with ``valid_from`` / ``valid_to`` dates, the second not before the first."""

    def clean(self):
        data = super().clean()
        start, end = data.get("valid_from"), data.get("valid_to")
        if start and end and end < start:
            self.add_error("valid_to", _("The end date cannot be before the start date."))
        return data


class LimitForm(_Window):
    limit = _money(gettext_lazy("Credit limit (CNY)"))
    valid_from = forms.DateField(label=gettext_lazy("Valid from"), required=False, widget=DATE_INPUT)
    valid_to = forms.DateField(
        label=gettext_lazy("Valid to"),
        required=False,
        widget=DATE_INPUT,
        help_text=gettext_lazy("Inclusive. Leave empty for no end date."),
    )


class TemporaryForm(_Window):
    amount = _money(gettext_lazy("Temporary credit (CNY)"))
    valid_from = forms.DateField(label=gettext_lazy("Valid from"), widget=DATE_INPUT)
    valid_to = forms.DateField(label=gettext_lazy("Valid to"), widget=DATE_INPUT, help_text=gettext_lazy("Inclusive."))
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200)


class PaymentForm(forms.Form):
    amount = _money(gettext_lazy("Amount received (CNY)"))
    reference = forms.CharField(label=gettext_lazy("Bank or receipt reference"), max_length=64)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)


class AdjustmentForm(forms.Form):
    amount = _money(
        gettext_lazy("Adjustment (CNY)"),
        signed=True,
        help_text=gettext_lazy("Positive raises the receivable, negative lowers it."),
    )
    note = forms.CharField(label=gettext_lazy("Why"), max_length=200)
    reference = forms.CharField(label=gettext_lazy("Reference"), max_length=64, required=False)


PANELS = [
    ("limit", gettext_lazy("Set credit limit"), gettext_lazy("Save limit")),
    ("temporary", gettext_lazy("Grant temporary credit"), gettext_lazy("Grant")),
    ("payment", gettext_lazy("Record a payment"), gettext_lazy("Record payment")),
    ("adjustment", gettext_lazy("Correct the receivable"), gettext_lazy("Save adjustment")),
]
FORMS = {"limit": LimitForm, "temporary": TemporaryForm, "payment": PaymentForm, "adjustment": AdjustmentForm}


class FilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100)
    brand = forms.IntegerField(required=False, min_value=1)
    status = forms.ChoiceField(required=False, choices=[(k, k) for k in STATUS_TABS])


# --- pages -------------------------------------------------------------------------------------


def _readable_brands(request: HttpRequest):
    readable = set(selectors.readable_brand_ids(request.actor))
    brands = [b for b in current_brands(request) if b.id in readable]
    if not brands:
        raise Forbidden(NOT_ALLOWED)
    return brands


def _meter(utilisation: Decimal | None, state: str) -> int:
    """How full the utilisation bar is drawn (0–100)."""
    if utilisation is None:
        return 100 if state == "over_limit" else 0
    return max(0, min(100, int(utilisation)))


@actor_required
def finance_credit(request: HttpRequest) -> HttpResponse:
    """信用额度: every distributor's credit at a glance, the over-limit ones flagged."""
    actor = request.actor
    brands = _readable_brands(request)
    if all(actor.is_distributor_only(b.id) for b in brands):
        own = list(selectors.credit_accounts_for(actor).values_list("id", flat=True)[:2])
        if len(own) == 1:  # a distributor has one account: its page is the overview
            return redirect("web:finance_credit_account", account_id=own[0])
    form = FilterForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {"q": "", "brand": None, "status": ""}
    brand_id, q, status = data["brand"], data["q"], data["status"] or "all"
    if brand_id is not None and brand_id not in {b.id for b in brands}:
        raise NotFound("brand not found")
    page = paginate(request, selectors.credit_overview(actor, brand_id=brand_id, q=q, status=status))
    by_id = {b.id: b for b in brands}
    rows = [
        {
            "row": row,
            "brand": by_id.get(row.brand_id),
            "meter": _meter(row.utilisation, row.state),
            "state_label": STATE[row.state],
            "badge": STATE_BADGE[row.state],
        }
        for row in page.object_list
    ]
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "summary": selectors.credit_summary(actor, brand_id=brand_id, q=q),
        "status": status,
        "tabs": STATUS_TABS,
        "q": q,
        "brand_id": brand_id,
        "brands": brands,
        "multi_brand": len(brands) > 1,
    }
    return htmx_render(request, "web/finance/credit.html", "web/finance/_credit_results.html", context)


def _detail(request: HttpRequest, account_id: int, bound: dict[str, forms.Form] | None = None, status: int = 200):
    actor = request.actor
    found = selectors.account_credit(actor, account_id)
    account, row = found.account, found.credit
    can_write = actor.has_role(account.brand_id, *CREDIT_WRITERS)
    today = timezone.localdate()
    initial = {"temporary": {"valid_from": today}}
    if row is not None:
        initial["limit"] = {"limit": row.limit, "valid_from": row.limit_valid_from, "valid_to": row.limit_valid_to}
    bound = bound or {}
    forms_ = {
        key: bound[key] if key in bound else cls(prefix=key, initial=initial.get(key)) for key, cls in FORMS.items()
    }
    context = {
        "account": account,
        "credit": row,
        "position": found.position,
        "utilisation": found.utilisation,
        "meter": _meter(found.utilisation, found.state),
        "state": found.state,
        "state_label": STATE[found.state],
        "badge": STATE_BADGE[found.state],
        "temporary": [
            {
                "t": line.temporary,
                "state": line.state,
                "label": TEMPORARY_STATE[line.state],
                "badge": TEMPORARY_BADGE[line.state],
            }
            for line in found.temporary
        ],
        "entries": [{"e": entry, "kind": ENTRY_KIND.get(entry.kind, entry.kind)} for entry in found.entries],
        "can_write": can_write,
        "panels": [
            {
                "key": key,
                "form": forms_[key],
                "action": reverse(f"web:finance_credit_{key}", kwargs={"account_id": account.id}),
                "title": title,
                "button": button,
                # the limit and payment forms are used most; a form with errors stays open
                "open": key in bound or (not bound and key in ("limit", "payment")),
            }
            for key, title, button in PANELS
        ],
        "staff": not actor.is_distributor_only(account.brand_id),
    }
    return render(request, "web/finance/account.html", context, status=status)


@actor_required
def finance_credit_account(request: HttpRequest, account_id: int) -> HttpResponse:
    """One account's credit: the position today, temporary credit, recent receivable movements
    and, for finance, the forms that change them. A distributor's user sees its own, read-only."""
    return _detail(request, account_id)


def _write(request: HttpRequest, account_id: int, key: str, save: Callable[[int, dict], str]) -> HttpResponse:
    """Run one finance service from the ``key`` form: redirect to the account on success, else
    the account page again with the form's errors (422, or the refusal's status)."""
    actor = request.actor
    account = selectors.get_credit_account(actor, account_id)
    if not actor.has_role(account.brand_id, *CREDIT_WRITERS):
        raise Forbidden(NOT_ALLOWED)
    form = FORMS[key](request.POST, prefix=key)
    status = 422
    if form.is_valid():
        try:
            done = save(account.id, form.cleaned_data)
        except NotFound:
            raise
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, _message(exc))
            status = exc.status
        else:
            messages.success(request, done)
            return redirect("web:finance_credit_account", account_id=account.id)
    return _detail(request, account.id, {key: form}, status)


@actor_required
@require_POST
def finance_credit_limit(request: HttpRequest, account_id: int) -> HttpResponse:
    def save(account_id: int, data: dict) -> str:
        services.set_credit_limit(actor=request.actor, account_id=account_id, **data)
        return _("Credit limit saved.")

    return _write(request, account_id, "limit", save)


@actor_required
@require_POST
def finance_credit_temporary(request: HttpRequest, account_id: int) -> HttpResponse:
    def save(account_id: int, data: dict) -> str:
        services.grant_temporary_credit(actor=request.actor, account_id=account_id, **data)
        return _("Temporary credit granted.")

    return _write(request, account_id, "temporary", save)


@actor_required
@require_POST
def finance_credit_payment(request: HttpRequest, account_id: int) -> HttpResponse:
    def save(account_id: int, data: dict) -> str:
        services.record_payment(actor=request.actor, account_id=account_id, **data)
        return _("Payment recorded.")

    return _write(request, account_id, "payment", save)


@actor_required
@require_POST
def finance_credit_adjustment(request: HttpRequest, account_id: int) -> HttpResponse:
    def save(account_id: int, data: dict) -> str:
        services.adjust_receivable(actor=request.actor, account_id=account_id, **data)
        return _("Receivable adjusted.")

    return _write(request, account_id, "adjustment", save)


@actor_required
@require_POST
def finance_temporary_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Withdraw a temporary credit (the list's button); a refusal comes back as a message."""
    actor = request.actor
    temporary = selectors.get_temporary_credit(actor, pk)
    account_id = temporary.credit_account.account_id
    try:
        services.revoke_temporary_credit(actor=actor, temporary=temporary)
    except (NotFound, Forbidden):
        raise
    except ServiceError as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(request, _("Temporary credit revoked."))
    return redirect(reverse("web:finance_credit_account", kwargs={"account_id": account_id}))
