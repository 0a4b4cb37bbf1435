"""Finance's writes on credit (授信): the standing limit, temporary credit, payments received and
corrections of the receivable.

Balances move only through ``finance.credit``, which locks the account's credit row; the limit
and temporary credit are written here under the same lock, so an order's credit check never sees
half of a change.
"""

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from channelhub.core import audit, events
from channelhub.core.errors import Conflict, ValidationFailed
from channelhub.core.models import AuditEntry
from channelhub.finance import credit
from channelhub.finance.models import CreditAccount, CreditEntry, TemporaryCredit
from channelhub.partners.models import DistributorAccount
from channelhub.tenancy.actor import Actor
from channelhub.tenancy.models import Role
from channelhub.tenancy.permissions import require_role

CREDIT_WRITERS = (Role.FINANCE, Role.BRAND_ADMIN, Role.GROUP_ADMIN)
MAX_AMOUNT = Decimal("9999999999999999.99")  # what the 18-digit, 2-place columns hold
LIMIT_FIELDS = ["limit", "limit_valid_from", "limit_valid_to"]
TEMPORARY_FIELDS = ["credit_account", "amount", "valid_from", "valid_to", "reason", "revoked_at"]
ENTRY_FIELDS = ["credit_account", "kind", "amount", "reference", "note"]
CREDIT_CHANGED = "finance.credit_changed"


def _amount(value: Any, field: str, *, signed: bool = False) -> Decimal:
    """An amount in CNY from a Decimal, number or text: at most 2 decimal places, never rounded.
    Non-negative unless ``signed``."""
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationFailed(f"{field} must be an amount such as 1000.00", field=field) from None
    if not number.is_finite() or abs(number) > MAX_AMOUNT:
        raise ValidationFailed(f"{field} must be an amount of at most {MAX_AMOUNT}", field=field)
    if not signed and number < 0:
        raise ValidationFailed(f"{field} cannot be negative", field=field)
    if number.as_tuple().exponent < -2:
        raise ValidationFailed(f"{field} has more than 2 decimal places", field=field)
    return number.quantize(Decimal("0.01"))


def _positive(value: Any, field: str) -> Decimal:
    number = _amount(value, field)
    if number == 0:
        raise ValidationFailed(f"{field} must be more than zero", field=field)
    return number


def _text(value: str | None, field: str, limit: int, *, required: bool) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationFailed(f"{field} is required", field=field)
    if len(text) > limit:
        raise ValidationFailed(f"{field} is longer than {limit} characters", field=field)
    return text


def _window(valid_from: date | None, valid_to: date | None) -> None:
    if valid_from and valid_to and valid_to < valid_from:
        raise ValidationFailed("valid_to cannot be before valid_from", field="valid_to")


def _account(actor: Actor, account_id: int) -> DistributorAccount:
    """The distributor account the actor may see (else not found) and may manage credit of (else
    forbidden)."""
    account = DistributorAccount.objects.get_for_actor(actor, id=account_id)
    require_role(actor, account.brand_id, *CREDIT_WRITERS)
    return account


def _changed(account: DistributorAccount, what: str) -> None:
    events.emit(CREDIT_CHANGED, {"brand_id": account.brand_id, "account_id": account.id, "change": what})


@transaction.atomic
def set_credit_limit(
    *,
    actor: Actor,
    account_id: int,
    limit: Decimal,
    valid_from: date | None = None,
    valid_to: date | None = None,
) -> CreditAccount:
    """Set the account's standing credit limit (信用额度) and the dates it is valid (both
    inclusive; empty means open-ended). Creates the account's credit row on first use."""
    account = _account(actor, account_id)
    limit = _amount(limit, "limit")
    _window(valid_from, valid_to)
    row = credit.locked(brand_id=account.brand_id, account_id=account.id)
    before = audit.snapshot(row, LIMIT_FIELDS)
    row.limit, row.limit_valid_from, row.limit_valid_to = limit, valid_from, valid_to
    row.save(update_fields=[*LIMIT_FIELDS, "updated_at"])  # the balances are left to finance.credit
    audit.record(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        obj=row,
        brand_id=account.brand_id,
        before=before,
        after=audit.snapshot(row, LIMIT_FIELDS),
    )
    _changed(account, "limit")
    return row


