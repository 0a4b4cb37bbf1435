"""The graphical process designer (流程设计器): who may open it, which version it opens, saving and
publishing what was drawn; and in a real browser, bpmn-js drawing, the side panel and the round trip
of its XML through our engine.
"""

import json
import re
from pathlib import Path

import pytest
from lxml import etree

from channelhub.testing import actor_of, see_all_brands, user_with_role
from channelhub.web.views.process_designer import BPMNDI_NS, decision_tables, starter_diagram, with_layout
from channelhub.workflow import engine, operations, services
from channelhub.workflow.models import ProcessDefinition
from channelhub.workflow.tests import bpmn

URL = "/approvals/definitions/designer/"
KEY = "distributor_onboarding"
SHIPPED_DIR = Path(services.__file__).parent / "processes"
SHIPPED = sorted(SHIPPED_DIR.glob("*.bpmn"))


CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"


def committee_then_activation(completion: str = "nrOfApprovals &gt;= 1", operation: str = "") -> str:
    """The listed signers countersign (会签); with enough approvals a service step calls ``operation``,
    else a script rejects the request."""
    return (
        bpmn.HEAD
        + f"""  <bpmn:process id="committee_activation" isExecutable="true">
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane_admin" name="brand_admin"><bpmn:flowNodeRef>committee</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="committee"/>
    <bpmn:userTask id="committee" name="评审委员会会签"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:multiInstanceLoopCharacteristics>
        <bpmn:loopDataInputRef>signers</bpmn:loopDataInputRef>
        <bpmn:loopDataOutputRef>votes</bpmn:loopDataOutputRef>
        <bpmn:inputDataItem id="assignee" name="assignee"/>
        <bpmn:outputDataItem id="vote" name="vote"/>
        <bpmn:completionCondition>{completion}</bpmn:completionCondition>
      </bpmn:multiInstanceLoopCharacteristics>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="committee" targetRef="gw"/>
    <bpmn:exclusiveGateway id="gw" default="f_no"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f_yes</bpmn:outgoing><bpmn:outgoing>f_no</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="f_yes" sourceRef="gw" targetRef="activate"><bpmn:conditionExpression>committee_approvals &gt;= 2</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_no" sourceRef="gw" targetRef="refuse"/>
    <bpmn:serviceTask id="activate" name="启用经销商" implementation="{operation}"><bpmn:incoming>f_yes</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:serviceTask>
    <bpmn:scriptTask id="refuse" name="未通过" scriptFormat="formula"><bpmn:incoming>f_no</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing><bpmn:script>outcome = "rejected"</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f3" sourceRef="activate" targetRef="end"/>
    <bpmn:sequenceFlow id="f4" sourceRef="refuse" targetRef="end"/>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""  # noqa: E501 (BPMN XML reads best one element per line)
    )


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
class TestPanelChoices:
    def test_the_page_offers_every_registered_operation_for_service_steps(self, browser_of, admin):
        # when
        response = browser_of(admin).get(URL)
        # then
        offered = [{"name": op.name, "label": op.label} for op in operations.catalogue()]
        assert {"name": "partners.activate_distributor", "label": "启用经销商 Activate distributor"} in offered
        assert response.context["operations"] == offered
        body = response.content.decode()
        script = re.search(r'<script id="designer-operations" type="application/json">(.*?)</script>', body)
        assert json.loads(script.group(1)) == offered
        assert '<select id="dp-operation"' in body
        for op in offered:  # the help lists them too
            assert f"<li><code>{op['name']}</code> {op['label']}</li>" in body

    def test_the_decision_tables_of_the_opened_version_are_offered_for_business_rule_tasks(
        self, browser_of, brand_a, admin
    ):
        # given
        see_all_brands()
        services.save_draft(
            actor=actor_of(admin),
            brand_id=brand_a.id,
            key="routed",
            name="分级审批",
            bpmn_xml=bpmn.routed_by_table(),
            decisions=[bpmn.approval_level_table()],
        )
        client = browser_of(admin)
        # when
        opened = client.get(URL, {"key": "routed"})
        new = client.get(URL)
        # then
        assert opened.context["decision_tables"] == [{"id": "approval_level", "name": "审批级别"}]
        body = opened.content.decode()
        assert (
            '<datalist id="designer-decision-list"><option value="approval_level">审批级别</option></datalist>' in body
        )
        assert body.count("<li><code>approval_level</code> 审批级别</li>") == 2  # beside the field and in the help
        assert 'camunda:decisionRef="approval_level"' in opened.context["xml"]
        assert '<a href="/approvals/definitions/">' in body and "DMN 决策表" in body
        assert new.context["decision_tables"] == []
        assert '<datalist id="designer-decision-list"></datalist>' in new.content.decode()

    def test_a_refused_publish_still_offers_the_keys_decision_tables(self, browser_of, brand_a, admin):
        # given
        see_all_brands()
        services.save_draft(
            actor=actor_of(admin),
            brand_id=brand_a.id,
            key="routed",
            name="分级审批",
            bpmn_xml=bpmn.routed_by_table(),
            decisions=[bpmn.approval_level_table()],
        )
        broken = bpmn.routed_by_table().replace('name="brand_admin"', 'name="chief_wizard"')
        # when
        response = browser_of(admin).post(
            URL, {"key": "routed", "name": "分级审批", "bpmn_xml": broken, "action": "publish"}
        )
        # then
        assert response.status_code == 422
        assert response.context["decision_tables"] == [{"id": "approval_level", "name": "审批级别"}]
        see_all_brands()
        draft = ProcessDefinition.objects.get(brand=brand_a, key="routed")
        assert (draft.status, draft.bpmn_xml, draft.decisions) == ("draft", broken, [bpmn.approval_level_table()])

    def test_decision_tables_are_read_from_every_dmn_document_and_unreadable_ones_left_out(self):
        # given
        dmn13 = (
            '<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="d" namespace="x">'
            '<decision id="grade" name="等级"/><decision id="discount"/></definitions>'
        )
        dmn11 = (
            '<definitions xmlns="http://www.omg.org/spec/DMN/20151101/dmn.xsd">'
            '<decision id="risk" name="风险"/></definitions>'
        )
        # when
        tables = decision_tables([bpmn.approval_level_table(), "<not xml", dmn13, dmn11])
        # then
        assert tables == [
            {"id": "approval_level", "name": "审批级别"},
            {"id": "grade", "name": "等级"},
            {"id": "discount", "name": ""},
            {"id": "risk", "name": "风险"},
        ]


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
