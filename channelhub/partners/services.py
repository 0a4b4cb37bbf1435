"""Writes of distributor parties and their brand accounts."""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError as StdnumError

from channelhub.core import audit
from channelhub.core.errors import Conflict, Forbidden, ValidationFailed
from channelhub.core.events import emit
from channelhub.core.models import AuditEntry
from channelhub.partners.models import (
    DistributorAccount,
    DistributorContact,
    DistributorParty,
    DistributorUser,
    TerritoryEntry,
)
from channelhub.regions.models import Division, SalesRegion
from channelhub.regions.selectors import ancestor_codes
from channelhub.tenancy.actor import Actor
from channelhub.tenancy.models import Brand, Role, User
from channelhub.tenancy.permissions import (
    DISTRIBUTOR_WRITERS,
    STAFF_WRITERS,
    require_brand,
    require_role,
)
from channelhub.tenancy.services import grant_membership

ACCOUNT_FIELDS = ["code", "name", "grade", "status", "registered_division", "address", "custom_fields"]
PARTY_FIELDS = ["credit_code", "name", "legal_representative", "registered_capital"]


@dataclass(frozen=True)
class ContactInput:
    name: str
    title: str = ""
    phone: str = ""
    email: str = ""
    is_primary: bool = False


def clean_credit_code(value: str) -> str:
    """The unified social credit code (统一社会信用代码), compacted and checksum-verified."""
    try:
        return uscc.validate(value or "")
    except StdnumError as exc:
        raise ValidationFailed(
            f"invalid unified social credit code (统一社会信用代码): {exc}", field="credit_code"
        ) from None


def _division(code: str, field: str) -> Division:
    division = Division.objects.filter(code=code).first()
    if division is None:
        raise ValidationFailed(f"unknown division code {code!r}", field=field)
    return division


def _choice(value: str, choices: type, field: str) -> str:
    if value not in choices.values:
        allowed = ", ".join(choices.values)
        raise ValidationFailed(f"{field} must be one of {allowed}, not {value!r}", field=field)
    return value


MAX_AMOUNT = Decimal("9999999999999999.99")  # DecimalField(max_digits=18, decimal_places=2)


def _capital(value: Any) -> Decimal | None:
    """Registered capital in CNY: a finite amount to the fen, never rounded behind the user's back."""
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite():
        raise ValidationFailed("registered capital must be an amount in CNY", field="registered_capital")
    if amount < 0:
        raise ValidationFailed("registered capital cannot be negative", field="registered_capital")
    if amount > MAX_AMOUNT or amount != amount.quantize(Decimal("0.01")):
        raise ValidationFailed(
            "registered capital must be at most 9999999999999999.99 with at most 2 decimals", field="registered_capital"
        )
    return amount.quantize(Decimal("0.01"))


def _territory(
    brand_id: int, divisions: list[str], sales_regions: list[int]
) -> tuple[list[Division], list[SalesRegion]]:
    codes = sorted(set(divisions))
    found = {d.code: d for d in Division.objects.filter(code__in=codes)}
    missing = [c for c in codes if c not in found]
    if missing:
        raise ValidationFailed(f"unknown division code(s): {', '.join(missing)}", field="territory_divisions")
    ids = sorted(set(sales_regions))
    regions = {r.id: r for r in SalesRegion.objects.filter(brand_id=brand_id, id__in=ids)}
    missing_ids = [str(i) for i in ids if i not in regions]
    if missing_ids:
        raise ValidationFailed(f"unknown sales region id(s): {', '.join(missing_ids)}", field="territory_sales_regions")
    return [found[c] for c in codes], [regions[i] for i in ids]


