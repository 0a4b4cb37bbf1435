"""Forms of the catalogue pages: they parse what people type (SKUs, codes, pasted price rows,
a promotion's mechanic and targets) into the arguments of one catalogue service call.

Shape only: the catalogue services check every business rule and the views put their refusals
back on these forms. Names typed by people (SKU, distributor code) are resolved to rows by the
views, through the scoped selectors.
"""

import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext_lazy as _

from channelhub.catalog.models import Category, Product, Promotion
from channelhub.core.errors import ServiceError
from channelhub.regions.models import SalesRegion
from channelhub.web.forms import split_codes

GRADES = [("A", "A"), ("B", "B"), ("C", "C"), ("D", "D")]
DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"]
DIVISION_CODE = re.compile(r"^[0-9]{6}$")
PRICE_ROW_SEPARATORS = re.compile(r"[\t,，;；]+|\s{1,}")
MAX_PRICE_ROWS = 5000
MAX_TIERS = 5
HEADER_WORDS = {"sku", "商品编码", "编码", "货号"}

PRODUCT_STATUS = {
    "active": _("On sale"),
    "inactive": _("Not on sale"),
    "discontinued": _("Discontinued"),
}
TAX_CATEGORY = {
    # xgettext:no-python-format
    "vat13": _("13% goods"),
    # xgettext:no-python-format
    "vat9": _("9% agricultural and other goods"),
    # xgettext:no-python-format
    "vat6": _("6% services"),
    # xgettext:no-python-format
    "vat0": _("0% exempt"),
}
LIST_KIND = {
    "base": _("Base price"),
    "grade": _("Grade price"),
    "region": _("Region price"),
    "region_grade": _("Region + grade price"),
    "distributor": _("Distributor agreement price"),
}
LIST_STATUS = {"active": _("Active"), "inactive": _("Inactive")}
MECHANIC = {
    "percent_off": _("Percentage off"),
    "amount_off": _("Amount off each unit"),
    "special_price": _("Special price"),
    "threshold": _("Spend-and-save (tiers)"),
    "buy_x_get_y": _("Buy X get Y"),
}
PROMOTION_STATUS = {
    "draft": _("Draft"),
    "pending": _("Pending approval"),
    "active": _("In force"),
    "rejected": _("Rejected"),
    "ended": _("Ended"),
}


def _category_label(category: Category) -> str:
    """A category in a select, indented by its depth in the tree."""
    return "　" * (len(category.lineage) - 1) + category.name


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Category) -> str:
        return _category_label(obj)


class CategoryMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Category) -> str:
        return _category_label(obj)


class SalesRegionMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: SalesRegion) -> str:
        return obj.name


def optional_int(value: str, low: int, high: int) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if low <= number <= high else None


# --- the distributor's catalogue ---------------------------------------------------------------


class CatalogueFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label=_("Search"))
    category = forms.IntegerField(required=False, min_value=1, label=_("Category"))
    page = forms.IntegerField(required=False, min_value=1, max_value=100_000)


class QuoteForm(forms.Form):
    """试算: quantities typed next to some of the page's SKUs (pairs of ``sku`` and ``qty``)."""

    MAX_LINES = 200

    def __init__(self, data, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.lines: list[tuple[str, int]] = []

    def clean(self):
        skus = self.data.getlist("sku")
        quantities = self.data.getlist("qty")
        if len(skus) != len(quantities):
            raise forms.ValidationError(_("Each quantity needs its SKU."))
        lines = []
        for sku, qty in zip(skus, quantities, strict=True):
            sku, qty = sku.strip()[:64], qty.strip()
            if not qty:
                continue
            if not sku:
                raise forms.ValidationError(_("Each quantity needs its SKU."))
            number = optional_int(qty, 1, 10_000_000)
            if number is None:
                raise forms.ValidationError(
                    _("%(sku)s: the quantity must be a whole number of at least 1.") % {"sku": sku}
                )
            lines.append((sku, number))
        if not lines:
            raise forms.ValidationError(_("Enter a quantity for at least one product."))
        if len(lines) > self.MAX_LINES:
            raise forms.ValidationError(_("At most %(n)s lines at a time.") % {"n": self.MAX_LINES})
        self.lines = lines
        return super().clean()


# --- products and categories -------------------------------------------------------------------


class ProductFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label=_("Search"))
    category = forms.IntegerField(required=False, min_value=1, label=_("Category"))


