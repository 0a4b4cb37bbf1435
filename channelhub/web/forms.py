"""Forms that parse what people type into the arguments of one service call.

They check shape only (lengths, choices, numbers); every business rule stays in the services,
whose refusals the views put back on these forms.
"""

import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from channelhub.core.errors import TooManyAttempts, ValidationFailed
from channelhub.partners.models import DistributorAccount
from channelhub.partners.services import ContactInput
from channelhub.regions.models import SalesRegion
from channelhub.tenancy.models import ApiKey, Brand
from channelhub.tenancy.services import check_password_attempt
from channelhub.web import labels
from channelhub.web.errors import error_message
from channelhub.workflow.engine import MAX_BPMN_BYTES
from channelhub.workflow.models import WorkTask

CODE_SEPARATORS = re.compile(r"[\s,，、;；]+")


def split_codes(value: str) -> list[str]:
    """Division codes typed as "320100, 320200" (Chinese commas and spaces also work)."""
    return [c for c in CODE_SEPARATORS.split(value or "") if c]


def set_brand_choices(field: forms.TypedChoiceField, brands: list[Brand]) -> None:
    """Offer ``brands``; with only one there is nothing to choose, so the field hides and defaults to it."""
    field.choices = [(b.id, labels.brand_name(b)) for b in brands]
    if len(brands) == 1:
        field.widget = forms.HiddenInput()
        field.required = False
        field.empty_value = field.initial = brands[0].id


GRADE_CHOICES = [(g, g) for g in DistributorAccount.Grade.values]
STATUS_CHOICES = [(s, labels.STATUS[s]) for s in DistributorAccount.Status.values]


class DistributorFilterForm(forms.Form):
    """Filters of the distributor list; ids are taken as typed, scoping decides what they match."""

    q = forms.CharField(required=False, max_length=100, label=_("Search"))
    brand = forms.IntegerField(required=False, label=_("Brand"))
    region = forms.CharField(required=False, max_length=6, label=_("Division code"))
    sales_region = forms.IntegerField(required=False, label=_("Sales region"))
    grade = forms.ChoiceField(required=False, choices=[("", _("All grades")), *GRADE_CHOICES], label=_("Grade"))
    status = forms.ChoiceField(required=False, choices=[("", _("All statuses")), *STATUS_CHOICES], label=_("Status"))

    def selector_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "brand_id": data["brand"],
            "region": data["region"].strip() or None,
            "sales_region": data["sales_region"],
            "grade": data["grade"] or None,
            "status": data["status"] or None,
            "query": data["q"],
        }


class SalesRegionForm(forms.Form):
    brand = forms.TypedChoiceField(coerce=int, label=_("Brand"))
    code = forms.SlugField(max_length=32, label=_("Code"), help_text=_("Letters, digits, - and _, e.g. east"))
    name = forms.CharField(max_length=100, label=_("Name"))
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), label=_("Description"))
    divisions = forms.CharField(
        label=_("Divisions"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Division codes separated by commas, e.g. 310000, 320000"),
    )

    def __init__(self, *args, brands: list[Brand], region: SalesRegion | None = None, **kwargs):
        if region is not None:
            members = sorted(m.division_id for m in region.members.all())
            kwargs.setdefault(
                "initial",
                {
                    "name": region.name,
                    "description": region.description,
                    "divisions": ", ".join(members),
                },
            )
        super().__init__(*args, **kwargs)
        self.region = region
        if region is not None:
            del self.fields["brand"]
            del self.fields["code"]
        else:
            set_brand_choices(self.fields["brand"], brands)

    def clean_divisions(self) -> list[str]:
        return split_codes(self.cleaned_data["divisions"])

    def create_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "brand_id": data["brand"],
            "code": data["code"],
            "name": data["name"],
            "description": data["description"],
            "divisions": data["divisions"],
        }

    def update_kwargs(self) -> dict:
        data = self.cleaned_data
        return {"name": data["name"], "description": data["description"], "divisions": data["divisions"]}


def _capital(value: str) -> Decimal | str | None:
    """An amount when it reads as one (so 5000000 and 5000000.00 compare equal), else the text."""
    value = (value or "").replace(",", "").strip()
    if not value:
        return None
    try:
        return Decimal(value).quantize(Decimal("0.01"))
    except InvalidOperation:
        return value


