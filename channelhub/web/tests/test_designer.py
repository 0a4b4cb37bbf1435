"""The graphical process designer (流程设计器): who may open it, which version it opens, saving and
publishing what was drawn; and in a real browser, bpmn-js drawing, the side panel and the round trip
of its XML through our engine.
"""

import os
import tempfile
from pathlib import Path

import pytest
from django.db import transaction
from lxml import etree

from channelhub.testing import BrandFactory, actor_of, see_all_brands, user_with_role
from channelhub.web.tests.test_browser import CHROMIUM, CHROMIUM_ARGS, PHONE, no_horizontal_scroll
from channelhub.web.views.process_designer import BPMNDI_NS, starter_diagram, with_layout
from channelhub.workflow import engine, services
from channelhub.workflow.models import ProcessDefinition
from channelhub.workflow.tests import bpmn

URL = "/approvals/definitions/designer/"
KEY = "distributor_onboarding"
SHIPPED_DIR = Path(services.__file__).parent / "processes"
SHIPPED = sorted(SHIPPED_DIR.glob("*.bpmn"))


def publish(brand, admin, xml: str, key: str = KEY) -> ProcessDefinition:
    see_all_brands()
    draft = services.save_draft(actor=actor_of(admin), brand_id=brand.id, key=key, name="经销商准入", bpmn_xml=xml)
    return services.publish_definition(actor=actor_of(admin), definition=draft)


def versions(brand, key: str = KEY) -> list[tuple[str, int | None]]:
    see_all_brands()
    rows = ProcessDefinition.objects.filter(brand=brand, key=key).order_by("created_at", "id")
    return list(rows.values_list("status", "version"))


def drawn(xml: str) -> set[str]:
    """The ids of the elements the document draws."""
    tree = etree.fromstring(xml.encode())
    return {s.get("bpmnElement") for s in tree.iter(f"{{{BPMNDI_NS}}}BPMNShape", f"{{{BPMNDI_NS}}}BPMNEdge")}


@pytest.fixture
def admin(brand_a):
    return user_with_role("brand_admin", brand_a)


@pytest.mark.django_db
class TestOpening:
    def test_a_new_process_starts_from_a_pool_with_a_role_lane_that_publishes(self, browser_of, admin):
        # when
        response = browser_of(admin).get(URL)
        # then
        assert response.status_code == 200
        xml = response.context["xml"]
        tree = etree.fromstring(xml.encode())
        ns = {"bpmn": engine.BPMN_NS}
        assert tree.xpath("bpmn:collaboration/bpmn:participant/@processRef", namespaces=ns) == ["new_process"]
        assert tree.xpath("//bpmn:lane/@name", namespaces=ns) == ["region_manager"]
        assert tree.xpath("//bpmn:userTask/@name", namespaces=ns) == ["区域经理审核"]
        assert engine.validate(xml) == ("new_process", [])
        body = response.content.decode()
        assert "<h1>流程设计器</h1>" in body
        for role in ("region_manager", "finance", "brand_admin"):
            assert f"<code>{role}</code>" in body
        assert "distributor_user" not in body
        assert "registered_capital &gt; 5000000" in body
        assert "/static/vendor/bpmn-js/bpmn-modeler.production.min.js" in body

    def test_opens_the_newest_published_version_laid_out_when_it_has_no_drawing(self, browser_of, brand_a, admin):
        # given: the shipped onboarding process has no diagram
        publish(brand_a, admin, bpmn.onboarding())
        publish(brand_a, admin, bpmn.onboarding(condition='decision == "approve" and amount &lt; 10'))
        # when
        response = browser_of(admin).get(URL, {"key": KEY})
        # then
        assert response.status_code == 200
        assert (response.context["source"].version, response.context["laid_out"]) == (2, True)
        xml = response.context["xml"]
        assert "amount &lt; 10" in xml
        assert drawn(xml) >= {"region_review", "gw", "director", "end", "f_ok", "f_reject", "lane_rm", "lane_admin"}
        assert response.context["form"]["name"].value() == "经销商准入"
        assert "自动排版" in response.content.decode()

    def test_opens_the_draft_before_any_published_version(self, browser_of, brand_a, admin):
        # given
        publish(brand_a, admin, bpmn.onboarding())
        draft_xml = starter_diagram("onboarding", "草稿")
        services.save_draft(actor=actor_of(admin), brand_id=brand_a.id, key=KEY, name="草稿", bpmn_xml=draft_xml)
        # when
        response = browser_of(admin).get(URL, {"key": KEY})
        # then
        assert response.context["source"].status == "draft"
        assert (response.context["xml"], response.context["laid_out"]) == (draft_xml, False)

    @pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
    def test_every_shipped_process_is_drawn_whole_and_still_publishes_the_same(self, path):
        # given
        xml = path.read_text(encoding="utf-8")
        tree = etree.fromstring(xml.encode())
        # when
        laid_out = with_layout(xml)
        # then
        process = tree.find(f"{{{engine.BPMN_NS}}}process")
        lanes = process.findall(f"{{{engine.BPMN_NS}}}laneSet/{{{engine.BPMN_NS}}}lane")
        elements = [el for el in process if el.get("id") and etree.QName(el).localname != "laneSet"]
        assert drawn(laid_out) >= {el.get("id") for el in elements + lanes}
        assert engine.validate(laid_out) == engine.validate(xml)
        assert with_layout(laid_out) == laid_out


