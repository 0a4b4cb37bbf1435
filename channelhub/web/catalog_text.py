"""The catalogue in words of the page language: the price engine's reasons and trace, the
catalogue services' refusals, and a promotion's mechanic in one line.

The engine and the services speak English (stable for the API); pages translate what they know
and show anything else as written, so nothing is ever hidden.
"""

import re
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from channelhub.core.errors import ServiceError
from channelhub.web.catalog_forms import LIST_KIND, MECHANIC
from channelhub.web.errors import translated

STAGE = {
    "authorization": gettext_lazy("Authorization"),
    "price": gettext_lazy("List price"),
    "promotion": gettext_lazy("Promotion"),
}
OUTCOME = {
    "won": gettext_lazy("Won"),
    "lost": gettext_lazy("Lost"),
    "applied": gettext_lazy("Applied"),
    "skipped": gettext_lazy("Skipped"),
}
REFUSAL = {
    "unknown_sku": gettext_lazy("Unknown SKU"),
    "inactive": gettext_lazy("Not on sale"),
    "bad_quantity": gettext_lazy("Quantity not allowed"),
    "not_authorized": gettext_lazy("Not authorized for your territory"),
    "no_price": gettext_lazy("No price for you yet"),
}
FIELD = {
    "pack_size": gettext_lazy("Pack size"),
    "min_order_qty": gettext_lazy("Minimum order quantity"),
    "unit_price": gettext_lazy("Unit price"),
    "min_qty": gettext_lazy("Minimum quantity"),
    "params.percent": gettext_lazy("Percent off"),
    "params.amount": gettext_lazy("Amount off"),
    "params.price": gettext_lazy("Special price"),
    "params.buy": gettext_lazy("Buy"),
    "params.get": gettext_lazy("Get free"),
    "params.tiers.min_amount": gettext_lazy("Tier threshold"),
    "params.tiers.off": gettext_lazy("Tier saving"),
    "budget_amount": gettext_lazy("Budget"),
}


def _field(name: str) -> str:
    row = re.match(r"^row (\d+): (.+)$", name)
    if row:
        return _("Row %(n)s: %(field)s") % {"n": row[1], "field": _field(row[2])}
    return str(FIELD.get(name, name))


def _word(table: dict, key: str) -> str:
    return str(table.get(key, key))


