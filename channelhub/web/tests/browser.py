"""What the browser tests share: Debian's Chromium driven by Playwright, a phone-sized screen,
and the marks that skip them where Chromium is missing (but never in CI, which installs it).

A module's ``pytestmark = browser.marks`` marks its tests ``browser``; for those, conftest lets
the ORM run beside Playwright's event loop."""

import os
from pathlib import Path

import pytest

from channelhub.testing import PASSWORD

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

marks = [
    pytest.mark.browser,
    # CI installs Chromium, so there a missing browser is a failure rather than a quiet skip.
    pytest.mark.skipif(
        not Path(CHROMIUM).exists() and not os.environ.get("CI"), reason=f"browser tests need Chromium at {CHROMIUM}"
    ),
]


def launch(playwright):
    """Headless Chromium, started as this machine needs (no sandbox, no network of its own)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def phone_page(browser, **context_options):
    """A page on a phone: 390 px wide, touch, and 15 s before a step counts as failed."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                  **context_options)  # fmt: skip
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def sign_in(page, url: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{url}/")