class DistributorForm(forms.Form):
    """A distributor account with its territory and one primary contact."""

    brand = forms.TypedChoiceField(coerce=int, label=_("Brand"))
    credit_code = forms.CharField(
        max_length=30, label=_("Unified social credit code"), help_text=_("18 characters, e.g. 91320102MA1XXXXXXX")
    )
    name = forms.CharField(max_length=200, label=_("Name"))
    code = forms.CharField(
        max_length=32,
        required=False,
        label=_("Distributor code"),
        help_text=_("Leave empty to number it automatically"),
    )
    grade = forms.ChoiceField(choices=GRADE_CHOICES, initial="C", label=_("Grade"))
    status = forms.ChoiceField(choices=STATUS_CHOICES, initial="prospect", label=_("Status"))
    registered_division = forms.CharField(
        max_length=6, label=_("Registered division"), help_text=_("Six-digit county code, e.g. 320102")
    )
    address = forms.CharField(max_length=255, required=False, label=_("Address"))
    legal_representative = forms.CharField(max_length=50, required=False, label=_("Legal representative"))
    registered_capital = forms.CharField(max_length=30, required=False, label=_("Registered capital (CNY)"))
    territory_divisions = forms.CharField(
        required=False,
        label=_("Territory divisions"),
        help_text=_("Division codes separated by commas; empty means the registered division"),
    )
    territory_sales_regions = forms.TypedMultipleChoiceField(
        coerce=int, required=False, widget=forms.CheckboxSelectMultiple, label=_("Territory sales regions")
    )
    contact_name = forms.CharField(max_length=50, required=False, label=_("Contact name"))
    contact_title = forms.CharField(max_length=50, required=False, label=_("Contact title"))
    contact_phone = forms.CharField(max_length=20, required=False, label=_("Contact phone"))
    contact_email = forms.EmailField(required=False, label=_("Contact email"))

    CONTACT_FIELDS = ("contact_name", "contact_title", "contact_phone", "contact_email")
    SERVICE_FIELDS = {"contacts": "contact_name", "brand_id": "brand"}

    def __init__(
        self,
        *args,
        brands: list[Brand],
        sales_regions: list[SalesRegion],
        account: DistributorAccount | None = None,
        **kwargs,
    ):
        self.account = account
        if account is not None:
            kwargs.setdefault("initial", self.initial_of(account))
        super().__init__(*args, **kwargs)
        self.fields["territory_sales_regions"].choices = [(r.id, r.name) for r in sales_regions]
        if account is not None:
            del self.fields["brand"]
            del self.fields["credit_code"]
        else:
            set_brand_choices(self.fields["brand"], brands)

    @staticmethod
    def initial_of(account: DistributorAccount) -> dict:
        territory = list(account.territory.all())
        contacts = list(account.contacts.all())
        primary = contacts[0] if contacts else None
        return {
            "name": account.name,
            "code": account.code,
            "grade": account.grade,
            "status": account.status,
            "registered_division": account.registered_division_id,
            "address": account.address,
            "legal_representative": account.party.legal_representative,
            "registered_capital": account.party.registered_capital,
            "territory_divisions": ", ".join(sorted(t.division_id for t in territory if t.division_id)),
            "territory_sales_regions": sorted(t.sales_region_id for t in territory if t.sales_region_id),
            "contact_name": primary.name if primary else "",
            "contact_title": primary.title if primary else "",
            "contact_phone": primary.phone if primary else "",
            "contact_email": primary.email if primary else "",
        }

    def clean_territory_divisions(self) -> list[str]:
        return split_codes(self.cleaned_data["territory_divisions"])

    def _primary_contact(self) -> ContactInput | None:
        data = self.cleaned_data
        if not any(data[f].strip() for f in self.CONTACT_FIELDS):
            return None
        return ContactInput(
            name=data["contact_name"].strip(),
            title=data["contact_title"].strip(),
            phone=data["contact_phone"].strip(),
            email=data["contact_email"].strip(),
            is_primary=True,
        )

    def create_kwargs(self) -> dict:
        data = self.cleaned_data
        contact = self._primary_contact()
        return {
            "brand_id": data["brand"],
            "credit_code": data["credit_code"],
            "name": data["name"],
            "code": data["code"],
            "grade": data["grade"],
            "status": data["status"],
            "registered_division": data["registered_division"].strip(),
            "address": data["address"],
            "legal_representative": data["legal_representative"],
            "registered_capital": data["registered_capital"],
            "territory_divisions": data["territory_divisions"],
            "territory_sales_regions": data["territory_sales_regions"],
            "contacts": [contact] if contact else [],
        }

    def changes(self) -> dict:
        """Only what the user changed, so that a region manager editing a grade does not also
        "change" the company's registration data, which only brand admins may."""
        data, initial = self.cleaned_data, self.initial
        changes = {}
        for name in ("name", "code", "grade", "status", "address", "legal_representative"):
            if data[name] != (initial.get(name) or ""):
                changes[name] = data[name]
        if data["registered_division"].strip() != initial["registered_division"]:
            changes["registered_division"] = data["registered_division"].strip()
        if _capital(data["registered_capital"]) != initial["registered_capital"]:
            changes["registered_capital"] = data["registered_capital"]
        if sorted(set(data["territory_divisions"])) != split_codes(initial["territory_divisions"]):
            changes["territory_divisions"] = data["territory_divisions"]
        if sorted(set(data["territory_sales_regions"])) != initial["territory_sales_regions"]:
            changes["territory_sales_regions"] = data["territory_sales_regions"]
        if any(data[f].strip() != initial[f] for f in self.CONTACT_FIELDS):
            contact = self._primary_contact()
            others = [
                ContactInput(name=c.name, title=c.title, phone=c.phone, email=c.email, is_primary=False)
                for c in list(self.account.contacts.all())[1:]
            ]
            changes["contacts"] = ([contact] if contact else []) + others
        return changes


