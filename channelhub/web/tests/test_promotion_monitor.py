"""The promotion execution page: cards of budget, reach and sales, and the provinces."""

from decimal import Decimal

import pytest
from django.urls import reverse

from channelhub.catalog.tests.conftest import Shop
from channelhub.orders.tests.test_monitoring import trade  # noqa: F401 (fixture)
from channelhub.testing import distributor_user

pytestmark = pytest.mark.django_db


def test_the_brand_admin_sees_the_execution_as_cards(trade, browser_of):  # noqa: F811
    # given a promotion with two orders during it and one in the baseline period
    shop, promotion, _ = trade
    # when its brand admin opens the page
    response = browser_of(shop.actor.user).get(reverse("web:catalog_promotion_execution", args=[promotion.id]))
    # then it shows the budget, the reach and the provinces
    assert response.status_code == 200
    execution = response.context["execution"]
    assert (execution.total.orders, execution.total.sales, execution.money.left) == (
        2,
        Decimal("270.00"),
        Decimal("970.00"),
    )
    page = response.content.decode()
    assert promotion.name in page
    assert "浙江省" in page and "江苏省" in page
    assert "¥270.00" in page and "¥970.00" in page
    assert 'class="table table-cards"' in page  # one card per province on a phone


def test_other_brands_get_404_and_distributors_403(trade, browser_of):  # noqa: F811
    shop, promotion, accounts = trade
    url = reverse("web:catalog_promotion_execution", args=[promotion.id])
    assert browser_of(Shop().actor.user).get(url).status_code == 404
    assert browser_of(distributor_user(accounts["nanjing"])).get(url).status_code == 403
    assert browser_of(shop.actor.user).get(url.replace(str(promotion.id), "999999")).status_code == 404
