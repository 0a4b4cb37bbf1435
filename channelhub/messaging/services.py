"""Telling people things: every notification goes through ``notify``."""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from channelhub.core.errors import NotFound
from channelhub.messaging.models import Notification
from channelhub.tenancy.actor import Actor


@transaction.atomic
def notify(*, brand_id: int, user_ids: Iterable[int], kind: str, title: str, link: str = "") -> int:
    """Create one unread notification per user; returns how many were created."""
    rows = [
        Notification(brand_id=brand_id, user_id=user_id, kind=kind, title=title[:200], link=link[:200])
        for user_id in sorted(set(user_ids))
    ]
    Notification.objects.bulk_create(rows)
    return len(rows)


@transaction.atomic
def mark_read(*, actor: Actor, notification_id: int) -> Notification:
    """Mark one of the actor's own notifications as read (someone else's is not found)."""
    notification = (
        Notification.objects.for_actor(actor).filter(user=actor.user, pk=notification_id).first()
        if actor.user
        else None
    )
    if notification is None:
        raise NotFound("notification not found")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


@transaction.atomic
def mark_all_read(*, actor: Actor) -> int:
    if actor.user is None:
        return 0
    unread = Notification.objects.for_actor(actor).filter(user=actor.user, read_at__isnull=True)
    return unread.update(read_at=timezone.now())
