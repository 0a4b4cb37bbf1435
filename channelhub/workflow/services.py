"""Writes of the workflow module: definitions, starting processes, acting on tasks.

Other modules start processes and learn their outcome only through these functions
(``start_process`` and the ``workflow.instance_finished`` event); none touches the engine.
"""

from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Max, Prefetch, Q
from django.utils import timezone
from SpiffWorkflow.exceptions import SpiffWorkflowException

from channelhub.core import audit
from channelhub.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from channelhub.core.events import emit
from channelhub.core.models import AuditEntry
from channelhub.regions.selectors import overlapping_division_codes
from channelhub.rules.formula import FormulaError
from channelhub.tenancy.actor import Actor
from channelhub.tenancy.models import Membership, Role, User
from channelhub.tenancy.permissions import require_brand, require_role
from channelhub.tenancy.rls import set_brand_scope
from channelhub.workflow import engine, operations
from channelhub.workflow.models import ProcessDefinition, ProcessInstance, TaskCandidate, WorkTask

DEFINITION_ADMINS = (Role.BRAND_ADMIN, Role.GROUP_ADMIN)


@transaction.atomic
def save_draft(
    *,
    actor: Actor,
    brand_id: int | None,
    key: str,
    name: str,
    bpmn_xml: str,
    decisions: list[str] | None = None,
) -> ProcessDefinition:
    """Create or replace the draft of a process key (with its DMN decision tables, if any);
    drafts are checked only when published."""
    brand_id = require_brand(actor, brand_id)
    require_role(actor, brand_id, *DEFINITION_ADMINS)
    if not bpmn_xml.strip():
        raise ValidationFailed("the BPMN document is empty", field="bpmn_xml")
    if decisions is not None:
        decisions = [d for d in decisions if d.strip()]
    draft = (
        ProcessDefinition.objects.select_for_update()
        .filter(brand_id=brand_id, key=key, status=ProcessDefinition.Status.DRAFT)
        .first()
    )
    before = audit.snapshot(draft, ["name", "bpmn_xml", "decisions"]) if draft else None
    if draft is None:
        draft = ProcessDefinition(brand_id=brand_id, key=key)
    if decisions is None:  # the decision tables carry over unless new ones are given
        newest = _published(brand_id, key)
        decisions = draft.decisions if draft.pk else (newest.decisions if newest else [])
    draft.name, draft.bpmn_xml, draft.decisions = name, bpmn_xml, decisions
    draft.save()
    audit.record(
        actor=actor,
        action=AuditEntry.Action.UPDATE if before else AuditEntry.Action.CREATE,
        obj=draft,
        brand_id=brand_id,
        before=before,
        after=audit.snapshot(draft, ["name", "bpmn_xml", "decisions"]),
    )
    return draft


@transaction.atomic
def publish_definition(*, actor: Actor, definition: ProcessDefinition) -> ProcessDefinition:
    """Freeze a draft as the key's next version after validating it; every problem is named."""
    require_role(actor, definition.brand_id, *DEFINITION_ADMINS)
    definition = ProcessDefinition.objects.select_for_update().get(pk=definition.pk)
    if definition.status != ProcessDefinition.Status.DRAFT:
        raise Conflict("only a draft can be published", field="status")
    process_id, problems = engine.validate(definition.bpmn_xml, tuple(definition.decisions), operations.names())
    if problems:
        raise engine.DefinitionInvalid(problems)
    versions = ProcessDefinition.objects.select_for_update().filter(brand_id=definition.brand_id, key=definition.key)
    definition.version = (versions.aggregate(v=Max("version"))["v"] or 0) + 1
    definition.status = ProcessDefinition.Status.PUBLISHED
    definition.process_id = process_id
    definition.published_at = timezone.now()
    definition.published_by = actor.user
    definition.save()
    audit.record(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        obj=definition,
        brand_id=definition.brand_id,
        before={"status": "draft", "version": None},
        after={"status": "published", "version": definition.version},
    )
    return definition


