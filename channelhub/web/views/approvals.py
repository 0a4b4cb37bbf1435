"""Approvals (审批): the inbox (待办), a task with its timeline and decision, my requests, one request."""

from django.contrib import messages
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from channelhub.core.errors import NotFound, ServiceError
from channelhub.tenancy.models import Role, User
from channelhub.tenancy.selectors import active_user, colleagues_with_role
from channelhub.web import labels
from channelhub.web.forms import DecisionForm, DelegateForm
from channelhub.web.views.base import actor_required, add_service_error, current_brands, paginate, posted
from channelhub.workflow import selectors, services
from channelhub.workflow.models import ProcessInstance, WorkTask

TASK_DELEGATORS = (Role.BRAND_ADMIN, Role.GROUP_ADMIN)  # may hand on any open task of their brand
LARGE_COLUMNS = ("instance__state", "instance__definition__bpmn_xml")
COLLEAGUES_OFFERED = 100


def _brand_names(request: HttpRequest) -> dict[int, str]:
    """Brand names to label rows with, when more than one brand is in view."""
    brands = current_brands(request)
    return {b.id: labels.brand_name(b) for b in brands} if len(brands) > 1 else {}


@actor_required
def approvals(request: HttpRequest) -> HttpResponse:
    """待办: the open tasks the actor may decide, oldest first."""
    page = paginate(request, selectors.inbox_for(request.actor).defer(*LARGE_COLUMNS))
    request.inbox_count = page.paginator.count  # the menu's badge shows it without counting again
    return render(request, "web/approvals/inbox.html", {"page": page, "brand_names": _brand_names(request)})


def _colleagues(task: WorkTask, actor) -> list[User]:
    """Whom the task may be handed to: active users holding the step's role in the task's brand."""
    return colleagues_with_role(actor, brand_id=task.brand_id, role=task.role, limit=COLLEAGUES_OFFERED)


def _task_page(
    request: HttpRequest, task: WorkTask, instance: ProcessInstance, *, decide, delegate, status: int = 200
) -> HttpResponse:
    actor = request.actor
    is_open = task.status == WorkTask.Status.OPEN
    may_decide = is_open and selectors.inbox_for(actor).filter(pk=task.pk).exists()
    may_delegate = is_open and (may_decide or actor.has_role(task.brand_id, *TASK_DELEGATORS))
    context = {
        "task": task,
        "instance": instance,
        "decide": decide,
        "delegate": delegate,
        "may_decide": may_decide,
        "may_delegate": may_delegate,
        "colleagues": _colleagues(task, actor) if may_delegate else [],
        "my_task_ids": set(),
        "brand_names": _brand_names(request),
    }
    return render(request, "web/approvals/task.html", context, status=status)


def _visible_task(request: HttpRequest, pk: int) -> tuple[WorkTask, ProcessInstance]:
    """The task and its instance with the timeline; 404 unless the actor may see the instance."""
    task = selectors.get_task(request.actor, pk)
    return task, selectors.get_instance(request.actor, task.instance_id)


def _done(request: HttpRequest, text: str, instance: ProcessInstance) -> HttpResponse:
    link = reverse("web:approval_request", args=[instance.pk])
    messages.success(request, format_html('{} <a href="{}">{}</a>', text, link, _("See where it stands")))
    return redirect("web:approvals")


@actor_required
def approval_task(request: HttpRequest, pk: int) -> HttpResponse:
    """The task, the request's timeline, and (POST) the decision: 同意 or 驳回 with a comment."""
    actor = request.actor
    task, instance = _visible_task(request, pk)
    form = DecisionForm(posted(request))
    status = 200
    if request.method == "POST":
        if not form.is_valid():
            status = 422
        else:
            decision = form.cleaned_data["decision"]
            try:
                services.act_on_task(actor=actor, task=task, decision=decision, comment=form.cleaned_data["comment"])
            except NotFound:
                raise
            except ServiceError as exc:
                add_service_error(form, exc)
                status = exc.status
                task, instance = _visible_task(request, pk)  # as it stands now (decided, or stuck)
            else:
                done = (
                    _("Approved: %(step)s · %(subject)s")
                    if decision == WorkTask.Decision.APPROVE
                    else _("Rejected: %(step)s · %(subject)s")
                )
                return _done(request, done % {"step": task.name, "subject": instance.subject_label}, instance)
    delegate = DelegateForm(prefix="delegate")
    return _task_page(request, task, instance, decide=form, delegate=delegate, status=status)


@actor_required
@require_POST
def approval_task_delegate(request: HttpRequest, pk: int) -> HttpResponse:
    """转办: hand the task to a colleague who holds the step's role in the brand."""
    actor = request.actor
    task, instance = _visible_task(request, pk)
    form = DelegateForm(request.POST, prefix="delegate")
    status = 422
    if form.is_valid():
        username = form.cleaned_data["to_user"].strip()
        colleague = active_user(username)
        if colleague is None:
            form.add_error("to_user", _("No active colleague has the username %(name)s.") % {"name": username})
        else:
            try:
                services.delegate_task(actor=actor, task=task, to_user=colleague, comment=form.cleaned_data["comment"])
            except NotFound:
                raise
            except ServiceError as exc:
                add_service_error(form, exc)
                status = exc.status
                task, instance = _visible_task(request, pk)
            else:
                text = _("%(step)s · %(subject)s handed to %(name)s.") % {
                    "step": task.name,
                    "subject": instance.subject_label,
                    "name": colleague,
                }
                return _done(request, text, instance)
    return _task_page(request, task, instance, decide=DecisionForm(), delegate=form, status=status)


@actor_required
def approval_requests(request: HttpRequest) -> HttpResponse:
    """My requests: the processes the actor started (all of a brand for its admins), with where each stands."""
    status = request.GET.get("status", "")
    if status not in ProcessInstance.Status.values:
        status = ""
    waiting = Prefetch("tasks", queryset=WorkTask.objects.filter(status=WorkTask.Status.OPEN), to_attr="open_tasks")
    instances = (
        selectors.instances_for(request.actor, status=status).defer("definition__bpmn_xml").prefetch_related(waiting)
    )
    context = {
        "page": paginate(request, instances),
        "status": status,
        "statuses": [(s, labels.INSTANCE_STATUS[s]) for s in ProcessInstance.Status.values],
        "brand_names": _brand_names(request),
    }
    return render(request, "web/approvals/requests.html", context)


@actor_required
def approval_request(request: HttpRequest, pk: int) -> HttpResponse:
    """Where one request stands: every step, who, when, how long, and what they said."""
    instance = selectors.get_instance(request.actor, pk)
    mine = set(selectors.inbox_for(request.actor).filter(instance_id=instance.pk).values_list("id", flat=True))
    context = {"instance": instance, "my_task_ids": mine, "brand_names": _brand_names(request)}
    return render(request, "web/approvals/request.html", context)
