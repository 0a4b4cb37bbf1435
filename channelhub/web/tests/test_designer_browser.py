"""The process designer in a real Chromium: drawing, the side panel, saving, phones."""

import tempfile
from pathlib import Path

import pytest
from django.db import transaction
from lxml import etree

from channelhub.testing import BrandFactory, actor_of, see_all_brands, user_with_role
from channelhub.web.tests.browser import PHONE, launch, marks, no_horizontal_scroll, sign_in
from channelhub.web.tests.test_designer import (
    CAMUNDA_NS,
    KEY,
    SHIPPED_DIR,
    URL,
    committee_then_activation,
    publish,
)
from channelhub.workflow import engine, operations, services
from channelhub.workflow.models import ProcessDefinition
from channelhub.workflow.tests import bpmn

pytestmark = marks
DESKTOP = {"width": 1280, "height": 900}
SCREENSHOT = Path(tempfile.gettempdir()) / "channelhub-designer.png"  # a laid-out shipped process
PHONE_SCREENSHOT = Path(tempfile.gettempdir()) / "channelhub-designer-phone.png"
COUNTERSIGN_SCREENSHOT = Path(tempfile.gettempdir()) / "channelhub-designer-countersign-phone.png"  # its panel
# selects an element the way a click does (arrows and timers are small targets for a mouse)
SELECT = "id => { const m = window.designerModeler; m.get('selection').select(m.get('elementRegistry').get(id)); }"


@pytest.fixture
def studio(live_server):
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
    chromium = launch(p)
    page = chromium.new_context(viewport=viewport).new_page()
    page.set_default_timeout(15_000)
    sign_in(page, url, "qq_admin")
    return chromium, page


def draft_of(studio, key: str) -> ProcessDefinition:
    with transaction.atomic():
        see_all_brands()
        return ProcessDefinition.objects.get(brand=studio["brand"], key=key, status="draft")


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


def committed_draft(studio, xml: str, key: str, decisions: list[str] | None = None) -> None:
    with transaction.atomic():
        see_all_brands()
        services.save_draft(
            actor=actor_of(studio["admin"]),
            brand_id=studio["brand"].id,
            key=key,
            name="评审后启用",
            bpmn_xml=xml,
            decisions=decisions,
        )


def test_on_a_phone_choose_the_operation_the_countersign_completion_and_the_script_then_save(studio):
    """The countersign arrives with a completion condition: its signers and votes lists still make it
    through bpmn-js, which cannot resolve them itself."""
    from playwright.sync_api import expect, sync_playwright

    committed_draft(studio, committee_then_activation(), "committee_activation")
    url = studio["url"]
    with sync_playwright() as p:
        chromium, page = signed_in(p, url, PHONE)
        try:
            page.goto(f"{url}{URL}?key=committee_activation")
            expect(page.locator('.djs-element[data-element-id="activate"]')).to_be_visible()

            # the service step: choose from the operations the platform offers
            page.evaluate(SELECT, "activate")
            operation = page.locator("#dp-operation")
            expect(operation).to_have_value("")
            expect(page.locator("#dp-completion")).to_be_hidden()
            expect(operation.locator('option[value="partners.activate_distributor"]')).to_have_text(
                "启用经销商 Activate distributor · partners.activate_distributor"
            )
            operation.select_option("partners.activate_distributor")
            assert no_horizontal_scroll(page)

            # the countersign: two approvals end it; the panel names the tallies gateways can read
            page.evaluate(SELECT, "committee")
            expect(operation).to_be_hidden()
            expect(page.locator("#dp-signers")).to_have_value("signers")
            completion = page.locator("#dp-completion")
            expect(completion).to_have_value("nrOfApprovals >= 1")
            expect(page.locator('[data-designer-step-data="_approvals"]')).to_have_text("committee_approvals")
            expect(page.locator('[data-designer-step-data="_rejections"]')).to_have_text("committee_rejections")
            completion.fill("nrOfApprovals >= 2")
            completion.press("Enter")
            assert no_horizontal_scroll(page)
            page.screenshot(path=str(COUNTERSIGN_SCREENSHOT), full_page=True)

            # the script task's formulas
            page.evaluate(SELECT, "refuse")
            script = page.locator("#dp-script")
            expect(script).to_have_value('outcome = "rejected"')
            script.fill('outcome = "rejected"\nreason = "committee"')
            script.blur()

            # back on the service step, the choice is shown
            page.evaluate(SELECT, "activate")
            expect(operation).to_have_value("partners.activate_distributor")
            page.get_by_role("button", name="保存草稿").click()
            page.wait_for_url(f"{url}/approvals/definitions/")
        finally:
            chromium.close()

    xml = draft_of(studio, "committee_activation").bpmn_xml
    assert 'implementation="partners.activate_distributor"' in xml
    assert (
        '<bpmn:completionCondition xsi:type="bpmn:tFormalExpression">nrOfApprovals &gt;= 2</bpmn:completionCondition>'
        in xml
    )
    assert "<bpmn:loopDataInputRef>signers</bpmn:loopDataInputRef>" in xml
    assert "<bpmn:loopDataOutputRef>votes</bpmn:loopDataOutputRef>" in xml
    tree = etree.fromstring(xml.encode())
    ns = {"bpmn": engine.BPMN_NS}
    refuse = tree.xpath("//bpmn:scriptTask[@id='refuse']", namespaces=ns)[0]
    assert refuse.get("scriptFormat") == "formula"
    assert refuse.xpath("bpmn:script/text()", namespaces=ns) == ['outcome = "rejected"\nreason = "committee"']
    assert engine.validate(xml, (), operations.names()) == ("committee_activation", [])
    # two of three approve: the countersign ends and the service step is next
    workflow = engine.start(xml, {"signers": ["wang", "li", "zhao"]})
    for step in engine.waiting_steps(workflow)[:2]:
        engine.complete(workflow, step.engine_task_id, {"decision": "approve"})
    assert [call.operation for call in engine.waiting_services(workflow)] == ["partners.activate_distributor"]


