"""Scoped reads of credit (授信): the overview of every account's credit at a glance and one
account's credit in detail.

Who reads: finance, brand and group admins, group analysts, region managers (their regions'
distributors only, as :meth:`DistributorAccount.objects.for_actor` narrows them) and a distributor's
own users (their account only). Reviewers see no credit.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Case, Count, DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from channelhub.core.errors import NotFound, ValidationFailed
from channelhub.finance.credit import ZERO, CreditPosition, position
from channelhub.finance.models import CreditAccount, CreditEntry, TemporaryCredit
from channelhub.partners.models import DistributorAccount
from channelhub.tenancy.actor import Actor
from channelhub.tenancy.models import Role

CREDIT_READERS = (Role.FINANCE, Role.BRAND_ADMIN, Role.GROUP_ADMIN, Role.GROUP_ANALYST, Role.REGION_MANAGER)
STATUSES = ("all", "over_limit", "near_limit")
NEAR_LIMIT = Decimal("80")  # per cent of the credit in force
RECENT_ENTRIES = 20
CENT = Decimal("0.01")
MONEY = DecimalField(max_digits=20, decimal_places=2)


def readable_brand_ids(actor: Actor, brand_id: int | None = None) -> list[int]:
    """The brands in view whose credit the actor may read (staff roles, or a distributor's own)."""
    brands = actor.brand_ids if brand_id is None else actor.brand_ids & {brand_id}
    return sorted(b for b in brands if actor.has_role(b, *CREDIT_READERS) or actor.is_distributor_only(b))


def credit_accounts_for(actor: Actor, *, brand_id: int | None = None) -> QuerySet[DistributorAccount]:
    """The distributor accounts whose credit the actor may read."""
    brands = readable_brand_ids(actor, brand_id)
    if not brands:
        return DistributorAccount.objects.none()
    qs = DistributorAccount.objects.for_actor(actor, brand_id=brand_id)
    in_view = actor.brand_ids if brand_id is None else actor.brand_ids & {brand_id}
    return qs if set(brands) == set(in_view) else qs.filter(brand_id__in=brands)


@dataclass(frozen=True)
class CreditRow:
    """One account's line of the credit overview."""

    account_id: int
    brand_id: int
    code: str
    name: str
    account_status: str
    has_credit: bool  # False: no credit row yet (the sign-up limit, nothing used)
    standing_limit: Decimal  # the limit as set, whether or not in force today
    limit_valid_from: date | None
    limit_valid_to: date | None
    position: CreditPosition

    @property
    def limit(self) -> Decimal:
        return self.position.limit

    @property
    def temporary(self) -> Decimal:
        return self.position.temporary

    @property
    def receivable(self) -> Decimal:
        return self.position.receivable

    @property
    def committed(self) -> Decimal:
        return self.position.committed

    @property
    def total(self) -> Decimal:
        return self.position.total

    @property
    def used(self) -> Decimal:
        return self.position.used

    @property
    def available(self) -> Decimal:
        return self.position.available

    @property
    def utilisation(self) -> Decimal | None:
        return utilisation(self.position)

    @property
    def state(self) -> str:
        return state(self.position)


def utilisation(pos: CreditPosition) -> Decimal | None:
    """Credit used as a percentage of the credit in force (one decimal); None without credit."""
    if pos.total <= 0:
        return None
    return (pos.used * 100 / pos.total).quantize(Decimal("0.1"))


def state(pos: CreditPosition) -> str:
    """``over_limit`` (more used than the credit in force), ``near_limit`` (80 % or more used) or ``ok``."""
    if pos.used > pos.total:
        return "over_limit"
    if pos.total > 0 and pos.used * 100 >= pos.total * NEAR_LIMIT:
        return "near_limit"
    return "ok"


def _with_credit(qs: QuerySet[DistributorAccount], on: date) -> QuerySet[DistributorAccount]:
    """Accounts annotated with their credit on ``on``: ``limit_now``, ``temporary_now``,
    ``receivable_now``, ``committed_now``, ``total_now`` and ``used_now`` (one query, no per-row reads)."""
    zero = Value(ZERO, output_field=MONEY)
    limit_now = Case(
        When(Q(credit_account__limit_valid_from__gt=on) | Q(credit_account__limit_valid_to__lt=on), then=zero),
        default=Coalesce(F("credit_account__limit"), F("credit_limit"), zero),
        output_field=MONEY,
    )
    temporary = (
        TemporaryCredit.objects.filter(
            credit_account_id=OuterRef("credit_account__id"),
            revoked_at__isnull=True,
            valid_from__lte=on,
            valid_to__gte=on,
        )
        .order_by()
        .values("credit_account_id")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return qs.annotate(
        limit_now=limit_now,
        temporary_now=Coalesce(Subquery(temporary, output_field=MONEY), zero, output_field=MONEY),
        receivable_now=Coalesce(F("credit_account__receivable"), zero, output_field=MONEY),
        committed_now=Coalesce(F("credit_account__committed"), zero, output_field=MONEY),
    ).annotate(
        total_now=F("limit_now") + F("temporary_now"),
        used_now=F("receivable_now") + F("committed_now"),
    )


OVER_LIMIT = Q(used_now__gt=F("total_now"))
NEAR_LIMIT_Q = Q(
    used_now__lte=F("total_now"), total_now__gt=0, used_now__gte=F("total_now") * NEAR_LIMIT / Decimal("100")
)


class CreditRows:
    """The overview's rows, lazily: counting is one query and each page (slice) one more, so
    Django's paginator and the API's ``Paging`` page it like a queryset."""

    def __init__(self, queryset: QuerySet[DistributorAccount]):
        self.queryset = queryset

    def count(self) -> int:
        return self.queryset.count()

    def all(self) -> "CreditRows":
        return self

    def __len__(self) -> int:
        return self.count()

    def __iter__(self):
        return iter(self[:])

    def __getitem__(self, key):
        if isinstance(key, slice):
            return [_row(values) for values in self.queryset[key]]
        return _row(self.queryset[key])


ROW_FIELDS = (
    "id",
    "brand_id",
    "code",
    "name",
    "status",
    "credit_account__id",
    "credit_account__limit",
    "credit_limit",
    "credit_account__limit_valid_from",
    "credit_account__limit_valid_to",
    "limit_now",
    "temporary_now",
    "receivable_now",
    "committed_now",
)


def _cents(amount) -> Decimal:
    """Amounts as stored, to the fen (SQLite hands computed sums back as ``Decimal('120')``)."""
    return Decimal(amount).quantize(CENT)


def _row(values: dict) -> CreditRow:
    return CreditRow(
        account_id=values["id"],
        brand_id=values["brand_id"],
        code=values["code"],
        name=values["name"],
        account_status=values["status"],
        has_credit=values["credit_account__id"] is not None,
        standing_limit=_cents(
            values["credit_account__limit"] if values["credit_account__limit"] is not None else values["credit_limit"]
        ),
        limit_valid_from=values["credit_account__limit_valid_from"],
        limit_valid_to=values["credit_account__limit_valid_to"],
        position=CreditPosition(
            *(_cents(values[k]) for k in ("limit_now", "temporary_now", "receivable_now", "committed_now"))
        ),
    )


def _overview_queryset(actor: Actor, brand_id: int | None, q: str, on: date) -> QuerySet[DistributorAccount]:
    qs = credit_accounts_for(actor, brand_id=brand_id)
    text = (q or "").strip()
    if text:
        qs = qs.filter(Q(code__icontains=text) | Q(name__icontains=text))
    return _with_credit(qs, on)


def credit_overview(
    actor: Actor, *, brand_id: int | None = None, q: str = "", status: str = "all", on: date | None = None
) -> CreditRows:
    """Every account's credit at a glance, filtered by brand, text (code or name) and status
    (``all``, ``over_limit``, ``near_limit``), ordered by brand and code. Accounts without a
    credit row show the limit agreed at sign-up (their first order creates the row with it) and
    nothing used. Counting and each page are one query each."""
    if status not in STATUSES:
        raise ValidationFailed(f"status must be one of {', '.join(STATUSES)}", field="status")
    qs = _overview_queryset(actor, brand_id, q, on or timezone.localdate())
    if status == "over_limit":
        qs = qs.filter(OVER_LIMIT)
    elif status == "near_limit":
        qs = qs.filter(NEAR_LIMIT_Q)
    return CreditRows(qs.order_by("brand_id", "code").values(*ROW_FIELDS))


@dataclass(frozen=True)
class CreditSummary:
    accounts: int
    over_limit: int
    near_limit: int
    total: Decimal  # credit in force, all accounts
    used: Decimal


def credit_summary(actor: Actor, *, brand_id: int | None = None, q: str = "", on: date | None = None) -> CreditSummary:
    """Counts and totals of the overview (before its status filter), in one aggregate query."""
    qs = _overview_queryset(actor, brand_id, q, on or timezone.localdate()).order_by()
    result = qs.aggregate(
        accounts=Count("id"),
        over_limit=Count("id", filter=OVER_LIMIT),
        near_limit=Count("id", filter=NEAR_LIMIT_Q),
        total=Sum("total_now"),
        used=Sum("used_now"),
    )
    return CreditSummary(
        accounts=result["accounts"],
        over_limit=result["over_limit"],
        near_limit=result["near_limit"],
        total=_cents(result["total"] or 0),
        used=_cents(result["used"] or 0),
    )


@dataclass(frozen=True)
class TemporaryLine:
    temporary: TemporaryCredit
    state: str  # in_force, scheduled, expired, revoked


@dataclass(frozen=True)
class AccountCredit:
    """One account's credit: the position today, its temporary credit and recent ledger entries."""

    account: DistributorAccount
    credit: CreditAccount | None
    position: CreditPosition
    temporary: list[TemporaryLine]
    entries: list[CreditEntry]

    @property
    def utilisation(self) -> Decimal | None:
        return utilisation(self.position)

    @property
    def state(self) -> str:
        return state(self.position)


def temporary_state(temporary: TemporaryCredit, on: date | None = None) -> str:
    """``in_force``, ``scheduled`` (starts later), ``expired`` or ``revoked``."""
    on = on or timezone.localdate()
    if temporary.revoked_at is not None:
        return "revoked"
    if on < temporary.valid_from:
        return "scheduled"
    if on > temporary.valid_to:
        return "expired"
    return "in_force"


def get_credit_account(actor: Actor, account_id: int) -> DistributorAccount:
    """A distributor account whose credit the actor may read (else not found)."""
    return credit_accounts_for(actor).select_related("brand").get_for_actor(actor, id=account_id)


def account_credit(
    actor: Actor, account_id: int, *, on: date | None = None, entries: int = RECENT_ENTRIES
) -> AccountCredit:
    """One account's credit in detail (a fixed handful of queries)."""
    on = on or timezone.localdate()
    account = get_credit_account(actor, account_id)
    row = CreditAccount.objects.filter(brand_id=account.brand_id, account_id=account.id).first()
    if row is None:
        signed_up = _cents(account.credit_limit)  # what its first order will start from
        return AccountCredit(account, None, CreditPosition(signed_up, ZERO, ZERO, ZERO), [], [])
    temporary = [
        TemporaryLine(t, temporary_state(t, on))
        for t in TemporaryCredit.objects.filter(credit_account=row).select_related("granted_by")
    ]
    recent = list(CreditEntry.objects.filter(credit_account=row).select_related("created_by")[:entries])
    pos = position(row, on=on)
    cents = [_cents(amount) for amount in (pos.limit, pos.temporary, pos.receivable, pos.committed)]
    return AccountCredit(account, row, CreditPosition(*cents), temporary, recent)


def get_temporary_credit(actor: Actor, temporary_id: int) -> TemporaryCredit:
    """A temporary credit of an account whose credit the actor may read (else not found)."""
    try:
        return TemporaryCredit.objects.select_related("credit_account").get(
            id=temporary_id, credit_account__account__in=credit_accounts_for(actor).values("id")
        )
    except (TemporaryCredit.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound("temporary credit not found") from None


def position_for(account: DistributorAccount, *, on: date | None = None) -> CreditPosition:
    """The credit the account's next order will be judged on: its credit row's position, or before
    its first order the limit agreed at sign-up (which the first order's credit row starts from).
    The caller has already reached ``account`` through a scoped selector."""
    row = CreditAccount.objects.filter(brand_id=account.brand_id, account_id=account.id).first()
    return position(row or CreditAccount(brand_id=account.brand_id, account=account, limit=account.credit_limit), on=on)
