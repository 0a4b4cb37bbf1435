"""Scoped reads of distributors."""

from django.db.models import Count, Prefetch, Q, QuerySet

from channelhub.partners.models import DistributorAccount, DistributorContact, DistributorParty, TerritoryEntry
from channelhub.regions.models import SalesRegionDivision
from channelhub.tenancy.actor import Actor


def distributors_for(
    actor: Actor,
    *,
    brand_id: int | None = None,
    region: str | None = None,
    sales_region: int | None = None,
    grade: str | None = None,
    status: str | None = None,
    query: str = "",
) -> QuerySet[DistributorAccount]:
    """The accounts the actor may see, filtered; ready to page and show with a fixed query count."""
    qs = DistributorAccount.objects.for_actor(actor, brand_id=brand_id)
    brands = sorted(actor.brand_ids if brand_id is None else actor.brand_ids & {brand_id})
    if region:
        qs = qs.in_regions(brands, frozenset([region]))
    if sales_region is not None:
        members = SalesRegionDivision.objects.filter(sales_region_id=sales_region, brand_id__in=brands)
        codes = frozenset(members.values_list("division_id", flat=True))
        qs = qs.in_regions(brands, codes) if codes else qs.none()
    if grade:
        qs = qs.filter(grade=grade)
    if status:
        qs = qs.filter(status=status)
    query = query.strip()
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(code__icontains=query) | Q(party__credit_code=query.upper()))
    # (brand, code) is unique, so it orders completely
    return qs.select_related("party", "registered_division", "brand").order_by("brand_id", "code")


def distributor_counts_by_status(actor: Actor) -> dict[int, dict[str, int]]:
    """``{brand_id: {status: count}}`` over the accounts the actor may see, in one aggregate query."""
    rows = DistributorAccount.objects.for_actor(actor).order_by().values("brand_id", "status").annotate(n=Count("id"))
    counts: dict[int, dict[str, int]] = {}
    for row in rows:
        counts.setdefault(row["brand_id"], {})[row["status"]] = row["n"]
    return counts


def with_details(qs: QuerySet[DistributorAccount]) -> QuerySet[DistributorAccount]:
    return qs.prefetch_related(
        Prefetch("territory", queryset=TerritoryEntry.objects.select_related("division", "sales_region")),
        Prefetch("contacts", queryset=DistributorContact.objects.all()),
    )


def get_distributor(actor: Actor, account_id: int) -> DistributorAccount:
    return with_details(
        DistributorAccount.objects.select_related("party", "registered_division", "brand")
    ).get_for_actor(actor, id=account_id)


def brands_serving_party(actor: Actor, party: DistributorParty) -> list[dict]:
    """Which brands a party serves; the whole list only for group users, else the actor's brands."""
    accounts = party.accounts.select_related("brand").order_by("brand__code")
    if not actor.is_group_user:
        accounts = accounts.filter(brand_id__in=actor.brand_ids)
    return [{"brand_id": a.brand_id, "brand": a.brand.name, "account_id": a.id, "code": a.code} for a in accounts]
