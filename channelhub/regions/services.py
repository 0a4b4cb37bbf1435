"""Writes of brand sales regions."""

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from channelhub.core import audit
from channelhub.core.errors import Conflict, ValidationFailed
from channelhub.core.models import AuditEntry
from channelhub.regions.models import Division, SalesRegion, SalesRegionDivision
from channelhub.tenancy.actor import Actor
from channelhub.tenancy.permissions import STAFF_WRITERS, require_brand, require_role

FIELDS = ["code", "name", "description"]


def _divisions(codes: list[str]) -> list[Division]:
    codes = sorted(set(codes))
    found = {d.code: d for d in Division.objects.filter(code__in=codes)}
    missing = [c for c in codes if c not in found]
    if missing:
        raise ValidationFailed(f"unknown division code(s): {', '.join(missing)}", field="divisions")
    if not found:
        raise ValidationFailed("a sales region needs at least one division", field="divisions")
    return [found[c] for c in codes]


def _snapshot(region: SalesRegion, codes: list[str]) -> dict:
    return {**audit.snapshot(region, FIELDS), "divisions": sorted(codes)}


def _set_members(region: SalesRegion, divisions: list[Division]) -> None:
    SalesRegionDivision.objects.filter(sales_region=region).delete()
    SalesRegionDivision.objects.bulk_create(
        SalesRegionDivision(brand_id=region.brand_id, sales_region=region, division=d) for d in divisions
    )


@transaction.atomic
def create_sales_region(
    *, actor: Actor, brand_id: int | None, code: str, name: str, divisions: list[str], description: str = ""
) -> SalesRegion:
    """Define a brand's sales region (e.g. 华东大区) from divisions."""
    brand_id = require_brand(actor, brand_id)
    require_role(actor, brand_id, *STAFF_WRITERS)
    members = _divisions(divisions)
    if SalesRegion.objects.filter(brand_id=brand_id, code=code).exists():
        raise Conflict(f"sales region code {code!r} already exists in this brand", field="code")
    try:
        with transaction.atomic():
            region = SalesRegion.objects.create(brand_id=brand_id, code=code, name=name, description=description)
    except IntegrityError:
        raise Conflict(f"sales region code {code!r} already exists in this brand", field="code") from None
    _set_members(region, members)
    audit.record(
        actor=actor,
        action=AuditEntry.Action.CREATE,
        obj=region,
        brand_id=brand_id,
        after=_snapshot(region, [d.code for d in members]),
    )
    return region


@transaction.atomic
def update_sales_region(
    *,
    actor: Actor,
    region: SalesRegion,
    name: str | None = None,
    description: str | None = None,
    divisions: list[str] | None = None,
) -> SalesRegion:
    require_role(actor, region.brand_id, *STAFF_WRITERS)
    region = SalesRegion.objects.select_for_update().get(pk=region.pk)
    old_codes = list(region.members.values_list("division_id", flat=True))
    before = _snapshot(region, old_codes)
    if name is not None:
        region.name = name
    if description is not None:
        region.description = description
    region.save()
    codes = old_codes
    if divisions is not None:
        members = _divisions(divisions)
        _set_members(region, members)
        codes = [d.code for d in members]
    audit.record(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        obj=region,
        brand_id=region.brand_id,
        before=before,
        after=_snapshot(region, codes),
    )
    return region


@transaction.atomic
def delete_sales_region(*, actor: Actor, region: SalesRegion) -> None:
    """Delete a sales region no distributor territory uses."""
    require_role(actor, region.brand_id, *STAFF_WRITERS)
    pk = region.pk
    before = _snapshot(region, list(region.members.values_list("division_id", flat=True)))
    try:
        with transaction.atomic():
            region.members.all().delete()
            region.delete()
    except ProtectedError:
        raise Conflict("sales region is used by distributor territories", code="in_use") from None
    region.pk = pk
    audit.record(actor=actor, action=AuditEntry.Action.DELETE, obj=region, brand_id=region.brand_id, before=before)