def _published(brand_id: int, key: str) -> ProcessDefinition | None:
    """The newest published version of a key: what new instances start on."""
    published = ProcessDefinition.objects.filter(brand_id=brand_id, key=key, status=ProcessDefinition.Status.PUBLISHED)
    return published.order_by("-version").first()


DEFAULT_PROCESSES = Path(__file__).resolve().parent / "processes"


def has_published_process(brand_id: int, key: str) -> bool:
    """Whether the brand has a published process ``key`` (modules fall back to a manual step if not)."""
    return _published(brand_id, key) is not None


@transaction.atomic
def install_default_processes(*, actor: Actor, brand_id: int) -> list[ProcessDefinition]:
    """Publish the shipped process for every key the brand has not published yet (a new brand works
    out of the box; admins change them later in the designer)."""
    require_role(actor, brand_id, *DEFINITION_ADMINS)
    installed = []
    for path in sorted(DEFAULT_PROCESSES.glob("*.bpmn")):
        key = path.stem
        published = ProcessDefinition.objects.filter(
            brand_id=brand_id, key=key, status=ProcessDefinition.Status.PUBLISHED
        )
        if published.exists():
            continue
        xml = path.read_text(encoding="utf-8")
        name = engine.process_name(xml) or key
        draft = save_draft(actor=actor, brand_id=brand_id, key=key, name=name, bpmn_xml=xml)
        installed.append(publish_definition(actor=actor, definition=draft))
    return installed


@transaction.atomic
def start_process(
    *,
    actor: Actor,
    brand_id: int,
    key: str,
    subject_type: str,
    subject_id: str | int,
    subject_label: str = "",
    subject_divisions: list[str] | None = None,
    data: dict[str, Any] | None = None,
) -> ProcessInstance:
    """Start the newest published version of ``key`` about one business object."""
    if brand_id not in actor.brand_ids:
        raise NotFound("brand not found", field="brand_id")
    definition = _published(brand_id, key)
    if definition is None:
        raise ValidationFailed(f"no published process for {key!r} in this brand", code="no_process", field="key")
    instance = ProcessInstance(
        brand_id=brand_id,
        definition=definition,
        subject_type=subject_type,
        subject_id=str(subject_id),
        subject_label=subject_label[:200],
        subject_divisions=sorted(subject_divisions or []),
        data=dict(data or {}),
        started_by=actor.user,
    )
    try:
        workflow = engine.start(definition.bpmn_xml, dict(data or {}), tuple(definition.decisions))
    except (FormulaError, SpiffWorkflowException) as exc:
        raise ValidationFailed(f"the process could not start: {_reason(exc)}", code="process_failed") from None
    _advance(instance, workflow)
    audit.record(
        actor=actor,
        action=AuditEntry.Action.CREATE,
        obj=instance,
        brand_id=brand_id,
        after={"process": key, "version": definition.version, "subject": f"{subject_type}:{subject_id}"},
    )
    return instance


def act_on_task(
    *,
    actor: Actor,
    task: WorkTask,
    decision: str,
    comment: str = "",
    form_data: dict[str, Any] | None = None,
) -> WorkTask:
    """Approve or reject an open task; the process runs on to its next waiting step or its end.

    The instance row is locked first, so of two approvers acting at once exactly one wins and
    the other is told the task was already decided. A failing condition leaves the instance as
    it was and the task open, and marks the instance as an incident that admins see.
    """
    if decision not in WorkTask.Decision.values:
        raise ValidationFailed(f"decision must be one of {', '.join(WorkTask.Decision.values)}", field="decision")
    if decision == WorkTask.Decision.REJECT and not comment.strip():
        raise ValidationFailed("a rejection needs a comment saying why", field="comment")
    with transaction.atomic():
        instance, task = _lock_open_task(actor, task)
        if task.return_to_id and decision == WorkTask.Decision.APPROVE:
            # an added signer (前加签) agreed: the step goes back to whoever asked them
            _close(task, actor, decision, comment, form_data)
            _open_added_task(task, task.return_to, return_to=None)
            return task
        workflow = engine.load(instance.state)
        data = {**(form_data or {}), "decision": decision, "last_comment": comment}
        try:
            engine.complete(workflow, task.engine_task_id, data)
        except (FormulaError, SpiffWorkflowException) as exc:
            incident = _reason(exc)
            # The engine state in the database is untouched: the step can be retried.
            ProcessInstance.objects.filter(pk=instance.pk).update(
                status=ProcessInstance.Status.INCIDENT, incident=incident[:2000]
            )
        else:
            _close(task, actor, decision, comment, form_data)
            _advance(instance, workflow)
            return task
    # raised after the incident is committed, so the refusal does not undo the record of it
    raise ValidationFailed(f"the process could not go on: {incident}", code="incident")


