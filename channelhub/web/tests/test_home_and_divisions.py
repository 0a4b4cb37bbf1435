"""The dashboard and the division browser."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from channelhub.testing import AccountFactory, user_with_role

pytestmark = pytest.mark.django_db


class TestDashboard:
    def test_counts_distributors_by_status_per_brand(self, browser_of, brand_a, brand_b):
        # given
        for status in ("active", "active", "prospect", "exited"):
            AccountFactory(brand=brand_a, status=status)
        AccountFactory(brand=brand_b, status="suspended")
        client = browser_of(user_with_role("group_admin"))
        # when
        response = client.get("/")
        # then
        cards = {c["brand"].id: {s["code"]: s["count"] for s in c["statuses"]} for c in response.context["cards"]}
        assert cards == {
            brand_a.id: {"prospect": 1, "active": 2, "suspended": 0, "exited": 1},
            brand_b.id: {"prospect": 0, "active": 0, "suspended": 1, "exited": 0},
        }
        assert response.context["grand_total"] == 5
        assert f'href="/distributors/?brand={brand_a.id}&amp;status=active"' in response.content.decode()

    def test_counts_in_one_aggregate_query(self, browser_of, brand_a, brand_b):
        AccountFactory(brand=brand_a)
        client = browser_of(user_with_role("group_admin"))
        client.get("/")
        with CaptureQueriesContext(connection) as queries:
            client.get("/")
        counting = [
            q["sql"] for q in queries if "partners_distributoraccount" in q["sql"] and "orders_order" not in q["sql"]
        ]
        assert len(counting) == 1
        assert "COUNT(" in counting[0].upper()


class TestDivisions:
    def test_tree_starts_with_the_provinces(self, browser_of, brand_a):
        client = browser_of(user_with_role("brand_admin", brand_a))
        body = client.get("/divisions/").content.decode()
        assert "江苏省" in body
        assert 'hx-get="/divisions/320000/children/"' in body

    def test_children_open_one_level(self, browser_of, brand_a):
        client = browser_of(user_with_role("brand_admin", brand_a))
        body = client.get("/divisions/320000/children/", headers={"HX-Request": "true"}).content.decode()
        assert "南京市" in body and "苏州市" in body
        assert "玄武区" not in body
        assert 'hx-get="/divisions/320100/children/"' in body

    def test_search_by_name_and_by_code(self, browser_of, brand_a):
        client = browser_of(user_with_role("brand_admin", brand_a))
        by_name = client.get("/divisions/", {"q": "玄武"}, headers={"HX-Request": "true"})
        assert [d.code for d in by_name.context["results"]] == ["320102"]
        assert "<html" not in by_name.content.decode()
        by_code = client.get("/divisions/", {"q": "3201"})
        assert by_code.context["results"][0].code == "320100"
        assert all(d.code.startswith("3201") for d in by_code.context["results"])

    def test_search_is_capped(self, browser_of, brand_a):
        client = browser_of(user_with_role("brand_admin", brand_a))
        response = client.get("/divisions/", {"q": "区"})
        assert len(response.context["results"]) == 50
        assert response.context["more"] is True

    def test_picker_offers_codes_for_a_form_field(self, browser_of, brand_a):
        client = browser_of(user_with_role("brand_admin", brand_a))
        body = client.get("/divisions/pick/", {"q": "南京", "target": "id_divisions"}).content.decode()
        assert 'data-pick-code="320100"' in body
        assert 'data-pick-target="id_divisions"' in body

    def test_picker_ignores_a_strange_target(self, browser_of, brand_a):
        client = browser_of(user_with_role("brand_admin", brand_a))
        response = client.get("/divisions/pick/", {"q": "南京", "target": '"><script>'})
        assert response.context["target"] == ""
