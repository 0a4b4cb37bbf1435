"""The /api/v1 endpoints of sell-through, stock reports, cross-territory alerts and turnover:
shapes, row-level refusals, scoping (another account is 404) and paging."""

from datetime import date
from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from channelhub.orders import report_excel, reports
from channelhub.orders.tests.reports_fixtures import KUNSHAN, actor, build_world, counts, sale, sheet_rows, xlsx
from channelhub.testing import AccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world()


def body(world, *rows):
    return {"account_id": world.account.id, "rows": list(rows)}


class TestSellThrough:
    def test_report_and_list(self, world, api):
        # given
        client = api(world.dealer)
        # when
        created = client.post("/sell-through", body(world, sale(), sale(sku="W2", qty=2, county=KUNSHAN)))
        listed = client.get("/sell-through", account_id=world.account.id, period="2026-03")
        # then
        assert created.status_code == 201, created.content
        data = created.json()
        assert (data["rows"], data["units"], data["alerts"], len(data["ids"])) == (2, 12, 1, 2)
        assert listed.status_code == 200
        page = listed.json()
        assert page["count"] == 2
        item = page["items"][1]
        assert {k: item[k] for k in ("account_code", "period", "sku", "qty", "amount", "customer_county")} == {
            "account_code": "NJ001",
            "period": "2026-03",
            "sku": "W1",
            "qty": 10,
            "amount": "100.00",
            "customer_county": "320102",
        }
        assert item["customer_county_name"] == "江苏省 南京市 玄武区" and item["source"] == "api"
        assert page["items"][0]["alert_id"] is not None and item["alert_id"] is None

    def test_bad_rows_answer_422_naming_each_row(self, world, api):
        client = api(world.dealer)
        before = counts()
        response = client.post("/sell-through", body(world, sale(), sale(qty=0, county="110000")))
        assert response.status_code == 422
        assert response.json() == {
            "code": "rows_invalid",
            "message": "1 row(s) have errors; nothing was saved (row 2 qty: must be a whole number from 1 to 10000000)",
            "field": "rows",
            "rows": [
                {"row": 2, "field": "qty", "message": "must be a whole number from 1 to 10000000"},
                {"row": 2, "field": "customer_county", "message": "110000 北京市 is not a county-level division"},
            ],
        }
        assert counts() == before

    def test_another_accounts_report_is_not_found(self, world, api):
        client = api(world.other_dealer)
        before = counts()
        response = client.post("/sell-through", body(world, sale()))
        assert response.status_code == 404 and response.json()["code"] == "not_found"
        assert counts() == before

    def test_unknown_fields_are_refused(self, world, api):
        response = api(world.dealer).post("/sell-through", body(world, {**sale(), "colour": "red"}))
        assert response.status_code == 422 and response.json()["field"] == "rows.0.colour"

    def test_a_distributor_lists_its_own_rows_only(self, world, api):
        reports.report_sell_through(
            actor=actor(world.other_dealer), account_id=world.other.id, rows=[sale(county=KUNSHAN)], source="api"
        )
        reports.report_sell_through(actor=actor(world.dealer), account_id=world.account.id, rows=[sale()], source="api")
        assert api(world.dealer).get("/sell-through").json()["count"] == 1
        assert api(world.admin).get("/sell-through").json()["count"] == 2

    def test_the_list_takes_a_constant_number_of_queries(self, world, api):
        client = api(world.admin)
        reports.report_sell_through(actor=actor(world.dealer), account_id=world.account.id, rows=[sale()], source="api")
        client.get("/sell-through")  # the token's first use is recorded once
        with CaptureQueriesContext(connection) as few:
            client.get("/sell-through")
        reports.report_sell_through(
            actor=actor(world.dealer), account_id=world.account.id, rows=[sale(county=KUNSHAN)] * 5, source="api"
        )
        with CaptureQueriesContext(connection) as many:
            assert client.get("/sell-through").json()["count"] == 6
        assert len(many) == len(few)

    def test_import_and_template(self, world, api):
        client = api(world.dealer)
        template = client.get("/sell-through/template")
        assert template.status_code == 200 and template["Content-Type"] == report_excel.XLSX_TYPE
        assert sheet_rows(template.content)[0][0] == "期间 Period"
        good = xlsx([list(sheet_rows(template.content)[0]), ["2026-03", "W1", 5, None, "甲", "320102"]])
        file = BytesIO(good)
        file.name = "sell.xlsx"
        response = client.client.post(
            "/api/v1/sell-through/import", {"account_id": world.account.id, "file": file}, **client.headers
        )
        assert response.status_code == 200, response.content
        assert response.json() == {"rows": 1, "created": 1, "updated": 0, "unchanged": 0, "alerts": 0}
        bad = BytesIO(xlsx([["期间", "SKU", "数量", "客户名称", "客户区县代码"], ["2026-03", "W1", 0, "甲", "320102"]]))
        bad.name = "bad.xlsx"
        refused = client.client.post(
            "/api/v1/sell-through/import", {"account_id": world.account.id, "file": bad}, **client.headers
        )
        assert refused.status_code == 422
        assert refused.json()["rows"] == [
            {"row": 2, "column": "数量", "message": "must be a whole number from 1 to 10000000"}
        ]


