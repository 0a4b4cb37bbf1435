"""Scoped reads of distributors."""

from django.db.models import Count, Prefetch, Q, QuerySet

from channelhub.core import sql
from channelhub.core.errors import NotFound
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


ORDERING_ACCOUNT = (
    "id",
    "brand_id",
    "code",
    "name",
    "grade",
    "status",
    "registered_division_id",
    "address",
    "credit_limit",
)
TERRITORY = ("id", "brand_id", "account_id", "division_id", "sales_region_id")


def account_to_order_for(actor: Actor, account_id: int) -> DistributorAccount:
    """The account an order is placed for, if the actor may see it, with what an order needs: its
    own columns (the rest load on first use) and its territory, prefetched for the price engine.

    Every order of a promotion-day rush starts here, so it is one plain statement rather than the
    ORM's scoped query and prefetch; an actor whom :meth:`DistributorQuerySet.for_actor` narrows
    (a region manager, a distributor's own user) is checked there as well."""
    brands = sorted(actor.brand_ids)
    if not brands or not 0 < account_id < 2**63:
        raise NotFound("distributor not found")
    with sql.cursor() as cursor:  # the account's columns, then a territory entry's, per row
        cursor.execute(
            f"SELECT {', '.join('a.' + c for c in ORDERING_ACCOUNT)}, {', '.join('t.' + c for c in TERRITORY)}"  # noqa: S608 - names from this module
            " FROM partners_distributoraccount a LEFT JOIN partners_territoryentry t ON t.account_id = a.id"
            f" WHERE a.id = %s AND a.brand_id IN ({sql.marks(brands)}) ORDER BY t.id",
            [account_id, *brands],
        )
        rows = cursor.fetchall()
    account = sql.instance(DistributorAccount, ORDERING_ACCOUNT, rows[0]) if rows else None
    if account is None or not (
        actor.sees_whole_brand(account.brand_id)
        or DistributorAccount.objects.for_actor(actor, brand_id=account.brand_id).filter(pk=account_id).exists()
    ):
        raise NotFound("distributor not found")
    entries = [row[len(ORDERING_ACCOUNT) :] for row in rows if row[len(ORDERING_ACCOUNT)] is not None]
    account._prefetched_objects_cache = {"territory": [sql.instance(TerritoryEntry, TERRITORY, e) for e in entries]}
    return account


def brands_serving_party(actor: Actor, party: DistributorParty) -> list[dict]:
    """Which brands a party serves; the whole list only for group users, else the actor's brands."""
    accounts = party.accounts.select_related("brand").order_by("brand__code")
    if not actor.is_group_user:
        accounts = accounts.filter(brand_id__in=actor.brand_ids)
    return [{"brand_id": a.brand_id, "brand": a.brand.name, "account_id": a.id, "code": a.code} for a in accounts]
