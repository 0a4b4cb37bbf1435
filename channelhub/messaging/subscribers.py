"""What the messaging module does when other modules' events are sent (after their commit).

Handlers take all of one commit's events of a kind at once (a timer sweep sends a reminder per
instance), so the notifications of a commit are made in one transaction with one insert. The
handlers run outside the emitting transaction, so they open their own and state the brands.
"""

from collections.abc import Callable

from django.db import transaction

from channelhub.core.events import subscribe_many
from channelhub.messaging.models import Notification
from channelhub.messaging.services import Notice, notify_many
from channelhub.tenancy.rls import set_brand_scope

WORKFLOW_EVENTS = {
    "workflow.task_assigned": (Notification.Kind.TASK_ASSIGNED, "新待办：{name}"),
    "workflow.task_reminder": (Notification.Kind.TASK_REMINDER, "催办提醒：{name}"),
    "workflow.task_escalated": (Notification.Kind.TASK_ESCALATED, "已超时升级：{name}"),
}


def _tell(notices: list[Notice]) -> None:
    if not notices:
        return
    with transaction.atomic():
        set_brand_scope({notice.brand_id for notice in notices})
        notify_many(notices=notices)


def _on_workflow_tasks(event: str) -> Callable[[list[dict]], None]:
    kind, title = WORKFLOW_EVENTS[event]

    def handle(payloads: list[dict]) -> None:
        _tell(
            [
                Notice(
                    brand_id=payload["brand_id"],
                    user_ids=tuple(payload["user_ids"]),
                    kind=kind,
                    title=title.format(name=payload.get("task_name", "")),
                    link=f"/approvals/tasks/{payload['task_id']}/",
                )
                for payload in payloads
                if payload.get("user_ids")
            ]
        )

    return handle


def _on_instances_finished(payloads: list[dict]) -> None:
    outcomes = {"approved": "已通过", "rejected": "已驳回"}
    _tell(
        [
            Notice(
                brand_id=payload["brand_id"],
                user_ids=(payload["started_by_id"],),
                kind=Notification.Kind.PROCESS_FINISHED,
                title=f"申请{outcomes.get(payload['status'], payload['status'])}：{payload.get('subject_label', '')}",
                link=f"/approvals/instances/{payload['instance_id']}/",
            )
            for payload in payloads
            if payload.get("started_by_id")
        ]
    )


def connect() -> None:
    for event in WORKFLOW_EVENTS:
        subscribe_many(event, _on_workflow_tasks(event))
    subscribe_many("workflow.instance_finished", _on_instances_finished)
