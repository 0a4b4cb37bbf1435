"""The only place that touches SpiffWorkflow: parsing, validation, running and (de)serializing.

Every expression the engine meets (gateway conditions, script tasks, timer values, DMN cells)
goes through the project's formula sandbox instead of Python's ``eval``/``exec``: an uploaded
process can compute with its data but cannot reach Python.
"""

from collections import ChainMap
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any
from uuid import UUID

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import DEFAULT_NSMAP, full_tag
from SpiffWorkflow.bpmn.parser.TaskParser import TaskParser
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.serializer.config import DEFAULT_CONFIG
from SpiffWorkflow.bpmn.serializer.default.task_spec import BpmnTaskSpecConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.defaults import BoundaryEvent, ExclusiveGateway, ScriptTask, UserTask
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins import BpmnSpecMixin
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask as ServiceTaskMixin
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.parser.task_spec import CAMUNDA_MODEL_NS, BusinessRuleTaskParser
from SpiffWorkflow.camunda.specs.business_rule_task import BusinessRuleTask
from SpiffWorkflow.dmn.parser.BpmnDmnParser import BpmnDmnParser
from SpiffWorkflow.dmn.serializer.task_spec import BaseBusinessRuleTaskConverter
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from channelhub.rules import formula
from channelhub.tenancy.models import Role

MAX_BPMN_BYTES = 1_000_000
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """Evaluates with the formula sandbox; task data are the names an expression may read.

    DMN passes its input value through ``external_context`` (``dmninputexpr``), so it is merged
    into the names. Timers expect ISO text, so durations and moments are given to them as such.
    """

    def evaluate(self, expression, context, external_context=None):
        value = formula.evaluate(expression, {**context, **(external_context or {})})
        if isinstance(value, timedelta):
            return f"P{value.days}DT{value.seconds}S"
        if isinstance(value, datetime):
            return value.isoformat()
        return value

    def execute(self, script, context, external_context=None):
        formula.execute(script, ChainMap(context, external_context or {}))
        return True

    def call_service(self, context, **kwargs):
        raise formula.FormulaError("service calls are made by service steps, not by scripts")


# ``validate`` stays SpiffWorkflow's syntax check: DMN relies on its SyntaxError to tell a bare
# value from a comparison. Safety comes from evaluation, which only the sandbox does.
SCRIPT_ENGINE = PythonScriptEngine(environment=SandboxEnvironment())


class ServiceStep(ServiceTaskMixin, BpmnSpecMixin):
    """A ``serviceTask`` whose ``implementation`` names a ChannelHub operation (e.g.
    ``partners.activate_distributor``). The engine stops before it, like before a person's step:
    the workflow services run the operation inside their transaction and then let the engine go on,
    so a failing operation becomes an incident that keeps everything decided before it.
    """

    def __init__(self, wf_spec, bpmn_id, operation: str = "", **kwargs):
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.operation = operation
        self.manual = True

    def _run_hook(self, task):
        return True


class ServiceStepParser(TaskParser):
    def create_task(self):
        operation = (self.node.get("implementation") or "").strip()
        return self.spec_class(self.spec, self.bpmn_id, operation=operation, **self.bpmn_attributes)


class ServiceStepConverter(BpmnTaskSpecConverter):
    def to_dict(self, spec):
        return {**self.get_default_attributes(spec), "operation": spec.operation}


class Parser(BpmnDmnParser):
    """BPMN with DMN decision tables; a business rule task names its table with
    ``camunda:decisionRef`` (what the common modelers write)."""

    OVERRIDE_PARSER_CLASSES = {
        full_tag("serviceTask"): (ServiceStepParser, ServiceStep),
        full_tag("businessRuleTask"): (BusinessRuleTaskParser, BusinessRuleTask),
    }

    def __init__(self):
        super().__init__(namespaces={**DEFAULT_NSMAP, "camunda": CAMUNDA_MODEL_NS})


