"""A distributor on a phone (390 × 844) reports one sell-through row and sees it listed, with
nothing wider than the screen. Skipped only when /usr/bin/chromium is missing."""

import tempfile
from pathlib import Path

import pytest
from django.db import transaction

from channelhub.catalog.tests.conftest import Shop
from channelhub.orders.models import SellThrough
from channelhub.regions.loader import load_divisions
from channelhub.regions.models import Division
from channelhub.testing import AccountFactory, see_all_brands
from channelhub.web.tests.browser import launch, marks, no_horizontal_scroll, phone_page, sign_in

SCREENSHOT = Path(tempfile.gettempdir()) / "channelhub-sell-through.png"  # the report form as a phone shows it

pytestmark = marks


@pytest.fixture(autouse=True)
def allow_orm_beside_playwright(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def dealer(live_server):
    from channelhub.partners.models import DistributorUser
    from channelhub.testing import user_with_role

    with transaction.atomic():
        if not Division.objects.exists():
            load_divisions(Division)
        see_all_brands()
        shop = Shop()
        shop.product("W1", name="矿泉水 550ml")
        account = AccountFactory(brand=shop.brand, code="NJ001", name="南京一号商贸有限公司", territory=["320100"])
        user = user_with_role("distributor_user", shop.brand, username="nj_dealer")
        see_all_brands()
        DistributorUser.objects.create(brand_id=shop.brand.id, account=account, user=user)
    return {"url": live_server.url, "account": account}


def test_a_distributor_reports_a_row_from_a_phone(dealer):
    from playwright.sync_api import expect, sync_playwright

    url = dealer["url"]
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = phone_page(browser)
            sign_in(page, url, "nj_dealer")

            page.goto(f"{url}/reports/sell-through/")
            assert no_horizontal_scroll(page)
            page.fill("#id_period", "2026-03")
            page.fill("#id_sku", "W1")
            page.fill("#id_qty", "6")
            page.fill("#id_customer_name", "玄武便利店")
            page.fill("#id_customer_county", "320102")
            page.locator(".report-row button[type=submit]").click()
            page.wait_for_url(f"{url}/reports/sell-through/?account={dealer['account'].id}")
            expect(page.locator(".results tbody")).to_contain_text("玄武便利店")
            assert no_horizontal_scroll(page)
            page.screenshot(path=str(SCREENSHOT), full_page=True)
        finally:
            browser.close()
    with transaction.atomic():
        see_all_brands()
        assert SellThrough.objects.get().customer_name == "玄武便利店"
