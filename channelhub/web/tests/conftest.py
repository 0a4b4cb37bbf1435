import pytest
from django.test import Client

from channelhub.testing import BrandFactory


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives a real Chromium through Playwright (needs /usr/bin/chromium)")


@pytest.fixture(autouse=True)
def allow_orm_beside_playwright(request, monkeypatch):
    """Playwright's sync API runs an event loop in the test's thread; the ORM must still be usable
    there (tests marked ``browser`` only)."""
    if request.node.get_closest_marker("browser"):
        monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def brand_a():
    return BrandFactory(code="brand-a", name="品牌A", name_en="Brand A")


@pytest.fixture
def brand_b():
    return BrandFactory(code="brand-b", name="品牌B", name_en="Brand B")


@pytest.fixture
def browser_of():
    """A signed-in browser session (Django's test client) for a user; one client per user."""

    def sign_in(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return sign_in


def ids(response) -> list[int]:
    """The ids of the rows on the page a list view rendered."""
    return [row.id for row in response.context["page"].object_list]