class ApiKeyForm(forms.Form):
    brand = forms.TypedChoiceField(coerce=int, label=_("Brand"))
    name = forms.CharField(max_length=100, label=_("Name"), help_text=_("What uses the key, e.g. ERP (用友 U8)"))
    scopes = forms.MultipleChoiceField(
        choices=[(s, labels.SCOPE[s]) for s in ApiKey.Scope.values],
        initial=["read"],
        widget=forms.CheckboxSelectMultiple,
        label=_("Scopes"),
    )

    def __init__(self, *args, brands: list[Brand], **kwargs):
        super().__init__(*args, **kwargs)
        set_brand_choices(self.fields["brand"], brands)

    def create_kwargs(self) -> dict:
        data = self.cleaned_data
        return {"brand_id": data["brand"], "name": data["name"], "scopes": data["scopes"]}


class DecisionForm(forms.Form):
    """同意 or 驳回 with a comment; a rejection must say why, so the requester can act on it."""

    decision = forms.ChoiceField(
        choices=[(d, labels.DECISION[d]) for d in (WorkTask.Decision.APPROVE, WorkTask.Decision.REJECT)],
        label=_("Decision"),
    )
    comment = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}), label=_("Comment")
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == WorkTask.Decision.REJECT and not data.get("comment", "").strip():
            self.add_error("comment", _("Say why you reject, so the requester can act on it."))
        return data


class DelegateForm(forms.Form):
    """转办: hand the task to a colleague, named by username."""

    to_user = forms.CharField(
        max_length=150,
        label=_("Colleague"),
        help_text=_("Username of a colleague holding this step's role"),
        widget=forms.TextInput(attrs={"list": "colleague-list", "autocomplete": "off"}),
    )
    comment = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), label=_("Note for the colleague")
    )


