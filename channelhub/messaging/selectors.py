"""The actor's own notifications."""

from django.db.models import QuerySet

from channelhub.messaging.models import Notification
from channelhub.tenancy.actor import Actor


def notifications_for(actor: Actor, *, unread_only: bool = False) -> QuerySet[Notification]:
    if actor.user is None:
        return Notification.objects.none()
    qs = Notification.objects.for_actor(actor).filter(user=actor.user)
    return qs.filter(read_at__isnull=True) if unread_only else qs


def unread_count(actor: Actor) -> int:
    return notifications_for(actor, unread_only=True).count()
