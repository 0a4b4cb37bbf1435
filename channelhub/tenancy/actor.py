"""Who is acting, and in which brands and regions they may act.

An :class:`Actor` is built once per request from the user's memberships (or from an integration
key) and passed to every selector and service. It is immutable: a brand switch makes a new one.
"""

from dataclasses import dataclass, field, replace

from channelhub.tenancy.models import GROUP_ROLES, ApiKey, Brand, Membership, Role, User

SYSTEM_ROLE = "system"
INTEGRATION_ROLE = "integration"


@dataclass(frozen=True)
class Grant:
    """One role in one brand, optionally limited to divisions (codes) of the country."""

    brand_id: int
    role: str
    division_codes: frozenset[str] | None = None


@dataclass(frozen=True)
class Actor:
    user: User | None
    grants: tuple[Grant, ...]
    api_key: ApiKey | None = None
    active_brand_id: int | None = None
    label: str = ""
    group_roles: frozenset[str] = frozenset()
    _brand_ids: frozenset[int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ids = frozenset(g.brand_id for g in self.grants)
        if self.active_brand_id is not None:
            ids = ids & {self.active_brand_id}
        object.__setattr__(self, "_brand_ids", ids)

    def __str__(self) -> str:
        if self.label:
            return self.label
        if self.user is not None:
            return self.user.username
        if self.api_key is not None:
            return f"api-key:{self.api_key.prefix}"
        return "system"

    @property
    def brand_ids(self) -> frozenset[int]:
        """Brands this actor may currently see (narrowed by the active brand, if one is set)."""
        return self._brand_ids

    @property
    def allowed_brand_ids(self) -> frozenset[int]:
        """Brands this actor may switch to."""
        return frozenset(g.brand_id for g in self.grants)

    @property
    def is_group_admin(self) -> bool:
        return bool(self.group_roles & {Role.GROUP_ADMIN, SYSTEM_ROLE})

    @property
    def is_group_user(self) -> bool:
        return bool(self.group_roles)

    def roles(self, brand_id: int) -> frozenset[str]:
        if brand_id not in self._brand_ids:
            return frozenset()
        return frozenset(g.role for g in self.grants if g.brand_id == brand_id)

    def has_role(self, brand_id: int, *roles: str) -> bool:
        mine = self.roles(brand_id)
        return SYSTEM_ROLE in mine or bool(mine & set(roles))

    def division_limit(self, brand_id: int) -> frozenset[str] | None:
        """Division codes limiting what this actor sees in a brand; ``None`` means the whole brand."""
        limits: set[str] = set()
        for grant in self.grants:
            if grant.brand_id != brand_id or grant.role == Role.DISTRIBUTOR_USER:
                continue
            if grant.division_codes is None:
                return None
            limits |= grant.division_codes
        return frozenset(limits)

    def sees_whole_brand(self, brand_id: int) -> bool:
        """True when nothing narrows what the actor sees of a brand's distributors (no region limit,
        not a distributor's own user)."""
        return (
            brand_id in self._brand_ids
            and not self.is_distributor_only(brand_id)
            and self.division_limit(brand_id) is None
        )

    def is_distributor_only(self, brand_id: int) -> bool:
        """True when the actor's only role in the brand is a distributor's own user."""
        return self.roles(brand_id) == {Role.DISTRIBUTOR_USER}

    def with_active_brand(self, brand_id: int | None) -> "Actor":
        if brand_id is not None and brand_id not in self.allowed_brand_ids:
            brand_id = None
        return replace(self, active_brand_id=brand_id)

    @classmethod
    def for_user(cls, user: User, *, active_brand_id: int | None = None) -> "Actor":
        """Build the actor of a signed-in user from their memberships (two queries)."""
        if not user.is_active:
            return cls(user=user, grants=())
        memberships = list(
            Membership.objects.filter(user=user)
            .exclude(brand__is_active=False)
            .prefetch_related("divisions")
            .order_by("id")
        )
        grants: list[Grant] = []
        group_roles = [m.role for m in memberships if m.role in GROUP_ROLES]
        if group_roles:
            brand_ids = list(Brand.objects.filter(is_active=True).values_list("id", flat=True))
            grants += [Grant(b, role) for role in group_roles for b in brand_ids]
        for m in memberships:
            if m.brand_id is None or m.role in GROUP_ROLES:
                continue
            codes = frozenset(d.code for d in m.divisions.all()) or None
            grants.append(Grant(m.brand_id, m.role, codes))
        return cls(user=user, grants=tuple(grants), group_roles=frozenset(group_roles)).with_active_brand(
            active_brand_id
        )

    @classmethod
    def for_api_key(cls, key: ApiKey) -> "Actor":
        return cls(user=None, api_key=key, grants=(Grant(key.brand_id, INTEGRATION_ROLE),))

    @classmethod
    def system(cls, label: str = "system") -> "Actor":
        """Acts for the platform itself (demo loader, scheduler), in every brand."""
        ids = Brand.objects.values_list("id", flat=True)
        grants = tuple(Grant(b, SYSTEM_ROLE) for b in ids)
        return cls(user=None, grants=grants, label=label, group_roles=frozenset({SYSTEM_ROLE}))
