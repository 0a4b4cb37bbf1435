"""Small template helpers: labels in the page language, query strings for paging and filters."""

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from channelhub.web import labels

register = template.Library()


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with ``changes`` applied (``None`` removes a key)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        params.pop(key, None)
        if value not in (None, ""):
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.filter
def status_label(code: str) -> str:
    return labels.STATUS.get(code, code)


@register.filter
def role_label(code: str) -> str:
    return labels.ROLE.get(code, code)


@register.filter
def action_label(code: str) -> str:
    return labels.ACTION.get(code, code)


@register.filter
def level_label(level: int) -> str:
    return labels.LEVEL.get(level, level)


@register.filter
def object_type_label(code: str) -> str:
    return labels.OBJECT_TYPE.get(code, code)


@register.filter
def field_label(name: str) -> str:
    return labels.FIELD.get(name, name)


@register.filter
def scope_label(code: str) -> str:
    return labels.SCOPE.get(code, code)


@register.filter
def instance_status_label(code: str) -> str:
    return labels.INSTANCE_STATUS.get(code, code)


@register.filter
def notification_kind_label(code: str) -> str:
    return labels.NOTIFICATION_KIND.get(code, code)


@register.filter
def task_status_label(code: str) -> str:
    return labels.TASK_STATUS.get(code, code)


@register.filter
def decision_label(code: str) -> str:
    return labels.DECISION.get(code, code)


@register.filter
def definition_status_label(code: str) -> str:
    return labels.DEFINITION_STATUS.get(code, code)


@register.filter
def duration(start: datetime | None, end: datetime | None = None) -> str:
    """How long from ``start`` to ``end`` (or to now), to the two largest units: 2天3小时, 15分钟."""
    if start is None:
        return "—"
    elapsed = max((end or timezone.now()) - start, timedelta(0))
    days, rest = divmod(int(elapsed.total_seconds()), 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    if minutes:
        return _("%(minutes)d min") % {"minutes": minutes}
    return _("under 1 min")


@register.filter
def brand_label(brand) -> str:
    return labels.brand_name(brand) if brand is not None else ""


@register.filter
def audit_value(value) -> str:
    """One side of an audit change: lists joined, empties as a dash."""
    if value in (None, "", [], {}):
        return "—"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "✓" if value else "✗"
    return str(value)


@register.filter
def get_item(mapping: dict, key):
    return mapping.get(key) if mapping else None


def _formatted(field: str, value) -> str:
    if value not in (None, "") and field == "status":
        for names in (labels.STATUS, labels.TASK_STATUS, labels.DEFINITION_STATUS):
            if value in names:
                return str(names[value])
        return str(value)
    if value not in (None, "") and field == "decision":
        return str(labels.DECISION.get(value, value))
    if value not in (None, "") and field == "role":
        return str(labels.ROLE.get(value, value))
    if isinstance(value, list) and field == "scopes":
        return ", ".join(str(labels.SCOPE.get(v, v)) for v in value) or "—"
    return audit_value(value)


@register.filter
def audit_changes(changes: dict) -> list[dict]:
    """An audit row's changed fields as label, before and after, leaving out no-op pairs (None → [])."""
    rows = []
    for field, pair in (changes or {}).items():
        before, after = pair if isinstance(pair, list | tuple) and len(pair) == 2 else (None, pair)
        before, after = _formatted(field, before), _formatted(field, after)
        if before != after:
            rows.append({"field": labels.FIELD.get(field, field), "before": before, "after": after})
    return rows


@register.filter
def money(amount) -> str:
    """CNY amounts as finance reads them: ¥1,234,567.89 (Decimal in, never float)."""
    if amount is None or amount == "":
        return "—"
    return f"¥{Decimal(amount):,.2f}"


def _data_value(key: str, value) -> str:
    if key in labels.MONEY_KEYS and not isinstance(value, bool):
        try:
            return money(value)
        except (InvalidOperation, TypeError, ValueError):
            pass  # not an amount after all: shown as stored
    if isinstance(value, dict):
        return "; ".join(f"{k}: {audit_value(v)}" for k, v in value.items()) or "—"
    return audit_value(value)


@register.filter
def data_rows(data: dict) -> list[tuple[str, str]]:
    """A request's business data (or a step's form data) as (label, value) rows: known keys first,
    by name in the page language, amounts as money; then any other key as it is, alphabetically.
    (PostgreSQL's jsonb does not keep the order keys were written in, so none is relied on.)"""
    if not isinstance(data, dict):
        return []
    known = list(labels.REQUEST_DATA)
    order = sorted(data, key=lambda key: (known.index(key), "") if key in known else (len(known), str(key)))
    return [(str(labels.REQUEST_DATA.get(key, key)), _data_value(key, data[key])) for key in order]


# what a service keeps in a step's form data about the action itself, shown in words instead
ACTION_KEYS = frozenset({"to_step"})


@register.filter
def step_data_rows(task) -> list[tuple[str, str]]:
    """A step's form data as rows for the timeline, without the keys the timeline says in words."""
    form_data = task.form_data if isinstance(task.form_data, dict) else {}
    return data_rows({key: value for key, value in form_data.items() if key not in ACTION_KEYS})


@register.filter
def step_name(instance, step: str) -> str:
    """The name of one of the request's steps by its id, from the tasks already loaded with it."""
    return next((task.name for task in instance.tasks.all() if task.step == step), step)


@register.filter
def local_link(link: str) -> str:
    """A notification's link when it is a path on this site, else "" (render nothing clickable)."""
    from channelhub.web.views.notifications import local_link as local

    return local(link or "")
