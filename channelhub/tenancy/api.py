"""Sign-in tokens, the signed-in user, brands, integration keys and the audit trail."""

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from channelhub.core.api import Id, Input, Paging
from channelhub.core.errors import NotFound
from channelhub.tenancy import selectors, services

router = Router(tags=["tenancy 租户"])


class TokenIn(Input):
    username: str = Field(..., min_length=1, max_length=150)
    password: str = Field(..., min_length=1, max_length=256)
    name: str = Field("", max_length=100)


class TokenOut(Schema):
    token: str
    id: int


class TokenInfo(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class BrandSchema(Schema):
    id: int
    code: str
    name: str
    name_en: str
    line_of_business: str
    is_active: bool


class GrantSchema(Schema):
    brand_id: int
    role: str
    divisions: list[str] | None


class MeSchema(Schema):
    id: int | None
    username: str
    display_name: str
    is_group_user: bool
    active_brand_id: int | None
    brands: list[BrandSchema]
    grants: list[GrantSchema]


class ApiKeyIn(Input):
    brand_id: int
    name: str = Field(..., min_length=1, max_length=100)
    scopes: list[str] = Field(..., min_length=1)


class ApiKeyOut(Schema):
    id: int
    brand_id: int
    name: str
    scopes: list[str]
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    key: str


class AuditSchema(Schema):
    id: int
    created_at: datetime
    actor: str = Field(..., alias="actor_label")
    brand_id: int | None
    action: str
    object_type: str
    object_id: str
    object_repr: str
    changes: dict


@router.post("/auth/token", auth=None, response={201: TokenOut})
def issue_token(request: HttpRequest, payload: TokenIn):
    """Exchange a username and password for a bearer token (phones, scripts)."""
    token, raw = services.issue_api_token(
        username=payload.username,
        password=payload.password,
        name=payload.name,
        client_ip=request.META.get("REMOTE_ADDR", ""),
    )
    return 201, {"token": raw, "id": token.id}


@router.get("/auth/tokens", response=list[TokenInfo])
@paginate(Paging)
def list_tokens(request: HttpRequest):
    """Your own tokens, newest first (revoked ones stay listed with their revocation time)."""
    return selectors.api_tokens_for(request.actor)


@router.delete("/auth/tokens/{token_id}", response={204: None})
def revoke_token(request: HttpRequest, token_id: Id):
    services.revoke_api_token(actor=request.actor, token_id=token_id)
    return 204, None


@router.get("/users/me", response=MeSchema)
def me(request: HttpRequest):
    actor = request.actor
    return {
        "id": actor.user.id if actor.user else None,
        "username": str(actor),
        "display_name": actor.user.display_name if actor.user else str(actor),
        "is_group_user": actor.is_group_user,
        "active_brand_id": actor.active_brand_id,
        "brands": list(selectors.brands_for(actor)),
        "grants": [
            {
                "brand_id": g.brand_id,
                "role": g.role,
                "divisions": sorted(g.division_codes) if g.division_codes else None,
            }
            for g in actor.grants
        ],
    }


@router.get("/brands", response=list[BrandSchema])
@paginate(Paging)
def list_brands(request: HttpRequest):
    return selectors.brands_for(request.actor)


@router.get("/brands/{brand_id}", response=BrandSchema)
def get_brand(request: HttpRequest, brand_id: Id):
    return selectors.get_brand(request.actor, brand_id)


@router.get("/api-keys", response=list[ApiKeyOut])
@paginate(Paging)
def list_api_keys(request: HttpRequest):
    return selectors.api_keys_for(request.actor)


@router.post("/api-keys", response={201: ApiKeyCreated})
def create_api_key(request: HttpRequest, payload: ApiKeyIn):
    """Create an integration key for one brand; the key is shown once, only its hash is kept."""
    selectors.get_brand(request.actor, payload.brand_id)
    key, raw = services.create_api_key(actor=request.actor, **payload.dict())
    return 201, {**ApiKeyOut.from_orm(key).dict(), "key": raw}


@router.delete("/api-keys/{key_id}", response={204: None})
def revoke_api_key(request: HttpRequest, key_id: Id):
    key = selectors.api_keys_for(request.actor).filter(id=key_id).first()
    if key is None:
        raise NotFound("API key not found")
    services.revoke_api_key(actor=request.actor, key=key)
    return 204, None


@router.get("/audit", response=list[AuditSchema])
@paginate(Paging)
def audit_log(request: HttpRequest, brand_id: Id | None = None, object_type: str = "", object_id: str = ""):
    """Who changed what, when, in which brand: each changed field before and after."""
    return selectors.audit_for(request.actor, brand_id=brand_id, object_type=object_type, object_id=object_id)