# (pattern, template, how to render the groups); a template is a callable taking the match
ENGINE = [
    # refusals of a line
    (r"^unknown SKU '(?P<sku>.+)'$", lambda m: _("Unknown SKU %(sku)s.") % m),
    (r"^(?P<sku>.+) is not on sale \((?P<status>\w+)\)$", lambda m: _("%(sku)s is not on sale.") % m),
    (
        r"^quantity must be a positive multiple of the pack size (?P<n>\d+)$",
        lambda m: _("The quantity must be a multiple of the pack size %(n)s.") % m,
    ),
    (r"^the minimum order quantity is (?P<n>\d+)$", lambda m: _("The minimum order quantity is %(n)s.") % m),
    (
        r"^(?P<sku>.+) is not authorized for this distributor's territory$",
        lambda m: _("%(sku)s is not authorized for this distributor's territory.") % m,
    ),
    (
        r"^no price list in force prices (?P<sku>.+) for this distributor$",
        lambda m: _("No price list in force prices %(sku)s for this distributor.") % m,
    ),
    # the trace: why a rule won, lost or was skipped
    (r"^no rule covers this area: not authorized$", lambda m: _("No rule covers this area: not authorized.")),
    (r"^most specific rule for area (?P<area>.+)$", lambda m: _("The most specific rule for area %(area)s.") % m),
    (r"^a more specific rule applies$", lambda m: _("A more specific rule applies.")),
    (r"^a list with higher precedence priced it$", lambda m: _("A list with higher precedence priced it.")),
    (r"^its prices start at quantity (?P<n>\d+)$", lambda m: _("Its prices start at quantity %(n)s.") % m),
    (r"^(?P<price>[0-9.]+) from quantity (?P<n>\d+)$", lambda m: _("%(price)s from quantity %(n)s.") % m),
    (r"^its budget is used up$", lambda m: _("Its budget is used up.")),
    (
        r"^another combination leaves the buyer a lower amount$",
        lambda m: _("Another combination leaves the buyer a lower amount."),
    ),
    (r"^an exclusive promotion gives more$", lambda m: _("An exclusive promotion gives more.")),
    (r"^(?P<percent>[0-9.]+)% off$", lambda m: _("%(percent)s%% off") % m),
    (r"^(?P<amount>[0-9.]+) off each unit$", lambda m: _("%(amount)s off each unit") % m),
    (r"^special price (?P<price>[0-9.]+)$", lambda m: _("Special price %(price)s") % m),
    (
        r"^buy (?P<buy>\d+) get (?P<get>\d+) free: (?P<free>\d+) × (?P<sku>.+)$",
        lambda m: _("Buy %(buy)s get %(get)s free: %(free)s × %(sku)s") % m,
    ),
    (
        r"^满 (?P<low>[0-9.]+) 减 (?P<off>[0-9.]+) on (?P<base>[0-9.]+)$",
        lambda m: _("Spend %(low)s save %(off)s (on %(base)s)") % m,
    ),
    # the trace: what rule it was
    (r"^area (?P<area>.+)$", lambda m: _("Area %(area)s") % m),
    (
        r"^rule #(?P<id>\d+): (?P<item>product|category .*) (?P<verb>allows|forbids) "
        r"in (?P<where>\S+) \((?P<level>.+)\)$",
        lambda m: (
            _("Rule #%(id)s: %(item)s %(verb)s in %(where)s (%(level)s)")
            % {
                **m,
                "item": _("the product")
                if m["item"] == "product"
                else _("category %(name)s") % {"name": m["item"][9:]},
                "verb": _("allowed") if m["verb"] == "allows" else _("forbidden"),
                "where": _("the whole country") if m["where"] == "全国" else m["where"],
            }
        ),
    ),
    (
        r"^price list (?P<code>\S+) \((?P<name>.*), (?P<kind>\w+), priority (?P<priority>-?\d+)\)$",
        lambda m: (
            _("Price list %(code)s (%(name)s, %(kind)s, priority %(priority)s)")
            % {**m, "kind": _word(LIST_KIND, m["kind"])}
        ),
    ),
    (
        r"^promotion (?P<code>\S+) \((?P<name>.*), (?P<mechanic>\w+), (?P<kind>stackable|exclusive), "
        r"sequence (?P<sequence>-?\d+)\)$",
        lambda m: (
            _("Promotion %(code)s (%(name)s, %(mechanic)s, %(kind)s, sequence %(sequence)s)")
            % {
                **m,
                "mechanic": _word(MECHANIC, m["mechanic"]),
                "kind": _("stackable") if m["kind"] == "stackable" else _("exclusive"),
            }
        ),
    ),
]