def _close(task: WorkTask, actor: Actor, decision: str, comment: str, form_data: dict | None = None) -> None:
    """Record a person's decision on their task (who, when, the comment and the form data)."""
    task.status, task.decision, task.comment = WorkTask.Status.DONE, decision, comment
    task.form_data = form_data or {}
    task.completed_at, task.completed_by = timezone.now(), actor.user
    task.save()
    audit.record(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        obj=task,
        brand_id=task.brand_id,
        before={"status": "open"},
        after={"status": "done", "decision": decision, "comment": comment},
    )


def _open_added_task(task: WorkTask, user: User, *, return_to: User | None) -> WorkTask:
    """A new open row for the same engine step, decided by ``user`` (加签)."""
    added = WorkTask.objects.create(
        brand_id=task.brand_id,
        instance_id=task.instance_id,
        engine_task_id=task.engine_task_id,
        step=task.step,
        name=task.name,
        role=task.role,
        assignee=user,
        added_by=task,
        return_to=return_to,
    )
    TaskCandidate.objects.create(brand_id=task.brand_id, task=added, user=user)
    emit("workflow.task_assigned", _task_event(added, [user.pk]))
    return added


@transaction.atomic
def add_signer(*, actor: Actor, task: WorkTask, to_user: User, comment: str = "", before: bool = True) -> WorkTask:
    """加签: bring one more person into this step.

    ``before`` (前加签): the added signer decides first and the step then comes back to the actor.
    Otherwise (后加签) the actor approves now and the added signer's decision settles the step.
    Either way a rejection by the added signer rejects the step. Returns the added signer's task.
    """
    _, task = _lock_open_task(actor, task)
    if to_user.pk == actor.user.pk:
        raise ValidationFailed("choose someone other than yourself", field="to_user")
    colleague = Membership.objects.filter(user=to_user, brand_id=task.brand_id, user__is_active=True).exclude(
        role=Role.DISTRIBUTOR_USER
    )
    if not colleague.exists():
        raise ValidationFailed("the signer must be an active member of the brand's staff", field="to_user")
    decision = WorkTask.Decision.ADD_SIGNER if before else WorkTask.Decision.APPROVE
    note = comment.strip() or f"加签 {to_user.get_full_name() or to_user.username}"
    _close(task, actor, decision, note)
    return _open_added_task(task, to_user, return_to=actor.user if before else None)


@transaction.atomic
def return_task(*, actor: Actor, task: WorkTask, to_step: str, comment: str) -> WorkTask:
    """退回: send the request back to an earlier step, which waits again for its people."""
    if not comment.strip():
        raise ValidationFailed("say why the request goes back", field="comment")
    instance, task = _lock_open_task(actor, task)
    workflow = engine.load(instance.state)
    if to_step not in dict(engine.done_steps(workflow)):
        raise ValidationFailed(f"step {to_step!r} has not been done yet, so work cannot go back to it", field="to_step")
    engine.send_back(workflow, to_step)
    _close(task, actor, WorkTask.Decision.RETURN, comment, {"to_step": to_step})
    _advance(instance, workflow)
    return task


