"""Approvals (审批): the inbox (待办) and what I decided (已办), a task with its timeline and the
actions on it (decide, send back 退回, add a signer 加签, hand on 转办), my requests, one request."""

from django.contrib import messages
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from channelhub.core.errors import NotFound, ServiceError
from channelhub.partners.selectors import distributors_for
from channelhub.tenancy.models import Role, User
from channelhub.tenancy.selectors import active_user, colleagues_with_role
from channelhub.web import labels
from channelhub.web.forms import AddSignerForm, DecisionForm, DelegateForm, ReturnForm
from channelhub.web.views.base import actor_required, add_service_error, current_brands, paginate, posted
from channelhub.workflow import selectors, services
from channelhub.workflow.models import ProcessInstance, WorkTask

TASK_DELEGATORS = (Role.BRAND_ADMIN, Role.GROUP_ADMIN)  # may hand on any open task of their brand
BRAND_STAFF = (Role.BRAND_ADMIN, Role.REGION_MANAGER, Role.REVIEWER, Role.FINANCE)  # who may be added to sign
LARGE_COLUMNS = ("instance__state", "instance__definition__bpmn_xml")
COLLEAGUES_OFFERED = 100


# The pages of the business objects requests are about: subject_type -> (URL name of the page,
# the selector of the objects the actor may see, called with the actor and the request's brand).
SUBJECT_PAGES = {
    "partners.distributoraccount": ("web:distributor_detail", distributors_for),
}


def subject_of(actor, instance: ProcessInstance) -> dict:
    """What a request is about: its kind, its label, and a link to its page when it has one and the
    actor may see the object there (otherwise the label alone)."""
    url = None
    page = SUBJECT_PAGES.get(instance.subject_type)
    subject_id = instance.subject_id
    if page is not None and subject_id.isdecimal() and len(subject_id) <= 18:
        url_name, visible = page
        if visible(actor, brand_id=instance.brand_id).filter(pk=int(subject_id)).exists():
            url = reverse(url_name, args=[int(subject_id)])
    return {
        "kind": labels.OBJECT_TYPE.get(instance.subject_type, ""),
        "label": instance.subject_label or subject_id,
        "url": url,
    }


def _brand_names(request: HttpRequest) -> dict[int, str]:
    """Brand names to label rows with, when more than one brand is in view."""
    brands = current_brands(request)
    return {b.id: labels.brand_name(b) for b in brands} if len(brands) > 1 else {}


@actor_required
def approvals(request: HttpRequest) -> HttpResponse:
    """待办: the open tasks the actor may decide, oldest first."""
    page = paginate(request, selectors.inbox_for(request.actor).defer(*LARGE_COLUMNS))
    request.inbox_count = page.paginator.count  # the menu's badge shows it without counting again
    context = {"page": page, "tab": "inbox", "brand_names": _brand_names(request)}
    return render(request, "web/approvals/inbox.html", context)


@actor_required
def approvals_done(request: HttpRequest) -> HttpResponse:
    """已办: the steps the actor decided, newest first, with the decision and what they said."""
    page = paginate(request, selectors.decided_by(request.actor).defer(*LARGE_COLUMNS))
    context = {"page": page, "tab": "done", "brand_names": _brand_names(request)}
    return render(request, "web/approvals/done.html", context)


def _colleagues(task: WorkTask, actor) -> list[User]:
    """Whom the task may be handed to: active users holding the step's role in the task's brand."""
    return colleagues_with_role(actor, brand_id=task.brand_id, role=task.role, limit=COLLEAGUES_OFFERED)


def _brand_staff(task: WorkTask, actor) -> list[User]:
    """Whom to offer as an added signer (加签): active people holding a staff role in the task's brand."""
    people = {}
    for role in BRAND_STAFF:
        for user in colleagues_with_role(actor, brand_id=task.brand_id, role=role, limit=COLLEAGUES_OFFERED):
            people[user.pk] = user
    return sorted(people.values(), key=lambda user: user.username)[:COLLEAGUES_OFFERED]


