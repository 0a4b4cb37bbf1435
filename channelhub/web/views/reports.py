"""What distributors report back, as pages: sell-through (动销) and stock (库存上报) — a phone form
adding one row at a time plus the Excel upload — the region managers' cross-territory alerts
(窜货预警) and the inventory-turnover table (库存周转).

Each write is one service call of ``orders.reports``; a refused row comes back on the form, a
refused upload as a table of bad cells. Another distributor's account is the 404 page.
"""

import re
from datetime import date

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
from channelhub.orders import report_selectors as selectors
from channelhub.orders import reports
from channelhub.orders.models import CrossTerritoryAlert
from channelhub.partners.models import DistributorAccount
from channelhub.web.errors import error_message
from channelhub.web.views.base import actor_required, int_or_none, paginate

MONTH_INPUT = forms.TextInput(attrs={"type": "month", "placeholder": "2026-03"})
ROW_MESSAGES = (
    (re.compile(r"^is required$"), gettext_lazy("Required.")),
    (re.compile(r"^must be a month such as 2026-03$"), gettext_lazy("Enter a month such as 2026-03.")),
    (re.compile(r"^is a month still to come$"), gettext_lazy("This month has not come yet.")),
    (re.compile(r"^unknown SKU '(?P<value>.*)' in this brand$"), gettext_lazy("Unknown SKU %(value)s in this brand.")),
    (re.compile(r"^SKU '(?P<value>.*)' is also on row (?P<row>\d+)$"), gettext_lazy("The same SKU is on row %(row)s.")),
    (re.compile(r"^must be a whole number from 1 to \d+$"), gettext_lazy("Enter a whole number above 0.")),
    (re.compile(r"^must be a whole number from 0 to \d+$"), gettext_lazy("Enter 0 or a whole number above 0.")),
    (re.compile(r"^must be an amount .*$"), gettext_lazy("Enter an amount such as 1280.50.")),
    (re.compile(r"^has more than 2 decimal places$"), gettext_lazy("At most 2 decimal places.")),
    (re.compile(r"^unknown division code '(?P<value>.*)'$"), gettext_lazy("Unknown division code %(value)s.")),
    (
        re.compile(r"^(?P<value>\d{6} .+) is not a county-level division$"),
        gettext_lazy("%(value)s is not a county-level division: enter the county (区/县) code."),
    ),
    (re.compile(r"^the sheet is empty$"), gettext_lazy("The sheet is empty.")),
    (re.compile(r"^this column is missing$"), gettext_lazy("This column is missing.")),
    (re.compile(r"^unknown column; .*$"), gettext_lazy("Unknown column.")),
)
SERVICE_MESSAGES = {
    "say why this is not cross-territory selling": gettext_lazy("Say why this is not cross-territory selling."),
    "this alert has already been handled": gettext_lazy("This alert has already been handled."),
    "as_of must be a day no later than today": gettext_lazy("The stock date cannot be in the future."),
}
ALERT_STATUS = {
    "open": gettext_lazy("Open"),
    "confirmed": gettext_lazy("Confirmed cross-territory"),
    "dismissed": gettext_lazy("Dismissed"),
}


def row_message(message: str) -> str:
    for pattern, text in ROW_MESSAGES:
        match = pattern.match(message)
        if match:
            return str(text) % match.groupdict() if match.groupdict() else str(text)
    return message


def service_message(exc: ServiceError) -> str:
    return str(SERVICE_MESSAGES.get(exc.message, "")) or error_message(exc)


# --- forms -------------------------------------------------------------------------------------


class SellThroughRowForm(forms.Form):
    """One sell-through row, typed on a phone; the service checks it against the brand's data."""

    period = forms.CharField(label=gettext_lazy("Month"), max_length=10, widget=MONTH_INPUT)
    sku = forms.CharField(label=gettext_lazy("SKU"), max_length=64)
    qty = forms.IntegerField(
        label=gettext_lazy("Quantity"), min_value=1, widget=forms.NumberInput(attrs={"inputmode": "numeric"})
    )
    amount = forms.DecimalField(
        label=gettext_lazy("Amount (CNY, optional)"),
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
    )
    customer_name = forms.CharField(label=gettext_lazy("Customer name"), max_length=200)
    customer_county = forms.RegexField(
        label=gettext_lazy("Customer county code"),
        regex=r"^\d{6}$",
        help_text=gettext_lazy("Six digits of the customer's 区/县, e.g. 320102"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "maxlength": 6, "autocomplete": "off"}),
    )