@transaction.atomic
def delegate_task(*, actor: Actor, task: WorkTask, to_user: User, comment: str = "") -> WorkTask:
    """Hand an open task to a colleague (转办) who holds the task's role in the brand."""
    _, task = _lock_open_task(actor, task, admins_too=True)
    if not Membership.objects.filter(user=to_user, brand_id=task.brand_id, role=task.role).exists():
        raise ValidationFailed("the colleague does not hold this step's role in the brand", field="to_user")
    before = {"assignee": task.assignee_id}
    task.assignee = to_user
    task.save(update_fields=["assignee"])
    TaskCandidate.objects.filter(task=task).delete()
    TaskCandidate.objects.create(brand_id=task.brand_id, task=task, user=to_user)
    audit.record(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        obj=task,
        brand_id=task.brand_id,
        before=before,
        after={"assignee": to_user.pk, "comment": comment},
    )
    emit("workflow.task_assigned", _task_event(task, [to_user.pk]))
    return task


def retry_instance(*, actor: Actor, instance: ProcessInstance) -> ProcessInstance:
    """Try again to move a process that stopped on an incident: a failed service step runs again,
    due timers fire. A step a person must decide again (its condition failed) is simply reopened.
    If it fails again the instance stays an incident with the new reason."""
    require_role(actor, instance.brand_id, *DEFINITION_ADMINS)
    with transaction.atomic():
        instance = _with_open_tasks(ProcessInstance.objects.select_for_update().select_related("definition")).get(
            pk=instance.pk
        )
        if instance.status != ProcessInstance.Status.INCIDENT:
            raise Conflict("only a process stopped by an incident can be retried", code="no_incident")
        before = {"status": instance.status, "incident": instance.incident}
        workflow = engine.load(instance.state)
        try:
            with transaction.atomic():
                fired = engine.refresh(workflow)
                _tell_about_timers(fired, instance.open_tasks)
                _advance(instance, workflow, open_tasks=instance.open_tasks)
        except (FormulaError, SpiffWorkflowException) as exc:
            instance.incident = _reason(exc)[:2000]
            ProcessInstance.objects.filter(pk=instance.pk).update(incident=instance.incident)
        audit.record(
            actor=actor,
            action=AuditEntry.Action.UPDATE,
            obj=instance,
            brand_id=instance.brand_id,
            before=before,
            after={"status": instance.status, "incident": instance.incident, "retried": True},
        )
    return instance


def _lock_open_task(actor: Actor, task: WorkTask, *, admins_too: bool = False) -> tuple[ProcessInstance, WorkTask]:
    """Lock the task's instance (one change at a time) and re-read the task: still open, and theirs.

    ``admins_too`` lets brand admins act on tasks not offered to them (to hand them on).
    """
    instance = ProcessInstance.objects.select_for_update().get(pk=task.instance_id)
    task = WorkTask.objects.get(pk=task.pk)
    if task.status != WorkTask.Status.OPEN:
        raise Conflict("this task has already been decided", code="task_closed")
    if not _may_act(actor, task) and not (admins_too and actor.has_role(task.brand_id, *DEFINITION_ADMINS)):
        raise Forbidden("this task is not assigned to you", code="not_assignee")
    return instance, task


def _may_act(actor: Actor, task: WorkTask) -> bool:
    if actor.user is None:
        return False
    if task.assignee_id is not None:
        return task.assignee_id == actor.user.pk
    return TaskCandidate.objects.filter(task=task, user=actor.user).exists()


def _candidates(instance: ProcessInstance, role: str) -> list[int]:
    """Users holding ``role`` in the brand whose regions (if limited) overlap the subject's."""
    memberships = Membership.objects.filter(brand_id=instance.brand_id, role=role, user__is_active=True)
    if instance.subject_divisions:
        around = overlapping_division_codes(frozenset(instance.subject_divisions))
        memberships = memberships.filter(Q(divisions__isnull=True) | Q(divisions__code__in=around))
    return sorted(set(memberships.values_list("user_id", flat=True)))


