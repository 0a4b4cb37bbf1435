"""Reads of divisions (public reference data) and of brand sales regions (scoped)."""

from functools import lru_cache

from django.db.models import Q, QuerySet

from channelhub.regions.models import Division, SalesRegion
from channelhub.tenancy.actor import Actor


def ancestor_codes(code: str) -> set[str]:
    """GB/T 2260 codes carry their ancestors: 320102 lies in 320100 and 320000."""
    return {code[:2] + "0000", code[:4] + "00"} - {code}


def division_overlap_q(codes: frozenset[str], *, prefix: str = "division") -> Q:
    """Rows whose division lies inside, equals, or contains one of ``codes``."""
    around = set(codes)
    for code in codes:
        around |= ancestor_codes(code)
    p = prefix + "__" if prefix else ""
    id_field = f"{prefix}_id" if prefix else "code"
    return (
        Q(**{f"{id_field}__in": sorted(around)})
        | Q(**{f"{p}province_id__in": sorted(codes)})
        | Q(**{f"{p}prefecture_id__in": sorted(codes)})
    )


@lru_cache(maxsize=4096)
def overlapping_division_codes(codes: frozenset[str]) -> tuple[str, ...]:
    """Every division inside, equal to, or containing one of ``codes`` (reference data, cached)."""
    return tuple(Division.objects.filter(division_overlap_q(codes, prefix="")).values_list("code", flat=True))


def search_divisions(*, query: str = "", level: int | None = None, parent: str | None = None) -> QuerySet[Division]:
    """Divisions by code prefix or name fragment, optionally one level or one parent's children."""
    qs = Division.objects.all()
    query = query.strip()
    if query:
        qs = qs.filter(code__startswith=query) if query.isdigit() else qs.filter(full_name__contains=query)
    if level:
        qs = qs.filter(level=level)
    if parent:
        qs = qs.filter(parent_id=parent)
    return qs.order_by("code")


def get_division(code: str) -> Division | None:
    return Division.objects.filter(code=code).first()


def sales_regions_for(actor: Actor, *, brand_id: int | None = None) -> QuerySet[SalesRegion]:
    qs = SalesRegion.objects.for_actor(actor)
    if brand_id is not None:
        qs = qs.filter(brand_id=brand_id)
    return qs


def get_sales_region(actor: Actor, region_id: int) -> SalesRegion:
    return SalesRegion.objects.get_for_actor(actor, id=region_id)
