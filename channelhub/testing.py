"""Test helpers shared by every module's tests: factories and brand-scope helpers."""

import factory
from django.db import connections
from django.db.models import F

from channelhub.partners.models import DistributorAccount, DistributorParty, DistributorUser, TerritoryEntry
from channelhub.regions.models import Division
from channelhub.tenancy.actor import Actor
from channelhub.tenancy.models import Brand, CorporateGroup, Membership, User
from channelhub.tenancy.rls import set_brand_scope

PASSWORD = "test-pass-2026"  # noqa: S105


def see_all_brands(using: str = "default") -> None:
    """Open every brand to the current transaction (tests arranging or checking data directly)."""
    if connections[using].vendor == "postgresql":
        set_brand_scope(Brand.objects.using(using).values_list("id", flat=True), using=using)


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CorporateGroup
        django_get_or_create = ("name",)

    name = "测试集团"


class BrandFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Brand

    group = factory.SubFactory(GroupFactory)
    code = factory.Sequence(lambda n: f"brand{n}")
    name = factory.Sequence(lambda n: f"品牌{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def member(user: User, role: str, brand: Brand | None = None, divisions: list[str] | None = None) -> Membership:
    membership = Membership.objects.create(user=user, role=role, brand=brand)
    if divisions:
        membership.divisions.set(Division.objects.filter(code__in=divisions))
    return membership


def user_with_role(role: str, brand: Brand | None = None, divisions: list[str] | None = None, **kw) -> User:
    user = UserFactory(**kw)
    member(user, role, brand, divisions)
    return user


def actor_of(user: User) -> Actor:
    return Actor.for_user(user)


_credit_serial = iter(range(10**8))


def credit_code(division: str = "320102") -> str:
    from stdnum.cn import uscc

    body = "91" + division + f"{next(_credit_serial):09d}"
    return body + uscc.calc_check_digit(body)


class PartyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DistributorParty

    credit_code = factory.LazyFunction(credit_code)
    name = factory.Sequence(lambda n: f"测试经销商{n}有限公司")


class BrandOwnedFactory(factory.django.DjangoModelFactory):
    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        see_all_brands()
        return super()._create(model_class, *args, **kwargs)


class AccountFactory(BrandOwnedFactory):
    """An account whose territory is its registered division unless ``territory`` says otherwise."""

    class Meta:
        model = DistributorAccount
        skip_postgeneration_save = True

    brand = factory.SubFactory(BrandFactory)
    party = factory.SubFactory(PartyFactory)
    code = factory.Sequence(lambda n: f"D{n:05d}")
    name = factory.LazyAttribute(lambda o: o.party.name)
    registered_division_id = "320102"
    status = DistributorAccount.Status.ACTIVE

    @factory.post_generation
    def territory(obj, create, extracted, **kwargs):
        if not create:
            return
        see_all_brands()
        DistributorParty.objects.filter(pk=obj.party_id).update(account_count=F("account_count") + 1)
        for code in extracted or [obj.registered_division_id]:
            TerritoryEntry.objects.create(brand_id=obj.brand_id, account=obj, division_id=code)


def distributor_user(account: DistributorAccount) -> User:
    user = user_with_role("distributor_user", account.brand)
    see_all_brands()
    DistributorUser.objects.create(brand_id=account.brand_id, account=account, user=user)
    return user


def wait_until_serving(port: int, process, *, seconds: float = 60) -> bool:
    """Poll ``GET /readyz`` on 127.0.0.1:``port`` until it answers 200 (True), the server process
    exits or ``seconds`` pass (False). For tests and benchmarks that start a real server."""
    import http.client
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/readyz")
            if connection.getresponse().status == 200:
                return True
        except OSError:
            time.sleep(0.2)
    return False