def _registry():
    """Spiff's converters plus ours, and the values formulas produce: Decimal money and dates."""
    config = {**DEFAULT_CONFIG, ServiceStep: ServiceStepConverter, BusinessRuleTask: BaseBusinessRuleTaskConverter}
    registry = BpmnWorkflowSerializer.configure(config)
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda v: Decimal(v["value"]))
    registry.register(date, lambda v: {"value": v.isoformat()}, lambda v: date.fromisoformat(v["value"]))
    return registry


SERIALIZER = BpmnWorkflowSerializer(registry=_registry())


@dataclass(frozen=True)
class HumanStep:
    """A user task the engine is waiting on."""

    engine_task_id: UUID
    step: str
    name: str
    role: str
    assignee: str = ""  # a countersign instance's signer (its input data item), by username


class DefinitionInvalid(formula.FormulaError):
    """Publishing refused: ``problems`` lists every error in words."""

    code = "invalid_process"

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems), field="bpmn_xml")
        self.problems = problems


def _parse(bpmn_xml: str, decisions: tuple[str, ...] = ()):
    if len(bpmn_xml.encode()) + sum(len(d.encode()) for d in decisions) > MAX_BPMN_BYTES:
        raise DefinitionInvalid(["the BPMN and DMN documents are larger than 1 MB together"])
    parser = Parser()
    try:
        for dmn_xml in decisions:
            parser.add_dmn_xml(_xml(dmn_xml))
        parser.add_bpmn_xml(_xml(bpmn_xml))
        ids = parser.get_process_ids()
        if len(ids) != 1:
            raise DefinitionInvalid([f"the document must hold exactly one process, not {len(ids)}"])
        return ids[0], parser.get_spec(ids[0])
    except ValidationException as exc:
        where = f" at {exc.tag} '{exc.id}'" if getattr(exc, "id", "") else ""
        raise DefinitionInvalid([f"invalid BPMN{where}: {exc}"]) from None
    except (SpiffWorkflowException, ValueError, SyntaxError, KeyError, IndexError) as exc:  # lxml and parsers
        raise DefinitionInvalid([f"invalid BPMN or DMN: {exc!s}"]) from None


def _xml(bpmn_xml: str):
    """The document as a tree, refusing DTDs and entities (no XXE, no entity bombs)."""
    if "<!DOCTYPE" in bpmn_xml or "<!ENTITY" in bpmn_xml:
        raise DefinitionInvalid(["DOCTYPE and ENTITY declarations are not allowed in BPMN or DMN"])
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    return etree.fromstring(bpmn_xml.encode(), parser=parser)


FLOW_NODES = (
    "task",
    "userTask",
    "scriptTask",
    "serviceTask",
    "exclusiveGateway",
    "parallelGateway",
    "inclusiveGateway",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
    "endEvent",
    "callActivity",
    "subProcess",
    "manualTask",
    "sendTask",
    "receiveTask",
    "businessRuleTask",
    "eventBasedGateway",
)


def process_name(bpmn_xml: str) -> str:
    """The ``name`` of the document's process, for listing it."""
    process = _xml(bpmn_xml).find(f"{{{BPMN_NS}}}process")
    return process.get("name", "") if process is not None else ""


def _unreachable(bpmn_xml: str, spec) -> list[str]:
    """Flow nodes in the document that the engine never parsed because no path leads to them."""
    tree = _xml(bpmn_xml)
    parsed = {getattr(t, "bpmn_id", None) for t in spec.task_specs.values()}
    found = []
    for tag in FLOW_NODES:
        for node in tree.iter(f"{{{BPMN_NS}}}{tag}"):
            if node.get("id") not in parsed:
                found.append(f"step '{node.get('name') or node.get('id')}' can never be reached from the start")
    return found


def _label(spec) -> str:
    return f"'{spec.bpmn_name or spec.bpmn_id or spec.name}'"