def _check_within_limit(actor: Actor, brand_id: int, divisions: list[Division], regions: list[SalesRegion]) -> None:
    """A region-limited manager may only assign territory inside their own regions."""
    limit = actor.division_limit(brand_id)
    if limit is None:
        return
    codes = [d.code for d in divisions]
    for region in regions:
        codes += list(region.members.values_list("division_id", flat=True))
    outside = [c for c in codes if c not in limit and not (ancestor_codes(c) & limit)]
    if outside or not codes:
        raise Forbidden(
            "territory must lie inside your regions" + (f": {', '.join(outside)}" if outside else ""),
            code="outside_your_regions",
            field="territory_divisions",
        )


def _territory_snapshot(account: DistributorAccount) -> dict[str, list]:
    rows = list(account.territory.values_list("division_id", "sales_region_id"))
    return {
        "territory_divisions": sorted(d for d, _ in rows if d),
        "territory_sales_regions": sorted(r for _, r in rows if r),
    }


def _set_territory(account: DistributorAccount, divisions: list[Division], regions: list[SalesRegion]) -> None:
    TerritoryEntry.objects.filter(account=account).delete()
    TerritoryEntry.objects.bulk_create(
        [TerritoryEntry(brand_id=account.brand_id, account=account, division=d) for d in divisions]
        + [TerritoryEntry(brand_id=account.brand_id, account=account, sales_region=r) for r in regions]
    )


def _set_contacts(account: DistributorAccount, contacts: list[ContactInput]) -> None:
    for contact in contacts:
        if not contact.name.strip():
            raise ValidationFailed("every contact needs a name", field="contacts")
        if contact.email:
            try:
                validate_email(contact.email)
            except DjangoValidationError:
                raise ValidationFailed(f"invalid contact email {contact.email!r}", field="contacts") from None
    DistributorContact.objects.filter(account=account).delete()
    DistributorContact.objects.bulk_create(
        DistributorContact(brand_id=account.brand_id, account=account, **vars(c)) for c in contacts
    )


def _duplicate_account() -> Conflict:
    return Conflict("this company already has an account in this brand", code="duplicate_account", field="credit_code")


def _code_taken(code: str) -> Conflict:
    return Conflict(f"distributor code {code!r} is already used in this brand", field="code")


def _contacts_snapshot(account: DistributorAccount) -> dict[str, list[str]]:
    rows = account.contacts.order_by("id").values_list("name", "title", "phone", "email", "is_primary")
    return {"contacts": [" / ".join([*(v for v in row[:4] if v), *(["primary"] if row[4] else [])]) for row in rows]}


def _next_code(brand_id: int) -> str:
    """The brand's next free automatic code (e.g. QINGQUAN-00321)."""
    prefix = Brand.objects.values_list("code", flat=True).get(id=brand_id).upper()[:8]
    number = DistributorAccount.objects.filter(brand_id=brand_id).count() + 1
    while DistributorAccount.objects.filter(brand_id=brand_id, code=f"{prefix}-{number:05d}").exists():
        number += 1
    return f"{prefix}-{number:05d}"


