"""The graphical process designer (流程设计器): a brand admin draws a BPMN process in the browser
(bpmn-js, served from our static files), saves it as the key's draft and publishes it.

The page opens the key's draft, else its newest published version, else a starter diagram. A
document written without a diagram (the shipped default processes) is first given a pool and a
simple left-to-right drawing in its role lanes, so that the designer can show it; its steps, lanes
and flows are left as they were.
"""

import re
from collections import defaultdict
from xml.sax.saxutils import escape, quoteattr

from django.contrib import messages
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from lxml import etree

from channelhub.core.errors import Forbidden, NotFound, ServiceError
from channelhub.tenancy.models import Brand, Role
from channelhub.web import labels
from channelhub.web.errors import error_message, translated
from channelhub.web.forms import DefinitionForm
from channelhub.web.views.base import actor_required, brands_with_role, current_brands, int_or_none
from channelhub.workflow import engine, operations, selectors, services

DEFINITION_ADMINS = (Role.BRAND_ADMIN, Role.GROUP_ADMIN)
STARTER_ROLE = Role.REGION_MANAGER
KEY_FORMAT = re.compile(r"[a-z][a-z0-9_]{0,63}")  # as the definition form accepts; also a valid XML id


def _brand(request: HttpRequest) -> Brand | None:
    """The brand to design in: ``?brand=``, else the only one the user administers in view
    (``None``: several, let them choose). 404 for a brand not in view, 403 without the role."""
    administered = brands_with_role(request, *DEFINITION_ADMINS)
    brand_id = int_or_none(request.GET.get("brand"))
    if brand_id is not None and brand_id not in {b.id for b in current_brands(request)}:
        raise NotFound("brand not found", field="brand_id")
    if not administered or (brand_id is not None and brand_id not in {b.id for b in administered}):
        raise Forbidden("your role does not allow this in this brand")
    if brand_id is None:
        return administered[0] if len(administered) == 1 else None
    return next(b for b in administered if b.id == brand_id)


def _latest(request: HttpRequest, brand: Brand, key: str):
    """The key's draft, else its newest published version (``None`` for a new key)."""
    if not key:
        return None
    versions = selectors.definitions_for(request.actor, key=key).filter(brand_id=brand.id).defer(None)
    return versions.order_by(F("version").desc(nulls_first=True)).first()


def _page(
    request: HttpRequest,
    brand: Brand | None,
    form: DefinitionForm | None,
    *,
    status: int = 200,
    decisions: list[str] | None = None,
    **extra,
) -> HttpResponse:
    administered = brands_with_role(request, *DEFINITION_ADMINS)
    context = {
        "brand": brand,
        "brand_choices": [(b.id, labels.brand_name(b)) for b in administered] if len(administered) > 1 else [],
        "form": form,
        "roles": [r for r in Role.values if r != Role.DISTRIBUTOR_USER],
        "operations": [{"name": op.name, "label": op.label} for op in operations.catalogue()],
        "decision_tables": decision_tables(decisions or []),
        **extra,
    }
    return render(request, "web/process_designer.html", context, status=status)


