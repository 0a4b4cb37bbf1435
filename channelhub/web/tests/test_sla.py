"""The SLA page (审批时效) for brand admins: a table per process with a row per step."""

import re

import pytest

from channelhub.testing import user_with_role
from channelhub.workflow.tests import sla

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(brand_a):
    return sla.people_of(brand_a)


@pytest.fixture
def history(brand_a, brand_b, people):
    other = sla.people_of(brand_b)
    sla.publish(brand_b, other)
    sla.request(brand_b, other, at=sla.timezone.now() - 5 * 24 * sla.HOUR, steps=[("reject", 99)])
    return sla.history(brand_a, people)


def cells(body: str, step: str) -> list[str]:
    """The numbers in a step's row: done, median, 90th percentile, open, overdue."""
    row = re.search(rf'<tr data-step="{step}">(.*?)</tr>', body, re.S).group(1)
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r'<td class="num"[^>]*>(.*?)</td>', row, re.S)]


class TestSlaPage:
    def test_brand_admin_sees_each_step_with_exact_figures(self, browser_of, people, history):
        # when
        response = browser_of(people["admin"]).get("/approvals/sla/")
        # then
        assert response.status_code == 200
        body = response.content.decode()
        assert [p["key"] for p in response.context["figures"]] == [sla.KEY]
        assert "经销商准入" in body and "审批时效" in body
        assert "5 个已发起，3 个已结束" in body
        assert "通过率 67%" in body
        assert cells(body, "region_review") == ["3", "2.0", "10.0", "2", "1"]
        assert cells(body, "director") == ["2", "3.0", "4.0", "0", "0"]
        assert "99" not in "".join(cells(body, "region_review"))  # brand B's request is not counted

    def test_a_longer_period_takes_in_older_requests(self, browser_of, people, history):
        body = browser_of(people["admin"]).get("/approvals/sla/", {"days": 180}).content.decode()
        assert cells(body, "director") == ["3", "4.0", "50.0", "0", "0"]

    def test_unknown_period_falls_back_to_90_days(self, browser_of, people, history):
        response = browser_of(people["admin"]).get("/approvals/sla/", {"days": "1000"})
        assert response.context["days"] == 90

    def test_linked_from_the_menu_and_the_definitions_page(self, browser_of, people):
        client = browser_of(people["admin"])
        assert 'href="/approvals/sla/"' in client.get("/").content.decode()
        assert 'href="/approvals/sla/"' in client.get("/approvals/definitions/").content.decode()

    def test_group_analyst_sees_every_brand(self, browser_of, brand_a, brand_b, history):
        response = browser_of(user_with_role("group_analyst")).get("/approvals/sla/")
        assert response.status_code == 200
        assert [p["brand_id"] for p in response.context["figures"]] == [brand_a.id, brand_b.id]
        assert "品牌A" in response.content.decode()

    @pytest.mark.parametrize("role", ["region_manager", "reviewer", "finance"])
    def test_other_roles_are_refused_and_not_offered_the_link(self, browser_of, brand_a, history, role):
        client = browser_of(user_with_role(role, brand_a))
        assert client.get("/approvals/sla/").status_code == 403
        assert 'href="/approvals/sla/"' not in client.get("/").content.decode()
