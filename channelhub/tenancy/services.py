"""Writes of brands, users, memberships and credentials."""

import hashlib
import secrets

from django.contrib.auth import authenticate
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from channelhub.core import audit, sql
from channelhub.core.errors import Forbidden, NotFound, TooManyAttempts, ValidationFailed
from channelhub.core.models import AuditEntry
from channelhub.regions.models import Division
from channelhub.tenancy.actor import Actor
from channelhub.tenancy.models import GROUP_ROLES, ApiKey, ApiToken, Brand, CorporateGroup, Membership, Role, User
from channelhub.tenancy.permissions import STAFF_WRITERS, require_role
from channelhub.tenancy.rls import add_to_brand_scope

MAX_LOGIN_FAILURES = 10
LOGIN_LOCK_SECONDS = 15 * 60
TOKEN_PREFIX = "cht_"  # noqa: S105 (a public prefix, not a secret)
API_KEY_PREFIX = "chk_"


def hash_secret(raw: str) -> str:
    """Tokens are long random strings, so one SHA-256 is enough (no slow KDF needed)."""
    return hashlib.sha256(raw.encode()).hexdigest()


def _new_secret(prefix: str) -> tuple[str, str]:
    raw = prefix + secrets.token_urlsafe(32)
    return raw, raw[len(prefix) : len(prefix) + 8]


@transaction.atomic
def create_brand(
    *, actor: Actor, group: CorporateGroup, code: str, name: str, name_en: str = "", line_of_business: str = ""
) -> Brand:
    if not actor.is_group_admin:
        raise Forbidden("only group admins create brands")
    brand = Brand.objects.create(group=group, code=code, name=name, name_en=name_en, line_of_business=line_of_business)
    add_to_brand_scope(brand.pk)
    audit.record(
        actor=actor,
        action=AuditEntry.Action.CREATE,
        obj=brand,
        brand_id=brand.pk,
        after=audit.snapshot(brand, ["code", "name", "name_en", "line_of_business"]),
    )
    return brand


def _division_codes(membership: Membership) -> list[str]:
    return sorted(membership.divisions.values_list("code", flat=True))


@transaction.atomic
def grant_membership(
    *, actor: Actor, user: User, brand_id: int | None, role: str, division_codes: list[str] | None = None
) -> Membership:
    """Give ``user`` a role: group-wide for group roles, otherwise in one brand, maybe region-limited."""
    if role not in Role.values:
        raise ValidationFailed(f"unknown role {role!r}", field="role")
    if role in GROUP_ROLES:
        if not actor.is_group_admin:
            raise Forbidden("only group admins grant group roles")
        brand_id = None
    else:
        if brand_id is None:
            raise ValidationFailed("a brand role needs a brand", field="brand_id")
        require_role(actor, brand_id, *STAFF_WRITERS)
    membership, created = Membership.objects.get_or_create(user=user, brand_id=brand_id, role=role)
    before = None if created else {"user": user.pk, "role": role, "divisions": _division_codes(membership)}
    if division_codes is not None:
        divisions = list(Division.objects.filter(code__in=division_codes))
        if len(divisions) != len(set(division_codes)):
            raise ValidationFailed("unknown division code in region limit", field="divisions")
        membership.divisions.set(divisions)
    audit.record(
        actor=actor,
        action=AuditEntry.Action.CREATE if created else AuditEntry.Action.UPDATE,
        obj=membership,
        brand_id=brand_id,
        before=before,
        after={"user": user.pk, "role": role, "divisions": _division_codes(membership)},
    )
    return membership


def _failures_key(username: str, client_ip: str) -> str:
    who = f"{username.strip().lower()}|{client_ip}"
    return "login-failures:" + hashlib.sha256(who.encode()).hexdigest()


