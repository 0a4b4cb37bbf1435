"""Scoped reads: definitions, instances and the task inbox."""

from django.db.models import Prefetch, Q, QuerySet

from channelhub.tenancy.actor import Actor
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


def get_task(actor: Actor, task_id: int) -> WorkTask:
    """A task of the actor's brands (acting on it is checked by the service)."""
    return WorkTask.objects.select_related("instance").get_for_actor(actor, id=task_id)


def instances_for(actor: Actor, *, status: str = "", key: str = "") -> QuerySet[ProcessInstance]:
    """Instances the actor started, or of brands they administer."""
    from channelhub.tenancy.models import Role

    admin_brands = [b for b in actor.brand_ids if actor.has_role(b, Role.BRAND_ADMIN, Role.GROUP_ADMIN)]
    qs = ProcessInstance.objects.for_actor(actor).filter(Q(brand_id__in=admin_brands) | Q(started_by=actor.user))
    if status:
        qs = qs.filter(status=status)
    if key:
        qs = qs.filter(definition__key=key)
    return qs.select_related("definition").defer("state")


def get_instance(actor: Actor, instance_id: int) -> ProcessInstance:
    """An instance with its timeline, if the actor started it, administers it or has a task in it."""
    from channelhub.tenancy.models import Role

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
        .prefetch_related(Prefetch("tasks", queryset=WorkTask.objects.select_related("completed_by", "assignee")))
        .defer("state")
    )
    return qs.get_for_actor(actor, id=instance_id)
