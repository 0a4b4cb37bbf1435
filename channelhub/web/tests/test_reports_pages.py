"""The distributor report pages: the phone form adding one row, the Excel upload, the region
manager's 窜货 list with confirm / dismiss, and the turnover table; scoping and refusals."""

from datetime import date
from io import BytesIO

import pytest

from channelhub.orders import reports
from channelhub.orders.models import CrossTerritoryAlert, SellThrough, StockReport
from channelhub.orders.tests.reports_fixtures import KUNSHAN, actor, build_world, counts, sale, xlsx
from channelhub.testing import see_all_brands

pytestmark = pytest.mark.django_db

ROW = {
    "action": "row",
    "period": "2026-03",
    "sku": "W1",
    "qty": "6",
    "amount": "",
    "customer_name": "玄武便利店",
    "customer_county": "320102",
}


@pytest.fixture
def world():
    return build_world()


def upload(content: bytes, name="report.xlsx") -> BytesIO:
    file = BytesIO(content)
    file.name = name
    return file


class TestPagesRender:
    @pytest.mark.parametrize("url", ["/reports/sell-through/", "/reports/stock/", "/reports/turnover/"])
    def test_a_distributor_opens_its_pages(self, world, browser_of, url):
        response = browser_of(world.dealer).get(url)
        assert response.status_code == 200

    @pytest.mark.parametrize("url", ["/reports/sell-through/", "/reports/stock/"])
    def test_the_distributors_own_account_is_chosen(self, world, browser_of, url):
        assert browser_of(world.dealer).get(url).context["account"] == world.account

    def test_the_phone_form_is_offered_to_the_distributor(self, world, browser_of):
        response = browser_of(world.dealer).get("/reports/sell-through/")
        assert response.context["can_report"] is True
        assert 'name="customer_county"' in response.content.decode()
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in response.content.decode()

    def test_alerts_are_for_staff_only(self, world, browser_of):
        assert browser_of(world.dealer).get("/reports/alerts/").status_code == 403
        assert browser_of(world.rm_jiangsu).get("/reports/alerts/").status_code == 200

    def test_staff_choose_a_distributor_by_code(self, world, browser_of):
        response = browser_of(world.admin).get("/reports/sell-through/", {"code": "nj001"})
        assert response.context["account"] == world.account

    def test_templates_download(self, world, browser_of):
        client = browser_of(world.dealer)
        for url in ("/reports/sell-through/template.xlsx", "/reports/stock/template.xlsx"):
            response = client.get(url)
            assert response.status_code == 200 and response.content[:2] == b"PK"


class TestSellThroughPage:
    def test_a_row_is_saved_from_the_phone_form(self, world, browser_of):
        # when
        response = browser_of(world.dealer).post(f"/reports/sell-through/?account={world.account.id}", ROW)
        # then
        assert response.status_code == 302
        assert response["Location"] == f"/reports/sell-through/?account={world.account.id}"
        see_all_brands()
        row = SellThrough.objects.get()
        assert (row.qty, row.amount, row.source, row.customer_division_id) == (6, None, "phone", "320102")

    def test_a_refused_row_comes_back_on_the_form_and_nothing_is_written(self, world, browser_of):
        client = browser_of(world.dealer)
        before = counts()
        response = client.post(
            f"/reports/sell-through/?account={world.account.id}", {**ROW, "sku": "NOPE", "customer_county": "320100"}
        )
        assert response.status_code == 422
        form = response.context["row_form"]
        assert set(form.errors) == {"sku", "customer_county"}
        assert counts() == before

    def test_another_distributors_account_is_not_found(self, world, browser_of):
        client = browser_of(world.other_dealer)
        before = counts()
        assert client.post(f"/reports/sell-through/?account={world.account.id}", ROW).status_code == 404
        assert client.get(f"/reports/sell-through/?account={world.account.id}").status_code == 404
        assert counts() == before

    def test_an_upload_is_saved_or_listed_cell_by_cell(self, world, browser_of):
        client = browser_of(world.dealer)
        url = f"/reports/sell-through/?account={world.account.id}"
        header = ["期间", "SKU", "数量", "金额", "客户名称", "客户区县代码"]
        good = xlsx([header, ["2026-03", "W1", 2, 10, "甲", "320102"], ["2026-03", "W2", 1, None, "乙", KUNSHAN]])
        response = client.post(url, {"action": "upload", "file": upload(good)})
        assert response.status_code == 302
        see_all_brands()
        assert SellThrough.objects.count() == 2 and CrossTerritoryAlert.objects.count() == 1
        before = counts()
        bad = xlsx([header, ["2026-03", "W1", 0, None, "甲", "320102"]])
        refused = client.post(url, {"action": "upload", "file": upload(bad)})
        assert refused.status_code == 422
        assert [(e["row"], e["column"]) for e in refused.context["errors"]] == [(2, "数量")]
        assert counts() == before