@transaction.atomic
def create_distributor(
    *,
    actor: Actor,
    brand_id: int | None,
    credit_code: str,
    name: str,
    registered_division: str,
    code: str = "",
    grade: str = DistributorAccount.Grade.C,
    status: str = DistributorAccount.Status.PROSPECT,
    address: str = "",
    legal_representative: str = "",
    registered_capital: Any = None,
    territory_divisions: list[str] | None = None,
    territory_sales_regions: list[int] | None = None,
    contacts: list[ContactInput] | None = None,
) -> DistributorAccount:
    """Open a brand account for a distributor, linking the group-level party if it exists.

    The party is found by its unified social credit code; a second brand signing the same
    company gets a new account on the existing party, never a duplicate party.
    """
    brand_id = require_brand(actor, brand_id)
    require_role(actor, brand_id, *DISTRIBUTOR_WRITERS)
    credit_code = clean_credit_code(credit_code)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("name is required", field="name")
    _choice(grade, DistributorAccount.Grade, "grade")
    _choice(status, DistributorAccount.Status, "status")
    division = _division(registered_division, "registered_division")
    divisions, regions = _territory(brand_id, territory_divisions or [], territory_sales_regions or [])
    if not divisions and not regions:
        divisions = [division]
    _check_within_limit(actor, brand_id, divisions, regions)
    capital = _capital(registered_capital)

    party = DistributorParty.objects.select_for_update().filter(credit_code=credit_code).first()
    if party is None:
        try:
            with transaction.atomic():
                party = DistributorParty.objects.create(
                    credit_code=credit_code,
                    name=name,
                    legal_representative=legal_representative,
                    registered_capital=capital,
                )
        except IntegrityError:  # another request created it a moment ago: link it
            party = DistributorParty.objects.get(credit_code=credit_code)
        else:
            audit.record(
                actor=actor, action=AuditEntry.Action.CREATE, obj=party, after=audit.snapshot(party, PARTY_FIELDS)
            )
    if DistributorAccount.objects.filter(brand_id=brand_id, party=party).exists():
        raise _duplicate_account()
    given_code = (code or "").strip()
    if given_code and DistributorAccount.objects.filter(brand_id=brand_id, code=given_code).exists():
        raise _code_taken(given_code)
    # An automatic code may be taken by a concurrent create between choosing and inserting: retry.
    for _attempt in range(5):
        code = given_code or _next_code(brand_id)
        try:
            with transaction.atomic():
                account = DistributorAccount.objects.create(
                    brand_id=brand_id,
                    party=party,
                    code=code,
                    name=name,
                    grade=grade,
                    status=status,
                    registered_division=division,
                    address=address,
                )
            break
        except IntegrityError:
            if DistributorAccount.objects.filter(brand_id=brand_id, party=party).exists():
                raise _duplicate_account() from None
            if given_code:
                raise _code_taken(code) from None
    else:
        raise Conflict("could not allocate a distributor code; please retry", field="code")
    DistributorParty.objects.filter(pk=party.pk).update(account_count=F("account_count") + 1)
    _set_territory(account, divisions, regions)
    _set_contacts(account, contacts or [])
    audit.record(
        actor=actor,
        action=AuditEntry.Action.CREATE,
        obj=account,
        brand_id=brand_id,
        after={
            **audit.snapshot(account, ACCOUNT_FIELDS),
            "party": party.pk,
            **_territory_snapshot(account),
            **_contacts_snapshot(account),
        },
    )
    emit("distributor.created", {"brand_id": brand_id, "account_id": account.pk})
    return account


