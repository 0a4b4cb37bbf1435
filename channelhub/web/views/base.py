"""What every page shares: sign-in, the request's actor, refusals as pages, forms, paging."""

from collections.abc import Callable
from functools import wraps

from django import forms
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render, resolve_url
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme

from channelhub.core.api import enter_actor
from channelhub.core.errors import NotFound, ServiceError
from channelhub.tenancy.actor import Actor
from channelhub.tenancy.models import Brand
from channelhub.tenancy.selectors import brands_for
from channelhub.web.errors import error_message

PAGE_SIZE = 50


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "404.html", status=404)


def refused(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    if isinstance(exc, NotFound):
        return not_found(request)
    context = {"status": exc.status, "message": error_message(exc)}
    return render(request, "web/error.html", context, status=exc.status)


def actor_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Every signed-in page: the actor (honouring the brand switcher) bound to the request and
    to the transaction's brand scope; refusals the view does not handle become error pages."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            if is_htmx(request):
                response = HttpResponse(status=204)
                response["HX-Redirect"] = resolve_url(settings.LOGIN_URL)
                return response
            return redirect_to_login(request.get_full_path())
        actor = Actor.for_user(request.user, active_brand_id=request.session.get("active_brand_id"))
        enter_actor(request, actor)
        try:
            return view(request, *args, **kwargs)
        except ServiceError as exc:
            return refused(request, exc)

    return wrapper


def visible_brands(request: HttpRequest) -> list[Brand]:
    """The brands the user may switch to, read once per request."""
    if not hasattr(request, "_visible_brands"):
        request._visible_brands = list(brands_for(request.actor))
    return request._visible_brands


def current_brands(request: HttpRequest) -> list[Brand]:
    """The brands in view now: all of the user's, or the one chosen in the brand switcher."""
    return [b for b in visible_brands(request) if b.id in request.actor.brand_ids]


def brands_with_role(request: HttpRequest, *roles: str) -> list[Brand]:
    """Current brands where the actor holds one of ``roles`` (to offer write actions there)."""
    return [b for b in current_brands(request) if request.actor.has_role(b.id, *roles)]


def paginate(request: HttpRequest, queryset: QuerySet) -> Page:
    """One page of ``PAGE_SIZE`` rows: a count query and a page query, whatever the total."""
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def add_service_error(form: forms.Form, exc: ServiceError, field_map: dict[str, str] | None = None) -> None:
    """Show a service's refusal on the form field it names (or above the form)."""
    field = (field_map or {}).get(exc.field or "", exc.field)
    form.add_error(field if field in form.fields else None, error_message(exc))


def handle_form(
    request: HttpRequest,
    form: forms.Form,
    template: str,
    context: dict,
    save: Callable[[forms.Form], HttpResponse],
    field_map: dict[str, str] | None = None,
) -> HttpResponse:
    """Render ``form``; on a valid POST call ``save`` (one service call) and answer with its response.

    Invalid input answers 422; a refusing service answers with its own status (409, 403, 422)
    and the message on the form; "not found" is never a form error but the 404 page.
    """
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                return save(form)
            except NotFound:
                raise
            except ServiceError as exc:
                add_service_error(form, exc, field_map)
                status = exc.status
        else:
            status = 422
    return render(request, template, {**context, "form": form}, status=status)


def htmx_render(request: HttpRequest, page: str, partial: str, context: dict) -> HttpResponse:
    """The whole page, or just the part htmx asked for; caches keep the two apart."""
    response = render(request, partial if is_htmx(request) else page, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


def safe_next(request: HttpRequest, default: str = "web:home") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return resolve_url(default)


def posted(request: HttpRequest):
    """The submitted data for a form: bound on POST (even when empty), unbound on GET."""
    return request.POST if request.method == "POST" else None


def int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