@transaction.atomic
def grant_temporary_credit(
    *, actor: Actor, account_id: int, amount: Decimal, valid_from: date, valid_to: date, reason: str
) -> TemporaryCredit:
    """Grant extra credit for a period (临时额度), counted on top of the limit from ``valid_from``
    to ``valid_to`` (inclusive) unless revoked."""
    account = _account(actor, account_id)
    amount = _positive(amount, "amount")
    if valid_from is None:
        raise ValidationFailed("valid_from is required", field="valid_from")
    if valid_to is None:
        raise ValidationFailed("valid_to is required", field="valid_to")
    _window(valid_from, valid_to)
    if valid_to < timezone.localdate():
        raise ValidationFailed("valid_to is in the past: the credit would never count", field="valid_to")
    reason = _text(reason, "reason", 200, required=True)
    row = credit.locked(brand_id=account.brand_id, account_id=account.id)
    temporary = TemporaryCredit.objects.create(
        brand_id=account.brand_id,
        credit_account=row,
        amount=amount,
        valid_from=valid_from,
        valid_to=valid_to,
        reason=reason,
        granted_by=actor.user,
    )
    audit.record(
        actor=actor,
        action=AuditEntry.Action.CREATE,
        obj=temporary,
        brand_id=account.brand_id,
        after=audit.snapshot(temporary, TEMPORARY_FIELDS),
    )
    _changed(account, "temporary")
    return temporary


@transaction.atomic
def revoke_temporary_credit(*, actor: Actor, temporary: TemporaryCredit) -> TemporaryCredit:
    """Withdraw temporary credit: it stops counting at once (its record stays)."""
    account = _account(actor, temporary.credit_account.account_id)
    credit.locked(brand_id=account.brand_id, account_id=account.id)
    temporary = TemporaryCredit.objects.get(pk=temporary.pk)  # read again under the lock
    if temporary.revoked_at is not None:
        raise Conflict("this temporary credit has already been revoked", field="id")
    before = audit.snapshot(temporary, ["revoked_at"])
    temporary.revoked_at = timezone.now()
    temporary.save(update_fields=["revoked_at"])
    audit.record(
        actor=actor,
        action=AuditEntry.Action.REVOKE,
        obj=temporary,
        brand_id=account.brand_id,
        before=before,
        after=audit.snapshot(temporary, ["revoked_at"]),
    )
    _changed(account, "temporary")
    return temporary


@transaction.atomic
def record_payment(*, actor: Actor, account_id: int, amount: Decimal, reference: str, note: str = "") -> CreditEntry:
    """A payment received from the distributor (回款): lowers the receivable, freeing credit."""
    account = _account(actor, account_id)
    amount = _positive(amount, "amount")
    reference = _text(reference, "reference", 64, required=True)
    note = _text(note, "note", 200, required=False)
    entry = credit.credit_back(
        brand_id=account.brand_id,
        account_id=account.id,
        amount=amount,
        kind=CreditEntry.Kind.PAYMENT,
        reference=reference,
        note=note,
        user=actor.user,
    )
    audit.record(
        actor=actor,
        action=AuditEntry.Action.CREATE,
        obj=entry,
        brand_id=account.brand_id,
        after=audit.snapshot(entry, ENTRY_FIELDS),
    )
    _changed(account, "payment")
    return entry


@transaction.atomic
def adjust_receivable(*, actor: Actor, account_id: int, amount: Decimal, note: str, reference: str = "") -> CreditEntry:
    """Correct the receivable by a signed amount (调整): positive raises it, negative lowers it.
    The note saying why is required."""
    account = _account(actor, account_id)
    amount = _amount(amount, "amount", signed=True)
    if amount == 0:
        raise ValidationFailed("amount cannot be zero", field="amount")
    note = _text(note, "note", 200, required=True)
    reference = _text(reference, "reference", 64, required=False)
    entry = credit.adjust(
        brand_id=account.brand_id,
        account_id=account.id,
        amount=amount,
        note=note,
        reference=reference,
        user=actor.user,
    )
    audit.record(
        actor=actor,
        action=AuditEntry.Action.CREATE,
        obj=entry,
        brand_id=account.brand_id,
        after=audit.snapshot(entry, ENTRY_FIELDS),
    )
    _changed(account, "adjustment")
    return entry
