"""What the messaging module does when other modules' events are sent (after their commit).

The handler runs outside the emitting transaction, so it opens its own and states the brand.
"""

from django.db import transaction

from channelhub.core.events import subscribe
from channelhub.messaging.models import Notification
from channelhub.messaging.services import notify
from channelhub.tenancy.rls import set_brand_scope

WORKFLOW_EVENTS = {
    "workflow.task_assigned": (Notification.Kind.TASK_ASSIGNED, "新待办：{name}"),
    "workflow.task_reminder": (Notification.Kind.TASK_REMINDER, "催办提醒：{name}"),
    "workflow.task_escalated": (Notification.Kind.TASK_ESCALATED, "已超时升级：{name}"),
}


def _on_workflow_task(event: str):
    kind, title = WORKFLOW_EVENTS[event]

    def handle(payload: dict) -> None:
        if not payload.get("user_ids"):
            return
        with transaction.atomic():
            set_brand_scope([payload["brand_id"]])
            notify(
                brand_id=payload["brand_id"],
                user_ids=payload["user_ids"],
                kind=kind,
                title=title.format(name=payload.get("task_name", "")),
                link=f"/approvals/tasks/{payload['task_id']}/",
            )

    return handle


def _on_instance_finished(payload: dict) -> None:
    if not payload.get("started_by_id"):
        return
    outcome = {"approved": "已通过", "rejected": "已驳回"}.get(payload["status"], payload["status"])
    with transaction.atomic():
        set_brand_scope([payload["brand_id"]])
        notify(
            brand_id=payload["brand_id"],
            user_ids=[payload["started_by_id"]],
            kind=Notification.Kind.PROCESS_FINISHED,
            title=f"申请{outcome}：{payload.get('subject_label', '')}",
            link=f"/approvals/instances/{payload['instance_id']}/",
        )


def connect() -> None:
    for event in WORKFLOW_EVENTS:
        subscribe(event, _on_workflow_task(event))
    subscribe("workflow.instance_finished", _on_instance_finished)