@actor_required
def process_designer(request: HttpRequest) -> HttpResponse:
    """GET draws the key's process (``?key=``; none: a new one); POST saves the drawn XML as the
    key's draft (``action=save``) or saves and publishes it (``action=publish``)."""
    brand = _brand(request)
    if brand is None:  # an admin of several brands in view picks one first
        return _page(request, None, None, key=request.GET.get("key", ""))
    if request.method != "POST":
        key = request.GET.get("key", "").strip()
        source = _latest(request, brand, key)
        name = source.name if source else ""
        process_id = key if KEY_FORMAT.fullmatch(key) else "new_process"
        xml = source.bpmn_xml if source else starter_diagram(process_id, _("Untitled process"))
        form = DefinitionForm(brands=[brand], initial={"brand": brand.id, "key": key, "name": name})
        decisions = source.decisions if source else []
        return _page(request, brand, form, source=source, decisions=decisions, **_diagram(xml))

    form = DefinitionForm(request.POST, brands=[brand])
    publish = request.POST.get("action") == "publish"
    xml = request.POST.get("bpmn_xml", "")

    def again(problems: list[str], status: int, **extra) -> HttpResponse:
        """The page once more with what was drawn and the key's decision tables (a refused publish
        has saved the draft, which carries them over)."""
        latest = _latest(request, brand, request.POST.get("key", "").strip())
        tables = latest.decisions if latest else []
        return _page(request, brand, form, problems=problems, status=status, decisions=tables, **extra, **_diagram(xml))

    if not form.is_valid():
        return again([str(e) for errors in form.errors.values() for e in errors], 422)
    try:
        draft = services.save_draft(actor=request.actor, **form.draft_kwargs())
        if publish:
            published = services.publish_definition(actor=request.actor, definition=draft)
    except engine.DefinitionInvalid as exc:  # the draft is kept: fix it and publish again
        return again([translated(p) for p in exc.problems], exc.status, refused=True)
    except NotFound:
        raise
    except ServiceError as exc:
        return again([error_message(exc)], exc.status)
    if publish:
        message = _("%(name)s published as version %(version)s.") % {
            "name": published.name,
            "version": published.version,
        }
    else:
        message = _("Draft of %(name)s saved; publish it when it is ready.") % {"name": draft.name}
    messages.success(request, message)
    return redirect("web:process_definitions")


def _safe_xml(text: str) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.fromstring(text.encode(), parser=parser)


def decision_tables(decisions: list[str]) -> list[dict[str, str]]:
    """The decisions (id and name) in a version's DMN documents, for the business rule task's
    ``camunda:decisionRef``; a document that cannot be read is left out (publishing names it)."""
    tables = []
    for document in decisions:
        try:
            root = _safe_xml(document)
        except (etree.XMLSyntaxError, ValueError):
            continue
        for decision in root.iter("{*}decision"):  # every DMN version has its own namespace
            if decision.get("id"):
                tables.append({"id": decision.get("id"), "name": decision.get("name") or ""})
    return tables


def _diagram(xml: str) -> dict:
    laid_out = with_layout(xml)
    return {"xml": laid_out, "laid_out": laid_out != xml}


def starter_diagram(process_id: str, name: str) -> str:
    """A new process: start, one user task in the region manager's lane, end; in a pool."""
    xml = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions xmlns:bpmn="{engine.BPMN_NS}" '
        f'id="Definitions_{process_id}" targetNamespace="https://channelhub.example/bpmn">'
        f'<bpmn:process id="{process_id}" name={quoteattr(name)} isExecutable="true">'
        f'<bpmn:laneSet id="LaneSet_1"><bpmn:lane id="Lane_{STARTER_ROLE}" name="{STARTER_ROLE}">'
        "<bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>review</bpmn:flowNodeRef>"
        "<bpmn:flowNodeRef>end</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>"
        f'<bpmn:startEvent id="start" name="{escape(_("Submitted"))}"><bpmn:outgoing>Flow_1</bpmn:outgoing>'
        "</bpmn:startEvent>"
        '<bpmn:sequenceFlow id="Flow_1" sourceRef="start" targetRef="review"/>'
        f'<bpmn:userTask id="review" name="{escape(_("Region manager review"))}">'
        "<bpmn:incoming>Flow_1</bpmn:incoming><bpmn:outgoing>Flow_2</bpmn:outgoing></bpmn:userTask>"
        '<bpmn:sequenceFlow id="Flow_2" sourceRef="review" targetRef="end"/>'
        f'<bpmn:endEvent id="end" name="{escape(_("End"))}">'
        "<bpmn:incoming>Flow_2</bpmn:incoming></bpmn:endEvent>"
        "</bpmn:process></bpmn:definitions>\n"
    )
    return with_layout(xml)


# --- Layout of documents without a diagram ------------------------------------------------------
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DI_NS = "http://www.omg.org/spec/DD/20100524/DI"
COLUMN, ROW, HEADER, GAP = 170, 130, 30, 20
EVENT, GATEWAY, ACTIVITY = (36, 36), (50, 50), (100, 80)


def _is_node(tag: str) -> bool:
    """A flow node laid out in the columns (boundary events ride on their task instead)."""
    if tag == "boundaryEvent":
        return False
    return tag.endswith(("Task", "Event", "Gateway")) or tag in {"task", "subProcess", "callActivity", "transaction"}


