"""Finance endpoints: credit (授信) at a glance and per account; limits, temporary credit,
payments received and corrections of the receivable."""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from channelhub.core.api import Id, Input, Paging
from channelhub.finance import selectors, services

router = Router(tags=["finance 财务与信用"])


class CreditRowOut(Schema):
    account_id: int
    brand_id: int
    code: str
    name: str
    account_status: str
    has_credit: bool = Field(..., description="false: no credit row yet (limit 0, nothing used)")
    standing_limit: Decimal = Field(..., description="the limit as set, in force or not")
    limit_valid_from: date | None
    limit_valid_to: date | None
    limit: Decimal = Field(..., description="the limit in force today")
    temporary: Decimal = Field(..., description="temporary credit in force today")
    receivable: Decimal
    committed: Decimal = Field(..., description="open approved orders")
    used: Decimal
    available: Decimal
    utilisation: Decimal | None = Field(..., description="per cent of the credit in force; null without credit")
    state: str = Field(..., description="ok, near_limit (80 % or more used) or over_limit")


class CreditFilter(Schema):
    brand_id: Id | None = None
    q: str = Field("", max_length=100, description="part of the distributor's code or name")
    status: Literal["all", "over_limit", "near_limit"] = "all"


class TemporaryOut(Schema):
    id: int
    amount: Decimal
    valid_from: date
    valid_to: date
    reason: str
    granted_by: str | None
    revoked_at: datetime | None
    created_at: datetime
    state: str = Field(..., description="in_force, scheduled, expired or revoked")


class EntryOut(Schema):
    id: int
    kind: str
    amount: Decimal = Field(..., description="positive raises the receivable, negative lowers it")
    reference: str
    note: str
    created_by: str | None
    created_at: datetime


class AccountCreditOut(CreditRowOut):
    temporary_credits: list[TemporaryOut]
    entries: list[EntryOut] = Field(..., description="the most recent receivable movements, newest first")


class LimitIn(Input):
    limit: Decimal = Field(..., description="CNY, at most 2 decimal places")
    valid_from: date | None = None
    valid_to: date | None = Field(None, description="inclusive; empty: open-ended")


class TemporaryIn(Input):
    amount: Decimal
    valid_from: date
    valid_to: date = Field(..., description="inclusive")
    reason: str = Field(..., max_length=200)


class PaymentIn(Input):
    amount: Decimal
    reference: str = Field(..., max_length=64, description="bank or receipt reference")
    note: str = Field("", max_length=200)


class AdjustmentIn(Input):
    amount: Decimal = Field(..., description="signed: positive raises the receivable, negative lowers it")
    note: str = Field(..., max_length=200, description="why")
    reference: str = Field("", max_length=64)


def _temporary(temporary, state: str) -> dict:
    user = temporary.granted_by
    return {
        "id": temporary.id,
        "amount": temporary.amount,
        "valid_from": temporary.valid_from,
        "valid_to": temporary.valid_to,
        "reason": temporary.reason,
        "granted_by": user.username if user else None,
        "revoked_at": temporary.revoked_at,
        "created_at": temporary.created_at,
        "state": state,
    }


def _entry(entry) -> dict:
    user = entry.created_by
    return {
        "id": entry.id,
        "kind": entry.kind,
        "amount": entry.amount,
        "reference": entry.reference,
        "note": entry.note,
        "created_by": user.username if user else None,
        "created_at": entry.created_at,
    }


def _account_credit(request: HttpRequest, account_id: int) -> dict:
    found = selectors.account_credit(request.actor, account_id)
    account, row, pos = found.account, found.credit, found.position
    return {
        "account_id": account.id,
        "brand_id": account.brand_id,
        "code": account.code,
        "name": account.name,
        "account_status": account.status,
        "has_credit": row is not None,
        "standing_limit": row.limit if row else Decimal("0.00"),
        "limit_valid_from": row.limit_valid_from if row else None,
        "limit_valid_to": row.limit_valid_to if row else None,
        "limit": pos.limit,
        "temporary": pos.temporary,
        "receivable": pos.receivable,
        "committed": pos.committed,
        "used": pos.used,
        "available": pos.available,
        "utilisation": found.utilisation,
        "state": found.state,
        "temporary_credits": [_temporary(line.temporary, line.state) for line in found.temporary],
        "entries": [_entry(entry) for entry in found.entries],
    }


@router.get("/finance/credit", response=list[CreditRowOut])
@paginate(Paging)
def list_credit(request: HttpRequest, filters: Query[CreditFilter]):
    return selectors.credit_overview(request.actor, brand_id=filters.brand_id, q=filters.q, status=filters.status)


@router.get("/finance/credit/{account_id}", response=AccountCreditOut)
def get_credit(request: HttpRequest, account_id: Id):
    return _account_credit(request, account_id)


@router.put("/finance/credit/{account_id}/limit", response=AccountCreditOut)
def set_limit(request: HttpRequest, account_id: Id, payload: LimitIn):
    account = selectors.get_credit_account(request.actor, account_id)
    services.set_credit_limit(actor=request.actor, account_id=account.id, **payload.dict())
    return _account_credit(request, account.id)


@router.post("/finance/credit/{account_id}/temporary", response={201: TemporaryOut})
def grant_temporary(request: HttpRequest, account_id: Id, payload: TemporaryIn):
    account = selectors.get_credit_account(request.actor, account_id)
    temporary = services.grant_temporary_credit(actor=request.actor, account_id=account.id, **payload.dict())
    return 201, _temporary(temporary, selectors.temporary_state(temporary))


@router.post("/finance/temporary-credits/{temporary_id}/revoke", response=TemporaryOut)
def revoke_temporary(request: HttpRequest, temporary_id: Id):
    temporary = selectors.get_temporary_credit(request.actor, temporary_id)
    temporary = services.revoke_temporary_credit(actor=request.actor, temporary=temporary)
    return _temporary(temporary, selectors.temporary_state(temporary))


@router.post("/finance/credit/{account_id}/payments", response={201: EntryOut})
def record_payment(request: HttpRequest, account_id: Id, payload: PaymentIn):
    account = selectors.get_credit_account(request.actor, account_id)
    return 201, _entry(services.record_payment(actor=request.actor, account_id=account.id, **payload.dict()))


@router.post("/finance/credit/{account_id}/adjustments", response={201: EntryOut})
def adjust_receivable(request: HttpRequest, account_id: Id, payload: AdjustmentIn):
    account = selectors.get_credit_account(request.actor, account_id)
    return 201, _entry(services.adjust_receivable(actor=request.actor, account_id=account.id, **payload.dict()))
