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


def test_insert_of_nothing_runs_nothing(brand):
    with CaptureQueriesContext(connection) as queries:
        sql.insert([])
    assert len(queries) == 0