SERVICE = [
    (r"^sku is required$", lambda m: _("SKU is required.")),
    (r"^unit is required$", lambda m: _("Unit is required.")),
    (r"^unknown category$", lambda m: _("Unknown category.")),
    (
        r"^SKU '(?P<value>.+)' is already used in this brand$",
        lambda m: _("SKU %(value)s is already used in this brand.") % m,
    ),
    (
        r"^category code '(?P<value>.+)' is already used in this brand$",
        lambda m: _("Category code %(value)s is already used in this brand.") % m,
    ),
    (
        r"^price list code '(?P<value>.+)' is already used in this brand$",
        lambda m: _("Price list code %(value)s is already used in this brand.") % m,
    ),
    (
        r"^promotion code '(?P<value>.+)' is already used in this brand$",
        lambda m: _("Promotion code %(value)s is already used in this brand.") % m,
    ),
    (
        r"^the minimum order quantity must be a multiple of the pack size$",
        lambda m: _("The minimum order quantity must be a multiple of the pack size."),
    ),
    (
        r"^(?P<field>.+) must be a whole number of at least 1$",
        lambda m: _("%(field)s must be a whole number of at least 1.") % {"field": _field(m["field"])},
    ),
    (
        r"^(?P<field>.+) must be an amount such as 12\.50$",
        lambda m: _("%(field)s must be an amount such as 12.50.") % {"field": _field(m["field"])},
    ),
    (
        r"^(?P<field>.+) must be an amount between 0 and (?P<high>[0-9.]+)$",
        lambda m: _("%(field)s must be an amount between 0 and %(high)s.") % {**m, "field": _field(m["field"])},
    ),
    (
        r"^(?P<field>.+) has more than (?P<n>\d+) decimal places$",
        lambda m: _("%(field)s has more than %(n)s decimal places.") % {**m, "field": _field(m["field"])},
    ),
    (r"^row (?P<n>\d+): unknown SKU '(?P<sku>.+)'$", lambda m: _("Row %(n)s: unknown SKU %(sku)s.") % m),
    (r"^give a product or a category$", lambda m: _("Give a product or a category.")),
    (r"^give a division or a sales region, not both$", lambda m: _("Give a division or a sales region, not both.")),
    (r"^unknown sales region id (?P<value>\d+)$", lambda m: _("Unknown sales region %(value)s.") % m),
    (
        r"^the (?:parent category|product or category) belongs to another brand$",
        lambda m: _("It belongs to another brand."),
    ),
    (
        r"^grade lists need a grade; other lists take none$",
        lambda m: _("Grade lists need a grade; other lists take none."),
    ),
    (r"^only region lists name a region$", lambda m: _("Only region lists name a region.")),
    (
        r"^agreement lists, and only they, name a distributor$",
        lambda m: _("Agreement lists, and only they, name a distributor."),
    ),
    (r"^unknown distributor$", lambda m: _("Unknown distributor.")),
    (r"^valid_to must be after valid_from$", lambda m: _("The end must be after the start.")),
    (r"^ends_at must be after starts_at$", lambda m: _("The end must be after the start.")),
    (r"^params\.percent must be between 0 and 100$", lambda m: _("The percentage must be between 0 and 100.")),
    (r"^params\.tiers needs at least one .*$", lambda m: _("Give at least one tier.")),
    (
        r"^a tier's discount must be above 0 and not above its threshold$",
        lambda m: _("A tier's saving must be above 0 and not above its threshold."),
    ),
    (r"^unknown gift SKU '(?P<sku>.+)'$", lambda m: _("Unknown gift SKU %(sku)s.") % m),
    (
        r"^only a draft or rejected promotion can be submitted$",
        lambda m: _("Only a draft or rejected promotion can be submitted."),
    ),
    (
        r"^no published process for 'promotion_approval' in this brand$",
        lambda m: _("This brand has no published promotion approval process (promotion_approval)."),
    ),
]

_ENGINE = [(re.compile(pattern, re.DOTALL), render) for pattern, render in ENGINE]
_SERVICE = [(re.compile(pattern, re.DOTALL), render) for pattern, render in SERVICE]


def _first(patterns, text: str) -> str | None:
    for pattern, render in patterns:
        match = pattern.match(text)
        if match:
            return render(match.groupdict())
    return None


def engine_text(text: str) -> str:
    """One of the engine's English sentences (a reason, a trace rule or why) in the page language."""
    return _first(_ENGINE, text or "") or text


def service_message(exc: ServiceError) -> str:
    """A catalogue service's refusal in the page language (the web's common messages as fallback)."""
    return _first(_SERVICE, exc.message) or _first(_IMPORT, exc.message) or translated(exc.message)


def _amount(value) -> str:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    return f"¥{number.normalize():,f}" if number != number.to_integral() else f"¥{number:,.0f}"


