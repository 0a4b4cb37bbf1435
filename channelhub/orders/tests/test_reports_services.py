"""Sell-through and stock reports: row checks, all or nothing, who may report for which account,
cross-territory detection (窜货) and who is told, after commit only."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from channelhub.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from channelhub.core.models import AuditEntry
from channelhub.messaging.models import Notification
from channelhub.orders import reports
from channelhub.orders.models import CrossTerritoryAlert, SellThrough, StockReport
from channelhub.orders.tests.reports_fixtures import (
    HANGZHOU,
    INSIDE,
    KUNSHAN,
    SHENZHEN,
    actor,
    add_sales_region_territory,
    build_world,
    counts,
    sale,
)
from channelhub.testing import AccountFactory, distributor_user, see_all_brands

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world()


def report(world, rows, user=None, account=None, source="phone"):
    return reports.report_sell_through(
        actor=actor(user or world.dealer), account_id=(account or world.account).id, rows=rows, source=source
    )


def problems(exc) -> list[tuple[int, str, str]]:
    return [(p.row, p.field, p.message) for p in exc.value.problems]


class TestSellThroughRows:
    def test_a_clean_batch_is_written_with_one_audit_row(self, world):
        # given
        before = counts()
        # when
        result = report(
            world, [sale(), sale(period="2026-02", sku="W2", qty=3, amount=None, customer="鼓楼超市", county="320106")]
        )
        # then
        see_all_brands()
        rows = list(SellThrough.objects.order_by("id").values_list("period", "product__sku", "qty", "amount"))
        assert rows == [
            (date(2026, 3, 1), "W1", 10, Decimal("100.00")),
            (date(2026, 2, 1), "W2", 3, None),
        ]
        assert result.units == 13 and result.alerts == []
        assert SellThrough.objects.filter(reported_by=world.dealer, source="phone").count() == 2
        assert counts()["audit"] == before["audit"] + 1
        entry = AuditEntry.objects.first()
        assert entry.object_type == "partners.distributoraccount" and entry.object_id == str(world.account.id)
        assert entry.changes["sell_through_rows"] == [None, 2]
        assert entry.changes["sell_through_units"] == [None, 13]

    def test_every_bad_row_is_named_and_nothing_is_written(self, world):
        # given
        before = counts()
        rows = [
            sale(),
            sale(period="2026-13", sku="NOPE", qty=0, amount="-1", customer=" ", county="320100"),
            sale(period="2099-01", qty="x", amount="1.234", county="999999"),
            sale(county=""),
        ]
        # when
        with pytest.raises(reports.RowsRefused) as refused:
            report(world, rows)
        # then
        assert problems(refused) == [
            (2, "period", "must be a month such as 2026-03"),
            (2, "sku", "unknown SKU 'NOPE' in this brand"),
            (2, "qty", "must be a whole number from 1 to 10000000"),
            (2, "amount", "must be an amount from 0 to 9999999999.99"),
            (2, "customer_name", "is required"),
            (2, "customer_county", "320100 江苏省 南京市 is not a county-level division"),
            (3, "period", "is a month still to come"),
            (3, "qty", "must be a whole number from 1 to 10000000"),
            (3, "amount", "has more than 2 decimal places"),
            (3, "customer_county", "unknown division code '999999'"),
            (4, "customer_county", "is required"),
        ]
        assert refused.value.status == 422 and refused.value.message.startswith("3 row(s) have errors")
        assert counts() == before

    def test_a_sku_of_another_brand_is_unknown(self, world):
        # given
        from channelhub.catalog.tests.conftest import Shop

        Shop().product("X9")
        before = counts()
        # when
        with pytest.raises(reports.RowsRefused) as refused:
            report(world, [sale(sku="X9")])
        # then
        assert problems(refused) == [(1, "sku", "unknown SKU 'X9' in this brand")]
        assert counts() == before

    def test_an_empty_batch_is_refused(self, world):
        before = counts()
        with pytest.raises(ValidationFailed) as refused:
            report(world, [])
        assert refused.value.code == "no_rows"
        assert counts() == before


class TestWhoReports:
    def test_a_distributor_cannot_report_for_another_account(self, world):
        # given
        before = counts()
        # when / then: not found, as if it did not exist
        with pytest.raises(NotFound):
            report(world, [sale()], user=world.other_dealer)
        with pytest.raises(NotFound):
            reports.report_stock(
                actor=actor(world.other_dealer),
                account_id=world.account.id,
                as_of=date(2026, 3, 31),
                rows=[("W1", 5)],
                source="phone",
            )
        assert counts() == before

    def test_staff_with_distributor_rights_report_for_the_account(self, world):
        result = report(world, [sale()], user=world.rm_jiangsu)
        assert len(result.rows) == 1
        assert result.rows[0].reported_by == world.rm_jiangsu

    def test_a_region_manager_elsewhere_does_not_find_the_account(self, world):
        before = counts()
        with pytest.raises(NotFound):
            report(world, [sale()], user=world.rm_zhejiang)
        assert counts() == before

    def test_a_reviewer_sees_the_account_but_may_not_report(self, world):
        before = counts()
        with pytest.raises(Forbidden):
            report(world, [sale()], user=world.reviewer)
        assert counts() == before


class TestTerritory:
    def test_a_county_inside_the_prefecture_territory_raises_no_alert(self, world):
        result = report(world, [sale(county=INSIDE), sale(county="320106")])
        assert result.alerts == []

    def test_a_county_outside_the_territory_raises_an_alert(self, world):
        # when
        result = report(world, [sale(county=INSIDE), sale(county=KUNSHAN, customer="昆山批发")])
        # then
        see_all_brands()
        alert = CrossTerritoryAlert.objects.get()
        assert [a.pk for a in result.alerts] == [alert.pk]
        assert (alert.account_id, alert.division_id, alert.status) == (world.account.id, KUNSHAN, "open")
        assert alert.sell_through.customer_name == "昆山批发"

    def test_a_province_territory_covers_its_counties(self, world):
        # given: 江苏 as territory
        account = AccountFactory(brand=world.brand, code="JS003", territory=["320000"])
        dealer = distributor_user(account)
        # when
        result = report(world, [sale(county=KUNSHAN), sale(county=HANGZHOU)], user=dealer, account=account)
        # then
        assert [a.division_id for a in result.alerts] == [HANGZHOU]

    def test_a_county_territory_covers_only_itself(self, world):
        account = AccountFactory(brand=world.brand, code="XW004", territory=[INSIDE])
        result = report(
            world, [sale(county=INSIDE), sale(county="320106")], user=distributor_user(account), account=account
        )
        assert [a.division_id for a in result.alerts] == ["320106"]

    def test_a_sales_region_territory_covers_its_members_and_their_counties(self, world):
        # given: 华东 = 浙江 + 杭州上城 (a province and a county as members)
        add_sales_region_territory(world.account, "east", ["330000", "310101"])
        # when
        result = report(world, [sale(county=HANGZHOU), sale(county="310101"), sale(county=SHENZHEN)])
        # then
        assert [a.division_id for a in result.alerts] == [SHENZHEN]

    def test_another_brands_sales_region_does_not_count(self, world):
        # given: a sales region of the same code in another brand, with 广东
        other_account = AccountFactory(code="X1")
        add_sales_region_territory(other_account, "south", ["440000"])
        # when
        result = report(world, [sale(county=SHENZHEN)])
        # then
        assert [a.division_id for a in result.alerts] == [SHENZHEN]


class TestAlertNotices:
    def test_region_managers_covering_the_county_or_the_home_are_told_after_commit(
        self, world, django_capture_on_commit_callbacks
    ):
        # given
        before = counts()
        # when: 昆山 (江苏) is outside 南京
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            result = report(world, [sale(county=KUNSHAN)])
        # then: nothing told while the transaction is open
        assert counts()["notifications"] == before["notifications"]
        for callback in callbacks:
            callback()
        see_all_brands()
        notices = Notification.objects.order_by("user_id")
        alert = result.alerts[0]
        assert sorted(n.user_id for n in notices) == sorted([world.rm_jiangsu.id, world.rm_all.id])
        assert {(n.kind, n.link) for n in notices} == {("cross_territory", f"/reports/alerts/{alert.pk}/")}
        assert notices[0].title == "窜货预警：NJ001 南京一号商贸 在 江苏省 苏州市 昆山市 动销 1 条"

    def test_a_manager_of_the_sold_into_region_only_is_told(self, world, django_capture_on_commit_callbacks):
        # given: a manager of 杭州 only, and a 广东 one
        from channelhub.testing import user_with_role

        rm_hangzhou = user_with_role("region_manager", world.brand, divisions=["330100"])
        rm_guangdong = user_with_role("region_manager", world.brand, divisions=["440000"])
        # when
        with django_capture_on_commit_callbacks(execute=True):
            report(world, [sale(county=HANGZHOU), sale(county="330106")])
        # then: 江苏 (the home), 浙江, 杭州 and the unlimited one; one notice each, to the list
        see_all_brands()
        told = {n.user_id: n for n in Notification.objects.all()}
        assert set(told) == {world.rm_jiangsu.id, world.rm_zhejiang.id, rm_hangzhou.id, world.rm_all.id}
        assert rm_guangdong.id not in told
        assert told[rm_hangzhou.id].link == f"/reports/alerts/?account={world.account.id}&status=open"

    def test_a_refused_batch_tells_nobody(self, world, django_capture_on_commit_callbacks):
        before = counts()
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(reports.RowsRefused):
            report(world, [sale(county=KUNSHAN), sale(qty=0)])
        assert counts() == before

    def test_no_alert_no_notice(self, world, django_capture_on_commit_callbacks):
        before = counts()
        with django_capture_on_commit_callbacks(execute=True):
            report(world, [sale()])
        assert counts()["notifications"] == before["notifications"]


class TestHandlingAlerts:
    @pytest.fixture
    def alert(self, world):
        return report(world, [sale(county=KUNSHAN)]).alerts[0]

    def test_a_region_manager_confirms_with_a_note(self, world, alert):
        # when
        handled = reports.confirm_alert(actor=actor(world.rm_jiangsu), alert_id=alert.pk, note="已核实")
        # then
        see_all_brands()
        alert.refresh_from_db()
        assert (alert.status, alert.note, alert.handled_by) == ("confirmed", "已核实", world.rm_jiangsu)
        assert alert.handled_at is not None and handled.pk == alert.pk
        entry = AuditEntry.objects.filter(object_type="orders.crossterritoryalert").get()
        assert entry.changes["status"] == ["open", "confirmed"]

    def test_a_dismissal_needs_a_note(self, world, alert):
        before = counts()
        with pytest.raises(ValidationFailed):
            reports.dismiss_alert(actor=actor(world.admin), alert_id=alert.pk, note=" ")
        see_all_brands()
        alert.refresh_from_db()
        assert alert.status == "open" and counts() == before

    def test_a_brand_admin_dismisses(self, world, alert):
        reports.dismiss_alert(actor=actor(world.admin), alert_id=alert.pk, note="项目报备")
        see_all_brands()
        alert.refresh_from_db()
        assert (alert.status, alert.note) == ("dismissed", "项目报备")

    def test_a_handled_alert_cannot_be_handled_again(self, world, alert):
        reports.confirm_alert(actor=actor(world.admin), alert_id=alert.pk)
        before = counts()
        with pytest.raises(Conflict):
            reports.dismiss_alert(actor=actor(world.rm_all), alert_id=alert.pk, note="不是")
        see_all_brands()
        alert.refresh_from_db()
        assert alert.status == "confirmed" and counts() == before

    def test_distributors_do_not_find_alerts_and_reviewers_may_not_handle_them(self, world, alert):
        with pytest.raises(NotFound):
            reports.confirm_alert(actor=actor(world.dealer), alert_id=alert.pk)
        with pytest.raises(NotFound):
            reports.confirm_alert(actor=actor(world.rm_zhejiang), alert_id=alert.pk)
        with pytest.raises(Forbidden):
            reports.confirm_alert(actor=actor(world.reviewer), alert_id=alert.pk)
        see_all_brands()
        alert.refresh_from_db()
        assert alert.status == "open"


class TestStockReports:
    def stock(self, world, rows, as_of=date(2026, 3, 31), user=None):
        return reports.report_stock(
            actor=actor(user or world.dealer), account_id=world.account.id, as_of=as_of, rows=rows, source="phone"
        )

    def test_a_later_report_of_the_same_day_replaces_the_figure(self, world):
        # given
        first = self.stock(world, [("W1", 40), ("W2", 0)])
        # when
        second = self.stock(world, [("W1", 35), ("W2", 0)])
        # then
        see_all_brands()
        assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
        assert (second.created, second.updated, second.unchanged) == (0, 1, 1)
        rows = StockReport.objects.order_by("product__sku").values_list("product__sku", "qty")
        assert list(rows) == [("W1", 35), ("W2", 0)]
        assert AuditEntry.objects.filter(object_type="partners.distributoraccount").count() == 2

    def test_every_bad_row_is_named_and_nothing_is_written(self, world):
        # given
        self.stock(world, [("W1", 40)])
        before = counts()
        # when
        with pytest.raises(reports.RowsRefused) as refused:
            self.stock(world, [("W1", 1), ("W1", 2), ("", -1), ("NOPE", 3)])
        # then
        assert problems(refused) == [
            (2, "sku", "SKU 'W1' is also on row 1"),
            (3, "sku", "is required"),
            (3, "qty", "must be a whole number from 0 to 10000000"),
            (4, "sku", "unknown SKU 'NOPE' in this brand"),
        ]
        see_all_brands()
        assert StockReport.objects.get().qty == 40 and counts() == before

    def test_a_day_still_to_come_is_refused(self, world):
        before = counts()
        with pytest.raises(ValidationFailed) as refused:
            self.stock(world, [("W1", 1)], as_of=timezone.localdate() + timedelta(days=1))
        assert refused.value.field == "as_of" and counts() == before
