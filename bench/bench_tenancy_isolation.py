"""The cost of tenancy scoping: a 50-row page through the scoped selector versus an unscoped query.

Both variants fetch the same brand's page the way the API's paginator does (a count, then 50 rows
with the same joins and order) and serialize it with the API's list schema. The only difference is
the scoping predicate that ``distributors_for(actor, ...)`` adds: the actor's brands, and for a
region manager the accounts whose territory overlaps their divisions. The region manager's
baseline is the same rows asked for without scoping (an unscoped query with an explicit 江苏 filter),
so the figure is what isolation adds, not what the region filter itself costs; the absolute cost
of a region manager's page is ``distributors.list_page_region_manager.p50_ms``.

Goal: overhead under 10 %, reported as 100 * (scoped_p50 - unscoped_p50) / unscoped_p50.
"""

from django.db import transaction

from bench.common import actor, first_brand_id, percentile, time_interleaved
from channelhub.partners.api import DistributorListItem
from channelhub.partners.models import DistributorAccount
from channelhub.partners.selectors import distributors_for
from channelhub.tenancy.rls import set_brand_scope

PAGE = 50


def serialized_page(qs) -> list[dict]:
    qs.count()
    return [DistributorListItem.from_orm(row).model_dump(mode="json") for row in qs[:PAGE]]


def overhead(metric: str, username: str, region: str | None = None) -> dict:
    who = actor(username)
    brand_id = first_brand_id()

    def scoped():
        return serialized_page(distributors_for(who, brand_id=brand_id))

    def unscoped():
        qs = DistributorAccount.objects.filter(brand_id=brand_id)
        if region:
            qs = qs.in_regions([brand_id], frozenset([region]))
        qs = qs.select_related("party", "registered_division", "brand").order_by("brand_id", "code")
        return serialized_page(qs)

    # One transaction with the brand scope set, as in an API request. On PostgreSQL row-level
    # security filters both variants alike, so the difference is the application's scoping alone.
    with transaction.atomic():
        set_brand_scope(who.allowed_brand_ids)
        if len(scoped()) != PAGE or len(unscoped()) != PAGE:
            raise RuntimeError(f"{username}: expected full pages of {PAGE}")
        scoped_ms, unscoped_ms = time_interleaved(scoped, unscoped, n=200, warmup=20)
    scoped_p50, unscoped_p50 = percentile(scoped_ms, 50), percentile(unscoped_ms, 50)
    return {
        "metric": metric,
        "value": round(100 * (scoped_p50 - unscoped_p50) / unscoped_p50, 1),
        "unit": "%",
        "n": len(scoped_ms),
        "scoped_p50_ms": round(scoped_p50, 3),
        "unscoped_p50_ms": round(unscoped_p50, 3),
        "user": username,
    }


def run():
    yield overhead("tenancy.isolation_overhead_pct", "brand_a_admin")
    yield overhead("tenancy.isolation_overhead_region_pct", "region_js_manager", region="320000")
