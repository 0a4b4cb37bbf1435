"""Scoped reads: definitions, instances, the task inbox and SLA figures."""

import math
import statistics
from datetime import datetime, timedelta

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from channelhub.core.errors import Forbidden, NotFound
from channelhub.tenancy.actor import Actor
from channelhub.tenancy.models import Role
from channelhub.workflow import engine
from channelhub.workflow.models import ProcessDefinition, ProcessInstance, WorkTask


def definitions_for(actor: Actor, *, key: str = "") -> QuerySet[ProcessDefinition]:
    qs = ProcessDefinition.objects.for_actor(actor).defer("bpmn_xml")
    return qs.filter(key=key) if key else qs


def get_definition(actor: Actor, definition_id: int) -> ProcessDefinition:
    return ProcessDefinition.objects.get_for_actor(actor, id=definition_id)


def inbox_for(actor: Actor) -> QuerySet[WorkTask]:
    """Open tasks the actor may act on: assigned to them, or offered to them by role and region."""
    if actor.user is None:
        return WorkTask.objects.none()
    mine = Q(assignee=actor.user) | Q(assignee__isnull=True, candidate_rows__user=actor.user)
    return (
        WorkTask.objects.for_actor(actor)
        .filter(mine, status=WorkTask.Status.OPEN)
        .select_related("instance__definition")
        .distinct()
        .order_by("created_at", "id")
    )


def decided_by(actor: Actor) -> QuerySet[WorkTask]:
    """已办: the tasks the actor decided (approved, rejected, sent back, handed on by 加签), newest first."""
    if actor.user is None:
        return WorkTask.objects.none()
    return (
        WorkTask.objects.for_actor(actor)
        .filter(completed_by=actor.user, status=WorkTask.Status.DONE)
        .select_related("instance__definition")
        .order_by("-completed_at", "-id")
    )


def returnable_steps(task: WorkTask) -> list[tuple[str, str]]:
    """The earlier human steps an open task may send the request back to (退回), oldest first,
    as ``(step id, name)``; the task's own step is left out. Empty for a task no longer open."""
    if task.status != WorkTask.Status.OPEN:
        return []
    state = (
        ProcessInstance.objects.filter(pk=task.instance_id, brand_id=task.brand_id)
        .values_list("state", flat=True)
        .first()
    )
    if not state:
        return []
    return [(step, name) for step, name in engine.done_steps(engine.load(state)) if step != task.step]


def get_task(actor: Actor, task_id: int) -> WorkTask:
    """A task of the actor's brands (acting on it is checked by the service)."""
    return WorkTask.objects.select_related("instance").get_for_actor(actor, id=task_id)


def instances_for(actor: Actor, *, status: str = "", key: str = "") -> QuerySet[ProcessInstance]:
    """Instances the actor started, or of brands they administer."""
    admin_brands = [b for b in actor.brand_ids if actor.has_role(b, Role.BRAND_ADMIN, Role.GROUP_ADMIN)]
    qs = ProcessInstance.objects.for_actor(actor).filter(Q(brand_id__in=admin_brands) | Q(started_by=actor.user))
    if status:
        qs = qs.filter(status=status)
    if key:
        qs = qs.filter(definition__key=key)
    return qs.select_related("definition").defer("state")


def get_instance(actor: Actor, instance_id: int) -> ProcessInstance:
    """An instance with its timeline, if the actor started it, administers it or has a task in it."""
    admin_brands = [b for b in actor.brand_ids if actor.has_role(b, Role.BRAND_ADMIN, Role.GROUP_ADMIN)]
    visible = Q(brand_id__in=admin_brands)
    if actor.user is not None:
        visible |= (
            Q(started_by=actor.user) | Q(tasks__candidate_rows__user=actor.user) | Q(tasks__completed_by=actor.user)
        )
    qs = (
        ProcessInstance.objects.filter(visible)
        .distinct()
        .select_related("definition", "started_by")
        .prefetch_related(
            Prefetch(
                "tasks", queryset=WorkTask.objects.select_related("completed_by", "assignee", "added_by__completed_by")
            )
        )
        .defer("state")
    )
    return qs.get_for_actor(actor, id=instance_id)


SLA_READERS = (Role.BRAND_ADMIN, Role.GROUP_ADMIN, Role.GROUP_ANALYST)
SLA_WINDOW = timedelta(days=90)
# One threshold for every open step until steps carry their own due dates.
OVERDUE_AFTER = timedelta(hours=24)


