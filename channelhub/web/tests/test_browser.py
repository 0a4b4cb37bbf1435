"""A real browser on a phone-sized screen (390 × 844): sign in, filter, search, open a distributor.

Runs Debian's Chromium through Playwright against pytest-django's live server; skipped only when
/usr/bin/chromium is missing (CI installs it).
"""

import os
import tempfile
from pathlib import Path

import pytest
from django.db import transaction

from channelhub.regions.loader import load_divisions
from channelhub.regions.models import Division
from channelhub.testing import AccountFactory, BrandFactory, see_all_brands, user_with_role

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
SCREENSHOT = Path(tempfile.gettempdir()) / "channelhub-list.png"  # the list page as a phone shows it

pytestmark = [
    pytest.mark.browser,
    # CI installs Chromium, so there a missing browser is a failure rather than a quiet skip.
    pytest.mark.skipif(
        not Path(CHROMIUM).exists() and not os.environ.get("CI"), reason=f"browser tests need Chromium at {CHROMIUM}"
    ),
]


@pytest.fixture(autouse=True)
def allow_orm_beside_playwright(monkeypatch):
    """Playwright's sync API runs an event loop in this thread; the ORM must still be usable here."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def shop(live_server):
    """Brand A with a dozen distributors and a signed-up brand admin; brand B with one of its own.

    The live server shares the database for real (transactional), so rows are committed here, in
    one transaction that may see every brand (row-level security on PostgreSQL).
    """
    with transaction.atomic():
        if not Division.objects.exists():  # an earlier transactional test flushed the migrated data
            load_divisions(Division)
        see_all_brands()
        brand_a = BrandFactory(code="qingquan", name="清泉饮品", name_en="Qingquan Beverages")
        brand_b = BrandFactory(code="jiale", name="佳乐家电", name_en="Jiale Home Appliances")
        see_all_brands()
        grades = "ABCCBACCDBCA"
        accounts = [
            AccountFactory(
                brand=brand_a,
                grade=grade,
                code=f"QQ{n:04d}",
                name=f"南京第{n}号食品饮料商贸有限公司",
                territory=["320100"],
            )
            for n, grade in enumerate(grades, start=1)
        ]
        AccountFactory(brand=brand_b, name="佳乐家电专属经销商有限公司", territory=["320100"])
        admin = user_with_role("brand_admin", brand_a, username="qq_admin", display_name="清泉管理员")
    return {"url": live_server.url, "accounts": accounts, "admin": admin, "grade_a": grades.count("A")}


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_brand_admin_on_a_phone_filters_searches_and_opens_a_distributor(shop):
    from playwright.sync_api import expect, sync_playwright

    url, accounts = shop["url"], shop["accounts"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            # The phone says it prefers English; the pages stay Chinese until the switch is used.
            context = browser.new_context(
                viewport=PHONE, locale="en-US", device_scale_factor=2, is_mobile=True, has_touch=True
            )
            page = context.new_page()
            page.set_default_timeout(15_000)

            # sign in
            page.goto(f"{url}/login/")
            assert no_horizontal_scroll(page)
            page.fill("input[name=username]", "qq_admin")
            page.fill("input[name=password]", "test-pass-2026")
            page.get_by_role("button", name="登录").click()
            page.wait_for_url(f"{url}/")
            expect(page.locator("h1")).to_have_text("首页")
            assert no_horizontal_scroll(page)

            # the menu is folded away on a phone and opens with the menu button
            distributors_link = page.get_by_role("link", name="经销商", exact=True)
            expect(distributors_link).to_be_hidden()
            page.get_by_role("button", name="菜单").click()
            expect(distributors_link).to_be_visible()
            assert no_horizontal_scroll(page)
            distributors_link.click()
            page.wait_for_url(f"{url}/distributors/")

            rows = page.locator("#results tbody tr:not(.row-empty)")
            expect(rows).to_have_count(len(accounts))
            expect(page.locator("#results")).not_to_contain_text("佳乐家电专属经销商有限公司")
            assert no_horizontal_scroll(page)
            page.screenshot(path=str(SCREENSHOT), full_page=False)

            # filter by grade: htmx swaps the results and keeps the address in step
            page.select_option("#id_grade", "A")
            page.wait_for_url("**/distributors/?*grade=A*")
            expect(rows).to_have_count(shop["grade_a"])
            assert no_horizontal_scroll(page)

            # live search by name, within the grade filter
            target = next(a for a in accounts if a.grade == "A")
            page.fill("#id_q", target.name)
            expect(rows).to_have_count(1)
            expect(rows.first).to_contain_text(target.code)
            search_for_other_brand = "佳乐家电专属"
            page.fill("#id_q", search_for_other_brand)
            expect(rows).to_have_count(0)
            expect(page.locator("#results .row-empty")).to_be_visible()

            # open the detail page
            page.fill("#id_q", target.code)
            expect(rows).to_have_count(1)
            rows.first.get_by_role("link", name=target.name).click()
            page.wait_for_url(f"{url}/distributors/{target.id}/")
            expect(page.locator("h1")).to_have_text(target.name)
            expect(page.get_by_text(target.party.credit_code)).to_be_visible()
            assert no_horizontal_scroll(page)
        finally:
            browser.close()
