"""PostgreSQL's row-level security: the wall under the application's own scoping."""

import pytest
from django.conf import settings
from django.db import connections, transaction

from channelhub.core import sql
from channelhub.partners.models import DistributorAccount
from channelhub.tenancy.rls import set_brand_scope
from channelhub.testing import AccountFactory, BrandFactory


def brand_tables() -> set[str]:
    """Every table of a brand-owned model, found from the models so a new one cannot be missed."""
    from django.apps import apps

    from channelhub.tenancy.scoping import BrandOwnedModel

    return {m._meta.db_table for m in apps.get_models() if issubclass(m, BrandOwnedModel)}


pytestmark = [
    pytest.mark.django_db(transaction=True, databases=["default", "owner"]),
    pytest.mark.skipif("owner" not in settings.DATABASES, reason="row-level security is PostgreSQL-only"),
]


def count(table: str, using: str = "default") -> int:
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (fixed table names)
        return cursor.fetchone()[0]


@pytest.fixture
def two_brands():
    brand_a, brand_b = BrandFactory(), BrandFactory()
    with transaction.atomic():
        set_brand_scope([brand_a.id, brand_b.id])
        AccountFactory(brand=brand_a)
        AccountFactory(brand=brand_b)
        AccountFactory(brand=brand_b)
    return brand_a, brand_b


def test_app_role_is_neither_owner_nor_superuser():
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        user, superuser, bypass = cursor.fetchone()
        cursor.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'partners_distributoraccount'")
        owner = cursor.fetchone()[0]
    assert user == settings.DATABASES["default"]["USER"]
    assert (superuser, bypass) == (False, False)
    assert owner != user


@pytest.mark.usefixtures("two_brands")
def test_raw_sql_without_brand_setting_sees_no_brand_rows():
    for table in ["partners_distributoraccount", "partners_territoryentry"]:
        assert count(table) == 0, table
    assert count("partners_distributoraccount", using="owner") == 3


def test_brand_setting_opens_only_those_brands(two_brands):
    brand_a, brand_b = two_brands
    with transaction.atomic():
        set_brand_scope([brand_b.id])
        assert count("partners_distributoraccount") == 2
        assert set(DistributorAccount.objects.values_list("brand_id", flat=True)) == {brand_b.id}
    # the setting is per transaction: gone once it commits
    assert count("partners_distributoraccount") == 0


def test_writes_into_a_brand_outside_the_setting_are_refused(two_brands):
    from django.db import ProgrammingError

    brand_a, brand_b = two_brands
    account = DistributorAccount.objects.using("owner").filter(brand=brand_b).first()
    with pytest.raises(ProgrammingError, match="row-level security"), transaction.atomic():
        set_brand_scope([brand_a.id])
        with connections["default"].cursor() as cursor:
            cursor.execute(
                "INSERT INTO partners_territoryentry (brand_id, account_id, division_id) VALUES (%s, %s, '320000')",
                [brand_b.id, account.id],
            )


def test_updates_cannot_touch_rows_of_brands_outside_the_setting(two_brands):
    brand_a, brand_b = two_brands
    with transaction.atomic():
        set_brand_scope([brand_a.id])
        changed = DistributorAccount.objects.filter(brand=brand_b).update(grade="A")
    assert changed == 0


def test_every_brand_table_has_the_policy():
    expected = brand_tables()
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT relname FROM pg_class WHERE relrowsecurity AND relname = ANY(%s)", [sorted(expected)])
        protected = {row[0] for row in cursor.fetchall()}
    assert len(expected) >= 6
    assert protected == expected


def test_a_prepared_statement_still_sees_only_the_brands_of_its_transaction(two_brands):
    brand_a, brand_b = two_brands
    query = "SELECT count(*) FROM partners_distributoraccount WHERE id > %s"

    def counted(brand_ids: list[int]) -> int:
        with transaction.atomic(), sql.cursor() as cursor:  # the hot path's cursor, which prepares
            set_brand_scope(brand_ids)
            cursor.execute(query, [0])
            return cursor.fetchone()[0]

    seen = [counted([brand_a.id]) for _ in range(8)]  # prepared after five runs (settings)
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", [query[:40] + "%"])
        prepared = cursor.fetchone()[0]

    assert prepared == 1
    assert seen == [1] * 8
    assert counted([brand_b.id]) == 2
    assert counted([]) == 0