def sweep_timers(*, now=None, batch: int = 1000, chunk: int = 100) -> int:
    """Fire due reminders and escalations of waiting instances (the scheduler calls this).

    Due instances are taken ``chunk`` at a time, each chunk one transaction with its rows locked
    (``skip_locked``: a second sweeper or an approver acting right then is neither blocked nor
    doubled). Each instance runs in its own savepoint, so one failing timer becomes an incident
    without undoing the others. Returns how many instances were looked at.
    """
    now = now or timezone.now()
    system = Actor.system("scheduler")
    with transaction.atomic():
        set_brand_scope(system.brand_ids)
        due = list(
            ProcessInstance.objects.filter(status=ProcessInstance.Status.RUNNING, next_timer_at__lte=now)
            .order_by("next_timer_at")
            .values_list("id", flat=True)[:batch]
        )
    for first in range(0, len(due), chunk):
        with transaction.atomic():
            set_brand_scope(system.brand_ids)
            instances = ProcessInstance.objects.select_for_update(skip_locked=True).filter(
                pk__in=due[first : first + chunk], status=ProcessInstance.Status.RUNNING, next_timer_at__lte=now
            )
            for instance in _with_open_tasks(instances.select_related("definition")):
                _fire_timers(instance)
    return len(due)


def _with_open_tasks(instances):
    """``instances`` each with ``open_tasks``, their candidates read along: two queries for a whole
    chunk of a sweep instead of three per instance."""
    open_tasks = WorkTask.objects.filter(status=WorkTask.Status.OPEN).prefetch_related("candidate_rows")
    return instances.prefetch_related(Prefetch("tasks", queryset=open_tasks, to_attr="open_tasks"))


def _fire_timers(instance: ProcessInstance) -> None:
    workflow = engine.load(instance.state)
    try:
        with transaction.atomic():
            fired = engine.refresh(workflow)
            _tell_about_timers(fired, instance.open_tasks)
            _advance(instance, workflow, open_tasks=instance.open_tasks)
    except (FormulaError, SpiffWorkflowException) as exc:
        ProcessInstance.objects.filter(pk=instance.pk).update(
            status=ProcessInstance.Status.INCIDENT, incident=_reason(exc)[:2000], next_timer_at=None
        )


def _signer(instance: ProcessInstance, step: engine.HumanStep) -> User:
    """The named countersigner, who must hold the step's role in the brand."""
    signer = User.objects.filter(
        username=step.assignee, is_active=True, memberships__brand_id=instance.brand_id, memberships__role=step.role
    ).first()
    if signer is None:
        raise FormulaError(f"countersigner {step.assignee!r} does not hold the role {step.role!r} in this brand")
    return signer


def _task_event(task: WorkTask, user_ids: list[int]) -> dict:
    return {
        "task_id": task.pk,
        "task_name": task.name,
        "brand_id": task.brand_id,
        "instance_id": task.instance_id,
        "user_ids": user_ids,
    }


def _tell_about_timers(fired: list[engine.FiredTimer], open_tasks: list[WorkTask]) -> None:
    """Remind or tell of the escalation the people of the open task each fired timer sits on.

    ``open_tasks`` come with their candidates read (:func:`_with_open_tasks`).
    """
    by_engine_id = {task.engine_task_id: task for task in open_tasks}
    for timer in fired:
        task = by_engine_id.get(timer.attached_task_id)
        if task is None:
            continue
        users = [task.assignee_id] if task.assignee_id else [row.user_id for row in task.candidate_rows.all()]
        event = "workflow.task_escalated" if timer.interrupting else "workflow.task_reminder"
        emit(event, {**_task_event(task, users), "timer": timer.name})


def _run_service_steps(instance: ProcessInstance, workflow):
    """Run the operations of the service steps the engine waits on, each with what follows it in
    one savepoint, until the process waits for people (or ends).

    Returns the workflow and, when an operation (or what the engine does after it) fails, the
    incident text: the operation's writes are undone, the workflow is as it was before that step,
    which still waits, so a retry runs it again and nothing decided before it is lost.
    """
    system = None
    for _ in range(100):  # a process that keeps calling services without people is cut short
        calls = engine.waiting_services(workflow)
        if not calls:
            return workflow, ""
        if system is None:  # a query (every brand), so only when a service step waits
            system = Actor.system("workflow")
        call, before = calls[0], engine.dump(workflow)
        try:
            operation = operations.get(call.operation)
            if operation is None:
                raise FormulaError(f"no operation named {call.operation!r}")
            request = operations.OperationCall(
                system,
                instance.brand_id,
                instance.subject_type,
                instance.subject_id,
                engine.task_data(workflow, call.engine_task_id),
            )
            with transaction.atomic():
                engine.finish_service(workflow, call.engine_task_id, operation.handler(request))
        except Exception as exc:  # any failure of an operation becomes an incident an admin can retry
            return engine.load(before), f"service step '{call.name}' ({call.operation}) failed: {_reason(exc)}"
    return workflow, "service steps kept running without anyone deciding anything (more than 100 in a row)"