class TestStock:
    def test_report_list_and_replace(self, world, api):
        client = api(world.dealer)
        first = client.post("/stock-reports", {**body(world, {"sku": "W1", "qty": 5}), "as_of": "2026-03-31"})
        second = client.post(
            "/stock-reports",
            {**body(world, {"sku": "W1", "qty": 6}, {"sku": "W2", "qty": 0}), "as_of": "2026-03-31"},
        )
        assert (first.status_code, first.json()) == (201, {"created": 1, "updated": 0, "unchanged": 0})
        assert second.json() == {"created": 1, "updated": 1, "unchanged": 0}
        listed = client.get("/stock-reports", as_of="2026-03-31").json()
        assert [(i["sku"], i["qty"], i["as_of"]) for i in listed["items"]] == [
            ("W1", 6, "2026-03-31"),
            ("W2", 0, "2026-03-31"),
        ]

    def test_bad_rows_and_other_accounts(self, world, api):
        dealer, other_dealer = api(world.dealer), api(world.other_dealer)
        before = counts()
        bad = dealer.post("/stock-reports", {**body(world, {"sku": "W1", "qty": -1}), "as_of": "2026-03-31"})
        assert bad.status_code == 422 and bad.json()["rows"][0]["field"] == "qty"
        other = other_dealer.post("/stock-reports", {**body(world, {"sku": "W1", "qty": 1}), "as_of": "2026-03-31"})
        assert other.status_code == 404
        assert counts() == before


class TestAlerts:
    @pytest.fixture
    def alert(self, world):
        return reports.report_sell_through(
            actor=actor(world.dealer), account_id=world.account.id, rows=[sale(county=KUNSHAN)], source="api"
        ).alerts[0]

    def test_list_and_confirm(self, world, api, alert):
        client = api(world.rm_jiangsu)
        listed = client.get("/cross-territory-alerts", status="open").json()
        assert listed["count"] == 1
        item = listed["items"][0]
        assert {k: item[k] for k in ("id", "account_code", "county", "county_name", "sku", "qty", "status")} == {
            "id": alert.pk,
            "account_code": "NJ001",
            "county": KUNSHAN,
            "county_name": "江苏省 苏州市 昆山市",
            "sku": "W1",
            "qty": 10,
            "status": "open",
        }
        confirmed = client.post(f"/cross-territory-alerts/{alert.pk}/confirm", {"note": "已核实"})
        assert confirmed.status_code == 200
        assert (confirmed.json()["status"], confirmed.json()["note"]) == ("confirmed", "已核实")
        assert confirmed.json()["handled_by"] == world.rm_jiangsu.username
        again = client.post(f"/cross-territory-alerts/{alert.pk}/dismiss", {"note": "x"})
        assert (again.status_code, again.json()["code"]) == (409, "already_handled")

    def test_others_do_not_see_or_handle(self, world, api, alert):
        assert api(world.rm_zhejiang).get("/cross-territory-alerts").json()["count"] == 0
        assert api(world.dealer).get("/cross-territory-alerts").json()["count"] == 0
        assert api(world.dealer).post(f"/cross-territory-alerts/{alert.pk}/confirm", {}).status_code == 404
        assert api(world.reviewer).post(f"/cross-territory-alerts/{alert.pk}/dismiss", {"note": "x"}).status_code == 403
        assert api(world.admin).post(f"/cross-territory-alerts/{alert.pk}/dismiss", {}).status_code == 422


class TestTurnover:
    def test_per_account_and_per_sku(self, world, api):
        dealer = actor(world.dealer)
        reports.report_sell_through(
            actor=dealer, account_id=world.account.id, rows=[sale(period="2026-01", qty=30)], source="api"
        )
        reports.report_stock(
            actor=dealer, account_id=world.account.id, as_of=date(2026, 1, 31), rows=[("W1", 20)], source="api"
        )
        AccountFactory(brand=world.brand, code="ZZ9")
        page = api(world.admin).get("/kpi/inventory-turnover", start="2026-01", end="2026-01", limit=1).json()
        assert (page["start"], page["end"], page["days"], page["count"]) == ("2026-01-01", "2026-01-31", 31, 3)
        assert page["items"] == [
            {
                "account_id": world.account.id,
                "brand_id": world.brand.id,
                "account_code": "NJ001",
                "account_name": "南京一号商贸",
                "units_sold": 30,
                "average_stock": "20.00",
                "turnover": "1.50",
                "days_of_inventory": "20.67",
                "stock_days": 1,
            }
        ]
        skus = api(world.dealer).get(f"/kpi/inventory-turnover/{world.account.id}/skus", start="2026-01", end="2026-01")
        assert [(i["sku"], i["units_sold"], i["turnover"]) for i in skus.json()["items"]] == [("W1", 30, "1.50")]
        assert (
            api(world.other_dealer)
            .get(f"/kpi/inventory-turnover/{world.account.id}/skus", start="2026-01", end="2026-01")
            .status_code
            == 404
        )

    def test_a_bad_period_is_refused(self, world, api):
        response = api(world.admin).get("/kpi/inventory-turnover", start="2026-03", end="2026-01")
        assert response.status_code == 422 and response.json()["field"] == "end"
