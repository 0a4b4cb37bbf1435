"""Process definitions (流程定义) of the brands the user administers: versions, BPMN upload, publish, export."""

from django.contrib import messages
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from channelhub.core.errors import Forbidden, NotFound, ServiceError
from channelhub.tenancy.models import Role
from channelhub.web import labels
from channelhub.web.errors import error_message, translated
from channelhub.web.forms import DefinitionForm
from channelhub.web.views.base import (
    actor_required,
    add_service_error,
    brands_with_role,
    int_or_none,
    paginate,
    posted,
)
from channelhub.workflow import engine, selectors, services
from channelhub.workflow.models import ProcessDefinition

DEFINITION_ADMINS = (Role.BRAND_ADMIN, Role.GROUP_ADMIN)


def _admin_brands(request: HttpRequest) -> list:
    brands = brands_with_role(request, *DEFINITION_ADMINS)
    if not brands:
        raise Forbidden("your role does not allow this in this brand")
    return brands


def _administered(request: HttpRequest, pk: int) -> ProcessDefinition:
    """One version of a brand the user administers (404 for other brands, 403 for other roles)."""
    definition = selectors.get_definition(request.actor, pk)
    if definition.brand_id not in {b.id for b in _admin_brands(request)}:
        raise Forbidden("your role does not allow this in this brand")
    return definition


def _page(request: HttpRequest, brands: list, form: DefinitionForm, *, status: int = 200, **extra) -> HttpResponse:
    versions = (
        selectors.definitions_for(request.actor)
        .filter(brand_id__in=[b.id for b in brands])
        .select_related("published_by")
        .order_by("brand_id", "key", F("version").desc(nulls_first=True))
    )
    context = {
        "form": form,
        "page": paginate(request, versions),
        "brand_names": {b.id: labels.brand_name(b) for b in brands} if len(brands) > 1 else {},
        "roles": [r for r in Role.values if r != Role.DISTRIBUTOR_USER],
        **extra,
    }
    return render(request, "web/process_definitions.html", context, status=status)


@actor_required
def process_definitions(request: HttpRequest) -> HttpResponse:
    """The versions, and a form that saves an uploaded or pasted BPMN document as a key's draft.

    ``?from=<id>`` fills the form with that version, to edit it as the next draft.
    """
    actor = request.actor
    brands = _admin_brands(request)
    initial = {}
    source_id = int_or_none(request.GET.get("from"))
    if source_id is not None and request.method != "POST":
        source = _administered(request, source_id)
        initial = {"brand": source.brand_id, "key": source.key, "name": source.name, "bpmn_xml": source.bpmn_xml}
    form = DefinitionForm(posted(request), request.FILES or None, brands=brands, initial=initial)
    status = 200
    if request.method == "POST":
        if not form.is_valid():
            status = 422
        else:
            try:
                draft = services.save_draft(actor=actor, **form.draft_kwargs())
            except NotFound:
                raise
            except ServiceError as exc:
                add_service_error(form, exc, {"brand_id": "brand"})
                status = exc.status
            else:
                messages.success(
                    request, _("Draft of %(name)s saved; publish it when it is ready.") % {"name": draft.name}
                )
                return redirect("web:process_definitions")
    return _page(request, brands, form, status=status)


@actor_required
@require_POST
def process_definition_publish(request: HttpRequest, pk: int) -> HttpResponse:
    """Validate a draft and publish it as the key's next version; every problem is listed on refusal."""
    brands = _admin_brands(request)
    definition = _administered(request, pk)
    try:
        published = services.publish_definition(actor=request.actor, definition=definition)
    except engine.DefinitionInvalid as exc:
        problems = [translated(p) for p in exc.problems]
        return _page(
            request, brands, DefinitionForm(brands=brands), status=exc.status, refused=definition, problems=problems
        )
    except NotFound:
        raise
    except ServiceError as exc:
        return _page(
            request,
            brands,
            DefinitionForm(brands=brands),
            status=exc.status,
            refused=definition,
            problems=[error_message(exc)],
        )
    messages.success(
        request,
        _("%(name)s published as version %(version)s.") % {"name": published.name, "version": published.version},
    )
    return redirect("web:process_definitions")


@actor_required
def process_definition_xml(request: HttpRequest, pk: int) -> HttpResponse:
    """A version's BPMN XML as a file (export), to edit elsewhere or move to another brand."""
    definition = _administered(request, pk)
    name = f"{definition.key}-v{definition.version}" if definition.version else f"{definition.key}-draft"
    response = HttpResponse(definition.bpmn_xml, content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.bpmn"'
    return response
