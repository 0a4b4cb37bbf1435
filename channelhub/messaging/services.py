"""Telling people things: every notification goes through ``notify`` (or ``notify_many``, many at once)."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from channelhub.core import sql
from channelhub.core.errors import NotFound
from channelhub.messaging.models import Notification
from channelhub.tenancy.actor import Actor


@dataclass(frozen=True)
class Notice:
    """What to tell some users of one brand: one notification each."""

    brand_id: int
    user_ids: tuple[int, ...]
    kind: str
    title: str
    link: str = ""


def notify(*, brand_id: int, user_ids: Iterable[int], kind: str, title: str, link: str = "") -> int:
    """Create one unread notification per user; returns how many were created."""
    return notify_many(notices=[Notice(brand_id, tuple(user_ids), kind, title, link)])


@transaction.atomic
def notify_many(*, notices: Iterable[Notice]) -> int:
    """Create the notifications of many notices with one insert; returns how many were created.

    A user named twice in one notice is told once. The caller states the brands (row-level
    security) of every notice.
    """
    rows = [
        Notification(
            brand_id=notice.brand_id,
            user_id=user_id,
            kind=notice.kind,
            title=notice.title[:200],
            link=notice.link[:200],
        )
        for notice in notices
        for user_id in sorted(set(notice.user_ids))
    ]
    Notification.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def notify_account_users(*, brand_id: int, account_id: int, kind: str, title: str, link: str = "") -> None:
    """Tell every user of a distributor account, in the caller's transaction, in one statement:
    the database reads the account's users as it inserts (orders do this on every change)."""
    now = Notification._meta.get_field("created_at").get_db_prep_save(timezone.now(), connection)
    with sql.cursor() as cursor:
        cursor.execute(
            "INSERT INTO messaging_notification (brand_id, user_id, kind, title, link, created_at, read_at)"
            " SELECT %s, user_id, %s, %s, %s, %s, NULL FROM partners_distributoruser"
            " WHERE brand_id = %s AND account_id = %s",
            [brand_id, kind, title[:200], link[:200], now, brand_id, account_id],
        )


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
