"""A deterministic demo group: brands, sales regions, users, distributors and catalogues.

Everything comes from seeded random generators, so two runs build the same data. Small parts
(users, sales regions) go through the services like any other write; distributors and the
catalogues (:mod:`channelhub.demo.catalog`) are inserted in bulk so that ``--scale 20000``
finishes in seconds.
"""

import random
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from stdnum.cn import uscc

from channelhub.core.models import AuditEntry
from channelhub.demo.catalog import build_catalogues
from channelhub.demo.orders import build_orders
from channelhub.partners.models import (
    DistributorAccount,
    DistributorContact,
    DistributorParty,
    DistributorUser,
    TerritoryEntry,
)
from channelhub.regions import services as region_services
from channelhub.regions.models import Division, SalesRegion
from channelhub.tenancy import services as tenancy_services
from channelhub.tenancy.actor import Actor
from channelhub.tenancy.models import Brand, CorporateGroup, Role, User
from channelhub.tenancy.rls import set_brand_scope
from channelhub.workflow import services as workflow_services

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 (published demo credential)

BRANDS = [
    ("qingquan", "清泉饮品", "Qingquan Beverages", "饮料 Beverages"),
    ("jiale", "佳乐家电", "Jiale Home Appliances", "家电 Home appliances"),
    ("lvye", "绿野农资", "Lvye Agri-Inputs", "农资 Agricultural inputs"),
]

SALES_REGIONS = [
    ("east", "华东大区", ["310000", "320000", "330000", "340000", "370000"]),
    ("north", "华北大区", ["110000", "120000", "130000", "140000", "150000"]),
    ("south", "华南大区", ["440000", "450000", "460000", "350000"]),
    ("central", "华中大区", ["410000", "420000", "430000", "360000"]),
    ("southwest", "西南大区", ["500000", "510000", "520000", "530000", "540000"]),
    ("northwest", "西北大区", ["610000", "620000", "630000", "640000", "650000"]),
    ("northeast", "东北大区", ["210000", "220000", "230000"]),
]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉梅鹏飞"
TRADE_WORDS = [
    "鑫",
    "盛",
    "恒",
    "通",
    "达",
    "隆",
    "泰",
    "丰",
    "源",
    "祥",
    "瑞",
    "兴",
    "诚",
    "信",
    "和",
    "顺",
    "宏",
    "利",
]
TRADE_KINDS = {"qingquan": "食品饮料", "jiale": "电器", "lvye": "农资"}
CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@dataclass
class DemoSummary:
    brands: int
    distributors: int
    users: list[tuple[str, str]]


def credit_code(rng: random.Random, division_code: str) -> str:
    """A well-formed unified social credit code (企业法人, 工商登记) with a valid check digit."""
    body = "91" + division_code + "".join(rng.choice(CODE_CHARS) for _ in range(9))
    return body + uscc.calc_check_digit(body)


def person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def phone(rng: random.Random) -> str:
    return "1" + rng.choice("3589") + "".join(rng.choice("0123456789") for _ in range(9))


def _user(username: str, display: str) -> User:
    user = User(username=username, display_name=display)
    user.set_password(DEMO_PASSWORD)
    user.save()
    return user