@pytest.mark.django_db
class TestSaving:
    def post(self, client, xml: str, action: str = "save", *, key: str = KEY, query: str = "", **fields):
        data = {"key": key, "name": "经销商准入", "bpmn_xml": xml, "action": action, **fields}
        return client.post(URL + query, data)

    def test_save_draft_keeps_the_drawn_xml_and_goes_back_to_the_list(self, browser_of, brand_a, admin):
        # given
        xml = starter_diagram(KEY, "经销商准入")
        # when
        response = self.post(browser_of(admin), xml)
        # then
        assert (response.status_code, response["Location"]) == (302, "/approvals/definitions/")
        see_all_brands()
        draft = ProcessDefinition.objects.get(brand=brand_a, key=KEY)
        assert (draft.status, draft.name, draft.bpmn_xml) == ("draft", "经销商准入", xml)
        body = browser_of(admin).get("/approvals/definitions/").content.decode()
        assert f'href="{URL}?brand={brand_a.id}&amp;key={KEY}"' in body

    def test_publish_saves_and_publishes_the_next_version(self, browser_of, brand_a, admin):
        # given
        publish(brand_a, admin, bpmn.onboarding())
        client = browser_of(admin)
        # when
        response = self.post(client, starter_diagram(KEY, "经销商准入"), "publish")
        # then
        assert (response.status_code, response["Location"]) == (302, "/approvals/definitions/")
        assert versions(brand_a) == [("published", 1), ("published", 2)]
        assert "经销商准入 已发布为版本 2。" in client.get("/approvals/definitions/").content.decode()

    def test_publishing_an_invalid_process_lists_every_problem_and_keeps_it_as_a_draft(
        self, browser_of, brand_a, admin
    ):
        # when
        response = self.post(browser_of(admin), bpmn.unknown_role_and_no_default(), "publish")
        # then
        assert response.status_code == 422
        problems = response.context["problems"]
        assert len(problems) == 3
        assert "网关“金额判断”设置了条件，但没有默认路径。" in problems
        body = response.content.decode()
        assert "已保存为草稿，但未发布。请修正以下问题：" in body
        assert all(f"<li>{p}</li>" in body for p in problems[:1])
        assert "chief_wizard" in response.context["xml"]  # the drawing stays on the page to fix it
        assert versions(brand_a) == [("draft", None)]

    @pytest.mark.parametrize(
        ("fields", "problem"),
        [
            ({"key": "Bad Key"}, "请使用小写字母、数字和 _，并以字母开头。"),
            ({"name": ""}, "这个字段是必填项。"),
        ],
    )
    def test_bad_input_is_422_and_saves_nothing(self, browser_of, brand_a, admin, fields, problem):
        response = self.post(browser_of(admin), starter_diagram(KEY, "x"), "publish", **fields)
        assert response.status_code == 422
        assert problem in response.context["problems"]
        see_all_brands()
        assert not ProcessDefinition.objects.exists()