def check_password_attempt(*, username: str, password: str, client_ip: str = "", request=None) -> User:
    """The user for these credentials, refusing guesses after too many failures.

    Ten failed attempts for a username from one address lock that pair for fifteen minutes, so
    guessing stays slow while a stranger elsewhere cannot lock the real user out. A success
    clears the count.
    """
    key = _failures_key(username, client_ip)
    if (cache.get(key) or 0) >= MAX_LOGIN_FAILURES:
        raise TooManyAttempts("too many failed sign-ins for this user; try again in 15 minutes", field="username")
    user = authenticate(request, username=username, password=password)
    if user is None:
        cache.add(key, 0, LOGIN_LOCK_SECONDS)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, LOGIN_LOCK_SECONDS)
        raise ValidationFailed("wrong username or password", code="invalid_credentials", field="password")
    cache.delete(key)
    return user


@transaction.atomic
def issue_api_token(*, username: str, password: str, name: str = "", client_ip: str = "") -> tuple[ApiToken, str]:
    """Exchange a username and password for a bearer token; returns the row and the raw token."""
    user = check_password_attempt(username=username, password=password, client_ip=client_ip)
    raw, prefix = _new_secret(TOKEN_PREFIX)
    token = ApiToken.objects.create(user=user, name=name[:100], prefix=prefix, key_hash=hash_secret(raw))
    audit.record(actor=Actor(user=user, grants=()), action=AuditEntry.Action.LOGIN, obj=token, after={"token": prefix})
    return token, raw


@transaction.atomic
def revoke_api_token(*, actor: Actor, token_id: int) -> ApiToken:
    """Revoke one of the actor's own tokens."""
    token = ApiToken.objects.filter(id=token_id, user=actor.user).first()
    if token is None:
        raise NotFound("token not found")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(actor=actor, action=AuditEntry.Action.REVOKE, obj=token, after={"token": token.prefix})
    return token


def user_for_token(raw: str) -> User | None:
    if not raw.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_secret(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 300:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


@transaction.atomic
def create_api_key(*, actor: Actor, brand_id: int, name: str, scopes: list[str]) -> tuple[ApiKey, str]:
    """An integration key for one brand (brand admins only); the raw key is shown once."""
    require_role(actor, brand_id, Role.BRAND_ADMIN, Role.GROUP_ADMIN)
    bad = sorted(set(scopes) - set(ApiKey.Scope.values))
    if bad or not scopes:
        raise ValidationFailed(f"scopes must be among {', '.join(ApiKey.Scope.values)}", field="scopes")
    if not name.strip():
        raise ValidationFailed("name is required", field="name")
    raw, prefix = _new_secret(API_KEY_PREFIX)
    key = ApiKey.objects.create(
        brand_id=brand_id,
        name=name.strip(),
        scopes=sorted(set(scopes)),
        prefix=prefix,
        key_hash=hash_secret(raw),
        created_by=actor.user,
    )
    audit.record(
        actor=actor,
        action=AuditEntry.Action.CREATE,
        obj=key,
        brand_id=brand_id,
        after={"name": key.name, "scopes": key.scopes, "prefix": prefix},
    )
    return key, raw


@transaction.atomic
def revoke_api_key(*, actor: Actor, key: ApiKey) -> ApiKey:
    require_role(actor, key.brand_id, Role.BRAND_ADMIN, Role.GROUP_ADMIN)
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        audit.record(
            actor=actor, action=AuditEntry.Action.REVOKE, obj=key, brand_id=key.brand_id, after={"prefix": key.prefix}
        )
    return key


def api_key_for(raw: str) -> ApiKey | None:
    """The live key of an active brand that ``raw`` is. Integrations call on every request, so
    this is one plain statement (the ORM's query building cost more than the read)."""
    if not raw.startswith(API_KEY_PREFIX):
        return None
    found = sql.fetch(
        ApiKey,
        ["id", "brand_id", "name", "scopes", "prefix", "created_by_id", "last_used_at"],
        "SELECT k.id, k.brand_id, k.name, k.scopes, k.prefix, k.created_by_id, k.last_used_at"
        " FROM tenancy_apikey k JOIN tenancy_brand b ON b.id = k.brand_id"
        " WHERE k.key_hash = %s AND k.revoked_at IS NULL AND b.is_active",
        [hash_secret(raw)],
    )
    key = found[0] if found else None
    if key is not None:
        now = timezone.now()
        if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 300:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key
