"""A real browser on a phone-sized screen (390 × 844): sign in, filter, search, open a distributor;
decide an approval step from the inbox (待办); read a request's data and send it back (退回).

Runs Debian's Chromium through Playwright against pytest-django's live server; skipped only when
/usr/bin/chromium is missing (CI installs it).
"""

import tempfile
from pathlib import Path

import pytest
from django.db import transaction

from channelhub.regions.loader import load_divisions
from channelhub.regions.models import Division
from channelhub.testing import AccountFactory, BrandFactory, actor_of, see_all_brands, user_with_role
from channelhub.web.tests.browser import PHONE, launch, marks, no_horizontal_scroll, phone_page, sign_in
from channelhub.workflow import services as workflow
from channelhub.workflow.tests import bpmn

SCREENSHOT = Path(tempfile.gettempdir()) / "channelhub-list.png"  # the list page as a phone shows it
TASK_SCREENSHOT = Path(tempfile.gettempdir()) / "channelhub-task.png"  # an approval step as a phone shows it
RETURN_SCREENSHOT = Path(tempfile.gettempdir()) / "channelhub-task-return.png"  # 退回 and 加签 opened on a phone

pytestmark = marks


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


@pytest.fixture
def application(live_server):
    """经销商准入 published in one brand, and an application from 南京 waiting for the 江苏 region manager."""
    with transaction.atomic():
        if not Division.objects.exists():
            load_divisions(Division)
        see_all_brands()
        brand = BrandFactory(code="qingquan", name="清泉饮品", name_en="Qingquan Beverages")
        see_all_brands()
        admin = user_with_role("brand_admin", brand, username="qq_admin", display_name="王总监")
        user_with_role("region_manager", brand, divisions=["320000"], username="js_manager", display_name="江苏李经理")
        requester = user_with_role("reviewer", brand, username="qq_sales", display_name="申请人小陈")
        draft = workflow.save_draft(
            actor=actor_of(admin),
            brand_id=brand.id,
            key="distributor_onboarding",
            name="经销商准入",
            bpmn_xml=bpmn.onboarding(),
        )
        workflow.publish_definition(actor=actor_of(admin), definition=draft)
        instance = workflow.start_process(
            actor=actor_of(requester),
            brand_id=brand.id,
            key="distributor_onboarding",
            subject_type="partners.application",
            subject_id="42",
            subject_label="南京鑫盛食品饮料商贸有限公司（准入申请）",
            subject_divisions=["320102"],
        )
    return {"url": live_server.url, "instance": instance}


def test_brand_admin_on_a_phone_filters_searches_and_opens_a_distributor(shop):
    from playwright.sync_api import expect, sync_playwright

    url, accounts = shop["url"], shop["accounts"]
    with sync_playwright() as p:
        browser = launch(p)
        try:
            # The phone says it prefers English; the pages stay Chinese until the switch is used.
            page = phone_page(browser, locale="en-US")

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


def test_region_manager_on_a_phone_approves_from_the_inbox(application):
    from playwright.sync_api import expect, sync_playwright

    url, instance = application["url"], application["instance"]
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = phone_page(browser)

            sign_in(page, url, "js_manager")

            # the bell in the header counts the unread notification, without opening the menu
            bell = page.locator("header a.bell")
            expect(bell).to_be_visible()
            expect(bell.locator(".bell-count")).to_have_text("1 未读")
            assert bell.bounding_box()["x"] + bell.bounding_box()["width"] <= PHONE["width"]

            # 待办 in the menu, with the number of open tasks
            page.get_by_role("button", name="菜单").click()
            inbox_link = page.locator("#site-nav").get_by_role("link", name="待办")
            expect(inbox_link).to_contain_text("1")
            inbox_link.click()
            page.wait_for_url(f"{url}/approvals/")
            rows = page.locator("table.inbox tbody tr")
            expect(rows).to_have_count(1)
            expect(rows.first).to_contain_text("区域经理审核")
            expect(rows.first).to_contain_text("经销商准入")
            assert no_horizontal_scroll(page)

            # open the task: the request, the decision form, the timeline
            rows.first.get_by_role("link", name="南京鑫盛食品饮料商贸有限公司（准入申请）").click()
            page.wait_for_url(f"{url}/approvals/tasks/*/")
            expect(page.locator("h1")).to_have_text("南京鑫盛食品饮料商贸有限公司（准入申请）")
            expect(page.locator(".timeline")).to_contain_text("申请人小陈")
            approve = page.get_by_role("button", name="同意", exact=True)
            expect(approve).to_be_visible()
            assert no_horizontal_scroll(page)
            page.screenshot(path=str(TASK_SCREENSHOT), full_page=True)

            # approve with a comment
            page.get_by_label("意见").fill("资料齐全，同意准入")
            approve.click()
            page.wait_for_url(f"{url}/approvals/")
            expect(page.locator(".flash")).to_contain_text("已同意：区域经理审核")
            expect(page.get_by_text("没有待办事项。")).to_be_visible()
            expect(page.locator("table.inbox")).to_have_count(0)
            assert no_horizontal_scroll(page)

            # the request moved on to the brand admin, with the comment in its timeline
            page.locator(".flash").get_by_role("link", name="查看进度").click()
            page.wait_for_url(f"{url}/approvals/instances/{instance.id}/")
            expect(page.locator(".page-head .badge")).to_have_text("进行中")
            timeline = page.locator(".timeline")
            expect(timeline.locator(".tl-approve")).to_contain_text("江苏李经理")
            expect(timeline.locator(".tl-approve")).to_contain_text("资料齐全，同意准入")
            expect(timeline.locator(".tl-open")).to_contain_text("渠道总监审批")
            expect(timeline.locator(".tl-open")).to_contain_text("待品牌管理员处理")
            assert no_horizontal_scroll(page)
        finally:
            browser.close()


