"""The world the sell-through and stock report tests start from (import it; not a conftest).

品牌 with two SKUs (W1 矿泉水, W2 苏打水); the distributor 南京一号 registered in 玄武区 (320102) whose
territory is 南京 (320100); region managers of 江苏 (320000), 浙江 (330000) and the whole brand; a
reviewer; a second distributor 苏州二号 (320500) with its own user.
"""

from io import BytesIO
from types import SimpleNamespace

from openpyxl import Workbook, load_workbook

from channelhub.catalog.tests.conftest import Shop
from channelhub.core.models import AuditEntry
from channelhub.messaging.models import Notification
from channelhub.orders.models import CrossTerritoryAlert, SellThrough, StockReport
from channelhub.partners.models import TerritoryEntry
from channelhub.regions.models import SalesRegion, SalesRegionDivision
from channelhub.testing import AccountFactory, actor_of, distributor_user, see_all_brands, user_with_role

INSIDE = "320102"  # 南京 玄武区: in the territory
KUNSHAN = "320583"  # 苏州 昆山市: 江苏, outside 南京
HANGZHOU = "330102"  # 杭州 上城区: 浙江
SHENZHEN = "440305"  # 深圳 南山区: 广东


def build_world() -> SimpleNamespace:
    shop = Shop()
    w1 = shop.product("W1", name="矿泉水 550ml")
    w2 = shop.product("W2", name="苏打水")
    brand = shop.brand
    account = AccountFactory(brand=brand, code="NJ001", name="南京一号商贸", territory=["320100"])
    other = AccountFactory(brand=brand, code="SZ002", name="苏州二号商贸", registered_division_id=KUNSHAN)
    world = SimpleNamespace(
        shop=shop,
        brand=brand,
        w1=w1,
        w2=w2,
        account=account,
        other=other,
        admin=shop.actor.user,
        dealer=distributor_user(account),
        other_dealer=distributor_user(other),
        rm_jiangsu=user_with_role("region_manager", brand, divisions=["320000"]),
        rm_zhejiang=user_with_role("region_manager", brand, divisions=["330000"]),
        rm_all=user_with_role("region_manager", brand),
        reviewer=user_with_role("reviewer", brand),
    )
    see_all_brands()
    return world


def actor(user):
    return actor_of(user)


def sale(period="2026-03", sku="W1", qty=10, amount="100.00", customer="玄武便利店", county=INSIDE) -> dict:
    return {
        "period": period,
        "sku": sku,
        "qty": qty,
        "amount": amount,
        "customer_name": customer,
        "customer_county": county,
    }


def add_sales_region_territory(account, code: str, divisions: list[str]) -> SalesRegion:
    """Give the account a sales region (大区) of these divisions as (more) territory."""
    see_all_brands()
    region = SalesRegion.objects.create(brand_id=account.brand_id, code=code, name=code)
    for division in divisions:
        SalesRegionDivision.objects.create(brand_id=account.brand_id, sales_region=region, division_id=division)
    TerritoryEntry.objects.create(brand_id=account.brand_id, account=account, sales_region=region)
    return region


def counts() -> dict[str, int]:
    """How many report rows, alerts, notifications and audit rows exist (to show nothing changed)."""
    see_all_brands()
    return {
        "sell_through": SellThrough.objects.count(),
        "stock": StockReport.objects.count(),
        "alerts": CrossTerritoryAlert.objects.count(),
        "notifications": Notification.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


def xlsx(rows: list[list]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def sheet_rows(content: bytes) -> list[tuple]:
    workbook = load_workbook(BytesIO(content), read_only=True)
    return [tuple(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
