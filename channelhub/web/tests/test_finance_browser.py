"""A real browser on a phone (390 × 844): finance opens 信用额度, sees the over-limit distributor
flagged, opens it and records a payment; nothing scrolls sideways.

Runs Debian's Chromium through Playwright against pytest-django's live server (see test_browser).
"""

import tempfile
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import timezone

from channelhub.finance import services
from channelhub.finance.tests.conftest import make_books, ship
from channelhub.regions.loader import load_divisions
from channelhub.regions.models import Division
from channelhub.testing import AccountFactory, see_all_brands
from channelhub.web.tests.browser import launch, marks, no_horizontal_scroll, phone_page, sign_in

pytestmark = marks

OVERVIEW_SCREENSHOT = Path(tempfile.gettempdir()) / "channelhub-credit.png"
ACCOUNT_SCREENSHOT = Path(tempfile.gettempdir()) / "channelhub-credit-account.png"


@pytest.fixture
def ledger(live_server):
    """南京一号 over its limit, 杭州一号 near it, and a distributor with a very long name. Committed."""
    with transaction.atomic():
        if not Division.objects.exists():  # an earlier transactional test flushed the migrated data
            load_divisions(Division)
        books = make_books()
        today = timezone.localdate()
        services.set_credit_limit(actor=books.actor, account_id=books.nanjing.id, limit=Decimal("100000"))
        ship(books.nanjing, "123456.78")
        services.set_credit_limit(actor=books.actor, account_id=books.hangzhou.id, limit=Decimal("50000"))
        services.grant_temporary_credit(
            actor=books.actor,
            account_id=books.hangzhou.id,
            amount=Decimal("10000"),
            valid_from=today,
            valid_to=today + timedelta(days=30),
            reason="双十一备货临时额度（华东大区统一申请）",
        )
        ship(books.hangzhou, "50000")
        AccountFactory(brand=books.brand, code="SZ000001", name="苏州工业园区清泉食品饮料批发商贸有限责任公司")
        see_all_brands()
    return {"url": live_server.url, "books": books}


def test_finance_on_a_phone_sees_credit_at_a_glance_and_records_a_payment(ledger):
    from playwright.sync_api import expect, sync_playwright

    url, books = ledger["url"], ledger["books"]
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = phone_page(browser)
            sign_in(page, url, books.finance.username)

            # the overview: three cards, the over-limit one flagged
            page.goto(f"{url}/finance/credit/")
            rows = page.locator(".credit-table tbody tr")
            expect(rows).to_have_count(3)
            expect(page.locator("tr.credit-over_limit")).to_contain_text("南京一号商贸")
            expect(page.locator("tr.credit-near_limit")).to_contain_text("杭州一号商贸")
            assert no_horizontal_scroll(page)
            page.screenshot(path=str(OVERVIEW_SCREENSHOT), full_page=True)

            # open the over-limit account and record a payment
            page.locator("tr.credit-over_limit a").click()
            page.wait_for_url(f"{url}/finance/credit/{books.nanjing.id}/")
            assert no_horizontal_scroll(page)
            page.fill("#id_payment-amount", "30000")
            page.fill("#id_payment-reference", "ICBC-20261205-001")
            page.locator("#payment-form button[type=submit]").click()
            page.wait_for_url(f"{url}/finance/credit/{books.nanjing.id}/")
            expect(page.locator(".flash")).to_be_visible()
            expect(page.locator(".credit-headline")).to_contain_text("6,543.22")
            assert no_horizontal_scroll(page)
            page.screenshot(path=str(ACCOUNT_SCREENSHOT), full_page=True)
        finally:
            browser.close()
