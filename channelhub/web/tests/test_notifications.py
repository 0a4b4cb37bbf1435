"""Notifications (通知) on the web: the bell with the unread count, the list, opening and marking read."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from channelhub.messaging import services
from channelhub.messaging.models import Notification
from channelhub.testing import see_all_brands, user_with_role
from channelhub.web.tests.conftest import ids

pytestmark = pytest.mark.django_db


@pytest.fixture
def me(brand_a):
    return user_with_role("region_manager", brand_a, divisions=["320000"])


@pytest.fixture
def someone_else(brand_a):
    return user_with_role("region_manager", brand_a, divisions=["320000"])


def tell(brand, user, title: str, link: str = "/approvals/", kind: str = "task_assigned") -> Notification:
    see_all_brands()
    services.notify(brand_id=brand.id, user_ids=[user.id], kind=kind, title=title, link=link)
    return Notification.objects.filter(user=user).order_by("-id").first()


def read_at(notification: Notification):
    see_all_brands()
    return Notification.objects.get(pk=notification.pk).read_at


def bell(body: str) -> str:
    return re.search(r'<a class="bell".*?</a>', body, re.S).group(0)


class TestBell:
    def test_header_counts_my_unread_notifications(self, browser_of, brand_a, brand_b, me, someone_else):
        # given
        tell(brand_a, me, "新待办：区域经理审核")
        tell(brand_a, me, "催办：区域经理审核", kind="task_reminder")
        tell(brand_a, someone_else, "新待办：别人的")
        read = tell(brand_a, me, "已读的")
        Notification.objects.filter(pk=read.pk).update(read_at=read.created_at)
        # when
        body = browser_of(me).get("/").content.decode()
        # then
        assert 'href="/notifications/"' in bell(body)
        assert '<span class="nav-count bell-count">2<span class="sr-only"> 未读</span></span>' in bell(body)

    def test_no_badge_without_unread_notifications(self, browser_of, brand_a, me, someone_else):
        tell(brand_a, someone_else, "新待办：别人的")
        body = browser_of(me).get("/").content.decode()
        assert 'href="/notifications/"' in bell(body)
        assert "bell-count" not in body

    def test_bell_is_outside_the_collapsible_menu(self, browser_of, brand_a, me):
        body = browser_of(me).get("/").content.decode()
        assert body.index('<a class="bell"') < body.index('<nav id="site-nav"')

    def test_distributor_staff_get_the_bell_too(self, browser_of, brand_a):
        user = user_with_role("distributor_user", brand_a)
        tell(brand_a, user, "政策更新")
        assert "bell-count" in browser_of(user).get("/notifications/").content.decode()


class TestList:
    def test_lists_only_mine_newest_first_with_unread_highlighted(self, browser_of, brand_a, me, someone_else):
        # given
        first = tell(brand_a, me, "新待办：区域经理审核", link="/approvals/tasks/7/")
        second = tell(brand_a, me, "申请已通过：南京鑫盛", link="/approvals/instances/3/", kind="process_finished")
        Notification.objects.filter(pk=second.pk).update(read_at=second.created_at)
        theirs = tell(brand_a, someone_else, "别人的通知")
        # when
        response = browser_of(me).get("/notifications/")
        # then
        assert ids(response) == [second.id, first.id]
        body = response.content.decode()
        assert theirs.title not in body
        assert f'<li class="notice notice-unread" data-notification="{first.id}">' in body
        assert f'<li class="notice" data-notification="{second.id}">' in body
        assert f'action="/notifications/{first.id}/read/"' in body
        assert "新待办" in body and "流程结束" in body
        assert "全部标为已读" in body

    @pytest.mark.parametrize(
        "link", ["", "https://evil.example/", "//evil.example/x", "javascript:alert(1)", "/\\evil.example"]
    )
    def test_a_link_off_this_site_is_not_clickable(self, browser_of, brand_a, me, link):
        # given
        notification = tell(brand_a, me, "外部链接", link=link)
        # when
        body = browser_of(me).get("/notifications/").content.decode()
        # then
        item = re.search(rf'data-notification="{notification.id}">(.*?)</li>', body, re.S).group(1)
        assert "<a " not in item and "notice-open" not in item
        assert "evil" not in item
        assert f'action="/notifications/{notification.id}/read/"' in item  # it can still be marked read

    def test_pages_of_fifty_with_a_constant_number_of_queries(self, browser_of, brand_a, me):
        # given
        client = browser_of(me)
        tell(brand_a, me, "第一条")
        with CaptureQueriesContext(connection) as one:
            assert len(ids(client.get("/notifications/"))) == 1
        for n in range(55):
            tell(brand_a, me, f"第{n}条")
        # when
        with CaptureQueriesContext(connection) as full:
            response = client.get("/notifications/")
        # then
        assert len(ids(response)) == 50
        assert response.context["page"].paginator.count == 56
        assert len(full) == len(one)
        assert len(ids(client.get("/notifications/", {"page": 2}))) == 6

    def test_brand_switcher_narrows_the_list(self, browser_of, brand_a, brand_b):
        # given
        user = user_with_role("group_admin")
        tell(brand_a, user, "品牌A的通知")
        b = tell(brand_b, user, "品牌B的通知")
        client = browser_of(user)
        client.post("/brand/", {"brand": brand_b.id, "next": "/notifications/"})
        # when
        response = client.get("/notifications/")
        # then
        assert ids(response) == [b.id]


class TestMarkRead:
    def test_opening_one_marks_it_read_and_goes_to_its_link(self, browser_of, brand_a, me):
        # given
        notification = tell(brand_a, me, "新待办：区域经理审核", link="/approvals/tasks/7/")
        other = tell(brand_a, me, "另一条")
        # when
        response = browser_of(me).post(f"/notifications/{notification.id}/read/")
        # then
        assert (response.status_code, response["Location"]) == (302, "/approvals/tasks/7/")
        assert read_at(notification) is not None
        assert read_at(other) is None

    def test_opening_one_with_an_outside_link_stays_on_the_list(self, browser_of, brand_a, me):
        notification = tell(brand_a, me, "外部链接", link="https://evil.example/")
        response = browser_of(me).post(f"/notifications/{notification.id}/read/")
        assert (response.status_code, response["Location"]) == (302, "/notifications/")
        assert read_at(notification) is not None

    def test_someone_elses_is_404_and_stays_unread(self, browser_of, brand_a, me, someone_else):
        theirs = tell(brand_a, someone_else, "别人的通知")
        response = browser_of(me).post(f"/notifications/{theirs.id}/read/")
        assert response.status_code == 404
        assert read_at(theirs) is None

    def test_unknown_is_404(self, browser_of, me):
        assert browser_of(me).post("/notifications/999999/read/").status_code == 404

    def test_needs_post(self, browser_of, brand_a, me):
        notification = tell(brand_a, me, "新待办", link="/approvals/")
        assert browser_of(me).get(f"/notifications/{notification.id}/read/").status_code == 405
        assert read_at(notification) is None

    def test_mark_all_read_marks_only_mine(self, browser_of, brand_a, me, someone_else):
        # given
        mine = [tell(brand_a, me, "一"), tell(brand_a, me, "二")]
        theirs = tell(brand_a, someone_else, "别人的通知")
        client = browser_of(me)
        # when
        response = client.post("/notifications/read-all/", follow=True)
        # then
        assert response.redirect_chain == [("/notifications/", 302)]
        assert "已将 2 条通知标为已读。" in response.content.decode()
        assert all(read_at(n) is not None for n in mine)
        assert read_at(theirs) is None
        assert "bell-count" not in response.content.decode()
        assert "全部标为已读" not in response.content.decode()
