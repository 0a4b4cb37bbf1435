"""Credit at a glance: what each row says, the status filters, who sees which accounts, and a
query count that does not grow with the rows."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from channelhub.core.errors import NotFound, ValidationFailed
from channelhub.finance import selectors, services
from channelhub.finance.tests.conftest import reserve, ship
from channelhub.testing import AccountFactory, BrandFactory, actor_of, distributor_user, see_all_brands, user_with_role

pytestmark = pytest.mark.django_db


def days(n: int):
    return timezone.localdate() + timedelta(days=n)


def rows(actor, **filters) -> dict:
    return {row.code: row for row in selectors.credit_overview(actor, **filters)}


def give(books, account, limit: str, temporary: str | None = None, **dates):
    services.set_credit_limit(actor=books.actor, account_id=account.id, limit=Decimal(limit), **dates)
    if temporary:
        services.grant_temporary_credit(
            actor=books.actor,
            account_id=account.id,
            amount=Decimal(temporary),
            valid_from=days(0),
            valid_to=days(3),
            reason="旺季",
        )


class TestOverviewRows:
    def test_a_row_adds_up_limit_temporary_receivable_and_open_orders(self, books):
        # given
        give(books, books.nanjing, "10000", temporary="2000")
        ship(books.nanjing, "5000")
        reserve(books.nanjing, "4000")
        # when
        row = rows(books.actor)["NJ001"]
        # then
        assert (row.name, row.has_credit, row.limit, row.temporary, row.receivable, row.committed) == (
            "南京一号商贸",
            True,
            Decimal("10000.00"),
            Decimal("2000.00"),
            Decimal("5000.00"),
            Decimal("4000.00"),
        )
        assert (row.used, row.available, row.utilisation, row.state) == (
            Decimal("9000.00"),
            Decimal("3000.00"),
            Decimal("75.0"),
            "ok",
        )

    def test_an_account_without_credit_shows_limit_zero_and_nothing_used(self, books):
        row = rows(books.actor)["HZ001"]
        assert (row.has_credit, row.limit, row.temporary, row.used, row.available, row.utilisation, row.state) == (
            False,
            0,
            0,
            0,
            0,
            None,
            "ok",
        )

    def test_a_limit_outside_its_dates_counts_zero_but_is_shown_as_set(self, books):
        give(books, books.nanjing, "10000", valid_from=days(-30), valid_to=days(-1))
        row = rows(books.actor)["NJ001"]
        assert (row.standing_limit, row.limit, row.limit_valid_to) == (Decimal("10000.00"), 0, days(-1))

    def test_temporary_credit_not_yet_in_force_or_revoked_does_not_count(self, books):
        give(books, books.nanjing, "100")
        later = services.grant_temporary_credit(
            actor=books.actor,
            account_id=books.nanjing.id,
            amount=Decimal("50"),
            valid_from=days(2),
            valid_to=days(4),
            reason="x",
        )
        revoked = services.grant_temporary_credit(
            actor=books.actor,
            account_id=books.nanjing.id,
            amount=Decimal("70"),
            valid_from=days(0),
            valid_to=days(4),
            reason="y",
        )
        services.revoke_temporary_credit(actor=books.actor, temporary=revoked)
        assert rows(books.actor)["NJ001"].temporary == 0
        assert rows(books.actor, on=days(2))["NJ001"].temporary == later.amount

    def test_status_filters_over_and_near_the_limit(self, books):
        # given: 南京 uses 90 % (near), 杭州 is over, a third uses 10 %, a fourth has no credit but owes
        give(books, books.nanjing, "1000")
        ship(books.nanjing, "900")
        give(books, books.hangzhou, "1000")
        ship(books.hangzhou, "1000.01")
        calm = AccountFactory(brand=books.brand, code="SZ001")
        give(books, calm, "1000")
        ship(calm, "100")
        owing = AccountFactory(brand=books.brand, code="WX001")
        ship(owing, "1")
        # when / then
        assert list(rows(books.actor, status="over_limit")) == ["HZ001", "WX001"]
        assert list(rows(books.actor, status="near_limit")) == ["NJ001"]
        assert len(rows(books.actor)) == 4
        assert rows(books.actor)["WX001"].state == "over_limit"
        summary = selectors.credit_summary(books.actor)
        assert (summary.accounts, summary.over_limit, summary.near_limit, summary.total, summary.used) == (
            4,
            2,
            1,
            Decimal("3000.00"),
            Decimal("2001.01"),
        )

    def test_exactly_80_percent_is_near_the_limit(self, books):
        give(books, books.nanjing, "1000")
        ship(books.nanjing, "800")
        assert rows(books.actor)["NJ001"].state == "near_limit"
        assert list(rows(books.actor, status="near_limit")) == ["NJ001"]

    def test_search_by_code_or_name(self, books):
        assert list(rows(books.actor, q="杭州")) == ["HZ001"]
        assert list(rows(books.actor, q="nj0")) == ["NJ001"]

    def test_an_unknown_status_is_refused(self, books):
        with pytest.raises(ValidationFailed) as refused:
            selectors.credit_overview(books.actor, status="everything")
        assert refused.value.field == "status"


class TestScoping:
    def test_a_region_manager_sees_only_the_accounts_in_their_regions(self, books):
        manager = actor_of(user_with_role("region_manager", books.brand, divisions=["320000"]))
        assert list(rows(manager)) == ["NJ001"]
        with pytest.raises(NotFound):
            selectors.account_credit(manager, books.hangzhou.id)

    def test_a_distributor_sees_only_itself(self, books):
        actor = actor_of(distributor_user(books.nanjing))
        assert list(rows(actor)) == ["NJ001"]
        assert selectors.account_credit(actor, books.nanjing.id).account.id == books.nanjing.id
        with pytest.raises(NotFound):
            selectors.account_credit(actor, books.hangzhou.id)

    def test_a_reviewer_sees_no_credit(self, books):
        reviewer = actor_of(user_with_role("reviewer", books.brand))
        assert rows(reviewer) == {}
        with pytest.raises(NotFound):
            selectors.account_credit(reviewer, books.nanjing.id)

    def test_other_brands_are_invisible(self, books):
        other = AccountFactory(brand=BrandFactory(), code="XX001")
        see_all_brands()
        assert "XX001" not in rows(books.actor)
        assert rows(books.actor, brand_id=other.brand_id) == {}
        with pytest.raises(NotFound):
            selectors.account_credit(books.actor, other.id)

    def test_a_temporary_credit_of_an_unseen_account_is_not_found(self, books):
        give(books, books.hangzhou, "1", temporary="5")
        temporary = selectors.account_credit(books.actor, books.hangzhou.id).temporary[0].temporary
        manager = actor_of(user_with_role("region_manager", books.brand, divisions=["320000"]))
        assert selectors.get_temporary_credit(books.actor, temporary.id) == temporary
        with pytest.raises(NotFound):
            selectors.get_temporary_credit(manager, temporary.id)


def test_the_overview_takes_the_same_queries_for_two_rows_or_twelve(books):
    # given
    def page_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            listing = selectors.credit_overview(books.actor)
            assert listing.count() == len(listing[:50])
            selectors.credit_summary(books.actor)
        return len(queries)

    give(books, books.nanjing, "100", temporary="10")
    few = page_queries()
    for n in range(10):
        account = AccountFactory(brand=books.brand, code=f"M{n:03d}")
        give(books, account, "100", temporary="10")
        ship(account, "50")
    # when
    many = page_queries()
    # then
    assert len(selectors.credit_overview(books.actor)[:50]) == 12
    assert few == many == 3  # count, page, summary


def test_account_credit_shows_the_position_temporary_credit_and_recent_entries(books):
    # given
    give(books, books.nanjing, "1000", temporary="100")
    ship(books.nanjing, "300")
    services.record_payment(actor=books.actor, account_id=books.nanjing.id, amount=Decimal("120"), reference="B1")
    # when
    found = selectors.account_credit(books.actor, books.nanjing.id)
    # then
    pos = found.position
    assert (pos.limit, pos.temporary, pos.receivable, pos.available) == (
        Decimal("1000.00"),
        Decimal("100.00"),
        Decimal("180.00"),
        Decimal("920.00"),
    )
    assert [line.state for line in found.temporary] == ["in_force"]
    assert [(e.kind, e.amount) for e in found.entries] == [
        ("payment", Decimal("-120.00")),
        ("shipment", Decimal("300.00")),
    ]
    assert (found.utilisation, found.state) == (Decimal("16.4"), "ok")