class CategoryForm(forms.Form):
    code = forms.SlugField(max_length=64, label=_("Code"), help_text=_("Letters, digits, - and _, e.g. water"))
    name = forms.CharField(max_length=100, label=_("Name"))
    parent = CategoryChoiceField(queryset=Category.objects.none(), required=False, label=_("Parent category"))

    def __init__(self, *args, categories, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = categories
        self.fields["parent"].empty_label = _("(top level)")


class ProductForm(forms.Form):
    """A product (SKU); on edit only the fields that changed go to the service."""

    FIELDS = ("sku", "barcode", "name", "category", "unit", "pack_size", "min_order_qty", "tax_category", "status")

    sku = forms.CharField(max_length=64, label=_("SKU"))
    barcode = forms.CharField(max_length=32, required=False, label=_("Barcode"))
    name = forms.CharField(max_length=200, label=_("Name"))
    category = CategoryChoiceField(queryset=Category.objects.none(), label=_("Category"))
    unit = forms.CharField(max_length=16, initial="件", label=_("Unit"), help_text=_("e.g. 箱, 瓶, 件"))
    pack_size = forms.IntegerField(
        min_value=1, max_value=100_000, initial=1, label=_("Pack size"), help_text=_("Order quantities are multiples")
    )
    min_order_qty = forms.IntegerField(
        min_value=1,
        max_value=1_000_000,
        required=False,
        label=_("Minimum order quantity"),
        help_text=_("A multiple of the pack size; empty means one pack"),
    )
    tax_category = forms.ChoiceField(choices=list(TAX_CATEGORY.items()), initial="vat13", label=_("VAT rate"))
    status = forms.ChoiceField(choices=list(PRODUCT_STATUS.items()), initial="active", label=_("Status"))

    def __init__(self, *args, categories, product: Product | None = None, **kwargs):
        self.product = product
        if product is not None:
            kwargs.setdefault("initial", {name: getattr(product, name) for name in self.FIELDS})
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = categories
        if product is not None:
            self.fields["min_order_qty"].required = True

    def create_kwargs(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.FIELDS}
        if data["min_order_qty"] is None:
            del data["min_order_qty"]  # the service's default: one pack
        return data

    def changes(self) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in self.FIELDS
            if self.cleaned_data[name] != getattr(self.product, name)
        }


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Excel file (.xlsx)"), help_text=_("At most 10 MB"))


# --- region authorization ----------------------------------------------------------------------


