"""Finance's credit writes: limits, temporary credit, payments and adjustments; who may write
them, what is refused, and the audit trail."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from channelhub.core import events
from channelhub.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from channelhub.core.models import AuditEntry
from channelhub.finance import credit, services
from channelhub.finance.models import CreditEntry, TemporaryCredit
from channelhub.finance.tests.conftest import audit_count, balances, credit_of, reserve, ship
from channelhub.testing import AccountFactory, BrandFactory, actor_of, distributor_user, see_all_brands, user_with_role

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def days(n: int):
    return TODAY() + timedelta(days=n)


class TestCreditLimit:
    def test_finance_sets_a_limit_with_its_dates_creating_the_credit_row(self, books):
        # given
        assert credit_of(books.nanjing) is None
        before = audit_count()
        # when
        row = services.set_credit_limit(
            actor=books.actor,
            account_id=books.nanjing.id,
            limit=Decimal("50000"),
            valid_from=days(-1),
            valid_to=days(30),
        )
        # then
        assert balances(books.nanjing) == (Decimal("50000.00"), days(-1), days(30), 0, 0, 0, 0)
        assert credit.position(row).limit == Decimal("50000.00")
        see_all_brands()
        entry = AuditEntry.objects.latest("id")
        assert audit_count() == before + 1
        assert (entry.action, entry.object_type, entry.brand_id, entry.actor_id) == (
            "update",
            "finance.creditaccount",
            books.brand.id,
            books.finance.id,
        )
        assert entry.changes["limit"] == ["0.00", "50000.00"]

    def test_a_new_limit_leaves_the_balances_alone(self, books):
        ship(books.nanjing, "300")
        reserve(books.nanjing, "200")
        services.set_credit_limit(actor=books.actor, account_id=books.nanjing.id, limit=Decimal("1000"))
        assert balances(books.nanjing) == (Decimal("1000.00"), None, None, Decimal("300.00"), Decimal("200.00"), 0, 1)

    def test_the_limit_counts_only_inside_its_dates(self, books):
        row = services.set_credit_limit(
            actor=books.actor, account_id=books.nanjing.id, limit=Decimal("1000"), valid_from=days(1), valid_to=days(5)
        )
        assert [credit.position(row, on=days(n)).limit for n in (0, 1, 5, 6)] == [0, 1000, 1000, 0]

    @pytest.mark.parametrize(
        ("limit", "valid_from", "valid_to", "field"),
        [
            (Decimal("-1"), None, None, "limit"),
            (Decimal("10.005"), None, None, "limit"),
            ("abc", None, None, "limit"),
            (Decimal("1e20"), None, None, "limit"),
            (Decimal("100"), 5, 4, "valid_to"),
        ],
    )
    def test_bad_limits_are_refused_naming_the_field(self, books, limit, valid_from, valid_to, field):
        # given
        before = audit_count()
        dates = {
            "valid_from": days(valid_from) if valid_from else None,
            "valid_to": days(valid_to) if valid_to else None,
        }
        # when
        with pytest.raises(ValidationFailed) as refused:
            services.set_credit_limit(actor=books.actor, account_id=books.nanjing.id, limit=limit, **dates)
        # then
        assert refused.value.field == field
        assert credit_of(books.nanjing) is None and audit_count() == before

    @pytest.mark.parametrize("role", ["brand_admin", "finance"])
    def test_brand_admins_and_finance_may_write(self, books, role):
        actor = actor_of(user_with_role(role, books.brand))
        services.set_credit_limit(actor=actor, account_id=books.nanjing.id, limit=Decimal("1"))
        assert credit_of(books.nanjing).limit == Decimal("1.00")

    def test_a_group_admin_may_write(self, books):
        actor = actor_of(user_with_role("group_admin"))
        services.set_credit_limit(actor=actor, account_id=books.nanjing.id, limit=Decimal("2"))
        assert credit_of(books.nanjing).limit == Decimal("2.00")

    @pytest.mark.parametrize("role", ["region_manager", "reviewer", "group_analyst"])
    def test_other_staff_are_refused_and_nothing_changes(self, books, role):
        # given
        user = user_with_role(role, None if role.startswith("group") else books.brand)
        before = audit_count()
        # when
        with pytest.raises(Forbidden):
            services.set_credit_limit(actor=actor_of(user), account_id=books.nanjing.id, limit=Decimal("1"))
        # then
        assert credit_of(books.nanjing) is None and audit_count() == before

    def test_a_distributor_cannot_raise_its_own_limit(self, books):
        actor = actor_of(distributor_user(books.nanjing))
        with pytest.raises(Forbidden):
            services.set_credit_limit(actor=actor, account_id=books.nanjing.id, limit=Decimal("1"))
        assert credit_of(books.nanjing) is None

    def test_another_brands_account_is_not_found(self, books):
        stranger = AccountFactory(brand=BrandFactory())
        before = audit_count()
        with pytest.raises(NotFound):
            services.set_credit_limit(actor=books.actor, account_id=stranger.id, limit=Decimal("1"))
        assert credit_of(stranger) is None and audit_count() == before

    def test_finance_limited_to_a_region_cannot_reach_other_regions(self, books):
        actor = actor_of(user_with_role("finance", books.brand, divisions=["320000"]))
        with pytest.raises(NotFound):
            services.set_credit_limit(actor=actor, account_id=books.hangzhou.id, limit=Decimal("1"))
        services.set_credit_limit(actor=actor, account_id=books.nanjing.id, limit=Decimal("1"))
        assert credit_of(books.hangzhou) is None and credit_of(books.nanjing).limit == Decimal("1.00")


class TestTemporaryCredit:
    def grant(self, books, start=0, end=10, amount="5000", reason="中秋备货"):
        return services.grant_temporary_credit(
            actor=books.actor,
            account_id=books.nanjing.id,
            amount=Decimal(amount),
            valid_from=days(start),
            valid_to=days(end),
            reason=reason,
        )

    def test_temporary_credit_counts_only_inside_its_dates(self, books):
        # given
        temporary = self.grant(books, start=2, end=5)
        row = credit_of(books.nanjing)
        # when
        amounts = [credit.position(row, on=days(n)).temporary for n in (0, 1, 2, 5, 6)]
        # then
        assert amounts == [0, 0, Decimal("5000.00"), Decimal("5000.00"), 0]
        assert (temporary.granted_by_id, temporary.reason, temporary.revoked_at) == (books.finance.id, "中秋备货", None)
        see_all_brands()
        entry = AuditEntry.objects.latest("id")
        assert (entry.action, entry.object_type) == ("create", "finance.temporarycredit")

    def test_grants_in_force_add_up_on_top_of_the_limit(self, books):
        services.set_credit_limit(actor=books.actor, account_id=books.nanjing.id, limit=Decimal("1000"))
        self.grant(books, amount="200")
        self.grant(books, amount="300")
        position = credit.position(credit_of(books.nanjing))
        assert (position.total, position.available) == (Decimal("1500.00"), Decimal("1500.00"))

    def test_revoked_credit_stops_counting_at_once(self, books):
        # given
        temporary = self.grant(books)
        before = audit_count()
        # when
        services.revoke_temporary_credit(actor=books.actor, temporary=temporary)
        # then
        see_all_brands()
        temporary.refresh_from_db()
        assert temporary.revoked_at is not None
        assert credit.position(credit_of(books.nanjing)).temporary == 0
        assert audit_count() == before + 1
        assert AuditEntry.objects.latest("id").action == "revoke"

    def test_revoking_twice_is_a_conflict_and_changes_nothing(self, books):
        temporary = self.grant(books)
        services.revoke_temporary_credit(actor=books.actor, temporary=temporary)
        see_all_brands()
        revoked_at = TemporaryCredit.objects.get(pk=temporary.pk).revoked_at
        before = audit_count()
        with pytest.raises(Conflict):
            services.revoke_temporary_credit(actor=books.actor, temporary=temporary)
        assert TemporaryCredit.objects.get(pk=temporary.pk).revoked_at == revoked_at and audit_count() == before

    def test_a_region_manager_cannot_revoke(self, books):
        temporary = self.grant(books)
        actor = actor_of(user_with_role("region_manager", books.brand, divisions=["320000"]))
        with pytest.raises(Forbidden):
            services.revoke_temporary_credit(actor=actor, temporary=temporary)
        see_all_brands()
        assert TemporaryCredit.objects.get(pk=temporary.pk).revoked_at is None

    @pytest.mark.parametrize(
        ("kwargs", "field"),
        [
            ({"amount": "0"}, "amount"),
            ({"amount": "-5"}, "amount"),
            ({"amount": "1.234"}, "amount"),
            ({"start": 5, "end": 4}, "valid_to"),
            ({"start": -10, "end": -1}, "valid_to"),
            ({"reason": "  "}, "reason"),
            ({"reason": "长" * 201}, "reason"),
        ],
    )
    def test_bad_grants_are_refused_and_nothing_is_written(self, books, kwargs, field):
        before = audit_count()
        with pytest.raises(ValidationFailed) as refused:
            self.grant(books, **kwargs)
        assert refused.value.field == field
        see_all_brands()
        assert not TemporaryCredit.objects.exists() and audit_count() == before

    def test_a_region_manager_cannot_grant(self, books):
        actor = actor_of(user_with_role("region_manager", books.brand))
        with pytest.raises(Forbidden):
            services.grant_temporary_credit(
                actor=actor,
                account_id=books.nanjing.id,
                amount=Decimal("1"),
                valid_from=days(0),
                valid_to=days(1),
                reason="x",
            )
        see_all_brands()
        assert not TemporaryCredit.objects.exists()


class TestPaymentsAndAdjustments:
    def test_a_payment_lowers_the_receivable_and_is_a_ledger_entry(self, books):
        # given
        ship(books.nanjing, "1000")
        before = audit_count()
        # when
        entry = services.record_payment(
            actor=books.actor, account_id=books.nanjing.id, amount=Decimal("400"), reference="BANK-88", note="电汇"
        )
        # then
        assert credit_of(books.nanjing).receivable == Decimal("600.00")
        assert (entry.kind, entry.amount, entry.reference, entry.note, entry.created_by_id) == (
            CreditEntry.Kind.PAYMENT,
            Decimal("-400.00"),
            "BANK-88",
            "电汇",
            books.finance.id,
        )
        assert audit_count() == before + 1

    def test_paying_ahead_leaves_a_credit_balance(self, books):
        services.record_payment(actor=books.actor, account_id=books.nanjing.id, amount=Decimal("50"), reference="R1")
        assert credit_of(books.nanjing).receivable == Decimal("-50.00")

    @pytest.mark.parametrize(
        ("amount", "reference", "field"),
        [("0", "R", "amount"), ("-1", "R", "amount"), ("1.001", "R", "amount"), ("10", " ", "reference")],
    )
    def test_bad_payments_are_refused_and_nothing_changes(self, books, amount, reference, field):
        ship(books.nanjing, "1000")
        stored = balances(books.nanjing)
        before = audit_count()
        with pytest.raises(ValidationFailed) as refused:
            services.record_payment(
                actor=books.actor, account_id=books.nanjing.id, amount=Decimal(amount), reference=reference
            )
        assert refused.value.field == field
        assert balances(books.nanjing) == stored and audit_count() == before

    def test_a_distributor_cannot_record_its_own_payment(self, books):
        ship(books.nanjing, "1000")
        stored = balances(books.nanjing)
        with pytest.raises(Forbidden):
            services.record_payment(
                actor=actor_of(distributor_user(books.nanjing)),
                account_id=books.nanjing.id,
                amount=Decimal("1000"),
                reference="R",
            )
        assert balances(books.nanjing) == stored

    def test_adjustments_move_the_receivable_either_way(self, books):
        # given
        ship(books.nanjing, "1000")
        # when
        up = services.adjust_receivable(
            actor=books.actor, account_id=books.nanjing.id, amount=Decimal("50"), note="期初余额补录"
        )
        down = services.adjust_receivable(
            actor=books.actor, account_id=books.nanjing.id, amount=Decimal("-20.50"), note="开票差错"
        )
        # then
        assert credit_of(books.nanjing).receivable == Decimal("1029.50")
        assert [(e.kind, e.amount) for e in (up, down)] == [
            ("adjustment", Decimal("50.00")),
            ("adjustment", Decimal("-20.50")),
        ]

    @pytest.mark.parametrize(
        ("amount", "note", "field"), [("0", "why", "amount"), ("5", "", "note"), ("x", "why", "amount")]
    )
    def test_bad_adjustments_are_refused_and_nothing_changes(self, books, amount, note, field):
        ship(books.nanjing, "1000")
        stored = balances(books.nanjing)
        before = audit_count()
        with pytest.raises(ValidationFailed) as refused:
            services.adjust_receivable(actor=books.actor, account_id=books.nanjing.id, amount=amount, note=note)
        assert refused.value.field == field
        assert balances(books.nanjing) == stored and audit_count() == before


def test_every_change_tells_subscribers_after_commit(books, django_capture_on_commit_callbacks):
    # given
    heard = []
    events.subscribe(services.CREDIT_CHANGED, heard.append)
    try:
        # when
        with django_capture_on_commit_callbacks(execute=True):
            services.set_credit_limit(actor=books.actor, account_id=books.nanjing.id, limit=Decimal("10"))
            services.record_payment(actor=books.actor, account_id=books.nanjing.id, amount=Decimal("1"), reference="R")
    finally:
        events.unsubscribe(services.CREDIT_CHANGED, heard.append)
    # then
    assert heard == [
        {"brand_id": books.brand.id, "account_id": books.nanjing.id, "change": "limit"},
        {"brand_id": books.brand.id, "account_id": books.nanjing.id, "change": "payment"},
    ]