def test_a_business_rule_tasks_decision_table_survives_the_designer_and_the_draft_publishes(studio):
    from playwright.sync_api import expect, sync_playwright

    table = bpmn.approval_level_table()
    committed_draft(studio, bpmn.routed_by_table(), "routed", decisions=[table])
    url = studio["url"]
    with sync_playwright() as p:
        chromium, page = signed_in(p, url, DESKTOP)
        try:
            page.goto(f"{url}{URL}?key=routed")
            level = page.locator('.djs-element[data-element-id="level"]')
            expect(level).to_be_visible()
            page.evaluate(SELECT, "level")
            decision = page.locator("#dp-decision")
            expect(decision).to_have_value("approval_level")
            expect(page.locator("#dp-decision-missing")).to_be_hidden()
            expect(page.locator("#designer-panel .designer-decisions")).to_have_text("approval_level 审批级别")
            name = page.locator("#dp-name")
            name.fill("按金额定级")
            name.press("Enter")
            expect(level).to_contain_text("按金额定级")
            page.get_by_role("button", name="保存草稿").click()
            page.wait_for_url(f"{url}/approvals/definitions/")
        finally:
            chromium.close()

    draft = draft_of(studio, "routed")
    assert f'xmlns:camunda="{CAMUNDA_NS}"' in draft.bpmn_xml
    tree = etree.fromstring(draft.bpmn_xml.encode())
    task = tree.xpath("//bpmn:businessRuleTask", namespaces={"bpmn": engine.BPMN_NS})
    assert [(t.get("id"), t.get("name"), t.get(f"{{{CAMUNDA_NS}}}decisionRef")) for t in task] == [
        ("level", "按金额定级", "approval_level")
    ]
    assert draft.decisions == [table]
    with transaction.atomic():
        see_all_brands()
        published = services.publish_definition(actor=actor_of(studio["admin"]), definition=draft)
    assert (published.version, published.process_id) == (1, "routed")


def test_naming_a_decision_table_in_a_process_without_the_camunda_namespace_declares_it(studio):
    from playwright.sync_api import expect, sync_playwright

    url = studio["url"]
    with sync_playwright() as p:
        chromium, page = signed_in(p, url, DESKTOP)
        try:
            page.goto(f"{url}{URL}?key=graded_review")
            page.locator('.djs-element[data-element-id="review"]').click()
            page.locator('.djs-context-pad [data-action="replace"]').click()
            page.locator('.djs-popup [data-id="replace-with-rule-task"]').click()
            decision = page.locator("#dp-decision")
            expect(decision).to_have_value("")
            decision.fill("approval_level")
            decision.press("Enter")
            expect(page.locator("#dp-decision-missing")).to_be_visible()  # this new process has no tables yet
            page.fill("#id_name", "分级审核")
            page.get_by_role("button", name="保存草稿").click()
            page.wait_for_url(f"{url}/approvals/definitions/")
        finally:
            chromium.close()

    xml = draft_of(studio, "graded_review").bpmn_xml
    assert f'xmlns:camunda="{CAMUNDA_NS}"' in xml
    assert '<bpmn:businessRuleTask id="review" name="区域经理审核" camunda:decisionRef="approval_level">' in xml
    assert engine.validate(xml, (bpmn.approval_level_table(),)) == ("graded_review", [])