class ReturnForm(forms.Form):
    """退回: send the request back to one of the steps already done, saying why."""

    # Which steps work may go back to is the service's rule; the list only offers them.
    to_step = forms.CharField(max_length=100, label=_("Send back to"), widget=forms.Select)
    comment = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=_("Reason for sending back"),
        error_messages={"required": _("Say why the request goes back, so the step knows what to redo.")},
    )

    def __init__(self, *args, steps: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_step"].widget.choices = steps
        self.fields["to_step"].widget.attrs.pop("maxlength", None)  # not an attribute of <select>
        if steps:
            self.fields["to_step"].initial = steps[-1][0]  # the step just before, most often


class AddSignerForm(forms.Form):
    """加签: ask one more colleague to sign this step, before the actor decides or in their stead."""

    to_user = forms.CharField(
        max_length=150,
        label=_("Colleague"),
        help_text=_("Username of a colleague in this brand"),
        widget=forms.TextInput(attrs={"list": "signer-list", "autocomplete": "off"}),
    )
    before = forms.TypedChoiceField(
        coerce=lambda value: value == "before",
        choices=[
            ("before", _("Before me: they sign first, then the step comes back to me")),
            ("after", _("After me: I approve now, and their decision settles the step")),
        ],
        initial="before",
        widget=forms.RadioSelect,
        label=_("Sign order"),
    )
    comment = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), label=_("Note for the colleague")
    )


class DefinitionForm(forms.Form):
    """A BPMN 2.0 document saved as the draft of a process key: uploaded as a file or pasted."""

    brand = forms.TypedChoiceField(coerce=int, label=_("Brand"))
    key = forms.RegexField(
        regex=r"^[a-z][a-z0-9_]*$",
        max_length=64,
        label=_("Process key"),
        help_text=_("Lower-case letters, digits and _, e.g. distributor_onboarding"),
        error_messages={"invalid": _("Use lower-case letters, digits and _, starting with a letter.")},
    )
    name = forms.CharField(max_length=200, label=_("Name"))
    bpmn_file = forms.FileField(required=False, label=_("BPMN file"), help_text=_(".bpmn or .xml, at most 1 MB"))
    bpmn_xml = forms.CharField(
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "class": "mono"}),
        label=_("Or paste the BPMN XML"),
    )
    dmn_file = forms.FileField(
        required=False,
        label=_("DMN decision table"),
        help_text=_("Optional .dmn file for a business rule task (camunda:decisionRef); without one, the tables stay"),
    )

    def __init__(self, *args, brands: list[Brand], **kwargs):
        super().__init__(*args, **kwargs)
        set_brand_choices(self.fields["brand"], brands)

    def clean(self):
        data = super().clean()
        upload, pasted = data.get("bpmn_file"), (data.get("bpmn_xml") or "").strip()
        if upload and pasted:
            self.add_error("bpmn_xml", _("Upload a file or paste the XML, not both."))
        elif upload:
            if upload.size > MAX_BPMN_BYTES:
                self.add_error("bpmn_file", _("The file is larger than 1 MB."))
            else:
                try:
                    data["bpmn_xml"] = upload.read().decode("utf-8-sig")
                except UnicodeDecodeError:
                    self.add_error("bpmn_file", _("The file is not UTF-8 text."))
        elif not pasted:
            self.add_error("bpmn_file", _("Upload a BPMN file or paste its XML."))
        table = data.get("dmn_file")
        data["decisions"] = None
        if table:
            if table.size > MAX_BPMN_BYTES:
                self.add_error("dmn_file", _("The file is larger than 1 MB."))
            else:
                try:
                    data["decisions"] = [table.read().decode("utf-8-sig")]
                except UnicodeDecodeError:
                    self.add_error("dmn_file", _("The file is not UTF-8 text."))
        return data

    def draft_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "brand_id": data["brand"],
            "key": data["key"],
            "name": data["name"],
            "bpmn_xml": data["bpmn_xml"],
            "decisions": data["decisions"],
        }


class SignInForm(AuthenticationForm):
    """Django's sign-in form, checking the password through the service that slows down guessing."""

    def clean(self):
        username, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if username is not None and password:
            try:
                self.user_cache = check_password_attempt(
                    username=username,
                    password=password,
                    client_ip=self.request.META.get("REMOTE_ADDR", "") if self.request else "",
                    request=self.request,
                )
            except TooManyAttempts as exc:
                raise forms.ValidationError(error_message(exc), code="too_many_attempts") from None
            except ValidationFailed:
                raise self.get_invalid_login_error() from None
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data