class AuthorizationForm(forms.Form):
    """区域授权: a product (by SKU) or a category; a division, a sales region or the whole country."""

    target = forms.ChoiceField(
        choices=[("product", _("One product (SKU)")), ("category", _("A category"))],
        initial="category",
        widget=forms.RadioSelect,
        label=_("Applies to"),
    )
    sku = forms.CharField(max_length=64, required=False, label=_("SKU"))
    category = CategoryChoiceField(queryset=Category.objects.none(), required=False, label=_("Category"))
    where = forms.ChoiceField(
        choices=[
            ("national", _("The whole country")),
            ("division", _("A division (province, prefecture or county)")),
            ("sales_region", _("A sales region")),
        ],
        initial="national",
        widget=forms.RadioSelect,
        label=_("Where"),
    )
    division = forms.CharField(max_length=6, required=False, label=_("Division code"), help_text=_("e.g. 320000"))
    sales_region = forms.ModelChoiceField(queryset=SalesRegion.objects.none(), required=False, label=_("Sales region"))
    allow = forms.TypedChoiceField(
        coerce=lambda value: value == "allow",
        choices=[("allow", _("Allow")), ("forbid", _("Forbid"))],
        initial="allow",
        widget=forms.RadioSelect,
        label=_("Rule"),
    )
    priority = forms.IntegerField(min_value=-1000, max_value=1000, initial=0, label=_("Priority"))
    note = forms.CharField(max_length=200, required=False, label=_("Note"))

    def __init__(self, *args, categories, sales_regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = categories
        self.fields["sales_region"].queryset = sales_regions

    def clean(self):
        data = super().clean()
        if data.get("target") == "product" and not (data.get("sku") or "").strip():
            self.add_error("sku", _("Enter the product's SKU."))
        if data.get("target") == "category" and not data.get("category"):
            self.add_error("category", _("Choose a category."))
        if data.get("where") == "division" and not DIVISION_CODE.match((data.get("division") or "").strip()):
            self.add_error("division", _("Enter a six-digit division code."))
        if data.get("where") == "sales_region" and not data.get("sales_region"):
            self.add_error("sales_region", _("Choose a sales region."))
        return data


# --- price lists -------------------------------------------------------------------------------


class PriceListForm(forms.Form):
    code = forms.SlugField(max_length=64, label=_("Code"), help_text=_("Letters, digits, - and _, e.g. base-2026"))
    name = forms.CharField(max_length=200, label=_("Name"))
    kind = forms.ChoiceField(choices=list(LIST_KIND.items()), label=_("Kind"))
    grade = forms.ChoiceField(
        choices=[("", _("(none)")), *GRADES], required=False, label=_("Grade"), help_text=_("Grade lists only")
    )
    distributor = forms.CharField(
        max_length=32,
        required=False,
        label=_("Distributor code"),
        help_text=_("Agreement lists only"),
        widget=forms.TextInput(attrs={"list": "distributor-codes", "autocomplete": "off"}),
    )
    division = forms.CharField(
        max_length=6,
        required=False,
        label=_("Division code"),
        help_text=_("Region lists: a division or a sales region"),
    )
    sales_region = forms.ModelChoiceField(queryset=SalesRegion.objects.none(), required=False, label=_("Sales region"))
    valid_from = forms.DateTimeField(
        required=False, input_formats=DATETIME_FORMATS, widget=DATETIME_INPUT, label=_("Valid from")
    )
    valid_to = forms.DateTimeField(
        required=False,
        input_formats=DATETIME_FORMATS,
        widget=DATETIME_INPUT,
        label=_("Valid until"),
        help_text=_("Exclusive; empty means open-ended"),
    )
    priority = forms.IntegerField(min_value=-1000, max_value=1000, initial=0, label=_("Priority"))

    SERVICE_FIELDS = {"distributor_id": "distributor"}

    def __init__(self, *args, sales_regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sales_region"].queryset = sales_regions

    def clean_division(self) -> str:
        code = self.cleaned_data["division"].strip()
        if code and not DIVISION_CODE.match(code):
            raise forms.ValidationError(_("Enter a six-digit division code."))
        return code

    def create_kwargs(self, distributor_id: int | None) -> dict:
        data = self.cleaned_data
        return {
            "code": data["code"],
            "name": data["name"],
            "kind": data["kind"],
            "grade": data["grade"],
            "distributor_id": distributor_id,
            "division": data["division"] or None,
            "sales_region": data["sales_region"].id if data["sales_region"] else None,
            "valid_from": data["valid_from"],
            "valid_to": data["valid_to"],
            "priority": data["priority"],
        }


def parse_price_rows(text: str) -> tuple[list[dict], list[int]]:
    """Rows pasted from a spreadsheet: ``SKU  price  [min qty]`` separated by tabs, commas or spaces;
    a first line of column names is skipped. Returns the rows and the line each came from; raises
    ValidationError naming the first bad line."""
    rows, lines = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        cells = [cell for cell in PRICE_ROW_SEPARATORS.split(line.strip()) if cell]
        if not cells:
            continue
        if number == 1 and cells[0].lower() in HEADER_WORDS:
            continue
        if len(cells) not in (2, 3):
            raise forms.ValidationError(
                _("Line %(n)s: expected SKU, price and an optional minimum quantity.") % {"n": number}
            )
        price = cells[1].replace("¥", "").replace("￥", "")
        try:
            Decimal(price)
        except InvalidOperation:
            message = _("Line %(n)s: %(value)s is not a price.") % {"n": number, "value": cells[1]}
            raise forms.ValidationError(message) from None
        min_qty = 1
        if len(cells) == 3:
            min_qty = optional_int(cells[2], 1, 10_000_000)
            if min_qty is None:
                raise forms.ValidationError(
                    _("Line %(n)s: the minimum quantity must be a whole number of at least 1.") % {"n": number}
                )
        rows.append({"sku": cells[0], "unit_price": price, "min_qty": min_qty})
        lines.append(number)
        if len(rows) > MAX_PRICE_ROWS:
            raise forms.ValidationError(_("At most %(n)s rows at a time.") % {"n": MAX_PRICE_ROWS})
    if not rows:
        raise forms.ValidationError(_("Paste at least one row."))
    return rows, lines


class PricesForm(forms.Form):
    rows = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "class": "mono"}),
        label=_("Prices"),
        help_text=_(
            "One row per line: SKU, unit price, minimum quantity (optional), e.g. W-550 12.50 or W-550 11.80 100"
        ),
    )

    def clean_rows(self) -> list[dict]:
        rows, self.line_numbers = parse_price_rows(self.cleaned_data["rows"])
        return rows

    def on_lines(self, exc: ServiceError) -> ServiceError:
        """The service's refusal of "row N" told as the pasted line N is on (headers, blank lines)."""
        match = re.match(r"^row (\d+): ", exc.message)
        if not match or not 1 <= int(match[1]) <= len(self.line_numbers):
            return exc
        line = self.line_numbers[int(match[1]) - 1]
        return type(exc)(f"row {line}: {exc.message[match.end() :]}", code=exc.code, field=exc.field)


