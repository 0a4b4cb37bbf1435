"""The REST API's frame: authentication into an actor, error shapes, pagination."""

from typing import Annotated

from django.conf import settings
from django.db import transaction
from django.db.models import Manager
from django.http import Http404, HttpRequest
from django.urls import URLPattern
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import LimitOffsetPagination
from ninja.security import APIKeyCookie, HttpBearer
from pydantic import BaseModel, BeforeValidator, ConfigDict

from channelhub.core.errors import Forbidden, ServiceError
from channelhub.tenancy.actor import Actor
from channelhub.tenancy.rls import set_brand_scope
from channelhub.tenancy.services import api_key_for, user_for_token

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


# Ids beyond a 64-bit integer cannot exist; refusing them up front keeps SQLite from overflowing.
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class Paging(LimitOffsetPagination):
    """``limit``/``offset`` paging answered as ``{items, count}``, with bounded numbers."""

    class Input(Schema):
        limit: int = Field(settings.API_PAGE_SIZE, ge=1, le=settings.API_MAX_PAGE_SIZE)
        offset: int = Field(0, ge=0, le=10_000_000)


class Input(Schema):
    """Base of request bodies: an unknown field is an error naming it, never silently ignored."""

    model_config = ConfigDict(extra="forbid")


class Output(BaseModel):
    """Base of answers that are read off model instances in bulk (an order and its lines): pydantic
    reads the attributes itself. Ninja's ``Schema`` wraps every object, nested ones too, in a
    getter called once per field in Python, which made an order's answer cost five times as much.
    A field from a related object names its path (``validation_alias=AliasPath("account",
    "name")``); a list of related objects is annotated ``Related``."""

    model_config = ConfigDict(from_attributes=True)


def _listed(value):
    return list(value.all()) if isinstance(value, Manager) else value


# A list field read from a related manager (``order.lines``): its objects, prefetched or queried.
Related = BeforeValidator(_listed)


def enter_actor(request: HttpRequest, actor: Actor) -> Actor:
    """Bind the actor to the request and to the database transaction's brand scope."""
    request.actor = actor
    set_brand_scope(actor.allowed_brand_ids)
    return actor


class BearerAuth(HttpBearer):
    """``Authorization: Bearer`` with a personal token or a brand's integration key."""

    def authenticate(self, request: HttpRequest, token: str) -> Actor | None:
        user = user_for_token(token)
        if user is not None:
            return enter_actor(request, Actor.for_user(user))
        key = api_key_for(token)
        if key is None:
            return None
        if request.method not in SAFE_METHODS and "write" not in key.scopes:
            raise Forbidden("this API key may only read", code="scope_denied")
        return enter_actor(request, Actor.for_api_key(key))


class SessionActorAuth(APIKeyCookie):
    """The browser's signed-in session (CSRF-checked), honouring the brand switcher."""

    param_name = settings.SESSION_COOKIE_NAME

    def authenticate(self, request: HttpRequest, key: str | None) -> Actor | None:
        if not request.user.is_authenticated:
            return None
        brand_id = request.session.get("active_brand_id")
        return enter_actor(request, Actor.for_user(request.user, active_brand_id=brand_id))


api = NinjaAPI(
    title="ChannelHub API",
    version="1",
    description="渠道管理系统 ChannelHub REST API. Errors are JSON: code, message, field.",
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    auth=[BearerAuth(), SessionActorAuth()],
)


def error(request: HttpRequest, status: int, code: str, message: str, field: str | None = None):
    return api.create_response(request, {"code": code, "message": message, "field": field}, status=status)


@api.exception_handler(ServiceError)
def service_error(request, exc: ServiceError):
    return error(request, exc.status, exc.code, exc.message, exc.field)


@api.exception_handler(NinjaValidationError)
def validation_error(request, exc: NinjaValidationError):
    first = exc.errors[0] if exc.errors else {}
    loc = [str(p) for p in first.get("loc", []) if p not in ("body", "query", "path", "payload")]
    field = ".".join(loc) or None
    message = first.get("msg", "invalid input")
    if field:
        message = f"{field}: {message}"
    return error(request, 422, "validation_error", message, field)


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    return error(request, 401, "unauthenticated", "sign in or send a valid bearer token")


@api.exception_handler(Http404)
def not_found(request, exc):
    return error(request, 404, "not_found", str(exc) or "not found")


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    codes = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 405: "method_not_allowed"}
    return error(request, exc.status_code, codes.get(exc.status_code, "http_error"), str(exc))


def own_transaction(urls: tuple, route: str, method: str) -> tuple:
    """``api.urls`` with ``method`` requests to ``route`` left out of the request's transaction
    (``ATOMIC_REQUESTS``): their operation opens and commits its own, stating its brands
    (``tenancy.rls.brand_transaction``), before the answer is built. Other methods on the route
    stay in one transaction, as everywhere else."""
    patterns, app_name, namespace = urls
    for n, pattern in enumerate(patterns):
        if str(pattern.pattern) == route:
            patterns[n] = URLPattern(pattern.pattern, _method_outside_transaction(pattern.callback, method),
                                     pattern.default_args, pattern.name)  # fmt: skip
            return patterns, app_name, namespace
    raise LookupError(f"no API route {route!r}")


def _method_outside_transaction(view, method: str):
    @transaction.non_atomic_requests
    def dispatch(request: HttpRequest, *args, **kwargs):
        if request.method == method:
            return view(request, *args, **kwargs)
        with transaction.atomic():
            return view(request, *args, **kwargs)

    dispatch.csrf_exempt = True  # as every API view: the session auth checks CSRF itself
    return dispatch
