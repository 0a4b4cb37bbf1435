"""A brand with distributors in 江苏 and 浙江, its finance user, and helpers to read credit back."""

from decimal import Decimal
from types import SimpleNamespace

import pytest

from channelhub.core.models import AuditEntry
from channelhub.finance import credit
from channelhub.finance.models import CreditAccount, CreditEntry, TemporaryCredit
from channelhub.testing import AccountFactory, BrandFactory, actor_of, see_all_brands, user_with_role


@pytest.fixture
def books(db):
    return make_books()


def make_books() -> SimpleNamespace:
    """品牌 with 南京一号 (江苏) and 杭州一号 (浙江); a finance user and a brand admin."""
    brand = BrandFactory(name="测试品牌")
    finance = user_with_role("finance", brand)
    admin = user_with_role("brand_admin", brand)
    nanjing = AccountFactory(brand=brand, code="NJ001", name="南京一号商贸", territory=["320000"])
    hangzhou = AccountFactory(brand=brand, code="HZ001", name="杭州一号商贸", territory=["330000"])
    see_all_brands()
    return SimpleNamespace(
        brand=brand,
        finance=finance,
        actor=actor_of(finance),
        admin=admin,
        nanjing=nanjing,
        hangzhou=hangzhou,
    )


def credit_of(account) -> CreditAccount | None:
    see_all_brands()
    return CreditAccount.objects.filter(account=account).first()


def balances(account) -> tuple:
    """(limit, valid from, valid to, receivable, committed, temporary rows, entries) as stored."""
    see_all_brands()
    row = CreditAccount.objects.filter(account=account).first()
    if row is None:
        return None
    return (
        row.limit,
        row.limit_valid_from,
        row.limit_valid_to,
        row.receivable,
        row.committed,
        TemporaryCredit.objects.filter(credit_account=row).count(),
        CreditEntry.objects.filter(credit_account=row).count(),
    )


def audit_count() -> int:
    see_all_brands()
    return AuditEntry.objects.count()


def ship(account, amount: str, committed: str = "0") -> None:
    """Goods billed to the account, as the orders module does on shipment."""
    see_all_brands()
    credit.bill(
        brand_id=account.brand_id,
        account_id=account.id,
        amount=Decimal(amount),
        committed=Decimal(committed),
        reference="SHIP-1",
    )


def reserve(account, amount: str) -> None:
    """An approved order not yet shipped, as the orders module counts it."""
    see_all_brands()
    credit.reserve(brand_id=account.brand_id, account_id=account.id, amount=Decimal(amount), force=True)