@transaction.atomic
def update_distributor(
    *,
    actor: Actor,
    account: DistributorAccount,
    changes: dict[str, Any],
) -> DistributorAccount:
    """Change an account's brand data (and its party's registration data, for brand admins)."""
    require_role(actor, account.brand_id, *DISTRIBUTOR_WRITERS)
    account = DistributorAccount.objects.select_for_update().select_related("party").get(pk=account.pk)
    before = {
        **audit.snapshot(account, ACCOUNT_FIELDS),
        **_territory_snapshot(account),
        **_contacts_snapshot(account),
    }
    unknown = set(changes) - {
        "code",
        "name",
        "grade",
        "status",
        "registered_division",
        "address",
        "territory_divisions",
        "territory_sales_regions",
        "contacts",
        "legal_representative",
        "registered_capital",
    }
    if unknown:
        raise ValidationFailed(f"cannot change {', '.join(sorted(unknown))}", field=sorted(unknown)[0])
    if "name" in changes:
        if not (changes["name"] or "").strip():
            raise ValidationFailed("name is required", field="name")
        account.name = changes["name"].strip()
    if "grade" in changes:
        account.grade = _choice(changes["grade"], DistributorAccount.Grade, "grade")
    if "status" in changes:
        account.status = _choice(changes["status"], DistributorAccount.Status, "status")
    if "registered_division" in changes:
        account.registered_division = _division(changes["registered_division"], "registered_division")
    if "address" in changes:
        account.address = changes["address"] or ""
    if "code" in changes:
        code = (changes["code"] or "").strip()
        if not code:
            raise ValidationFailed("code cannot be empty", field="code")
        if DistributorAccount.objects.filter(brand_id=account.brand_id, code=code).exclude(pk=account.pk).exists():
            raise _code_taken(code)
        account.code = code
    if "territory_divisions" in changes or "territory_sales_regions" in changes:
        current = _territory_snapshot(account)
        divisions, regions = _territory(
            account.brand_id,
            changes.get("territory_divisions", current["territory_divisions"]) or [],
            changes.get("territory_sales_regions", current["territory_sales_regions"]) or [],
        )
        if not divisions and not regions:
            raise ValidationFailed("a distributor needs a sales territory", field="territory_divisions")
        _check_within_limit(actor, account.brand_id, divisions, regions)
        _set_territory(account, divisions, regions)
    if "contacts" in changes:
        _set_contacts(account, changes["contacts"])
    try:
        with transaction.atomic():
            account.save()
    except IntegrityError:  # a concurrent change took the same code
        raise _code_taken(account.code) from None
    party_changes = _real_party_changes(account.party, changes)
    if party_changes:
        _update_party(actor=actor, account=account, changes=party_changes)
    audit.record(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        obj=account,
        brand_id=account.brand_id,
        before=before,
        after={
            **audit.snapshot(account, ACCOUNT_FIELDS),
            **_territory_snapshot(account),
            **_contacts_snapshot(account),
        },
    )
    emit("distributor.updated", {"brand_id": account.brand_id, "account_id": account.pk})
    return account


def _real_party_changes(party: DistributorParty, changes: dict[str, Any]) -> dict[str, Any]:
    """The registration data that would really change; re-sending current values is no change."""
    result = {}
    if "legal_representative" in changes and (changes["legal_representative"] or "") != party.legal_representative:
        result["legal_representative"] = changes["legal_representative"] or ""
    if "registered_capital" in changes and _capital(changes["registered_capital"]) != party.registered_capital:
        result["registered_capital"] = changes["registered_capital"]
    return result


def _update_party(*, actor: Actor, account: DistributorAccount, changes: dict[str, Any]) -> None:
    """Registration data is the group's: a brand admin edits it only for a company no other brand serves."""
    require_role(actor, account.brand_id, *STAFF_WRITERS)
    party = DistributorParty.objects.select_for_update().get(pk=account.party_id)
    if party.account_count > 1 and not actor.is_group_admin:
        raise Forbidden(
            "this company also serves other brands; only a group admin changes its registration data",
            code="shared_party",
            field=sorted(changes)[0],
        )
    before = audit.snapshot(party, PARTY_FIELDS)
    if "legal_representative" in changes:
        party.legal_representative = changes["legal_representative"] or ""
    if "registered_capital" in changes:
        party.registered_capital = _capital(changes["registered_capital"])
    party.save()
    audit.record(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        obj=party,
        brand_id=account.brand_id,
        before=before,
        after=audit.snapshot(party, PARTY_FIELDS),
    )


@transaction.atomic
def link_distributor_user(*, actor: Actor, account: DistributorAccount, user: User) -> DistributorUser:
    """Let ``user`` sign in as this distributor (distributor_user role in the account's brand)."""
    require_role(actor, account.brand_id, *STAFF_WRITERS)
    if DistributorUser.objects.filter(brand_id=account.brand_id, user=user).exists():
        raise Conflict("this user already acts for a distributor of this brand", field="user")
    link = DistributorUser.objects.create(brand_id=account.brand_id, account=account, user=user)
    grant_membership(actor=actor, user=user, brand_id=account.brand_id, role=Role.DISTRIBUTOR_USER)
    audit.record(
        actor=actor, action=AuditEntry.Action.LINK, obj=account, brand_id=account.brand_id, after={"user": user.pk}
    )
    return link
