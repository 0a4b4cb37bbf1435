"""SLA figures per process and step: cycle times (median, 90th percentile), overdue steps, approval rate."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from channelhub.testing import BrandFactory, actor_of, see_all_brands, user_with_role
from channelhub.workflow import selectors
from channelhub.workflow.tests import sla

pytestmark = pytest.mark.django_db

EXPECTED = {
    "key": sla.KEY,
    "name": "经销商准入",
    "instances": 5,
    "finished": 3,
    "approved": 2,
    "rejected": 1,
    "approval_rate": 0.6667,
    "median_hours": 6.0,
    "p90_hours": 10.0,
    "steps": [
        {
            "step": "region_review",
            "name": "区域经理审核",
            "done": 3,
            "median_hours": 2.0,
            "p90_hours": 10.0,
            "open": 2,
            "overdue": 1,
        },
        {
            "step": "director",
            "name": "渠道总监审批",
            "done": 2,
            "median_hours": 3.0,
            "p90_hours": 4.0,
            "open": 0,
            "overdue": 0,
        },
    ],
}


@pytest.fixture
def brand():
    return BrandFactory()


@pytest.fixture
def people(brand):
    return sla.people_of(brand)


@pytest.fixture
def history(brand, people):
    other = BrandFactory()
    other_people = sla.people_of(other)
    sla.publish(other, other_people)
    sla.request(other, other_people, at=timezone.now() - timedelta(days=5), steps=[("reject", 99)])
    sla.request(other, other_people, at=timezone.now() - timedelta(days=5))
    return sla.history(brand, people)


class TestFigures:
    def test_brand_admin_gets_exact_figures_for_the_last_90_days(self, api, brand, people, history):
        # when
        response = api(people["admin"]).get("/workflow/sla")
        # then
        assert response.status_code == 200, response.content
        assert response.json() == [{"brand_id": brand.id, **EXPECTED}]

    def test_a_longer_window_takes_in_older_requests(self, api, brand, people, history):
        # when
        figures = api(people["admin"]).get("/workflow/sla", days=120).json()[0]
        # then: the 100-day-old request took 50 + 50 hours
        assert (figures["instances"], figures["finished"], figures["approved"]) == (6, 4, 3)
        assert (figures["approval_rate"], figures["median_hours"], figures["p90_hours"]) == (0.75, 8.0, 100.0)
        region, director = figures["steps"]
        assert (region["done"], region["median_hours"], region["p90_hours"]) == (4, 6.0, 50.0)
        assert (director["done"], director["median_hours"], director["p90_hours"]) == (3, 4.0, 50.0)

    def test_group_analyst_sees_the_figures_of_the_chosen_brand(self, api, brand, people, history):
        analyst = user_with_role("group_analyst")
        # when
        response = api(analyst).get("/workflow/sla", brand_id=brand.id)
        # then
        assert response.json() == [{"brand_id": brand.id, **EXPECTED}]

    def test_nothing_started_gives_an_empty_list(self, api, brand, people):
        assert api(people["admin"]).get("/workflow/sla").json() == []

    def test_two_queries_whatever_the_number_of_requests(self, brand, people, history):
        # given
        actor = actor_of(people["admin"])
        see_all_brands()
        with CaptureQueriesContext(connection) as before:
            selectors.sla_figures(actor)
        for n in range(5):
            sla.request(brand, people, at=timezone.now() - timedelta(days=n + 1), steps=[("approve", 1)])
        # when
        with CaptureQueriesContext(connection) as after:
            figures = selectors.sla_figures(actor)
        # then
        assert figures[0]["instances"] == 10
        assert len(before) == len(after) == 2


class TestRefusals:
    @pytest.mark.parametrize("role", ["region_manager", "reviewer", "finance"])
    def test_other_roles_are_refused(self, api, brand, history, role):
        response = api(user_with_role(role, brand)).get("/workflow/sla")
        assert (response.status_code, response.json()["code"]) == (403, "forbidden")

    def test_another_brand_is_not_found(self, api, people, history):
        other = BrandFactory()
        response = api(people["admin"]).get("/workflow/sla", brand_id=other.id)
        assert (response.status_code, response.json()["field"]) == (404, "brand_id")

    @pytest.mark.parametrize("days", [0, 367, "x"])
    def test_bad_window_is_422(self, api, people, days):
        assert api(people["admin"]).get("/workflow/sla", days=days).status_code == 422


@pytest.mark.parametrize(
    ("values", "median", "p90"),
    [([5.0], 5.0, 5.0), ([1.0, 2.0], 1.5, 2.0), ([float(n) for n in range(10, 0, -1)], 5.5, 9.0)],
)
def test_median_and_nearest_rank_90th_percentile(values, median, p90):
    assert selectors._spread(values) == {"median_hours": median, "p90_hours": p90}