def build_demo(*, scale: int = 160, seed: int = 2026) -> DemoSummary:
    """Build the demo group; ``scale`` distributors in the first brand, half as many in the others."""
    rng = random.Random(seed)
    with transaction.atomic():
        group = CorporateGroup.objects.create(name="演示集团")
        for code, name, name_en, line in BRANDS:
            Brand.objects.create(group=group, code=code, name=name, name_en=name_en, line_of_business=line)
        system = Actor.system("demo")
        set_brand_scope(system.brand_ids)
        brands = list(Brand.objects.order_by("id"))
        for brand in brands:
            for code, name, provinces in SALES_REGIONS:
                region_services.create_sales_region(
                    actor=system, brand_id=brand.id, code=code, name=name, divisions=provinces
                )
        users = _demo_users(system, brands)
        counts = [scale, max(scale // 2, 1), max(scale // 2, 1)]
        shared_parties: list[DistributorParty] = []
        total = 0
        for brand, count in zip(brands, counts, strict=True):
            shared_parties = _distributors(rng, brand, count, shared_parties)
            total += count
        first = (
            DistributorAccount.objects.filter(brand=brands[0], registered_division__province_id="320000")
            .order_by("id")
            .first()
        )
        DistributorUser.objects.create(brand=brands[0], account=first, user=users["distributor_a1"])
        tenancy_services.grant_membership(
            actor=system, user=users["distributor_a1"], brand_id=brands[0].id, role=Role.DISTRIBUTOR_USER
        )
        build_catalogues(brands=brands, scale=scale, seed=seed, agreement_account=first)
        _approvals(system, brands)
        build_orders(brands=brands, seed=seed, home_account=first, home_user=users["distributor_a1"])
        AuditEntry.objects.create(
            actor_label="demo",
            action=AuditEntry.Action.CREATE,
            object_type="demo.dataset",
            object_id=str(seed),
            object_repr=f"demo data, {total} distributors",
            changes={},
        )
    logins = [(u, DEMO_PASSWORD) for u in users]
    return DemoSummary(brands=len(brands), distributors=total, users=logins)


def _approvals(system: Actor, brands: list[Brand]) -> None:
    """Default processes in every brand, and onboarding requests of the first brand's 江苏 prospects."""
    for brand in brands:
        workflow_services.install_default_processes(actor=system, brand_id=brand.id)
    jiangsu = DistributorAccount.objects.filter(brand=brands[0], registered_division__province_id="320000")
    applicants = list(jiangsu.select_related("party").order_by("id")[1:6])  # the first is distributor_a1's
    DistributorAccount.objects.filter(pk__in=[a.pk for a in applicants]).update(
        status=DistributorAccount.Status.PROSPECT
    )
    for account in applicants:
        workflow_services.start_process(
            actor=system,
            brand_id=brands[0].id,
            key="distributor_onboarding",
            subject_type="partners.distributoraccount",
            subject_id=account.id,
            subject_label=account.name,
            subject_divisions=[account.registered_division_id],
            data={"registered_capital": account.party.registered_capital or 0},
        )


def _demo_users(system: Actor, brands: list[Brand]) -> dict[str, User]:
    a, b, c = brands
    jiangsu = ["320000"]
    plan = [
        ("group_admin", "集团管理员", None, Role.GROUP_ADMIN, None),
        ("group_analyst", "集团分析师", None, Role.GROUP_ANALYST, None),
        ("brand_a_admin", f"{a.name}管理员", a, Role.BRAND_ADMIN, None),
        ("brand_b_admin", f"{b.name}管理员", b, Role.BRAND_ADMIN, None),
        ("brand_c_admin", f"{c.name}管理员", c, Role.BRAND_ADMIN, None),
        ("region_js_manager", "江苏区域经理", a, Role.REGION_MANAGER, jiangsu),
        ("reviewer_a", f"{a.name}审核员", a, Role.REVIEWER, None),
        ("finance_a", f"{a.name}财务", a, Role.FINANCE, None),
        ("distributor_a1", "经销商用户", None, None, None),
    ]
    users = {}
    for username, display, brand, role, divisions in plan:
        users[username] = _user(username, display)
        if role is not None:
            tenancy_services.grant_membership(
                actor=system,
                user=users[username],
                brand_id=brand.id if brand else None,
                role=role,
                division_codes=divisions,
            )
    return users


def _distributors(
    rng: random.Random, brand: Brand, count: int, shared: list[DistributorParty]
) -> list[DistributorParty]:
    """Insert ``count`` accounts; about one in eight reuses a party another brand already serves."""
    counties = list(
        Division.objects.filter(level=3)
        .exclude(province_id__in=["710000", "810000", "820000"])
        .values_list("code", "province_id", "prefecture_id")
    )
    counties.sort()
    regions = {r.code: r for r in SalesRegion.objects.filter(brand=brand)}
    region_of_province = {p: regions[code] for code, _, provinces in SALES_REGIONS for p in provinces}
    jiangsu = [c for c in counties if c[1] == "320000"]
    used_codes = set(DistributorParty.objects.values_list("credit_code", flat=True))
    parties, accounts, reused = [], [], []
    for n in range(1, count + 1):
        # The first accounts of every brand sit in 江苏, where the demo region manager works.
        county, province, prefecture = rng.choice(jiangsu if n <= 3 else counties)
        if shared and rng.random() < 0.125:
            party = shared.pop(rng.randrange(len(shared)))
            reused.append(party)
        else:
            code = credit_code(rng, county)
            while code in used_codes:
                code = credit_code(rng, county)
            used_codes.add(code)
            trade = "".join(rng.sample(TRADE_WORDS, 2))
            party = DistributorParty(
                credit_code=code,
                name=f"{division_name(county)}{trade}{TRADE_KINDS[brand.code]}有限公司",
                legal_representative=person(rng),
                registered_capital=Decimal(rng.choice([50, 100, 200, 300, 500, 1000, 2000, 5000])) * 10000,
            )
            parties.append(party)
        status = rng.choices(["active", "prospect", "suspended", "exited"], weights=[80, 10, 6, 4])[0]
        grade = rng.choices("ABCD", weights=[10, 30, 45, 15])[0]
        accounts.append(
            (
                party,
                DistributorAccount(
                    brand=brand,
                    code=f"{brand.code.upper()[:2]}{n:06d}",
                    name=party.name,
                    grade=grade,
                    status=status,
                    registered_division_id=county,
                    address=f"{division_name(county)}商贸路{rng.randint(1, 999)}号",
                ),
                (county, province, prefecture),
            )
        )
    DistributorParty.objects.bulk_create(parties, batch_size=1000)
    for party, account, _ in accounts:
        account.party = party
    DistributorAccount.objects.bulk_create([a for _, a, _ in accounts], batch_size=1000)
    territory, contacts = [], []
    for _, account, (county, province, prefecture) in accounts:
        shape = rng.random()
        if shape < 0.05:
            territory.append(TerritoryEntry(brand=brand, account=account, sales_region=region_of_province[province]))
        elif shape < 0.25:
            territory.append(TerritoryEntry(brand=brand, account=account, division_id=province))
        else:
            territory.append(TerritoryEntry(brand=brand, account=account, division_id=prefecture or county))
        for i in range(rng.choice((1, 1, 2))):
            contacts.append(
                DistributorContact(
                    brand=brand,
                    account=account,
                    name=person(rng),
                    title="总经理" if i == 0 else "采购",
                    phone=phone(rng),
                    is_primary=i == 0,
                )
            )
    party_ids = [party.pk for party, _, _ in accounts]
    DistributorParty.objects.filter(pk__in=party_ids).update(account_count=F("account_count") + 1)
    TerritoryEntry.objects.bulk_create(territory, batch_size=2000)
    DistributorContact.objects.bulk_create(contacts, batch_size=2000)
    return [p for p in parties if p.pk] + reused


_names: dict[str, str] = {}


def division_name(code: str) -> str:
    if not _names:
        _names.update(Division.objects.values_list("code", "name"))
    return _names[code]