def mechanic_summary(promotion) -> str:
    """What the promotion gives, in one line: 9折 / 每件减 ¥5 / 特价 ¥88 / 满 ¥1,000 减 ¥50 / 买 10 赠 1."""
    params = promotion.params or {}
    mechanic = promotion.mechanic
    if mechanic == "percent_off":
        return _("%(percent)s%% off") % {"percent": params.get("percent", "?")}
    if mechanic == "amount_off":
        return _("%(amount)s off each unit") % {"amount": _amount(params.get("amount", "?"))}
    if mechanic == "special_price":
        return _("Special price %(price)s") % {"price": _amount(params.get("price", "?"))}
    if mechanic == "threshold":
        tiers = [
            _("spend %(low)s save %(off)s") % {"low": _amount(t.get("min_amount")), "off": _amount(t.get("off"))}
            for t in params.get("tiers", [])
        ]
        return "; ".join(tiers)
    if mechanic == "buy_x_get_y":
        gift = params.get("gift_sku") or ""
        text = _("Buy %(buy)s get %(get)s free") % {"buy": params.get("buy", "?"), "get": params.get("get", "?")}
        return f"{text} ({gift})" if gift else text
    return mechanic


IMPORT = [
    (r"^must be text$", lambda m: _("must be text")),
    (r"^must be a whole number from 1 to (?P<n>\d+)$", lambda m: _("must be a whole number from 1 to %(n)s") % m),
    (r"^must be 13%, 9%, 6% or 0% .*$", lambda m: _("must be 13%, 9%, 6% or 0%")),
    (r"^must be 在售, 停售 or 已退市 .*$", lambda m: _("must be 在售, 停售 or 已退市")),
    (r"^the sheet is empty$", lambda m: _("the sheet is empty")),
    (
        r"^unknown column; the columns are (?P<columns>.+)$",
        lambda m: _("unknown column; the columns are %(columns)s") % m,
    ),
    (r"^the same column as '(?P<column>.+)'$", lambda m: _("the same column as %(column)s") % m),
    (r"^the sheet needs a 商品编码 \(SKU\) column$", lambda m: _("the sheet needs a 商品编码 (SKU) column")),
    (r"^SKU is required$", lambda m: _("SKU is required")),
    (r"^SKU '(?P<sku>.+)' is also on row (?P<n>\d+)$", lambda m: _("SKU %(sku)s is also on row %(n)s") % m),
    (r"^name is required for a new product$", lambda m: _("the name is required for a new product")),
    (r"^category is required for a new product$", lambda m: _("the category is required for a new product")),
    (
        r"^the minimum order quantity (?P<low>\d+) must be a multiple of the pack size (?P<pack>\d+)$",
        lambda m: _("the minimum order quantity %(low)s must be a multiple of the pack size %(pack)s") % m,
    ),
    (r"^is longer than (?P<n>\d+) characters$", lambda m: _("is longer than %(n)s characters") % m),
    (r"^unknown category code '(?P<code>.+)'$", lambda m: _("unknown category code %(code)s") % m),
    (r"^the file is larger than (?P<n>\d+) MB$", lambda m: _("The file is larger than %(n)s MB.") % m),
    (
        r"^the file is not an Excel workbook \(\.xlsx\).*$",
        lambda m: _("The file is not an Excel workbook (.xlsx); save it as .xlsx and upload it again."),
    ),
    (r"^the workbook is too large once unpacked$", lambda m: _("The workbook is too large once unpacked.")),
    (r"^the sheet has more than (?P<n>\d+) rows$", lambda m: _("The sheet has more than %(n)s rows.") % m),
]
_IMPORT = [(re.compile(pattern, re.DOTALL), render) for pattern, render in IMPORT]


def import_message(text: str) -> str:
    """A spreadsheet import's complaint about a file or a cell, in the page language."""
    return _first(_IMPORT, text or "") or _first(_SERVICE, text or "") or translated(text or "")
