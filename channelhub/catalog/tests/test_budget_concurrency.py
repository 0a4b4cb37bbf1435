"""Promotion budgets (促销额度) under concurrent orders: the cap holds, nothing is lost or double-spent.

``services.use_budget`` takes from a budget with one conditional UPDATE; PostgreSQL re-checks the
condition on the row a concurrent transaction just updated, so many orders at once can never push
usage over the cap. The threads below run that race for real (PostgreSQL only), and the last test
shows the check constraint that backs it up on both databases.
"""

import random
import threading
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import IntegrityError, connections, transaction
from django.db.models import F

from channelhub.catalog import services
from channelhub.catalog.models import Promotion
from channelhub.catalog.tests.conftest import Shop
from channelhub.tenancy.rls import set_brand_scope

THREADS, CALLS = 16, 25
# committed data that other connections see, as in production
committed = pytest.mark.django_db(transaction=True, databases=["default", "owner"])
needs_postgres = pytest.mark.skipif(
    "owner" not in settings.DATABASES,
    reason="a real race needs PostgreSQL: SQLite lets one writer in at a time, so nothing would run at once",
)


def capped_promotion(**caps) -> Promotion:
    """An active promotion with the given caps, committed so that every thread sees it."""
    with transaction.atomic():
        shop = Shop()
        shop.product("W1")
        return shop.promotion("capped", "amount_off", {"amount": "1"}, **caps)


def race(promotion: Promotion, requests: list[list[tuple[Decimal, int]]]) -> list[tuple[Decimal, int, bool]]:
    """Each thread asks for its list of (money, units), one order transaction per request, all
    threads starting together; returns every request with whether it was granted."""
    barrier, results, lock = threading.Barrier(len(requests)), [], threading.Lock()

    def orders(mine: list[tuple[Decimal, int]]) -> None:
        try:
            barrier.wait(timeout=10)
            for money, units in mine:
                with transaction.atomic():  # as an order's transaction would
                    set_brand_scope([promotion.brand_id])
                    granted = services.use_budget(promotion_id=promotion.id, money_used=money, units=units)
                with lock:
                    results.append((money, units, granted))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=orders, args=(mine,)) for mine in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert len(results) == sum(len(mine) for mine in requests)
    return results


def stored(promotion: Promotion) -> Promotion:
    return Promotion.objects.using("owner").get(pk=promotion.pk)  # the owner reads past row-level security


@committed
@needs_postgres
def test_sixteen_threads_never_spend_more_than_a_money_cap():
    # given: 100.00 of discount money, and 400 orders asking for 0.50 to 5.00 each
    promotion = capped_promotion(budget_amount="100.00")
    rng = random.Random(2026)
    requests = [[(Decimal(rng.randint(50, 500)) / 100, 0) for _ in range(CALLS)] for _ in range(THREADS)]
    # when
    results = race(promotion, requests)
    # then: what was granted is exactly what the budget shows used, and within the cap
    granted = sum((money for money, _, ok in results if ok), Decimal("0"))
    refused = [money for money, _, ok in results if not ok]
    assert stored(promotion).used_amount == granted <= Decimal("100.00")
    # and every refusal came once the cap was (nearly) reached: the request did not fit even in
    # what is left now, and what is left now is less than at the moment of the refusal
    assert refused and all(money > Decimal("100.00") - granted for money in refused)


@committed
@needs_postgres
def test_sixteen_threads_never_give_more_units_than_a_unit_cap():
    # given: 50 units, and 400 orders asking for 1 to 3 each
    promotion = capped_promotion(budget_quantity=50)
    rng = random.Random(2027)
    requests = [[(Decimal("0"), rng.randint(1, 3)) for _ in range(CALLS)] for _ in range(THREADS)]
    # when
    results = race(promotion, requests)
    # then
    granted = sum(units for _, units, ok in results if ok)
    refused = [units for _, units, ok in results if not ok]
    assert stored(promotion).used_quantity == granted <= 50
    assert refused and all(units > 50 - granted for units in refused)


@committed
@needs_postgres
def test_with_both_caps_a_request_takes_both_or_nothing():
    # given: 60.00 and 40 units; each order asks for money and units together
    promotion = capped_promotion(budget_amount="60.00", budget_quantity=40)
    rng = random.Random(2028)
    requests = [
        [(Decimal(rng.randint(50, 300)) / 100, rng.randint(1, 2)) for _ in range(CALLS)] for _ in range(THREADS)
    ]
    # when
    results = race(promotion, requests)
    # then: the used money and units are exactly those of the granted requests (no half-taken one)
    money = sum((m for m, _, ok in results if ok), Decimal("0"))
    units = sum(u for _, u, ok in results if ok)
    after = stored(promotion)
    assert (after.used_amount, after.used_quantity) == (money, units)
    assert money <= Decimal("60.00") and units <= 40
    refused = [(m, u) for m, u, ok in results if not ok]
    assert refused and all(m > Decimal("60.00") - money or u > 40 - units for m, u in refused)


@pytest.mark.django_db
def test_the_database_refuses_usage_over_the_cap_even_without_use_budget(shop):
    # given: a promotion with 100.00 and 10 units, half used
    promotion = shop.promotion("capped", "amount_off", {"amount": "1"}, budget_amount="100.00", budget_quantity=10)
    assert services.use_budget(promotion_id=promotion.id, money_used=Decimal("50.00"), units=5)
    rows = Promotion.objects.filter(pk=promotion.pk)
    # when / then: a direct UPDATE one fen or one unit over the cap is refused by the check constraints
    with pytest.raises(IntegrityError), transaction.atomic():
        rows.update(used_amount=F("budget_amount") + Decimal("0.01"))
    with pytest.raises(IntegrityError), transaction.atomic():
        rows.update(used_quantity=F("budget_quantity") + 1)
    # and nothing changed
    assert rows.values_list("used_amount", "used_quantity").get() == (Decimal("50.00"), 5)
    # and up to the cap exactly is allowed
    assert rows.update(used_amount=F("budget_amount"), used_quantity=F("budget_quantity")) == 1
    assert not services.use_budget(promotion_id=promotion.id, money_used=Decimal("0.01"))
    assert not services.use_budget(promotion_id=promotion.id, units=1)
    assert rows.values_list("used_amount", "used_quantity").get() == (Decimal("100.00"), 10)
