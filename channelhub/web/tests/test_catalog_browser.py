"""A real browser on a phone (390 × 844): a distributor browses its 订货目录, searches it, pages it,
and quotes quantities (试算); a brand admin's catalogue pages fit the screen too.

Runs Debian's Chromium through Playwright against pytest-django's live server (see test_browser).
"""

import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import transaction

from channelhub.catalog.tests.conftest import Shop
from channelhub.regions.loader import load_divisions
from channelhub.regions.models import Division
from channelhub.testing import AccountFactory, distributor_user, see_all_brands
from channelhub.web.tests.browser import launch, marks, no_horizontal_scroll, phone_page, sign_in

pytestmark = marks

CATALOGUE_SCREENSHOT = Path(tempfile.gettempdir()) / "channelhub-catalogue.png"
QUOTE_SCREENSHOT = Path(tempfile.gettempdir()) / "channelhub-catalogue-quote.png"
ADMIN_PAGES = [
    "/catalog/products/",
    "/catalog/products/new/",
    "/catalog/products/import/",
    "/catalog/authorizations/",
    "/catalog/price-lists/",
    "/catalog/price-lists/new/",
    "/catalog/promotions/",
    "/catalog/promotions/new/",
    "/catalog/explain/?distributor=QQ0001&sku=W-550&qty=24",
]


@pytest.fixture
def catalogue(live_server):
    """清泉饮品's catalogue: 24 waters with long names, a forbidden soda, base and agreement prices,
    a promotion for grade B; one distributor user and the brand admin. Committed for the live server."""
    with transaction.atomic():
        if not Division.objects.exists():  # an earlier transactional test flushed the migrated data
            load_divisions(Division)
        shop = Shop()
        shop.product("W-550", name="清泉天然矿泉水 550ml×24瓶 整箱装（春季限定包装）", unit="箱")
        for n in range(1, 24):
            shop.product(f"W-{n:03d}", name=f"清泉纯净水 {n} 号 1.5L×12瓶 家庭装", unit="箱", pack_size=2)
        shop.product("S-1", category=shop.root, name="苏打水")
        shop.allow(shop.water)
        shop.forbid(shop.root, "320000", priority=-1)
        shop.allow(shop.water, "320000")
        account = AccountFactory(
            brand=shop.brand, code="QQ0001", name="南京清泉食品饮料商贸有限公司", grade="B", territory=["320000"]
        )
        prices = [("W-550", "36.00"), ("W-550", "34.50", 100), ("S-1", "20")]
        prices += [(f"W-{n:03d}", f"{20 + n}.80") for n in range(1, 24)]
        shop.price_list("base", name="全国基础价", prices=prices)
        shop.price_list(
            "qq0001", kind="distributor", name="协议价", distributor_id=account.id, prices=[("W-550", "33")]
        )
        shop.promotion("b-95", "percent_off", {"percent": "5"}, name="B级客户95折", grades=["B"], stackable=True)
        shop.promotion(
            "mj",
            "threshold",
            {"tiers": [{"min_amount": "1000", "off": "50"}]},
            name="满1000减50",
            stackable=True,
            sequence=200,
            budget_amount=Decimal("100000"),
        )
        user = distributor_user(account)
        see_all_brands()
    return {"url": live_server.url, "user": user, "admin": shop.actor.user}


def test_a_distributor_on_a_phone_browses_searches_and_quotes(catalogue):
    from playwright.sync_api import expect, sync_playwright

    url = catalogue["url"]
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = phone_page(browser)
            sign_in(page, url, catalogue["user"].username)

            # the catalogue is in the menu
            page.get_by_role("button", name="菜单").click()
            page.locator('#site-nav a[href="/catalogue/"]').click()
            page.wait_for_url(f"{url}/catalogue/")
            rows = page.locator("#results tr.catalogue-line")
            expect(rows).to_have_count(20)  # one page of the 24 waters; the soda is forbidden in 江苏
            expect(page.locator(".promotions-reaching .promo")).to_have_count(2)
            first = rows.first
            expect(first).to_contain_text("W-001")
            expect(first.locator(".promo-badge")).to_have_count(2)
            assert no_horizontal_scroll(page)
            page.screenshot(path=str(CATALOGUE_SCREENSHOT), full_page=False)

            # the next page, then a live search
            page.locator('#results .pagination a[rel="next"]').click()
            expect(rows).to_have_count(4)
            page.fill("#id_q", "550")
            expect(rows).to_have_count(1)
            row = rows.first
            expect(row).to_contain_text("W-550")
            expect(row.locator(".price")).to_have_text("¥31.35")  # 33 agreement price, 5% off
            assert no_horizontal_scroll(page)

            # 试算: a quantity break, a bad quantity, the threshold discount over both good lines
            row.locator("input.qty-input").fill("100")
            page.fill("#id_q", "W-00")
            expect(rows).to_have_count(9)
            rows.nth(0).locator("input.qty-input").fill("3")  # W-001 comes in packs of 2
            rows.nth(1).locator("input.qty-input").fill("10")  # W-002: 10 × 22.80
            page.locator("#quote-form button[type=submit]").click()
            quote = page.locator("#quote .quote-lines tbody tr")
            expect(quote).to_have_count(2)
            expect(page.locator("#quote tr.row-refused")).to_contain_text("W-001")
            # 228.00 − 5% = 216.60; below the 满1000 threshold
            expect(page.locator("#quote .quote-total .total")).to_have_text("¥216.60")
            assert no_horizontal_scroll(page)
            page.locator("#quote").screenshot(path=str(QUOTE_SCREENSHOT))

            page.fill("#id_q", "550")
            expect(rows).to_have_count(1)
            rows.first.locator("input.qty-input").fill("100")
            page.locator("#quote-form button[type=submit]").click()
            expect(quote).to_have_count(1)
            # 100 × 33 (agreement beats base 34.50 from 100) = 3300 − 5% = 3135 − 50 = 3085
            expect(page.locator("#quote .quote-total .total")).to_have_text("¥3,085.00")
            expect(page.locator("#quote .quote-lines")).to_contain_text("b-95")
            expect(page.locator("#quote .quote-lines")).to_contain_text("mj")
            assert no_horizontal_scroll(page)
        finally:
            browser.close()


def test_the_brand_admins_catalogue_pages_fit_a_phone(catalogue):
    from playwright.sync_api import expect, sync_playwright

    url = catalogue["url"]
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = phone_page(browser)
            sign_in(page, url, catalogue["admin"].username)
            for path in ADMIN_PAGES:
                page.goto(f"{url}{path}")
                expect(page.locator("h1")).to_be_visible()
                assert no_horizontal_scroll(page), path
            expect(page.locator("table.trace tbody tr")).not_to_have_count(0)

            # the promotion form shows the chosen mechanic's parameters only
            page.goto(f"{url}/catalog/promotions/new/")
            page.select_option("#id_mechanic", "threshold")
            expect(page.locator('.mechanic-params[data-mechanic="threshold"]')).to_be_visible()
            expect(page.locator('.mechanic-params[data-mechanic="percent_off"]')).to_be_hidden()
            assert no_horizontal_scroll(page)

            # the admin's own view of a distributor's catalogue
            page.goto(f"{url}/catalogue/")
            page.fill("#id_find", "QQ0001")
            page.locator(".distributor-matches a").first.click()
            expect(page.locator("#results tr.catalogue-line")).to_have_count(20)
            assert no_horizontal_scroll(page)
        finally:
            browser.close()