class TestStockPage:
    def test_a_row_and_an_upload(self, world, browser_of):
        client = browser_of(world.dealer)
        url = f"/reports/stock/?account={world.account.id}"
        saved = client.post(url, {"action": "row", "as_of": "2026-03-31", "sku": "W1", "qty": "9"})
        uploaded = client.post(
            url,
            {"action": "upload", "as_of": "2026-03-31", "file": upload(xlsx([["SKU", "数量"], ["W1", 4], ["W2", 1]]))},
        )
        assert (saved.status_code, uploaded.status_code) == (302, 302)
        see_all_brands()
        assert list(StockReport.objects.order_by("product__sku").values_list("product__sku", "qty")) == [
            ("W1", 4),
            ("W2", 1),
        ]
        listed = client.get("/reports/stock/")
        assert listed.context["page"].paginator.count == 2


class TestAlertsPage:
    @pytest.fixture
    def alert(self, world):
        return reports.report_sell_through(
            actor=actor(world.dealer), account_id=world.account.id, rows=[sale(county=KUNSHAN)], source="phone"
        ).alerts[0]

    def test_the_region_manager_sees_and_confirms(self, world, browser_of, alert):
        client = browser_of(world.rm_jiangsu)
        listed = client.get("/reports/alerts/")
        assert [a.id for a in listed.context["page"]] == [alert.pk]
        assert client.get(f"/reports/alerts/{alert.pk}/").context["can_handle"] is True
        response = client.post(f"/reports/alerts/{alert.pk}/confirm/", {"note": "已核实"})
        assert response.status_code == 302
        see_all_brands()
        alert.refresh_from_db()
        assert (alert.status, alert.note) == ("confirmed", "已核实")

    def test_a_dismissal_without_a_note_is_refused(self, world, browser_of, alert):
        client = browser_of(world.rm_all)
        before = counts()
        response = client.post(f"/reports/alerts/{alert.pk}/dismiss/", {"note": ""})
        assert response.status_code == 422 and "note" in response.context["form"].errors
        see_all_brands()
        alert.refresh_from_db()
        assert alert.status == "open" and counts() == before

    def test_a_manager_elsewhere_does_not_find_it(self, world, browser_of, alert):
        client = browser_of(world.rm_zhejiang)
        assert client.get(f"/reports/alerts/{alert.pk}/").status_code == 404
        assert client.post(f"/reports/alerts/{alert.pk}/confirm/", {"note": ""}).status_code == 404


class TestTurnoverPage:
    def test_numbers_per_account_and_per_sku(self, world, browser_of):
        dealer = actor(world.dealer)
        reports.report_sell_through(
            actor=dealer, account_id=world.account.id, rows=[sale(period="2026-01", qty=30)], source="phone"
        )
        reports.report_stock(
            actor=dealer, account_id=world.account.id, as_of=date(2026, 1, 31), rows=[("W1", 20)], source="phone"
        )
        client = browser_of(world.admin)
        page = client.get("/reports/turnover/", {"start": "2026-01", "end": "2026-01"})
        rows = {r.account.code: (r.units_sold, str(r.turnover), str(r.days_of_inventory)) for r in page.context["rows"]}
        assert rows["NJ001"] == (30, "1.50", "20.67")
        skus = client.get(f"/reports/turnover/{world.account.id}/", {"start": "2026-01", "end": "2026-01"})
        assert [(i.sku, i.units_sold) for i in skus.context["items"]] == [("W1", 30)]
        assert browser_of(world.other_dealer).get(f"/reports/turnover/{world.account.id}/").status_code == 404

    def test_a_bad_period_is_explained(self, world, browser_of):
        response = browser_of(world.admin).get("/reports/turnover/", {"start": "2026-05", "end": "2026-01"})
        assert response.status_code == 422 and response.context["problem"]