@pytest.fixture
def director_step(live_server):
    """An application with its business data, approved by the 江苏 region manager and waiting for the director."""
    with transaction.atomic():
        if not Division.objects.exists():
            load_divisions(Division)
        see_all_brands()
        brand = BrandFactory(code="qingquan", name="清泉饮品", name_en="Qingquan Beverages")
        see_all_brands()
        admin = user_with_role("brand_admin", brand, username="qq_admin", display_name="王总监")
        manager = user_with_role(
            "region_manager", brand, divisions=["320000"], username="js_manager", display_name="江苏李经理"
        )
        requester = user_with_role("reviewer", brand, username="qq_sales", display_name="申请人小陈")
        draft = workflow.save_draft(
            actor=actor_of(admin),
            brand_id=brand.id,
            key="distributor_onboarding",
            name="经销商准入",
            bpmn_xml=bpmn.onboarding(),
        )
        workflow.publish_definition(actor=actor_of(admin), definition=draft)
        instance = workflow.start_process(
            actor=actor_of(requester),
            brand_id=brand.id,
            key="distributor_onboarding",
            subject_type="partners.application",
            subject_id="42",
            subject_label="南京鑫盛食品饮料商贸有限公司（准入申请）",
            subject_divisions=["320102"],
            data={"registered_capital": "8000000", "grade": "A", "warehouse_area_square_meters": 1200},
        )
        see_all_brands()
        first = instance.tasks.get(status="open")
        workflow.act_on_task(actor=actor_of(manager), task=first, decision="approve", comment="资料齐全")
        see_all_brands()
        director = instance.tasks.get(status="open")
    return {"url": live_server.url, "instance": instance, "task": director}


def test_director_on_a_phone_reads_the_data_and_sends_the_request_back(director_step):
    from playwright.sync_api import expect, sync_playwright

    url, task = director_step["url"], director_step["task"]
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = phone_page(browser)
            sign_in(page, url, "qq_admin")

            # the task: the request's business data, the forms folded away
            page.goto(f"{url}/approvals/tasks/{task.id}/")
            data = page.locator(".request-data")
            expect(data).to_contain_text("注册资本")
            expect(data).to_contain_text("¥8,000,000.00")
            expect(data).to_contain_text("warehouse_area_square_meters")
            send_back = page.locator("details.send-back")
            expect(send_back.locator("select")).to_be_hidden()
            assert no_horizontal_scroll(page)

            # open 退回: the step already done is offered; without a reason it is refused
            send_back.locator("summary").click()
            expect(send_back.locator("select option")).to_have_text(["区域经理审核"])
            page.locator("details.add-signer summary").click()  # 加签 open too: still fits the screen
            assert no_horizontal_scroll(page)
            page.screenshot(path=str(RETURN_SCREENSHOT), full_page=True)
            send_back.locator("button[type=submit]").click()
            page.wait_for_load_state()
            expect(page.locator("details.send-back .error")).to_be_visible()
            assert no_horizontal_scroll(page)

            # with a reason it goes back, and the step is listed as done by me
            page.locator("details.send-back textarea").fill("请补充营业执照复印件")
            page.locator("details.send-back button[type=submit]").click()
            page.wait_for_url(f"{url}/approvals/")
            expect(page.locator(".flash")).to_contain_text("渠道总监审批")
            page.goto(f"{url}/approvals/done/")
            expect(page.locator("table.decided-list tbody tr")).to_have_count(1)
            expect(page.locator("table.decided-list .badge-return")).to_be_visible()
            expect(page.locator("table.decided-list")).to_contain_text("请补充营业执照复印件")
            assert no_horizontal_scroll(page)
        finally:
            browser.close()