def validate(
    bpmn_xml: str, decisions: tuple[str, ...] = (), operations: frozenset[str] = frozenset()
) -> tuple[str, list[str]]:
    """The executable process id and the problems that would stop it from running well.

    ``operations`` are the service operations a service step may name.
    """
    process_id, spec = _parse(bpmn_xml, tuple(decisions))
    problems = _unreachable(bpmn_xml, spec)
    roles = set(Role.values) - {Role.DISTRIBUTOR_USER}
    reachable, frontier = set(), [spec.start]
    while frontier:
        task_spec = frontier.pop()
        if task_spec.name not in reachable:
            reachable.add(task_spec.name)
            frontier.extend(task_spec.outputs)
    reachable_ids = {getattr(spec.task_specs[name], "bpmn_id", None) for name in reachable}
    for task_spec in spec.task_specs.values():
        if getattr(task_spec, "bpmn_id", None) is None:
            continue  # the engine's own bookkeeping steps
        if task_spec.bpmn_id not in reachable_ids:  # a countersign's child shares its parent's id
            problems.append(f"step {_label(task_spec)} can never be reached from the start")
        if isinstance(task_spec, UserTask) and task_spec.lane not in roles:
            lane = task_spec.lane or "no lane"
            problems.append(
                f"user task {_label(task_spec)} is in {lane!r}; put it in a lane named after a role "
                f"({', '.join(sorted(roles))})"
            )
        if isinstance(task_spec, ExclusiveGateway):
            conditional = [c for c, _ in task_spec.cond_task_specs if c is not None]
            if conditional and task_spec.default_task_spec is None:
                problems.append(f"gateway {_label(task_spec)} has conditions but no default path")
            for condition in conditional:
                problems += _expression_problems(condition.args[0], f"condition on gateway {_label(task_spec)}")
        if isinstance(task_spec, ScriptTask):
            problems += _expression_problems(task_spec.script, f"script of {_label(task_spec)}", script=True)
        if isinstance(task_spec, MultiInstanceTask) and task_spec.condition:
            step = spec.task_specs[task_spec.task_spec]  # the repeated step carries the name
            problems += _expression_problems(task_spec.condition, f"completion condition of {_label(step)}")
        if isinstance(task_spec, ServiceStep) and task_spec.operation not in operations:
            known = ", ".join(sorted(operations)) or "none"
            problems.append(
                f"service step {_label(task_spec)} calls {task_spec.operation or 'nothing'!r}; "
                f"set implementation to one of: {known}"
            )
        if isinstance(task_spec, BusinessRuleTask):
            problems += _table_problems(task_spec)
        if isinstance(getattr(task_spec, "event_definition", None), TimerEventDefinition):
            problems += _timer_problems(task_spec)
    return process_id, problems


def _timer_problems(task_spec) -> list[str]:
    """A timer's value is a formula: ``hours(24)``, ``days(3)`` or ISO 8601 text in quotes."""
    expression = (task_spec.event_definition.expression or "").strip()
    where = f"timer {_label(task_spec)}"
    if expression.startswith(("P", "R")) and " " not in expression:
        return [f'{where}: write the ISO 8601 value in quotes ("{expression}") or as hours(24) / days(3)']
    return _expression_problems(expression, where)


def _table_problems(task_spec) -> list[str]:
    """Every input expression and cell of a decision table must be a sandbox formula."""
    table = task_spec.dmnEngine.decision_table
    where = f"decision table '{table.name or table.id}' of {_label(task_spec)}"
    problems = []
    for column in table.inputs:
        problems += _expression_problems(column.expression or "", f"{where}, input {column.label or column.id!r}")
    for rule in table.rules:
        for entry in rule.inputEntries:
            # a cell is a value (compared with ==) or the right-hand side of a comparison
            text = ((entry.lhs[0] if entry.lhs else None) or "").strip()
            if text and text != "-" and _expression_problems(text, "") and _expression_problems(f"v {text}", ""):
                problems.append(f"{where}, rule {rule.row_number}: {text!r} is not a value or a comparison")
        for entry in rule.outputEntries:
            if entry.text:
                problems += _expression_problems(entry.text, f"{where}, rule {rule.row_number} output")
    return problems