@pytest.mark.django_db
class TestAccess:
    def test_people_who_are_not_brand_admins_get_403_and_change_nothing(self, browser_of, brand_a, admin):
        # given
        publish(brand_a, admin, bpmn.onboarding())
        client = browser_of(user_with_role("region_manager", brand_a))
        # when
        opened = client.get(URL, {"key": KEY})
        saved = client.post(URL, {"key": KEY, "name": "x", "bpmn_xml": bpmn.onboarding(), "action": "publish"})
        # then
        assert (opened.status_code, saved.status_code) == (403, 403)
        assert "lane_rm" not in opened.content.decode()
        assert versions(brand_a) == [("published", 1)]

    def test_another_brands_process_is_404_to_open_and_to_save(self, browser_of, brand_a, brand_b, admin):
        # given
        publish(brand_a, admin, bpmn.onboarding())
        other = browser_of(user_with_role("brand_admin", brand_b))
        data = {"key": KEY, "name": "x", "bpmn_xml": starter_diagram(KEY, "x"), "action": "save"}
        # when
        opened = other.get(URL, {"brand": brand_a.id, "key": KEY})
        saved = other.post(f"{URL}?brand={brand_a.id}", data)
        smuggled = other.post(URL, {**data, "brand": brand_a.id})
        own = other.get(URL, {"key": KEY})
        # then
        assert (opened.status_code, saved.status_code, smuggled.status_code) == (404, 404, 422)
        assert "lane_rm" not in opened.content.decode()
        assert own.context["source"] is None  # brand B has no such process; A's is not shown
        assert versions(brand_a) == [("published", 1)]
        assert versions(brand_b) == []

    def test_a_group_admin_picks_the_brand_first(self, browser_of, brand_a, brand_b):
        # given
        client = browser_of(user_with_role("group_admin"))
        # when
        chooser = client.get(URL, {"key": KEY})
        designer = client.get(URL, {"key": KEY, "brand": brand_b.id})
        # then
        assert chooser.status_code == 200
        assert chooser.context["brand"] is None
        assert "designer-canvas" not in chooser.content.decode()
        assert designer.context["brand"] == brand_b


# --- In a real browser -------------------------------------------------------------------------
browser = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and not os.environ.get("CI"), reason=f"browser tests need Chromium at {CHROMIUM}"
)
DESKTOP = {"width": 1280, "height": 900}
SCREENSHOT = Path(tempfile.gettempdir()) / "channelhub-designer.png"  # a laid-out shipped process
PHONE_SCREENSHOT = Path(tempfile.gettempdir()) / "channelhub-designer-phone.png"
# selects an element the way a click does (arrows and timers are small targets for a mouse)
SELECT = "id => { const m = window.designerModeler; m.get('selection').select(m.get('elementRegistry').get(id)); }"


