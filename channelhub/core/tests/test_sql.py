from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from channelhub.core import sql
from channelhub.core.models import AuditEntry
from channelhub.finance.models import CreditAccount
from channelhub.testing import AccountFactory, BrandFactory, see_all_brands


@pytest.fixture
def brand(db):
    brand = BrandFactory()
    see_all_brands()
    return brand


def test_insert_gives_ids_in_order_and_reads_back_what_the_orm_would_write(brand):
    entries = [
        AuditEntry(brand_id=brand.id, action=AuditEntry.Action.CREATE, object_type="orders.order",
                   object_id=str(n), object_repr=f"订单 {n}", changes={"total": "12.50", "n": n, "名": "水"})
        for n in range(3)
    ]  # fmt: skip

    with CaptureQueriesContext(connection) as queries:
        sql.insert(entries)

    assert len(queries) == 1
    assert all(e.pk is not None and not e._state.adding for e in entries)
    stored = {e.pk: e for e in AuditEntry.objects.filter(pk__in=[e.pk for e in entries])}
    for entry in entries:
        again = stored[entry.pk]
        assert again.object_id == entry.object_id and again.object_repr == entry.object_repr
        assert again.changes == entry.changes
        assert again.created_at == entry.created_at is not None  # auto_now_add filled before the insert


def test_insert_keeps_decimals_and_dates_exact(brand):
    accounts = [AccountFactory(brand=brand) for _ in range(2)]
    big = Decimal("123456789012.34")
    rows = [
        CreditAccount(brand=brand, account=accounts[0], limit=big, limit_valid_to=date(2027, 1, 31)),
        CreditAccount(brand=brand, account=accounts[1], limit=Decimal("0.01"), committed=Decimal("0.01")),
    ]

    sql.insert(rows)

    first, second = (CreditAccount.objects.get(pk=row.pk) for row in rows)
    assert (first.limit, first.limit_valid_to, first.limit_valid_from) == (
        Decimal("123456789012.34"),
        date(2027, 1, 31),
        None,
    )
    assert (second.limit, second.committed) == (Decimal("0.01"), Decimal("0.01"))


def test_the_orm_binds_on_the_client_so_a_statement_takes_any_number_of_values(brand):
    account = AccountFactory(brand=brand)  # the server would refuse more than 65,535 parameters

    assert CreditAccount.objects.filter(account_id__in=[account.pk, *range(10**9, 10**9 + 70_000)]).count() == 0


def test_insert_of_nothing_runs_nothing(brand):
    with CaptureQueriesContext(connection) as queries:
        sql.insert([])
    assert len(queries) == 0


def test_fetch_converts_as_the_orm_does_whatever_the_column_order_and_defers_the_rest(brand):
    account = AccountFactory(brand=brand)
    stored = CreditAccount.objects.create(brand=brand, account=account, limit=Decimal("20000.50"),
                                          limit_valid_from=date(2026, 1, 1))  # fmt: skip
    entry = AuditEntry.objects.create(brand_id=brand.id, action=AuditEntry.Action.CREATE, object_type="x",
                                      object_id="1", changes={"a": [1, "二"]})  # fmt: skip

    (credit,) = sql.fetch(
        CreditAccount,
        ["limit", "limit_valid_from", "id"],
        'SELECT "limit", limit_valid_from, id FROM finance_creditaccount WHERE id = %s',
        [stored.pk],
    )
    (audit,) = sql.fetch(
        AuditEntry, ["id", "changes"], "SELECT id, changes FROM core_auditentry WHERE id = %s", [entry.pk]
    )

    assert (credit.pk, credit.limit, credit.limit_valid_from) == (stored.pk, Decimal("20000.50"), date(2026, 1, 1))
    assert audit.changes == {"a": [1, "二"]}
    assert credit.get_deferred_fields() >= {"committed", "account_id"}
    assert credit.account_id == account.id  # a deferred field loads when read
    assert sql.fetch(CreditAccount, ["id"], "SELECT id FROM finance_creditaccount WHERE id = %s", [0]) == []


def test_insert_prepares_a_value_of_another_type_than_its_column_takes(brand):
    # an int for a text column and a float for an integer one go through the field's preparation
    entry = AuditEntry(brand_id=float(brand.id), action="create", object_type="x", object_id=5)

    sql.insert([entry])

    again = AuditEntry.objects.get(pk=entry.pk)
    assert (again.object_id, again.brand_id) == ("5", brand.id)