def _expression_problems(text: str, where: str, *, script: bool = False) -> list[str]:
    try:
        if script:
            formula.check_script(text)
        else:
            formula.check(text)
    except formula.FormulaError as exc:
        return [f"{where}: {exc.message}"]
    return []


@lru_cache(maxsize=256)
def _spec(bpmn_xml: str, decisions: tuple[str, ...]):
    return _parse(bpmn_xml, decisions)[1]


def start(bpmn_xml: str, data: dict[str, Any], decisions: tuple[str, ...] = ()) -> BpmnWorkflow:
    """A new workflow with ``data`` as the business data every step can read, run until it waits."""
    workflow = BpmnWorkflow(_spec(bpmn_xml, tuple(decisions)), script_engine=SCRIPT_ENGINE)
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(data)
    workflow.do_engine_steps()
    return workflow


def dump(workflow: BpmnWorkflow) -> str:
    return SERIALIZER.serialize_json(workflow)


def load(state: str) -> BpmnWorkflow:
    workflow = SERIALIZER.deserialize_json(state)
    workflow.script_engine = SCRIPT_ENGINE
    return workflow


def waiting_steps(workflow: BpmnWorkflow) -> list[HumanStep]:
    return [
        HumanStep(
            task.id,
            task.task_spec.bpmn_id,
            task.task_spec.bpmn_name or task.task_spec.bpmn_id,
            task.task_spec.lane or "",
            _signer(task),
        )
        for task in workflow.get_tasks(state=TaskState.READY)
        if isinstance(task.task_spec, UserTask)
    ]


def complete(workflow: BpmnWorkflow, engine_task_id: UUID, data: dict[str, Any]) -> None:
    """Finish a waiting user task with ``data`` (the decision and form) and run on until it waits."""
    task = workflow.get_task_from_id(engine_task_id)
    if task is None or task.state != TaskState.READY:
        raise formula.FormulaError("this step is no longer waiting", code="task_not_waiting")
    task.data.update(data)
    if "decision" in data:  # kept per step too, so later conditions can tell parallel reviews apart
        task.data[f"{task.task_spec.bpmn_id}_decision"] = data["decision"]
    output = _output_item(task)
    if output is not None and "decision" in data:
        task.data[output.bpmn_id] = data["decision"]  # each signer's vote goes into the collection
        _count_votes(task, data["decision"])
    task.run()
    workflow.do_engine_steps()


def _count_votes(task, vote: str) -> None:
    """Tally a countersign (会签) so far, this vote included, for its completion condition and the
    steps after it: ``nrOfInstances``, ``nrOfCompletedInstances``, ``nrOfApprovals``, ``nrOfRejections``
    (e.g. any-of: ``nrOfApprovals >= 1``; two of three: ``nrOfApprovals >= 2``; one veto ends it:
    ``nrOfRejections >= 1``). The step's own tally is also kept as ``<step>_approvals`` and
    ``<step>_rejections``."""
    parent = task.parent
    spec = parent.task_spec
    votes = [
        child.data.get(spec.output_item.bpmn_id) for child in parent.children if child.state == TaskState.COMPLETED
    ]
    votes.append(vote)
    total = len(spec.data_input.get(parent)) if spec.data_input is not None else parent.internal_data.get("cardinality")
    tally = {
        "nrOfInstances": total,
        "nrOfCompletedInstances": len(votes),
        "nrOfApprovals": votes.count("approve"),
        "nrOfRejections": votes.count("reject"),
    }
    task.data.update(tally)
    parent.data[f"{spec.bpmn_id}_approvals"] = tally["nrOfApprovals"]
    parent.data[f"{spec.bpmn_id}_rejections"] = tally["nrOfRejections"]


@dataclass(frozen=True)
class ServiceCall:
    """A service step the engine is waiting on: run ``operation``, then :func:`finish_service`."""

    engine_task_id: UUID
    step: str
    name: str
    operation: str