# --- promotions --------------------------------------------------------------------------------


class PromotionFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", _("All")), *PROMOTION_STATUS.items()], required=False)


class PromotionForm(forms.Form):
    """A draft promotion: mechanic and its parameters, window, combination, targets, budgets."""

    code = forms.SlugField(max_length=64, label=_("Code"), help_text=_("Letters, digits, - and _, e.g. spring-2026"))
    name = forms.CharField(max_length=200, label=_("Name"))
    mechanic = forms.ChoiceField(choices=list(MECHANIC.items()), label=_("Mechanic"))
    percent = forms.DecimalField(
        required=False,
        max_digits=5,
        decimal_places=2,
        label=_("Percent off"),
        # xgettext:no-python-format
        help_text=_("e.g. 10 for 10% off"),
    )
    amount = forms.DecimalField(required=False, max_digits=14, decimal_places=2, label=_("Amount off each unit"))
    special_price = forms.DecimalField(required=False, max_digits=14, decimal_places=4, label=_("Special unit price"))
    buy = forms.IntegerField(required=False, min_value=1, max_value=1_000_000, label=_("Buy (units)"))
    get = forms.IntegerField(required=False, min_value=1, max_value=1_000_000, label=_("Get free (units)"))
    gift_sku = forms.CharField(
        required=False, max_length=64, label=_("Gift SKU"), help_text=_("Empty: the same product")
    )
    starts_at = forms.DateTimeField(input_formats=DATETIME_FORMATS, widget=DATETIME_INPUT, label=_("Starts"))
    ends_at = forms.DateTimeField(
        input_formats=DATETIME_FORMATS, widget=DATETIME_INPUT, label=_("Ends"), help_text=_("Exclusive")
    )
    stackable = forms.BooleanField(
        required=False, label=_("Stackable"), help_text=_("Combines with other stackable promotions")
    )
    sequence = forms.IntegerField(
        min_value=0,
        max_value=10_000,
        initial=100,
        label=_("Sequence"),
        help_text=_("Stackable promotions apply in this order"),
    )
    grades = forms.MultipleChoiceField(
        choices=GRADES, required=False, widget=forms.CheckboxSelectMultiple, label=_("Grades")
    )
    division_codes = forms.CharField(
        required=False, label=_("Division codes"), help_text=_("Separated by commas, e.g. 320000, 330100")
    )
    sales_regions = SalesRegionMultipleChoiceField(
        queryset=SalesRegion.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Sales regions"),
    )
    distributors = forms.CharField(
        required=False, label=_("Distributor codes"), help_text=_("Separated by commas; empty means every distributor")
    )
    categories = CategoryMultipleChoiceField(
        queryset=Category.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Categories"),
    )
    products = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=_("SKUs"),
        help_text=_("Separated by commas; with no category and no SKU the promotion covers every product"),
    )
    budget_amount = forms.DecimalField(
        required=False, min_value=0, max_digits=16, decimal_places=2, label=_("Budget: discount money (CNY)")
    )
    budget_quantity = forms.IntegerField(
        required=False, min_value=0, max_value=100_000_000, label=_("Budget: units given")
    )

    def __init__(self, *args, categories, sales_regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["categories"].queryset = categories
        self.fields["sales_regions"].queryset = sales_regions
        for index in range(1, MAX_TIERS + 1):
            self.fields[f"tier_min_{index}"] = forms.DecimalField(
                required=False, min_value=0, max_digits=14, decimal_places=2, label=_("Spend at least (CNY)")
            )
            self.fields[f"tier_off_{index}"] = forms.DecimalField(
                required=False, min_value=0, max_digits=14, decimal_places=2, label=_("Save (CNY)")
            )

    @property
    def tier_rows(self) -> list[tuple]:
        return [(self[f"tier_min_{i}"], self[f"tier_off_{i}"]) for i in range(1, MAX_TIERS + 1)]

    def clean_division_codes(self) -> list[str]:
        codes = split_codes(self.cleaned_data["division_codes"])
        wrong = [code for code in codes if not DIVISION_CODE.match(code)]
        if wrong:
            raise forms.ValidationError(_("Not a six-digit division code: %(codes)s") % {"codes": ", ".join(wrong)})
        return codes

    def clean_distributors(self) -> list[str]:
        return split_codes(self.cleaned_data["distributors"])

    def clean_products(self) -> list[str]:
        return split_codes(self.cleaned_data["products"])

    def clean(self):
        data = super().clean()
        mechanic = data.get("mechanic")
        required = {
            Promotion.Mechanic.PERCENT_OFF: ["percent"],
            Promotion.Mechanic.AMOUNT_OFF: ["amount"],
            Promotion.Mechanic.SPECIAL_PRICE: ["special_price"],
            Promotion.Mechanic.BUY_X_GET_Y: ["buy", "get"],
        }.get(mechanic, [])
        for name in required:
            if data.get(name) is None and name not in self.errors:
                self.add_error(name, _("Required for this mechanic."))
        if mechanic == Promotion.Mechanic.THRESHOLD:
            tiers = []
            for index in range(1, MAX_TIERS + 1):
                low, off = data.get(f"tier_min_{index}"), data.get(f"tier_off_{index}")
                if (low is None) != (off is None):
                    self.add_error(f"tier_min_{index}", _("Give both the threshold and the saving."))
                elif low is not None:
                    tiers.append({"min_amount": str(low), "off": str(off)})
            if not tiers and not self.errors:
                self.add_error("tier_min_1", _("Give at least one tier."))
            data["tiers"] = tiers
        return data

    def params(self) -> dict:
        data = self.cleaned_data
        mechanic = data["mechanic"]
        if mechanic == Promotion.Mechanic.PERCENT_OFF:
            return {"percent": str(data["percent"])}
        if mechanic == Promotion.Mechanic.AMOUNT_OFF:
            return {"amount": str(data["amount"])}
        if mechanic == Promotion.Mechanic.SPECIAL_PRICE:
            return {"price": str(data["special_price"])}
        if mechanic == Promotion.Mechanic.THRESHOLD:
            return {"tiers": data["tiers"]}
        return {"buy": data["buy"], "get": data["get"], "gift_sku": data["gift_sku"].strip()}

    def params_field(self, service_field: str) -> str | None:
        """The form field showing a refusal of the service about ``params`` (or ``params.x``)."""
        by_name = {
            "params.percent": "percent",
            "params.amount": "amount",
            "params.price": "special_price",
            "params.buy": "buy",
            "params.get": "get",
        }
        if service_field in by_name:
            return by_name[service_field]
        if not service_field.startswith("params"):
            return None
        return {
            Promotion.Mechanic.PERCENT_OFF: "percent",
            Promotion.Mechanic.AMOUNT_OFF: "amount",
            Promotion.Mechanic.SPECIAL_PRICE: "special_price",
            Promotion.Mechanic.THRESHOLD: "tier_min_1",
            Promotion.Mechanic.BUY_X_GET_Y: "gift_sku",
        }.get(self.cleaned_data.get("mechanic"))

    def create_kwargs(self, *, distributor_ids: list[int], product_ids: list[int]) -> dict:
        data = self.cleaned_data
        return {
            "code": data["code"],
            "name": data["name"],
            "mechanic": data["mechanic"],
            "params": self.params(),
            "starts_at": data["starts_at"],
            "ends_at": data["ends_at"],
            "stackable": data["stackable"],
            "sequence": data["sequence"],
            "grades": sorted(data["grades"]),
            "division_codes": data["division_codes"],
            "sales_region_ids": sorted(r.id for r in data["sales_regions"]),
            "distributor_ids": distributor_ids,
            "category_ids": sorted(c.id for c in data["categories"]),
            "product_ids": product_ids,
            "budget_amount": data["budget_amount"],
            "budget_quantity": data["budget_quantity"],
        }


# --- price explanation -------------------------------------------------------------------------


class ExplainForm(forms.Form):
    distributor = forms.CharField(
        max_length=100,
        label=_("Distributor"),
        help_text=_("Code, or a part of the name"),
        widget=forms.TextInput(attrs={"list": "distributor-codes", "autocomplete": "off"}),
    )
    sku = forms.CharField(max_length=64, label=_("SKU"))
    qty = forms.IntegerField(min_value=1, max_value=10_000_000, label=_("Quantity"))
    at = forms.DateTimeField(
        required=False,
        input_formats=DATETIME_FORMATS,
        widget=DATETIME_INPUT,
        label=_("At"),
        help_text=_("Empty: now"),
    )