def _q(tag: str, ns: str = engine.BPMN_NS) -> str:
    return f"{{{ns}}}{tag}"


def _size(tag: str) -> tuple[int, int]:
    return EVENT if tag.endswith("Event") else GATEWAY if tag.endswith("Gateway") else ACTIVITY


def _ranks(order: list[str], flows: list[tuple[str, str]]) -> dict[str, int]:
    """Columns: the longest path from a start to each node, loops (back edges) left out."""
    succ = defaultdict(list)
    for source, target in flows:
        succ[source].append(target)
    incoming = {t for _s, t in flows}
    state, back = {}, set()
    for root in [n for n in order if n not in incoming] + order:
        if root in state:
            continue
        state[root], stack = 1, [(root, iter(succ[root]))]
        while stack:
            node, following = stack[-1]
            target = next(following, None)
            if target is None:
                state[node] = 2
                stack.pop()
            elif target not in state:
                state[target] = 1
                stack.append((target, iter(succ[target])))
            elif state[target] == 1:
                back.add((node, target))
    forward = [(s, t) for s, t in flows if (s, t) not in back]
    waiting = defaultdict(int)
    for _source, target in forward:
        waiting[target] += 1
    rank, ready = dict.fromkeys(order, 0), [n for n in order if not waiting[n]]
    while ready:
        node = ready.pop(0)
        for source, target in forward:
            if source == node:
                rank[target] = max(rank[target], rank[node] + 1)
                waiting[target] -= 1
                if not waiting[target]:
                    ready.append(target)
    return rank


