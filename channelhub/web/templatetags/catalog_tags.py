"""Template helpers of the catalogue pages: unit prices, category trees, labels of stored codes."""

from decimal import Decimal, InvalidOperation

from django import template

from channelhub.web import catalog_forms

register = template.Library()


@register.filter
def unit_money(value) -> str:
    """A unit price: two decimals, or up to four when the price has them (¥12.50, ¥3.1416)."""
    if value is None or value == "":
        return "—"
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    places = Decimal("0.01") if number == number.quantize(Decimal("0.01")) else Decimal("0.0001")
    return f"¥{number.quantize(places):,}"


@register.filter
def tree_label(category) -> str:
    """A category's name indented by its depth (for the options of a select)."""
    return "\u3000" * (len(category.lineage) - 1) + category.name


@register.filter
def list_kind_label(code: str) -> str:
    return str(catalog_forms.LIST_KIND.get(code, code))


@register.filter
def mechanic_label(code: str) -> str:
    return str(catalog_forms.MECHANIC.get(code, code))


@register.filter
def promotion_status_label(code: str) -> str:
    return str(catalog_forms.PROMOTION_STATUS.get(code, code))
