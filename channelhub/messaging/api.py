"""The signed-in user's notifications: list (with the unread count), mark read."""

from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import paginate

from channelhub.core.api import Id, Paging
from channelhub.messaging import selectors, services

router = Router(tags=["notifications 通知"])


class NotificationOut(Schema):
    id: int
    brand_id: int
    kind: str
    title: str
    link: str
    created_at: datetime
    read_at: datetime | None


class UnreadOut(Schema):
    unread: int


@router.get("/notifications", response=list[NotificationOut])
@paginate(Paging)
def list_notifications(request: HttpRequest, unread: bool = False):
    return selectors.notifications_for(request.actor, unread_only=unread)


@router.get("/notifications/unread-count", response=UnreadOut)
def unread_count(request: HttpRequest):
    """For the badge in the page header (phones poll this)."""
    return {"unread": selectors.unread_count(request.actor)}


@router.post("/notifications/{notification_id}/read", response=NotificationOut)
def mark_read(request: HttpRequest, notification_id: Id):
    return services.mark_read(actor=request.actor, notification_id=notification_id)


@router.post("/notifications/read-all", response=UnreadOut)
def mark_all_read(request: HttpRequest):
    services.mark_all_read(actor=request.actor)
    return {"unread": 0}
