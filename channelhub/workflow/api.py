"""Workflow endpoints: definitions, starting instances, the inbox, acting, timelines."""

from datetime import datetime, timedelta
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from channelhub.core.api import Id, Input, Paging
from channelhub.core.errors import NotFound
from channelhub.tenancy.selectors import active_user
from channelhub.workflow import operations, selectors, services

router = Router(tags=["workflow 审批流程"])


class DefinitionOut(Schema):
    id: int
    brand_id: int
    key: str
    name: str
    version: int | None
    status: str
    published_at: datetime | None
    updated_at: datetime


class DefinitionDetail(DefinitionOut):
    bpmn_xml: str
    decisions: list[str]


class DraftIn(Input):
    brand_id: Id | None = None
    key: str = Field(..., min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(..., min_length=1, max_length=200)
    bpmn_xml: str = Field(..., min_length=1, max_length=1_000_000)
    decisions: list[str] | None = Field(
        None, max_length=20, description="DMN documents, one decision table each; left out: the current ones stay"
    )


class StartIn(Input):
    brand_id: Id
    key: str = Field(..., min_length=1, max_length=64)
    subject_type: str = Field(..., min_length=1, max_length=64)
    subject_id: str = Field(..., min_length=1, max_length=64)
    subject_label: str = Field("", max_length=200)
    subject_divisions: list[str] = []
    data: dict[str, Any] = {}


class TaskOut(Schema):
    id: int
    brand_id: int
    instance_id: int
    process: str = Field(..., alias="instance.definition.key")
    subject_label: str = Field(..., alias="instance.subject_label")
    step: str
    name: str
    role: str
    status: str
    created_at: datetime


class ActIn(Input):
    decision: str = Field(..., max_length=16)
    comment: str = Field("", max_length=2000)
    form_data: dict[str, Any] = {}


class DelegateIn(Input):
    to_user: str = Field(..., min_length=1, max_length=150, description="username of the colleague")
    comment: str = Field("", max_length=2000)


class AddSignerIn(Input):
    to_user: str = Field(..., min_length=1, max_length=150, description="username of the person to add")
    before: bool = Field(True, description="前加签 (they decide first, then back to me) or 后加签 (I approve now)")
    comment: str = Field("", max_length=2000)


class OperationOut(Schema):
    name: str
    label: str


class TimelineEntry(Schema):
    step: str
    name: str
    role: str
    status: str
    decision: str
    comment: str
    form_data: dict[str, Any]
    assignee: str | None
    completed_by: str | None
    created_at: datetime
    completed_at: datetime | None
    duration_s: float | None


class InstanceOut(Schema):
    id: int
    brand_id: int
    process: str = Field(..., alias="definition.key")
    version: int = Field(..., alias="definition.version")
    subject_type: str
    subject_id: str
    subject_label: str
    status: str
    incident: str
    created_at: datetime
    ended_at: datetime | None


class InstanceDetail(InstanceOut):
    data: dict[str, Any] = Field(..., description="the business data the request was started with")
    timeline: list[TimelineEntry]

    @staticmethod
    def resolve_timeline(obj) -> list[dict]:
        return [
            {
                "step": t.step,
                "name": t.name,
                "role": t.role,
                "status": t.status,
                "decision": t.decision,
                "comment": t.comment,
                "form_data": t.form_data,
                "assignee": t.assignee.username if t.assignee else None,
                "completed_by": t.completed_by.username if t.completed_by else None,
                "created_at": t.created_at,
                "completed_at": t.completed_at,
                "duration_s": (t.completed_at - t.created_at).total_seconds() if t.completed_at else None,
            }
            for t in obj.tasks.all()
        ]


class SlaQuery(Schema):
    brand_id: Id | None = None
    days: int = Field(90, ge=1, le=366, description="look back this many days")


class SpreadOut(Schema):
    median_hours: float | None = Field(..., description="median hours, None when nothing finished")
    p90_hours: float | None = Field(..., description="90th percentile (nearest rank) in hours")


class StepSlaOut(SpreadOut):
    step: str = Field(..., description="BPMN element id")
    name: str
    done: int
    open: int
    overdue: int = Field(..., description="open for longer than 24 hours")


class ProcessSlaOut(SpreadOut):
    brand_id: int
    key: str
    name: str
    instances: int = Field(..., description="started in the window")
    finished: int
    approved: int
    rejected: int
    approval_rate: float | None = Field(..., description="approved / (approved + rejected)")
    steps: list[StepSlaOut]


@router.get("/workflow/definitions", response=list[DefinitionOut])
@paginate(Paging)
def list_definitions(request: HttpRequest, key: str = ""):
    return selectors.definitions_for(request.actor, key=key)


@router.get("/workflow/definitions/{definition_id}", response=DefinitionDetail)
def get_definition(request: HttpRequest, definition_id: Id):
    """One version, with its BPMN XML (export)."""
    return selectors.get_definition(request.actor, definition_id)


@router.post("/workflow/definitions", response={201: DefinitionDetail})
def save_draft(request: HttpRequest, payload: DraftIn):
    """Upload (import) BPMN XML as the draft of a process key."""
    return 201, services.save_draft(actor=request.actor, **payload.dict())


@router.post("/workflow/definitions/{definition_id}/publish", response=DefinitionOut)
def publish(request: HttpRequest, definition_id: Id):
    """Validate the draft and publish it as the key's next version; 422 lists every problem."""
    definition = selectors.get_definition(request.actor, definition_id)
    return services.publish_definition(actor=request.actor, definition=definition)


@router.post("/workflow/instances", response={201: InstanceDetail})
def start(request: HttpRequest, payload: StartIn):
    instance = services.start_process(actor=request.actor, **payload.dict())
    return 201, selectors.get_instance(request.actor, instance.id)


@router.get("/workflow/instances", response=list[InstanceOut])
@paginate(Paging)
def list_instances(request: HttpRequest, status: str = "", key: str = ""):
    return selectors.instances_for(request.actor, status=status, key=key)


@router.get("/workflow/instances/{instance_id}", response=InstanceDetail)
def get_instance(request: HttpRequest, instance_id: Id):
    """Where a request stands: every step, who, when, how long, and the comments."""
    return selectors.get_instance(request.actor, instance_id)


@router.get("/workflow/sla", response=list[ProcessSlaOut])
def sla(request: HttpRequest, filters: Query[SlaQuery]):
    """SLA per process and step for brand and group admins and analysts: cycle times, overdue, approval rate."""
    since = timezone.now() - timedelta(days=filters.days)
    return selectors.sla_figures(request.actor, brand_id=filters.brand_id, since=since)


@router.get("/workflow/tasks", response=list[TaskOut])
@paginate(Paging)
def my_tasks(request: HttpRequest):
    """My inbox: open tasks assigned to me or offered to my role in my regions."""
    return selectors.inbox_for(request.actor)


@router.post("/workflow/tasks/{task_id}/act", response=TaskOut)
def act(request: HttpRequest, task_id: Id, payload: ActIn):
    """Approve or reject; 409 if someone else decided first."""
    task = selectors.get_task(request.actor, task_id)
    return services.act_on_task(actor=request.actor, task=task, **payload.dict())


class ReturnIn(Input):
    to_step: str = Field(..., min_length=1, max_length=100, description="id of an earlier step")
    comment: str = Field(..., min_length=1, max_length=2000)


@router.post("/workflow/tasks/{task_id}/return", response=TaskOut)
def send_back(request: HttpRequest, task_id: Id, payload: ReturnIn):
    """退回: send the request back to an earlier step, with a comment saying why."""
    task = selectors.get_task(request.actor, task_id)
    return services.return_task(actor=request.actor, task=task, to_step=payload.to_step, comment=payload.comment)


@router.post("/workflow/tasks/{task_id}/delegate", response=TaskOut)
def delegate(request: HttpRequest, task_id: Id, payload: DelegateIn):
    """Hand the task to a colleague with the same role (转办)."""
    task = selectors.get_task(request.actor, task_id)
    to_user = active_user(payload.to_user)
    if to_user is None:
        raise NotFound("no such colleague", field="to_user")
    return services.delegate_task(actor=request.actor, task=task, to_user=to_user, comment=payload.comment)


@router.post("/workflow/tasks/{task_id}/add-signer", response=TaskOut)
def add_signer(request: HttpRequest, task_id: Id, payload: AddSignerIn):
    """加签: bring one more person into this step; returns their new task."""
    task = selectors.get_task(request.actor, task_id)
    to_user = active_user(payload.to_user)
    if to_user is None:
        raise NotFound("no such colleague", field="to_user")
    return services.add_signer(
        actor=request.actor, task=task, to_user=to_user, comment=payload.comment, before=payload.before
    )


@router.post("/workflow/instances/{instance_id}/retry", response=InstanceDetail)
def retry(request: HttpRequest, instance_id: Id):
    """Brand admins: try again to move a process stopped by an incident (a failed service step, a
    timer or condition that raised). 409 when it is not stopped."""
    instance = selectors.get_instance(request.actor, instance_id)
    services.retry_instance(actor=request.actor, instance=instance)
    return selectors.get_instance(request.actor, instance_id)


@router.get("/workflow/operations", response=list[OperationOut])
def list_operations(request: HttpRequest):
    """What a service step may call: put the name in the serviceTask's ``implementation``."""
    return operations.catalogue()