class StockRowForm(forms.Form):
    as_of = forms.DateField(label=gettext_lazy("Stock date"), widget=forms.DateInput(attrs={"type": "date"}))
    sku = forms.CharField(label=gettext_lazy("SKU"), max_length=64)
    qty = forms.IntegerField(
        label=gettext_lazy("Units on hand"), min_value=0, widget=forms.NumberInput(attrs={"inputmode": "numeric"})
    )


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Excel file (.xlsx)"), help_text=gettext_lazy("At most 10 MB"))


class StockUploadForm(UploadForm):
    as_of = forms.DateField(label=gettext_lazy("Stock date"), widget=forms.DateInput(attrs={"type": "date"}))


class AlertNoteForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("Note"), max_length=reports.NOTE_LENGTH, required=False)


# --- shared ------------------------------------------------------------------------------------


def chosen_account(request: HttpRequest) -> DistributorAccount | None:
    """The account the page works on: ``?account=`` (through the actor's scope, else 404), a
    ``?code=`` typed by staff, or the actor's only account (a distributor's own)."""
    actor = request.actor
    accounts = DistributorAccount.objects.for_actor(actor).select_related("brand", "registered_division")
    account_id = int_or_none(request.POST.get("account") or request.GET.get("account"))
    if account_id is not None:
        return accounts.get_for_actor(actor, id=account_id)
    code = (request.GET.get("code") or "").strip()
    if code:
        found = accounts.filter(code__iexact=code).order_by("brand_id").first()
        if found is None:
            raise NotFound("distributor not found")
        return found
    only = list(accounts.order_by("id")[:2])
    return only[0] if len(only) == 1 else None


def may_report(request: HttpRequest, account: DistributorAccount | None) -> bool:
    return account is not None and request.actor.has_role(account.brand_id, *reports.REPORTERS)


def page_url(name: str, account: DistributorAccount | None) -> str:
    return reverse(name) + (f"?account={account.pk}" if account else "")


def show_rows_refused(form: forms.Form, refused: reports.RowsRefused) -> None:
    for problem in refused.problems:
        name = problem.field if problem.field in form.fields else None
        form.add_error(name, row_message(problem.message))


def upload_errors(report) -> list[dict]:
    return [{"row": e.row, "column": e.column, "message": row_message(e.message)} for e in report.errors]


def this_month() -> str:
    return timezone.localdate().strftime("%Y-%m")


# --- sell-through ------------------------------------------------------------------------------


@actor_required
def sell_through(request: HttpRequest) -> HttpResponse:
    """动销上报: add a row (phone), upload a sheet, and the account's reported rows."""
    from channelhub.orders import report_excel  # openpyxl loads only here

    actor = request.actor
    account = chosen_account(request)
    action = request.POST.get("action") if request.method == "POST" else None
    row_form = SellThroughRowForm(request.POST if action == "row" else None, initial={"period": this_month()})
    upload = UploadForm(request.POST if action == "upload" else None, request.FILES or None)
    context = {"account": account, "can_report": may_report(request, account), "report": None}
    status = 200
    if action and account is None:
        raise NotFound("distributor not found")
    if action == "row" and row_form.is_valid():
        try:
            result = reports.report_sell_through(
                actor=actor, account_id=account.pk, rows=[row_form.cleaned_data], source=reports.Source.PHONE
            )
        except reports.RowsRefused as refused:
            show_rows_refused(row_form, refused)
            status = 422
        except NotFound:
            raise
        except ServiceError as exc:
            row_form.add_error(None, service_message(exc))
            status = exc.status
        else:
            messages.success(request, _("Row saved: %(qty)s units.") % {"qty": result.units})
            if result.alerts:
                messages.warning(request, _("This county is outside your territory; the region manager has been told."))
            return redirect(page_url("web:reports_sell_through", account))
    elif action == "row":
        status = 422
    elif action == "upload":
        status = _upload(
            request,
            upload,
            context,
            lambda file: report_excel.import_sell_through(actor=actor, account_id=account.pk, file=file),
        )
        if status == 302:
            return redirect(page_url("web:reports_sell_through", account))
    period_text = request.GET.get("period", "")
    try:
        period = reports.parse_month(period_text) if period_text else None
    except ValueError:
        period = None
    rows = selectors.sell_through_for(actor, account_id=account.pk if account else None, period=period)
    context.update(
        {
            "row_form": row_form,
            "upload": upload,
            "page": paginate(request, rows),
            "period": period_text,
            "columns": report_excel.SELL_THROUGH_COLUMNS,
        }
    )
    return render(request, "web/reports/sell_through.html", context, status=status)