def waiting_services(workflow: BpmnWorkflow) -> list[ServiceCall]:
    return [
        ServiceCall(
            task.id,
            task.task_spec.bpmn_id,
            task.task_spec.bpmn_name or task.task_spec.bpmn_id,
            task.task_spec.operation,
        )
        for task in workflow.get_tasks(state=TaskState.READY)
        if isinstance(task.task_spec, ServiceStep)
    ]


def task_data(workflow: BpmnWorkflow, engine_task_id: UUID) -> dict[str, Any]:
    return dict(workflow.get_task_from_id(engine_task_id).data)


def finish_service(workflow: BpmnWorkflow, engine_task_id: UUID, result: dict[str, Any] | None) -> None:
    """Record a service step's result in the process data and run on until the process waits."""
    task = workflow.get_task_from_id(engine_task_id)
    task.data.update(result or {})
    task.run()
    workflow.do_engine_steps()


def _signer(task) -> str:
    """The username a countersign (会签) instance is for: the value of its input data item."""
    item = getattr(task.parent.task_spec, "input_item", None) if task.parent else None
    return str(task.data.get(item.bpmn_id) or "") if item is not None else ""


def _output_item(task):
    """The output data item of the multi-instance (countersign) step this task belongs to."""
    return getattr(task.parent.task_spec, "output_item", None) if task.parent else None


def done_steps(workflow: BpmnWorkflow) -> list[tuple[str, str]]:
    """Human steps already finished, oldest first, as ``(step id, name)``: where work may go back to."""
    seen, steps = set(), []
    for task in workflow.get_tasks(state=TaskState.COMPLETED):
        spec = task.task_spec
        if isinstance(spec, UserTask) and spec.bpmn_id not in seen and not _output_item(task):
            seen.add(spec.bpmn_id)
            steps.append((spec.bpmn_id, spec.bpmn_name or spec.bpmn_id))
    return steps


def send_back(workflow: BpmnWorkflow, step: str) -> None:
    """Return the process to an earlier human step (退回): it waits there again, later work undone."""
    done = [
        task
        for task in workflow.get_tasks(state=TaskState.COMPLETED)
        if isinstance(task.task_spec, UserTask) and task.task_spec.bpmn_id == step
    ]
    if not done:
        raise formula.FormulaError(
            f"step {step!r} has not been done yet, so work cannot go back to it", field="to_step"
        )
    workflow.reset_from_task_id(done[-1].id)
    workflow.do_engine_steps()


@dataclass(frozen=True)
class FiredTimer:
    """A boundary timer that went off: a reminder (non-interrupting) or an escalation."""

    name: str
    interrupting: bool
    attached_task_id: UUID | None


def refresh(workflow: BpmnWorkflow) -> list[FiredTimer]:
    """Let due timers fire and run on; returns the boundary timers that fired now."""
    before = {task.id for task in workflow.get_tasks(state=TaskState.COMPLETED)}
    workflow.refresh_timers()
    workflow.do_engine_steps()
    fired = []
    for task in workflow.get_tasks(state=TaskState.COMPLETED):
        spec = task.task_spec
        if task.id in before or not isinstance(spec, BoundaryEvent):
            continue
        if not isinstance(spec.event_definition, TimerEventDefinition):
            continue
        attached = next((t.id for t in task.parent.children if isinstance(t.task_spec, UserTask)), None)
        fired.append(FiredTimer(spec.bpmn_name or spec.bpmn_id, bool(spec.cancel_activity), attached))
    return fired


def next_timer_at(workflow: BpmnWorkflow) -> datetime | None:
    """When the earliest waiting timer is due (the scheduler looks at the instance then)."""
    moments = [
        TimerEventDefinition.get_datetime(event.value)
        for event in workflow.waiting_events()
        if event.event_type.endswith("TimerEventDefinition") and isinstance(event.value, str)
    ]
    return min(moments, default=None)


def final_data(workflow: BpmnWorkflow) -> dict[str, Any]:
    return dict(workflow.data)
