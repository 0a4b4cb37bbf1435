"""A real browser on a phone (390 × 844): a distributor searches its catalogue on 下单, adds two
SKUs, steps a quantity up by its pack size, watches the total follow, places the order and lands on
it, allocated; no page of the way scrolls sideways.

Runs Debian's Chromium through Playwright against pytest-django's live server (see test_browser).
"""

import re
import tempfile
from pathlib import Path

import pytest
from django.db import transaction

from channelhub.orders.models import Order
from channelhub.orders.tests.conftest import Desk
from channelhub.regions.loader import load_divisions
from channelhub.regions.models import Division
from channelhub.testing import see_all_brands
from channelhub.web.tests.browser import launch, marks, no_horizontal_scroll, phone_page, sign_in

pytestmark = marks

FORM_SCREENSHOT = Path(tempfile.gettempdir()) / "channelhub-order-form.png"
ORDER_SCREENSHOT = Path(tempfile.gettempdir()) / "channelhub-order.png"


@pytest.fixture
def desk(live_server):
    """The orders module's desk (three waters and teas priced in 江苏, stock in two warehouses, a
    distributor with 10,000 of credit and its user), committed for the live server."""
    with transaction.atomic():
        if not Division.objects.exists():  # an earlier transactional test flushed the migrated data
            load_divisions(Division)
        desk = Desk()
    return {"url": live_server.url, "desk": desk}


def test_a_distributor_on_a_phone_orders_two_skus_and_sees_the_order_allocated(desk):
    from playwright.sync_api import expect, sync_playwright

    url, shop = desk["url"], desk["desk"]
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = phone_page(browser)
            sign_in(page, url, shop.buyer_user.username)

            page.goto(f"{url}/orders/new/")
            found = page.locator("#found tr.order-product")
            expect(found).to_have_count(3)
            assert no_horizontal_scroll(page)

            # search, then add both waters
            page.fill("#id_q", "水")
            expect(found).to_have_count(2)
            page.locator('#found tr[data-sku="W-STILL"] button.add-line').click()
            cart = page.locator("#cart tr.cart-line")
            expect(cart).to_have_count(1)
            total = page.locator("#cart [data-order-total]")
            expect(total).to_have_text("¥30.00")  # 12 × 2.50 at the minimum
            page.locator('#found tr[data-sku="W-SPARK"] button.add-line').click()
            expect(cart).to_have_count(2)
            expect(total).to_have_text("¥48.00")  # + 6 × 3.00

            # one more pack of still water (12 more), then a typed quantity
            page.locator('#cart tr[data-sku="W-STILL"] button[data-stepper="1"]').click()
            expect(page.locator('#cart tr[data-sku="W-STILL"] .qty-input')).to_have_value("24")
            expect(total).to_have_text("¥78.00")
            page.locator('#cart tr[data-sku="W-SPARK"] .qty-input').fill("12")
            expect(total).to_have_text("¥96.00")  # 24 × 2.50 + 12 × 3.00
            expect(page.locator("#cart .credit-available")).to_have_text("¥10,000.00")
            assert no_horizontal_scroll(page)
            page.screenshot(path=str(FORM_SCREENSHOT), full_page=True)

            # place it
            page.locator("#cart button.order-submit").click()
            page.wait_for_url(re.compile(rf"{re.escape(url)}/orders/\d+/$"))
            expect(page.locator("[data-order-status]")).to_have_text("已配货 Allocated")
            expect(page.locator(".order-total")).to_have_text("¥96.00")
            expect(page.locator("tr.order-line")).to_have_count(2)
            assert no_horizontal_scroll(page)
            page.screenshot(path=str(ORDER_SCREENSHOT), full_page=True)

            page.goto(f"{url}/orders/")
            expect(page.locator("tr.order-row")).to_have_count(1)
            assert no_horizontal_scroll(page)
        finally:
            browser.close()

    with transaction.atomic():
        see_all_brands()
        order = Order.objects.get()
    assert (order.status, order.source, str(order.total)) == (Order.Status.ALLOCATED, "phone", "96.00")


def test_the_order_desks_pages_fit_a_phone(desk):
    from playwright.sync_api import expect, sync_playwright

    from channelhub.orders import services

    url, shop = desk["url"], desk["desk"]
    with transaction.atomic():
        see_all_brands()
        lines = [services.OrderLineIn("W-STILL", 300), services.OrderLineIn("T-GREEN", 120)]
        order = services.submit_order(actor=shop.distributor, account_id=shop.account.id, lines=lines).order
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = phone_page(browser)
            sign_in(page, url, shop.manager.user.username)
            page.goto(f"{url}/orders/{order.id}/")
            forms = page.locator("details.ship-form")
            expect(forms).to_have_count(2)  # the tea is split over both warehouses
            for n in range(2):
                forms.nth(n).locator("summary").click()
            page.locator("details.cancel-form summary").click()
            assert no_horizontal_scroll(page)
            for path in ("/orders/", "/orders/new/", f"/orders/new/?distributor={shop.account.id}", "/stock/"):
                page.goto(f"{url}{path}")
                expect(page.locator("h1")).to_be_visible()
                assert no_horizontal_scroll(page), path
        finally:
            browser.close()