def _advance(instance: ProcessInstance, workflow, *, open_tasks: list[WorkTask] | None = None) -> None:
    """Run service steps, store the engine state, open rows for newly waiting steps and close the
    instance if done.

    ``open_tasks`` are the instance's open task rows when the caller has read them already (the
    sweep reads them for a whole chunk); the rows a caller closed just before are not among them.
    """
    workflow, incident = _run_service_steps(instance, workflow)
    instance.state = engine.dump(workflow)
    instance.next_timer_at = engine.next_timer_at(workflow)
    instance.incident = incident[:2000]
    instance.status = ProcessInstance.Status.INCIDENT if incident else ProcessInstance.Status.RUNNING
    if not incident and workflow.is_completed():
        final = engine.final_data(workflow)
        rejected = final.get("outcome") == "rejected" or final.get("decision") == WorkTask.Decision.REJECT
        instance.status = ProcessInstance.Status.REJECTED if rejected else ProcessInstance.Status.APPROVED
        instance.ended_at = timezone.now()
    instance.save()
    waiting = engine.waiting_steps(workflow)
    if open_tasks is None:
        open_tasks = list(
            WorkTask.objects.filter(instance=instance, status=WorkTask.Status.OPEN).only("engine_task_id")
        )
    waiting_ids = {step.engine_task_id for step in waiting}
    # steps the engine no longer waits on (an escalation timer interrupted them) are closed
    stale = [task.pk for task in open_tasks if task.engine_task_id not in waiting_ids]
    if stale:
        WorkTask.objects.filter(pk__in=stale).update(status=WorkTask.Status.CANCELLED, completed_at=timezone.now())
    known = {task.engine_task_id for task in open_tasks} & waiting_ids
    for step in waiting:
        if step.engine_task_id in known:
            continue
        signer = _signer(instance, step) if step.assignee else None
        task = WorkTask.objects.create(
            brand_id=instance.brand_id,
            instance=instance,
            engine_task_id=step.engine_task_id,
            step=step.step,
            name=step.name,
            role=step.role,
            assignee=signer,
        )
        users = [signer.pk] if signer else _candidates(instance, step.role)
        TaskCandidate.objects.bulk_create(
            TaskCandidate(brand_id=instance.brand_id, task=task, user_id=u) for u in users
        )
        emit("workflow.task_assigned", _task_event(task, users))
    if instance.status in (ProcessInstance.Status.APPROVED, ProcessInstance.Status.REJECTED):
        WorkTask.objects.filter(instance=instance, status=WorkTask.Status.OPEN).update(status=WorkTask.Status.CANCELLED)
        emit(
            "workflow.instance_finished",
            {
                "instance_id": instance.pk,
                "brand_id": instance.brand_id,
                "process": instance.definition.key,
                "subject_type": instance.subject_type,
                "subject_id": instance.subject_id,
                "status": instance.status,
                "started_by_id": instance.started_by_id,
                "subject_label": instance.subject_label,
            },
        )


def _reason(exc: Exception) -> str:
    """What went wrong, in words: the engine wraps the sandbox's own message, so unwrap it."""
    cause = getattr(exc, "exception", None) or exc.__cause__ or exc.__context__
    text = getattr(exc, "message", None) or str(exc)
    if cause is not None and cause is not exc:
        text = f"{text.rstrip('. ')}: {getattr(cause, 'message', None) or cause}"
    return text