def _task_page(
    request: HttpRequest, task: WorkTask, instance: ProcessInstance, *, status: int = 200, **posted_forms
) -> HttpResponse:
    """The task page; ``posted_forms`` holds the form just posted (with its errors), the others start empty."""
    actor = request.actor
    is_open = task.status == WorkTask.Status.OPEN
    may_decide = is_open and selectors.inbox_for(actor).filter(pk=task.pk).exists()
    may_delegate = is_open and (may_decide or actor.has_role(task.brand_id, *TASK_DELEGATORS))
    send_back = posted_forms.get("send_back") or ReturnForm(
        prefix="return", steps=selectors.returnable_steps(task) if may_decide else []
    )
    context = {
        "task": task,
        "instance": instance,
        "subject": subject_of(actor, instance),
        "decide": posted_forms.get("decide") or DecisionForm(),
        "delegate": posted_forms.get("delegate") or DelegateForm(prefix="delegate"),
        "send_back": send_back,
        "add_signer": posted_forms.get("add_signer") or AddSignerForm(prefix="signer"),
        "may_decide": may_decide,
        "may_delegate": may_delegate,
        "may_send_back": may_decide and bool(send_back.fields["to_step"].widget.choices),
        "colleagues": _colleagues(task, actor) if may_delegate else [],
        "signers": _brand_staff(task, actor) if may_decide else [],
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
    return _task_page(request, task, instance, decide=form, status=status)


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
    return _task_page(request, task, instance, delegate=form, status=status)


@actor_required
@require_POST
def approval_task_return(request: HttpRequest, pk: int) -> HttpResponse:
    """退回: send the request back to a step already done, saying why; that step waits again."""
    actor = request.actor
    task, instance = _visible_task(request, pk)
    steps = selectors.returnable_steps(task)
    form = ReturnForm(request.POST, prefix="return", steps=steps)
    status = 422
    if form.is_valid():
        to_step = form.cleaned_data["to_step"]
        try:
            services.return_task(actor=actor, task=task, to_step=to_step, comment=form.cleaned_data["comment"])
        except NotFound:
            raise
        except ServiceError as exc:
            add_service_error(form, exc)
            status = exc.status
            task, instance = _visible_task(request, pk)
        else:
            text = _("Sent back to %(to)s: %(step)s · %(subject)s") % {
                "to": dict(steps).get(to_step, to_step),
                "step": task.name,
                "subject": instance.subject_label,
            }
            return _done(request, text, instance)
    return _task_page(request, task, instance, send_back=form, status=status)


@actor_required
@require_POST
def approval_task_add_signer(request: HttpRequest, pk: int) -> HttpResponse:
    """加签: bring one more colleague into this step, to sign before the actor or to settle it after them."""
    actor = request.actor
    task, instance = _visible_task(request, pk)
    form = AddSignerForm(request.POST, prefix="signer")
    status = 422
    if form.is_valid():
        username = form.cleaned_data["to_user"].strip()
        colleague = active_user(username)
        before = form.cleaned_data["before"]
        if colleague is None:
            form.add_error("to_user", _("No active colleague has the username %(name)s.") % {"name": username})
        else:
            try:
                services.add_signer(
                    actor=actor, task=task, to_user=colleague, comment=form.cleaned_data["comment"], before=before
                )
            except NotFound:
                raise
            except ServiceError as exc:
                add_service_error(form, exc)
                status = exc.status
                task, instance = _visible_task(request, pk)
            else:
                done = (
                    _("%(name)s signs %(step)s · %(subject)s first; then it comes back to you.")
                    if before
                    else _("You approved; %(name)s now settles %(step)s · %(subject)s.")
                )
                text = done % {"name": colleague, "step": task.name, "subject": instance.subject_label}
                return _done(request, text, instance)
    return _task_page(request, task, instance, add_signer=form, status=status)


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
    context = {
        "instance": instance,
        "subject": subject_of(request.actor, instance),
        "my_task_ids": mine,
        "brand_names": _brand_names(request),
        "may_retry": instance.status == ProcessInstance.Status.INCIDENT
        and request.actor.has_role(instance.brand_id, *TASK_DELEGATORS),
    }
    return render(request, "web/approvals/request.html", context)


@actor_required
@require_POST
def approval_request_retry(request: HttpRequest, pk: int) -> HttpResponse:
    """Brand admins: try again to move a process stopped by an incident."""
    instance = services.retry_instance(actor=request.actor, instance=selectors.get_instance(request.actor, pk))
    if instance.status == ProcessInstance.Status.INCIDENT:
        messages.error(
            request, _("Retried, but the process is still stuck: %(reason)s") % {"reason": instance.incident}
        )
    else:
        messages.success(request, _("Retried: the process goes on."))
    return redirect("web:approval_request", pk=pk)