def sla_brand_ids(actor: Actor, brand_id: int | None = None) -> list[int]:
    """The brands in view whose SLA figures the actor may read; 404 for a brand not theirs, 403 without the role."""
    if brand_id is not None and brand_id not in actor.brand_ids:
        raise NotFound("brand not found", field="brand_id")
    candidates = [brand_id] if brand_id is not None else sorted(actor.brand_ids)
    readable = [b for b in candidates if actor.has_role(b, *SLA_READERS)]
    if not readable:
        raise Forbidden("your role does not allow this in this brand", field="brand_id" if brand_id else None)
    return readable


def _hours(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 3600


def _p90(values: list[float]) -> float:
    """Nearest-rank 90th percentile: the smallest value at or above 90 % of the values."""
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


def _spread(hours: list[float]) -> dict:
    if not hours:
        return {"median_hours": None, "p90_hours": None}
    return {"median_hours": round(statistics.median(hours), 2), "p90_hours": round(_p90(hours), 2)}


def sla_figures(actor: Actor, *, brand_id: int | None = None, since: datetime | None = None) -> list[dict]:
    """Approval cycle times per process key and per step, for brands the actor administers or analyses.

    Instances started since ``since`` (default: the last 90 days) count; steps opened since then
    count, and so does every step still open, however old, because overdue work is today's.
    Two queries whatever the volume: one over instances, one over tasks.
    """
    brand_ids = sla_brand_ids(actor, brand_id)
    now = timezone.now()
    since = since or now - SLA_WINDOW
    processes: dict[tuple[int, str], dict] = {}

    def process(brand: int, key: str, name: str) -> dict:
        entry = processes.get((brand, key))
        if entry is None:
            entry = processes[(brand, key)] = {
                "brand_id": brand,
                "key": key,
                "name": name,
                "instances": 0,
                "finished": 0,
                "approved": 0,
                "rejected": 0,
                "cycle_hours": [],
                "steps": {},
            }
        return entry

    instances = (
        ProcessInstance.objects.for_actor(actor)
        .filter(brand_id__in=brand_ids, created_at__gte=since)
        .order_by("definition__key", "-definition__version", "id")
        .values_list("brand_id", "definition__key", "definition__name", "status", "created_at", "ended_at")
    )
    for brand, key, name, status, created_at, ended_at in instances:
        entry = process(brand, key, name)
        entry["instances"] += 1
        entry["approved"] += status == ProcessInstance.Status.APPROVED
        entry["rejected"] += status == ProcessInstance.Status.REJECTED
        if ended_at is not None:
            entry["finished"] += 1
            entry["cycle_hours"].append(_hours(created_at, ended_at))

    tasks = (
        WorkTask.objects.for_actor(actor)
        .filter(Q(created_at__gte=since) | Q(status=WorkTask.Status.OPEN), brand_id__in=brand_ids)
        .exclude(status=WorkTask.Status.CANCELLED)
        .order_by("created_at", "id")
        .values_list(
            "brand_id",
            "instance__definition__key",
            "instance__definition__name",
            "step",
            "name",
            "status",
            "created_at",
            "completed_at",
        )
    )
    overdue_before = now - OVERDUE_AFTER
    for brand, key, process_name, step_id, step_name, status, created_at, completed_at in tasks:
        steps = process(brand, key, process_name)["steps"]
        step = steps.setdefault(
            step_id, {"step": step_id, "name": step_name, "done": 0, "hours": [], "open": 0, "overdue": 0}
        )
        if status == WorkTask.Status.OPEN:
            step["open"] += 1
            step["overdue"] += created_at < overdue_before
        elif completed_at is not None:
            step["done"] += 1
            step["hours"].append(_hours(created_at, completed_at))

    figures = []
    for entry in sorted(processes.values(), key=lambda e: (e["brand_id"], e["key"])):
        decided = entry["approved"] + entry["rejected"]
        figures.append(
            {
                **{k: entry[k] for k in ("brand_id", "key", "name", "instances", "finished", "approved", "rejected")},
                "approval_rate": round(entry["approved"] / decided, 4) if decided else None,
                **_spread(entry["cycle_hours"]),
                "steps": [
                    {**{k: s[k] for k in ("step", "name", "done", "open", "overdue")}, **_spread(s["hours"])}
                    for s in entry["steps"].values()
                ],
            }
        )
    return figures