def _upload(request: HttpRequest, form: forms.Form, context: dict, run) -> int:
    """Run an upload; 302 when it wrote, else the status to answer with the form or report."""
    if not form.is_valid():
        return 422
    try:
        report = run(form.cleaned_data["file"])
    except NotFound:
        raise
    except ServiceError as exc:
        form.add_error("file" if exc.field == "file" else None, service_message(exc))
        return exc.status
    if report.ok:
        messages.success(
            request,
            _("%(rows)s rows uploaded: %(created)s new, %(updated)s replaced.")
            % {"rows": report.rows, "created": report.created, "updated": report.updated},
        )
        if report.alerts:
            messages.warning(
                request,
                _("%(alerts)s rows are outside your territory; the region manager has been told.")
                % {"alerts": report.alerts},
            )
        return 302
    context["report"] = report
    context["errors"] = upload_errors(report)
    return 422


@actor_required
def sell_through_template(request: HttpRequest) -> HttpResponse:
    return _template("sell_through", "sell-through-template.xlsx")


@actor_required
def stock_template(request: HttpRequest) -> HttpResponse:
    return _template("stock", "stock-template.xlsx")


def _template(kind: str, name: str) -> HttpResponse:
    from channelhub.orders import report_excel

    response = HttpResponse(report_excel.template(kind), content_type=report_excel.XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- stock -------------------------------------------------------------------------------------


@actor_required
def stock(request: HttpRequest) -> HttpResponse:
    """库存上报: one SKU's units on hand at a time (phone), a sheet for a day, and the reports."""
    from channelhub.orders import report_excel

    actor = request.actor
    account = chosen_account(request)
    action = request.POST.get("action") if request.method == "POST" else None
    today = timezone.localdate()
    row_form = StockRowForm(request.POST if action == "row" else None, initial={"as_of": today})
    upload = StockUploadForm(
        request.POST if action == "upload" else None, request.FILES or None, initial={"as_of": today}
    )
    context = {"account": account, "can_report": may_report(request, account), "report": None}
    status = 200
    if action and account is None:
        raise NotFound("distributor not found")
    if action == "row" and row_form.is_valid():
        data = row_form.cleaned_data
        try:
            result = reports.report_stock(
                actor=actor,
                account_id=account.pk,
                as_of=data["as_of"],
                rows=[(data["sku"], data["qty"])],
                source=reports.Source.PHONE,
            )
        except reports.RowsRefused as refused:
            show_rows_refused(row_form, refused)
            status = 422
        except NotFound:
            raise
        except ServiceError as exc:
            row_form.add_error("as_of" if exc.field == "as_of" else None, service_message(exc))
            status = exc.status
        else:
            text = _("Stock saved.") if result.created else _("Stock of that day replaced.")
            messages.success(request, text)
            return redirect(page_url("web:reports_stock", account))
    elif action == "row":
        status = 422
    elif action == "upload":
        as_of = upload.cleaned_data.get("as_of") if upload.is_valid() else None
        status = _upload(
            request,
            upload,
            context,
            lambda file: report_excel.import_stock(actor=actor, account_id=account.pk, as_of=as_of, file=file),
        )
        if status == 302:
            return redirect(page_url("web:reports_stock", account))
    as_of = _date(request.GET.get("as_of"))
    rows = selectors.stock_reports_for(actor, account_id=account.pk if account else None, as_of=as_of)
    context.update({"row_form": row_form, "upload": upload, "page": paginate(request, rows)})
    return render(request, "web/reports/stock.html", context, status=status)


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


# --- cross-territory alerts --------------------------------------------------------------------


def _staff_only(request: HttpRequest) -> None:
    actor = request.actor
    if not any(not actor.is_distributor_only(b) for b in actor.brand_ids):
        raise Forbidden("your role does not allow this in this brand")


@actor_required
def alerts(request: HttpRequest) -> HttpResponse:
    """窜货预警: sell-through into counties outside the distributor's territory, open ones first."""
    _staff_only(request)
    actor = request.actor
    status = request.GET.get("status", "open")
    status = status if status in ALERT_STATUS or status == "all" else "open"
    account_id = int_or_none(request.GET.get("account"))
    qs = selectors.alerts_for(actor, status="" if status == "all" else status, account_id=account_id)
    context = {
        "page": paginate(request, qs),
        "status": status,
        "statuses": ALERT_STATUS,
        "account_id": account_id,
        "handler_brands": {b for b in actor.brand_ids if actor.has_role(b, *reports.ALERT_HANDLERS)},
        "note_form": AlertNoteForm(),
    }
    return render(request, "web/reports/alerts.html", context)


@actor_required
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _staff_only(request)
    alert = selectors.get_alert(request.actor, pk)
    return _alert_page(request, alert, AlertNoteForm(), 200)


def _alert_page(request: HttpRequest, alert: CrossTerritoryAlert, form: AlertNoteForm, status: int) -> HttpResponse:
    context = {
        "alert": alert,
        "form": form,
        "statuses": ALERT_STATUS,
        "can_handle": request.actor.has_role(alert.brand_id, *reports.ALERT_HANDLERS)
        and alert.status == CrossTerritoryAlert.Status.OPEN,
    }
    return render(request, "web/reports/alert.html", context, status=status)


@actor_required
@require_POST
def alert_handle(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    """确认窜货 / 排除: one service call; a refusal comes back on the alert's page."""
    _staff_only(request)
    actor = request.actor
    form = AlertNoteForm(request.POST)
    handle = reports.confirm_alert if decision == "confirm" else reports.dismiss_alert
    if form.is_valid():
        try:
            handle(actor=actor, alert_id=pk, note=form.cleaned_data["note"])
        except NotFound:
            raise
        except ServiceError as exc:
            form.add_error("note" if exc.field == "note" else None, service_message(exc))
            return _alert_page(request, selectors.get_alert(actor, pk), form, exc.status)
        done = _("Alert #%(id)s confirmed.") if decision == "confirm" else _("Alert #%(id)s dismissed.")
        messages.success(request, done % {"id": pk})
        return redirect(reverse("web:reports_alerts"))
    return _alert_page(request, selectors.get_alert(actor, pk), form, 422)


# --- inventory turnover ------------------------------------------------------------------------


def _period(request: HttpRequest) -> tuple[selectors.Period, str, str, str]:
    """The months asked for (default: the last three), and a refusal to show if they were wrong."""
    today = timezone.localdate().replace(day=1)
    first_default = date(today.year - (today.month <= 2), (today.month - 3) % 12 + 1, 1)
    start_text = request.GET.get("start") or first_default.strftime("%Y-%m")
    end_text = request.GET.get("end") or today.strftime("%Y-%m")
    try:
        return (
            selectors.Period.of_months(reports.parse_month(start_text), reports.parse_month(end_text)),
            start_text,
            end_text,
            "",
        )
    except ValueError:
        problem = _("Choose a period of whole months, the first no later than the last, at most 36 months.")
        return selectors.Period.of_months(first_default, today), start_text, end_text, problem


@actor_required
def turnover(request: HttpRequest) -> HttpResponse:
    """库存周转: per distributor, units sold, average stock on hand, turnover and days of inventory."""
    period, start, end, problem = _period(request)
    page = paginate(request, selectors.turnover_accounts(request.actor))
    rows = selectors.turnover_of(list(page.object_list), period)
    context = {"page": page, "rows": rows, "period": period, "start": start, "end": end, "problem": problem}
    return render(request, "web/reports/turnover.html", context, status=422 if problem else 200)


@actor_required
def turnover_account(request: HttpRequest, pk: int) -> HttpResponse:
    """One distributor's turnover per SKU."""
    period, start, end, problem = _period(request)
    account, items = selectors.sku_turnover(request.actor, pk, period)
    context = {"account": account, "items": items, "period": period, "start": start, "end": end, "problem": problem}
    return render(request, "web/reports/turnover_account.html", context, status=422 if problem else 200)