def with_layout(bpmn_xml: str) -> str:
    """``bpmn_xml`` with a diagram (pool, role lanes, left-to-right columns) if it has none; else as is."""
    try:
        root = _safe_xml(bpmn_xml)
    except (etree.XMLSyntaxError, ValueError):
        return bpmn_xml  # the designer says it cannot read it
    process = root.find(_q("process"))
    if process is None or root.find(_q("BPMNDiagram", BPMNDI_NS)) is not None:
        return bpmn_xml
    pid = process.get("id")
    nodes = {
        el.get("id"): etree.QName(el).localname
        for el in process.iterchildren(f"{{{engine.BPMN_NS}}}*")
        if el.get("id") and _is_node(etree.QName(el).localname)
    }
    boundaries = [b for b in process.findall(_q("boundaryEvent")) if b.get("attachedToRef") in nodes]
    host = {b.get("id"): b.get("attachedToRef") for b in boundaries}
    flows = process.findall(_q("sequenceFlow"))
    links = [(host.get(f.get("sourceRef"), f.get("sourceRef")), f.get("targetRef")) for f in flows]
    links = [(s, t) for s, t in links if s in nodes and t in nodes]
    order = list(nodes)
    rank = _ranks(order, links)

    lanes = process.findall(f"{_q('laneSet')}/{_q('lane')}")
    lane_of = {ref.text: i for i, lane in enumerate(lanes) for ref in lane.findall(_q("flowNodeRef"))}
    for _round in order:  # a node outside every lane is drawn beside a neighbour; its lane is not changed
        unplaced = [(s, t) for s, t in links if (s in lane_of) != (t in lane_of)]
        if not unplaced:
            break
        for s, t in unplaced:
            lane_of.setdefault(s, lane_of.get(t))
            lane_of.setdefault(t, lane_of.get(s))
    bands = max(len(lanes), 1)
    cells = defaultdict(list)
    for node in sorted(order, key=lambda n: rank[n]):
        cells[(lane_of.get(node, 0), rank[node])].append(node)
    rows = [max([len(c) for (band, _col), c in cells.items() if band == b] or [1]) for b in range(bands)]

    left, top = 100, 60
    inner = left + HEADER + (HEADER if lanes else 0)
    width = inner - left + (max(rank.values(), default=0) + 1) * COLUMN + GAP
    band_top = [top + sum(rows[:b]) * ROW for b in range(bands)]
    box = {}
    for (band, col), members in cells.items():
        for row, node in enumerate(members):
            w, h = _size(nodes[node])
            cx, cy = inner + GAP + col * COLUMN + COLUMN // 2, band_top[band] + row * ROW + ROW // 2
            box[node] = (cx - w // 2, cy - h // 2, w, h)
    attached = defaultdict(int)
    for b in boundaries:
        x, y, w, h = box[b.get("attachedToRef")]
        k = attached[b.get("attachedToRef")]
        attached[b.get("attachedToRef")] += 1
        box[b.get("id")] = (x + w - 43 - k * 40, y + h - 18, 36, 36)

    collaboration = root.find(_q("collaboration"))
    if collaboration is None:
        collaboration = etree.Element(_q("collaboration"), id=f"Collaboration_{pid}")
        etree.SubElement(
            collaboration, _q("participant"), id=f"Participant_{pid}", name=process.get("name") or pid, processRef=pid
        )
        process.addprevious(collaboration)
    participant = next((p for p in collaboration.findall(_q("participant")) if p.get("processRef") == pid), None)
    if participant is None:
        return bpmn_xml

    diagram = etree.Element(
        _q("BPMNDiagram", BPMNDI_NS), id=f"BPMNDiagram_{pid}", nsmap={"bpmndi": BPMNDI_NS, "dc": DC_NS, "di": DI_NS}
    )
    plane = etree.SubElement(diagram, _q("BPMNPlane", BPMNDI_NS), id=f"BPMNPlane_{pid}")
    plane.set("bpmnElement", collaboration.get("id"))

    def shape(element_id: str, bounds: tuple[int, int, int, int], **attrs: str) -> None:
        el = etree.SubElement(plane, _q("BPMNShape", BPMNDI_NS), id=f"{element_id}_di", bpmnElement=element_id, **attrs)
        x, y, w, h = (str(v) for v in bounds)
        etree.SubElement(el, _q("Bounds", DC_NS), x=x, y=y, width=w, height=h)

    total = sum(rows) * ROW
    shape(participant.get("id"), (left, top, width, total), isHorizontal="true")
    for b, lane in enumerate(lanes):
        shape(lane.get("id"), (left + HEADER, band_top[b], width - HEADER, rows[b] * ROW), isHorizontal="true")
    for node, tag in nodes.items():
        extra = {"isMarkerVisible": "true"} if tag == "exclusiveGateway" else {}
        shape(node, box[node], **extra)
    for b in boundaries:
        shape(b.get("id"), box[b.get("id")])
    for flow in flows:
        source, target = box.get(flow.get("sourceRef")), box.get(flow.get("targetRef"))
        if source is None or target is None:
            continue
        edge = etree.SubElement(plane, _q("BPMNEdge", BPMNDI_NS), id=f"{flow.get('id')}_di", bpmnElement=flow.get("id"))
        for x, y in _waypoints(source, target, from_boundary=flow.get("sourceRef") in host):
            etree.SubElement(edge, _q("waypoint", DI_NS), x=str(x), y=str(y))
    root.append(diagram)
    return etree.tostring(root, encoding="unicode")


def _waypoints(s: tuple, t: tuple, *, from_boundary: bool) -> list[tuple[int, int]]:
    """A right-angled path from box ``s`` to box ``t``; loops go back below both."""
    scx, scy, tcx, tcy = s[0] + s[2] // 2, s[1] + s[3] // 2, t[0] + t[2] // 2, t[1] + t[3] // 2
    if from_boundary:
        below = s[1] + s[3]
        if tcy > below and t[0] > scx:
            return [(scx, below), (scx, tcy), (t[0], tcy)]
        return [(scx, below), (scx, below + GAP), (tcx, below + GAP), (tcx, t[1] + t[3])]
    if t[0] > s[0] + s[2]:
        if scy == tcy:
            return [(s[0] + s[2], scy), (t[0], tcy)]
        if s[2] == GATEWAY[0]:  # branches leave a gateway up or down
            return [(scx, s[1] + (s[3] if tcy > scy else 0)), (scx, tcy), (t[0], tcy)]
        middle = t[0] - GAP
        return [(s[0] + s[2], scy), (middle, scy), (middle, tcy), (t[0], tcy)]
    below = max(s[1] + s[3], t[1] + t[3]) + GAP
    return [(scx, s[1] + s[3]), (scx, below), (tcx, below), (tcx, t[1] + t[3])]
