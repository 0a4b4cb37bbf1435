"""Reactions of the orders module to events (connected in ``OrdersConfig.ready``); each runs after
the emitting transaction committed, in its own transaction stating the brands it touches."""

from django.db import transaction

from channelhub.core.events import subscribe, subscribe_many
from channelhub.messaging.models import Notification
from channelhub.messaging.services import Notice, notify_many
from channelhub.orders.models import Order
from channelhub.tenancy.models import Membership, Role
from channelhub.tenancy.rls import set_brand_scope

S = Order.Status


def on_order_changed(payloads: list[dict]) -> None:
    """Tell finance of orders put on credit hold that no approval process will bring to them (the
    distributor's own users were told in the order's transaction)."""
    held = [p for p in payloads if p["status"] == S.CREDIT_HOLD]
    if not held:
        return
    with transaction.atomic():
        set_brand_scope({p["brand_id"] for p in held})
        unprocessed = set(
            Order.objects.filter(pk__in=[p["order_id"] for p in held], credit_process_id__isnull=True).values_list(
                "pk", flat=True
            )
        )
        notices = []
        for p in held:
            if p["order_id"] in unprocessed:
                finance = Membership.objects.filter(brand_id=p["brand_id"], role=Role.FINANCE).values_list(
                    "user_id", flat=True
                )
                notices.append(
                    Notice(
                        brand_id=p["brand_id"],
                        user_ids=tuple(finance),
                        kind=Notification.Kind.CREDIT,
                        title=f"订单 {p['number']} 超出信用额度，请审核",
                        link=f"/orders/{p['order_id']}/",
                    )
                )
        notices = [n for n in notices if n.user_ids]
        if notices:
            notify_many(notices=notices)


def on_process_finished(payload: dict) -> None:
    """An ``order_credit_override`` process ended: release or cancel the held order."""
    from channelhub.orders.services import ORDER_SUBJECT, credit_override_finished

    if payload.get("subject_type") != ORDER_SUBJECT:
        return
    with transaction.atomic():
        set_brand_scope([payload["brand_id"]])
        credit_override_finished(
            instance_id=payload["instance_id"],
            order_id=int(payload["subject_id"]),
            approved=payload["status"] == "approved",
        )


def connect() -> None:
    from channelhub.orders import reports

    subscribe_many("orders.order_changed", on_order_changed)
    reports.connect()
    subscribe("workflow.instance_finished", on_process_finished)