@pytest.fixture
def allow_orm_beside_playwright(monkeypatch):
    """Playwright's sync API runs an event loop in this thread; the ORM must still be usable here."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def studio(live_server, allow_orm_beside_playwright):
    """A brand with its admin; the live server shares the database, so rows are committed here."""
    with transaction.atomic():
        see_all_brands()
        brand = BrandFactory(code="qingquan", name="清泉饮品", name_en="Qingquan Beverages")
        see_all_brands()
        admin = user_with_role("brand_admin", brand, username="qq_admin")
    return {"url": live_server.url, "brand": brand, "admin": admin}


def committed_publish(studio, xml: str, key: str) -> None:
    with transaction.atomic():
        publish(studio["brand"], studio["admin"], xml, key=key)


def signed_in(p, url: str, viewport: dict):
    chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    page = chromium.new_context(viewport=viewport).new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{url}/login/")
    page.fill("input[name=username]", "qq_admin")
    page.fill("input[name=password]", "test-pass-2026")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{url}/")
    return chromium, page


def draft_of(studio, key: str) -> ProcessDefinition:
    with transaction.atomic():
        see_all_brands()
        return ProcessDefinition.objects.get(brand=studio["brand"], key=key, status="draft")


@browser
@pytest.mark.browser
def test_draw_rename_the_user_task_in_the_panel_and_save_the_draft(studio):
    from playwright.sync_api import expect, sync_playwright

    url = studio["url"]
    with sync_playwright() as p:
        chromium, page = signed_in(p, url, DESKTOP)
        try:
            # the list offers a new process in the designer
            page.goto(f"{url}/approvals/definitions/")
            page.get_by_role("link", name="新建流程").click()
            page.wait_for_url(f"{url}{URL}")
            expect(page.locator("#designer-canvas .djs-container svg").first).to_be_visible()
            task = page.locator('.djs-element[data-element-id="review"]')
            expect(task).to_contain_text("区域经理审核")

            # select the user task and rename it in our panel
            task.click()
            name = page.locator("#dp-name")
            expect(name).to_have_value("区域经理审核")
            name.fill("大区经理初审")
            name.press("Enter")
            expect(task).to_contain_text("大区经理初审")

            # save it as the draft of a new key; what is drawn can also be downloaded
            page.fill("#id_key", "new_product_review")
            page.fill("#id_name", "新品审批")
            with page.expect_download() as download:
                page.get_by_role("button", name="下载 XML").click()
            assert download.value.suggested_filename == "new_product_review.bpmn"
            assert "大区经理初审" in Path(download.value.path()).read_text(encoding="utf-8")
            page.get_by_role("button", name="保存草稿").click()
            page.wait_for_url(f"{url}/approvals/definitions/")
            expect(page.locator(".flash")).to_contain_text("新品审批")
        finally:
            chromium.close()

    # what bpmn-js wrote (diagram, pool, lane) is the draft, and our engine publishes it
    draft = draft_of(studio, "new_product_review")
    assert 'name="大区经理初审"' in draft.bpmn_xml
    for written in ("<bpmndi:BPMNDiagram", "<bpmn:collaboration", "<bpmn:participant", '<bpmn:lane id="Lane_region_'):
        assert written in draft.bpmn_xml
    assert engine.validate(draft.bpmn_xml) == ("new_process", [])
    with transaction.atomic():
        see_all_brands()
        published = services.publish_definition(actor=actor_of(studio["admin"]), definition=draft)
    assert published.version == 1


@browser
@pytest.mark.browser
def test_edit_a_conditions_default_path_and_timers_then_publish(studio):
    """The shipped onboarding process has no drawing: it is laid out, edited in the panel, published."""
    from playwright.sync_api import expect, sync_playwright

    committed_publish(studio, (SHIPPED_DIR / f"{KEY}.bpmn").read_text(encoding="utf-8"), KEY)
    url = studio["url"]
    with sync_playwright() as p:
        chromium, page = signed_in(p, url, DESKTOP)
        try:
            page.goto(f"{url}{URL}?key={KEY}")
            expect(page.locator('.djs-element[data-element-id="region_review"]')).to_be_visible()
            canvas = page.locator("#designer-canvas")
            page.screenshot(path=str(SCREENSHOT), full_page=True)

            def select(element_id: str) -> None:
                page.evaluate(SELECT, element_id)

            # a gateway's condition, and which path is the default
            select("f_big")
            condition = page.locator("#dp-condition")
            expect(condition).to_have_value('decision == "approve" and registered_capital > finance_review_threshold')
            condition.fill('decision == "approve" and registered_capital > 8000000')
            condition.blur()
            select("f_small")
            expect(page.locator("#dp-default")).not_to_be_checked()
            select("f_region_rejected")
            expect(page.locator("#dp-default")).to_be_checked()
            expect(condition).to_be_disabled()

            # the reminder after 12 hours (the ISO duration is quoted for the engine), then interrupting
            select("remind_region")
            timer = page.locator("#dp-timer")
            expect(timer).to_have_value("hours(24)")
            timer.fill("PT12H")
            timer.press("Enter")
            expect(timer).to_have_value('"PT12H"')
            interrupting = page.locator("#dp-interrupting")
            expect(interrupting).not_to_be_checked()
            interrupting.check()
            expect(canvas).to_be_visible()

            page.once("dialog", lambda dialog: dialog.accept())
            page.get_by_role("button", name="发布", exact=True).click()
            page.wait_for_url(f"{url}/approvals/definitions/")
            expect(page.locator(".flash")).to_contain_text("已发布为版本 2")
        finally:
            chromium.close()

    with transaction.atomic():
        see_all_brands()
        published = ProcessDefinition.objects.get(brand=studio["brand"], key=KEY, version=2)
    tree = etree.fromstring(published.bpmn_xml.encode())
    ns = {"bpmn": engine.BPMN_NS}
    assert tree.xpath("//bpmn:sequenceFlow[@id='f_big']/bpmn:conditionExpression/text()", namespaces=ns) == [
        'decision == "approve" and registered_capital > 8000000'
    ]
    remind = tree.xpath("//bpmn:boundaryEvent[@id='remind_region']", namespaces=ns)[0]
    assert remind.get("cancelActivity") in (None, "true")
    assert remind.xpath(".//bpmn:timeDuration/text()", namespaces=ns) == ['"PT12H"']
    assert tree.xpath("//bpmn:exclusiveGateway[@id='region_decided']/@default", namespaces=ns) == ["f_region_rejected"]


@browser
@pytest.mark.browser
def test_a_countersign_keeps_its_signers_through_the_designer_and_the_page_fits_a_phone(studio):
    from playwright.sync_api import expect, sync_playwright

    committed_publish(studio, bpmn.countersign(), "committee")
    url = studio["url"]
    with sync_playwright() as p:
        chromium, page = signed_in(p, url, PHONE)
        try:
            page.goto(f"{url}{URL}?key=committee")
            committee = page.locator('.djs-element[data-element-id="committee"]')
            expect(committee).to_be_visible()
            assert no_horizontal_scroll(page)
            canvas = page.locator("#designer-canvas").bounding_box()
            panel = page.locator("#designer-panel").bounding_box()
            assert canvas["x"] >= 0 and canvas["x"] + canvas["width"] <= PHONE["width"]
            assert panel["y"] >= canvas["y"] + canvas["height"]  # the panel is below the canvas

            page.evaluate(SELECT, "committee")
            expect(page.locator("#dp-signers")).to_have_value("signers")
            page.screenshot(path=str(PHONE_SCREENSHOT), full_page=True)
            page.get_by_role("button", name="保存草稿").click()
            page.wait_for_url(f"{url}/approvals/definitions/")
        finally:
            chromium.close()

    draft = draft_of(studio, "committee")
    assert "<bpmn:loopDataInputRef>signers</bpmn:loopDataInputRef>" in draft.bpmn_xml
    assert "<bpmn:loopDataOutputRef>votes</bpmn:loopDataOutputRef>" in draft.bpmn_xml
    assert engine.validate(draft.bpmn_xml) == ("countersign", [])


@browser
@pytest.mark.browser
def test_make_a_user_task_a_countersign_with_the_wrench_and_name_its_signers(studio):
    from playwright.sync_api import expect, sync_playwright

    url = studio["url"]
    with sync_playwright() as p:
        chromium, page = signed_in(p, url, DESKTOP)
        try:
            page.goto(f"{url}{URL}?key=committee_review")
            task = page.locator('.djs-element[data-element-id="review"]')
            task.click()
            expect(page.locator("#dp-signers")).to_be_hidden()
            page.locator('.djs-context-pad [data-action="replace"]').click()
            page.locator('.djs-popup [data-id="toggle-parallel-mi"]').click()
            signers = page.locator("#dp-signers")
            signers.fill("committee_members")
            signers.press("Enter")
            page.fill("#id_name", "评审会签")
            page.get_by_role("button", name="保存草稿").click()
            page.wait_for_url(f"{url}/approvals/definitions/")
        finally:
            chromium.close()

    xml = draft_of(studio, "committee_review").bpmn_xml
    assert "<bpmn:loopDataInputRef>committee_members</bpmn:loopDataInputRef>" in xml
    assert '<bpmn:inputDataItem id="assignee" name="assignee" />' in xml
    assert engine.validate(xml) == ("committee_review", [])
    workflow = engine.start(xml, {"committee_members": ["wang", "li"]})
    assert sorted(step.assignee for step in engine.waiting_steps(workflow)) == ["li", "wang"]
