"""Notifications (通知): the signed-in user's list, opening one (marks it read), marking all read."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from channelhub.messaging import selectors, services
from channelhub.web.views.base import actor_required, paginate


def local_link(link: str) -> str:
    """The notification's link if it is a path on this site, else ""; nothing else is ever followed."""
    if link.startswith("/") and not link.startswith(("//", "/\\")) and "\\" not in link:
        return link
    return ""


@actor_required
def notifications(request: HttpRequest) -> HttpResponse:
    """My notifications, newest first, 50 a page; unread ones stand out."""
    page = paginate(request, selectors.notifications_for(request.actor))
    return render(request, "web/notifications.html", {"page": page})


@actor_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Open a notification: mark it read, then go where it points (another user's is 404)."""
    notification = services.mark_read(actor=request.actor, notification_id=pk)
    return redirect(local_link(notification.link) or "web:notifications")


@actor_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    count = services.mark_all_read(actor=request.actor)
    messages.success(request, _("%(count)s notifications marked as read.") % {"count": count})
    return redirect("web:notifications")
