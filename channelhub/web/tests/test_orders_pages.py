"""The order pages: 下单 (the order form, its live quote, placing the order once), 订单 (the list,
by status and search, in a fixed number of queries), one order with the actions open to each role,
and 库存 (stock levels) for staff."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from channelhub.orders import fulfilment, services
from channelhub.orders.models import Order, ReturnRequest, Shipment
from channelhub.orders.services import OrderLineIn
from channelhub.orders.tests.conftest import Desk
from channelhub.testing import AccountFactory, BrandFactory, distributor_user, see_all_brands, user_with_role
from channelhub.web.tests.catalog_fixtures import HTMX

pytestmark = pytest.mark.django_db
S = Order.Status


@pytest.fixture
def desk():
    return Desk()


def place(desk, *lines, actor=None, account=None) -> Order:
    """An order placed through the service, as the distributor would."""
    result = services.submit_order(
        actor=actor or desk.distributor,
        account_id=(account or desk.account).id,
        lines=[OrderLineIn(sku, qty) for sku, qty in lines],
    )
    see_all_brands()
    return result.order


def reloaded(order: Order) -> Order:
    see_all_brands()
    return Order.objects.get(pk=order.pk)


def order_count() -> int:
    see_all_brands()
    return Order.objects.count()


def form_key(response) -> str:
    return re.search(r'name="key" value="([0-9a-f]{32})"', response.content.decode())[1]


def order_post(key: str, *lines, **extra) -> dict:
    return {"key": key, "sku": [s for s, _ in lines], "qty": [str(q) for _, q in lines], "source": "phone", **extra}


# --- 下单 ---------------------------------------------------------------------------------------


class TestOrderForm:
    def test_a_distributor_opens_its_own_order_form_with_the_catalogue_and_its_credit(self, browser_of, desk):
        # given
        client = browser_of(desk.buyer_user)
        # when
        response = client.get("/orders/new/")
        # then
        assert response.status_code == 200
        assert response.context["account"].id == desk.account.id
        assert [item["line"].sku for item in response.context["found"]] == ["T-GREEN", "W-SPARK", "W-STILL"]
        assert {item["line"].sku: item["available"] for item in response.context["found"]} == {
            "T-GREEN": 150,
            "W-SPARK": 600,
            "W-STILL": 1440,
        }
        assert response.context["cart"].lines == []
        assert response.context["cart"].position.available == Decimal("10000.00")
        assert len(form_key(response)) == 32

    def test_each_rendering_has_a_new_idempotency_key(self, browser_of, desk):
        client = browser_of(desk.buyer_user)
        assert form_key(client.get("/orders/new/")) != form_key(client.get("/orders/new/"))

    def test_search_answers_only_the_results_to_htmx(self, browser_of, desk):
        response = browser_of(desk.buyer_user).get("/orders/new/", {"q": "苏打"}, headers=HTMX)
        body = response.content.decode()
        assert response.status_code == 200
        assert "<html" not in body
        assert [item["line"].sku for item in response.context["found"]] == ["W-SPARK"]

    def test_add_from_the_catalogue_starts_the_line_at_its_minimum(self, browser_of, desk):
        response = browser_of(desk.buyer_user).get("/orders/new/", {"add": "W-STILL"})
        (line,) = response.context["cart"].lines
        assert (line.sku, line.qty, line.ok, line.quoted.amount) == ("W-STILL", 12, True, Decimal("30.00"))

    def test_the_live_quote_prices_the_lines_with_stock_and_credit(self, browser_of, desk):
        # when
        response = browser_of(desk.buyer_user).post(
            "/orders/new/quote/", order_post("k", ("W-STILL", 24), ("T-GREEN", 10)), headers=HTMX
        )
        # then
        body = response.content.decode()
        cart = response.context["cart"]
        assert response.status_code == 200
        assert "<html" not in body
        assert [(line.sku, line.qty, line.quoted.amount, line.available) for line in cart.lines] == [
            ("W-STILL", 24, Decimal("60.00"), 1440),
            ("T-GREEN", 10, Decimal("40.00"), 150),
        ]
        assert (cart.total, cart.ready, cart.over_credit) == (Decimal("100.00"), True, False)
        assert "¥100.00" in body

    def test_the_quote_adds_and_removes_a_line(self, browser_of, desk):
        client = browser_of(desk.buyer_user)
        added = client.post("/orders/new/quote/", order_post("k", ("W-STILL", 24), add="W-SPARK"), headers=HTMX)
        assert [(line.sku, line.qty) for line in added.context["cart"].lines] == [("W-STILL", 24), ("W-SPARK", 6)]
        removed = client.post(
            "/orders/new/quote/", order_post("k", ("W-STILL", 24), ("W-SPARK", 6), remove="W-STILL"), headers=HTMX
        )
        assert [(line.sku, line.qty) for line in removed.context["cart"].lines] == [("W-SPARK", 6)]

    def test_a_quantity_off_the_pack_size_is_refused_on_its_line_and_blocks_the_order(self, browser_of, desk):
        response = browser_of(desk.buyer_user).post(
            "/orders/new/quote/", order_post("k", ("W-STILL", 13), ("T-GREEN", 1)), headers=HTMX
        )
        cart = response.context["cart"]
        assert [(line.sku, line.ok, line.quoted.code) for line in cart.lines] == [
            ("W-STILL", False, "bad_quantity"),
            ("T-GREEN", True, ""),
        ]
        assert cart.ready is False
        assert re.search(r"<button[^>]*order-submit[^>]*disabled", response.content.decode())

    def test_an_order_over_the_credit_says_it_will_go_on_credit_hold(self, browser_of, desk):
        response = browser_of(desk.buyer_user).post(
            "/orders/new/quote/", order_post("k", ("T-GREEN", 150), ("W-STILL", 1440)), headers=HTMX
        )
        cart = response.context["cart"]
        assert (cart.total, cart.over_credit) == (Decimal("4200.00"), False)
        desk.credit().__class__.objects.filter(pk=desk.credit().pk).update(limit=Decimal("500"))
        response = browser_of(desk.buyer_user).post(
            "/orders/new/quote/", order_post("k", ("T-GREEN", 150)), headers=HTMX
        )
        assert response.context["cart"].over_credit is True
        assert "credit-warning" in response.content.decode()

    def test_placing_the_order_submits_it_once_and_opens_it(self, browser_of, desk):
        # given
        client = browser_of(desk.buyer_user)
        key = form_key(client.get("/orders/new/"))
        # when
        response = client.post("/orders/new/", order_post(key, ("W-STILL", 24), ("T-GREEN", 10), note="请周五前送到"))
        # then
        see_all_brands()
        order = Order.objects.get()
        assert response.status_code == 302
        assert response["Location"] == f"/orders/{order.id}/"
        assert (order.status, order.source, order.total, order.note) == (
            S.ALLOCATED,
            "phone",
            Decimal("100.00"),
            "请周五前送到",
        )
        assert desk.level(desk.east, desk.still) == (1200, 24)

    def test_a_double_tap_or_a_retry_creates_one_order(self, browser_of, desk):
        # given
        client = browser_of(desk.buyer_user)
        key = form_key(client.get("/orders/new/"))
        data = order_post(key, ("W-STILL", 24))
        # when
        first = client.post("/orders/new/", data)
        second = client.post("/orders/new/", data)
        # then
        assert first.status_code == second.status_code == 302
        assert first["Location"] == second["Location"]
        assert order_count() == 1
        assert desk.level(desk.east, desk.still) == (1200, 24)

    def test_the_same_form_with_other_lines_is_refused_and_given_a_new_key(self, browser_of, desk):
        client = browser_of(desk.buyer_user)
        key = form_key(client.get("/orders/new/"))
        client.post("/orders/new/", order_post(key, ("W-STILL", 24)))
        response = client.post("/orders/new/", order_post(key, ("W-STILL", 36)))
        assert response.status_code == 422
        assert response.context["form"].non_field_errors()
        assert form_key(response) != key
        assert order_count() == 1

    def test_a_refusal_of_the_service_is_shown_and_nothing_is_placed(self, browser_of, desk):
        # given: more tea than the warehouses hold
        client = browser_of(desk.buyer_user)
        key = form_key(client.get("/orders/new/"))
        # when
        response = client.post("/orders/new/", order_post(key, ("T-GREEN", 151)))
        # then
        assert response.status_code == 409
        errors = response.context["form"].non_field_errors()
        assert len(errors) == 1 and "T-GREEN" in errors[0]
        assert [(line.sku, line.qty, line.short) for line in response.context["cart"].lines] == [("T-GREEN", 151, True)]
        assert order_count() == 0
        assert desk.level(desk.east, desk.tea) == (100, 0)

    def test_a_cart_saved_as_a_draft_is_continued_and_placed_as_the_same_order(self, browser_of, desk):
        # given a cart saved as a draft: nothing reserved
        client = browser_of(desk.buyer_user)
        key = form_key(client.get("/orders/new/"))
        saved = client.post("/orders/new/", order_post(key, ("W-STILL", 24), action="draft", note="月底到货"))
        see_all_brands()
        draft = Order.objects.get()
        assert saved.status_code == 302 and saved["Location"] == f"/orders/{draft.pk}/"
        assert (reloaded(draft).status, reloaded(draft).total) == (S.DRAFT, Decimal("60.00"))
        assert desk.level(desk.east, desk.still) == (1200, 0)
        assert f"/orders/new/?draft={draft.pk}" in client.get(f"/orders/{draft.pk}/").content.decode()
        # when it is opened again and placed
        page = client.get(f"/orders/new/?draft={draft.pk}")
        assert [line.sku for line in page.context["cart"].lines] == ["W-STILL"]
        assert f'name="draft" value="{draft.pk}"' in page.content.decode()
        placed = client.post("/orders/new/", order_post(form_key(page), ("W-STILL", 36), draft=str(draft.pk)))
        # then the draft became the order, priced and reserved now
        assert placed.status_code == 302
        order = reloaded(draft)
        assert (order.status, order.total, order.number) == (S.ALLOCATED, Decimal("90.00"), draft.number)
        assert order_count() == 1
        assert desk.level(desk.east, desk.still) == (1200, 36)

    def test_a_draft_is_deleted(self, browser_of, desk):
        client = browser_of(desk.buyer_user)
        client.post("/orders/new/", order_post(form_key(client.get("/orders/new/")), ("W-STILL", 12), action="draft"))
        see_all_brands()
        draft = Order.objects.get()

        response = client.post(f"/orders/{draft.pk}/discard/")

        assert response.status_code == 302 and response["Location"] == "/orders/"
        assert order_count() == 0

    def test_a_line_without_a_quantity_is_refused(self, browser_of, desk):
        client = browser_of(desk.buyer_user)
        key = form_key(client.get("/orders/new/"))
        response = client.post("/orders/new/", {"key": key, "sku": ["W-STILL"], "qty": [""]})
        assert response.status_code == 422
        assert order_count() == 0

    def test_a_post_without_its_key_is_not_placed(self, browser_of, desk):
        response = browser_of(desk.buyer_user).post("/orders/new/", order_post("", ("W-STILL", 24)))
        assert response.status_code == 400
        assert order_count() == 0

    def test_an_order_over_the_credit_is_placed_on_credit_hold(self, browser_of, desk):
        desk.credit().__class__.objects.filter(pk=desk.credit().pk).update(limit=Decimal("100"))
        client = browser_of(desk.buyer_user)
        key = form_key(client.get("/orders/new/"))
        response = client.post("/orders/new/", order_post(key, ("T-GREEN", 30)), follow=True)
        see_all_brands()
        order = Order.objects.get()
        assert order.status == S.CREDIT_HOLD
        assert response.context["order"].id == order.id
        assert "信用冻结 Credit hold" in response.content.decode()

    def test_staff_choose_the_distributor_then_order_for_it(self, browser_of, desk):
        # given
        client = browser_of(desk.manager.user)
        # when
        picker = client.get("/orders/new/", {"find": desk.account.code})
        page = client.get("/orders/new/", {"distributor": desk.account.id})
        key = form_key(page)
        response = client.post(f"/orders/new/?distributor={desk.account.id}", order_post(key, ("W-SPARK", 6)))
        # then
        assert [a.id for a in picker.context["accounts"]] == [desk.account.id]
        assert page.status_code == 200 and page.context["is_own"] is False
        see_all_brands()
        order = Order.objects.get()
        assert response.status_code == 302
        assert (order.account_id, order.source, order.placed_by_id) == (desk.account.id, "staff", desk.manager.user.id)

    def test_finance_may_not_place_orders(self, browser_of, desk):
        client = browser_of(desk.finance.user)
        assert client.get("/orders/new/", {"distributor": desk.account.id}).status_code == 403
        assert (
            client.post(f"/orders/new/?distributor={desk.account.id}", order_post("a" * 32, ("W-SPARK", 6))).status_code
            == 403
        )
        assert order_count() == 0

    def test_a_distributor_cannot_order_for_another(self, browser_of, desk):
        other = AccountFactory(brand=desk.brand, territory=["320000"])
        client = browser_of(desk.buyer_user)
        assert client.get("/orders/new/", {"distributor": other.id}).status_code == 404
        foreign = AccountFactory(brand=BrandFactory(), territory=["320000"])
        assert client.get("/orders/new/", {"distributor": foreign.id}).status_code == 404
        assert client.post("/orders/new/quote/?distributor=abc", {}, headers=HTMX).status_code == 404


# --- 订单 ---------------------------------------------------------------------------------------


class TestOrderList:
    def test_a_distributor_sees_its_own_orders_only(self, browser_of, desk):
        mine = place(desk, ("W-STILL", 12))
        other = AccountFactory(brand=desk.brand, credit_limit=Decimal("10000"), territory=["320000"])
        theirs = place(desk, ("W-SPARK", 6), actor=desk.manager, account=other)
        response = browser_of(desk.buyer_user).get("/orders/")
        assert response.status_code == 200
        assert [o.id for o in response.context["page"]] == [mine.id]
        assert theirs.number not in response.content.decode()

    def test_staff_see_their_brands_orders_and_not_another_brands(self, browser_of, desk):
        first = place(desk, ("W-STILL", 12))
        second = place(desk, ("T-GREEN", 1))
        elsewhere = Desk()
        foreign = place(elsewhere, ("W-STILL", 12))
        response = browser_of(desk.manager.user).get("/orders/")
        assert [o.id for o in response.context["page"]] == [second.id, first.id]
        assert foreign.number not in response.content.decode()

    def test_status_tabs_and_search(self, browser_of, desk):
        kept = place(desk, ("W-STILL", 12))
        cancelled = place(desk, ("T-GREEN", 1))
        services.cancel_order(actor=desk.distributor, order=cancelled, reason="下错了")
        client = browser_of(desk.manager.user)
        by_status = client.get("/orders/", {"status": "cancelled"})
        assert [o.id for o in by_status.context["page"]] == [cancelled.id]
        assert [(value, count) for value, _label, count in by_status.context["tabs"]] == [
            ("", 2),
            ("allocated", 1),
            ("cancelled", 1),
        ]
        found = client.get("/orders/", {"q": kept.number[-6:]})
        assert [o.id for o in found.context["page"]] == [kept.id]
        assert client.get("/orders/", {"status": "nonsense"}).context["status"] == ""

    def test_the_dashboards_link_to_one_brands_orders(self, browser_of, desk):
        # given: a group admin who sees two brands
        mine = place(desk, ("W-STILL", 12))
        elsewhere = Desk()
        theirs = place(elsewhere, ("W-STILL", 12))
        admin = user_with_role("group_admin")
        client = browser_of(admin)
        # when
        both = client.get("/orders/")
        one = client.get("/orders/", {"brand": desk.brand.id, "status": "allocated"})
        # then
        assert {o.id for o in both.context["page"]} == {mine.id, theirs.id}
        assert [o.id for o in one.context["page"]] == [mine.id]
        assert client.get("/orders/", {"brand": "x"}).context["brand_id"] is None

    def test_filtering_answers_only_the_results_to_htmx(self, browser_of, desk):
        place(desk, ("W-STILL", 12))
        response = browser_of(desk.manager.user).get("/orders/", {"status": "allocated"}, headers=HTMX)
        assert response.status_code == 200
        assert "<html" not in response.content.decode()

    def test_the_list_takes_the_same_number_of_queries_for_2_or_12_orders(self, browser_of, desk):
        client = browser_of(desk.manager.user)
        for _ in range(2):
            place(desk, ("T-GREEN", 1))
        client.get("/orders/")  # warm the session and the caches
        with CaptureQueriesContext(connection) as few:
            assert client.get("/orders/").status_code == 200
        for _ in range(10):
            place(desk, ("T-GREEN", 1))
        with CaptureQueriesContext(connection) as many:
            response = client.get("/orders/")
        assert len(response.context["page"]) == 12
        assert len(many) == len(few)


# --- one order --------------------------------------------------------------------------------


class TestOrderPage:
    @pytest.mark.parametrize("who", ["buyer_user", "manager", "admin", "finance"])
    def test_every_role_that_may_see_the_order_opens_it(self, browser_of, desk, who):
        order = place(desk, ("W-STILL", 24), ("T-GREEN", 10))
        user = {
            "buyer_user": desk.buyer_user,
            "manager": desk.manager.user,
            "admin": desk.actor.user,
            "finance": desk.finance.user,
        }[who]
        response = browser_of(user).get(f"/orders/{order.id}/")
        assert response.status_code == 200
        body = response.content.decode()
        assert order.number in body and "已配货 Allocated" in body
        assert [line.sku for line in response.context["lines"]] == ["W-STILL", "T-GREEN"]
        assert [row.status for row in response.context["timeline"]] == ["submitted", "allocated"]

    def test_actions_follow_role_and_state(self, browser_of, desk):
        order = place(desk, ("W-STILL", 24))
        buyer = browser_of(desk.buyer_user).get(f"/orders/{order.id}/").context
        manager = browser_of(desk.manager.user).get(f"/orders/{order.id}/").context
        finance = browser_of(desk.finance.user).get(f"/orders/{order.id}/").context
        assert (buyer["may_cancel"], buyer["ship_from"], buyer["desk"]) == (True, [], False)
        assert (manager["may_cancel"], [g.warehouse.code for g in manager["ship_from"]]) == (True, ["east"])
        assert [(line.sku, left) for line, left in manager["ship_from"][0].rows] == [("W-STILL", 24)]
        assert (finance["may_cancel"], finance["ship_from"], finance["may_decide_credit"]) == (False, [], False)

    def test_another_distributors_or_another_brands_order_is_not_found(self, browser_of, desk):
        order = place(desk, ("W-STILL", 12))
        other = AccountFactory(brand=desk.brand, territory=["320000"])
        elsewhere = Desk()
        assert browser_of(distributor_user(other)).get(f"/orders/{order.id}/").status_code == 404
        assert browser_of(elsewhere.actor.user).get(f"/orders/{order.id}/").status_code == 404
        assert browser_of(elsewhere.buyer_user).post(f"/orders/{order.id}/cancel/", {"reason": "x"}).status_code == 404
        assert reloaded(order).status == S.ALLOCATED
        assert browser_of(desk.buyer_user).get("/orders/999999/").status_code == 404

    def test_the_distributor_cancels_with_a_reason(self, browser_of, desk):
        order = place(desk, ("W-STILL", 24))
        response = browser_of(desk.buyer_user).post(f"/orders/{order.id}/cancel/", {"reason": "数量错了"})
        assert response.status_code == 302 and response["Location"] == f"/orders/{order.id}/"
        order = reloaded(order)
        assert (order.status, order.cancel_reason) == (S.CANCELLED, "数量错了")
        assert desk.level(desk.east, desk.still) == (1200, 0)

    def test_a_cancel_without_a_reason_is_refused_on_the_page_and_nothing_changes(self, browser_of, desk):
        order = place(desk, ("W-STILL", 24))
        response = browser_of(desk.buyer_user).post(f"/orders/{order.id}/cancel/", {"reason": "  "})
        assert response.status_code == 422
        assert response.context["failed"]["action"] == "cancel"
        assert list(response.context["failed"]["form"].errors) == ["reason"]
        assert reloaded(order).status == S.ALLOCATED
        assert desk.level(desk.east, desk.still) == (1200, 24)

    def test_finance_releases_a_credit_hold_and_the_stock_is_reserved(self, browser_of, desk):
        desk.credit().__class__.objects.filter(pk=desk.credit().pk).update(limit=Decimal("10"))
        order = place(desk, ("W-STILL", 24))
        client = browser_of(desk.finance.user)
        page = client.get(f"/orders/{order.id}/")
        assert page.context["may_decide_credit"] is True
        response = client.post(f"/orders/{order.id}/credit/", {"decision": "approve", "comment": "老客户"})
        assert response.status_code == 302
        assert reloaded(order).status == S.ALLOCATED
        assert desk.level(desk.east, desk.still) == (1200, 24)

    def test_refusing_a_hold_needs_a_comment(self, browser_of, desk):
        desk.credit().__class__.objects.filter(pk=desk.credit().pk).update(limit=Decimal("10"))
        order = place(desk, ("W-STILL", 24))
        response = browser_of(desk.finance.user).post(f"/orders/{order.id}/credit/", {"decision": "reject"})
        assert response.status_code == 422
        assert response.context["failed"]["form"].errors
        assert reloaded(order).status == S.CREDIT_HOLD

    def test_the_order_desk_allocates_an_order_that_waited_for_stock(self, browser_of, desk):
        # given: released over the limit while the tea was gone
        desk.credit().__class__.objects.filter(pk=desk.credit().pk).update(limit=Decimal("10"))
        order = place(desk, ("T-GREEN", 20))
        desk.count("east", {"T-GREEN": 0})
        desk.count("north", {"T-GREEN": 0})
        services.decide_credit_hold(actor=desk.finance, order=order, approve=True)
        assert reloaded(order).status == S.APPROVED
        client = browser_of(desk.manager.user)
        # when: still none
        refused = client.post(f"/orders/{order.id}/allocate/")
        # then
        assert refused.status_code == 409
        assert "T-GREEN" in str(refused.context["failed"]["form"].non_field_errors())
        assert reloaded(order).status == S.APPROVED
        # when: the stock arrived
        desk.count("east", {"T-GREEN": 100})
        assert client.post(f"/orders/{order.id}/allocate/").status_code == 302
        assert reloaded(order).status == S.ALLOCATED

    def test_ship_receive_and_complete(self, browser_of, desk):
        # given
        order = place(desk, ("W-STILL", 24), ("T-GREEN", 10))
        lines = {line.sku: line for line in reloaded(order).lines.all()}
        manager = browser_of(desk.manager.user)
        # when: the desk ships the whole order from 华东仓
        shipped = manager.post(
            f"/orders/{order.id}/ship/",
            {"warehouse": "east", "carrier": "顺丰", "tracking_no": "SF123",
             f"qty_{lines['W-STILL'].id}": "24", f"qty_{lines['T-GREEN'].id}": "10"},
        )  # fmt: skip
        # then
        assert shipped.status_code == 302
        assert reloaded(order).status == S.SHIPPED
        see_all_brands()
        shipment = Shipment.objects.get(order=order)
        assert (shipment.carrier, shipment.tracking_no, shipment.amount) == ("顺丰", "SF123", Decimal("100.00"))
        # when: the distributor confirms receipt
        buyer = browser_of(desk.buyer_user)
        assert "confirm-receipt" in buyer.get(f"/orders/{order.id}/").content.decode()
        assert buyer.post(f"/orders/{order.id}/shipments/{shipment.id}/receive/").status_code == 302
        assert reloaded(order).status == S.DELIVERED
        # when: the desk completes it
        assert manager.get(f"/orders/{order.id}/").context["may_complete"] is True
        assert manager.post(f"/orders/{order.id}/complete/").status_code == 302
        assert reloaded(order).status == S.COMPLETED

    def test_a_shipment_over_the_reserved_units_is_refused_and_nothing_ships(self, browser_of, desk):
        order = place(desk, ("W-STILL", 24))
        line = reloaded(order).lines.get()
        response = browser_of(desk.manager.user).post(
            f"/orders/{order.id}/ship/",
            {"warehouse": "east", "carrier": "顺丰", "tracking_no": "SF1", f"qty_{line.id}": "25"},
        )
        assert response.status_code == 422
        assert "24" in str(response.context["failed"]["form"].non_field_errors())
        assert response.context["ship_from"][0].posted == {line.id: "25"}
        assert reloaded(order).status == S.ALLOCATED
        see_all_brands()
        assert not Shipment.objects.exists()
        assert desk.level(desk.east, desk.still) == (1200, 24)

    def test_a_distributor_may_not_ship(self, browser_of, desk):
        order = place(desk, ("W-STILL", 24))
        line = reloaded(order).lines.get()
        response = browser_of(desk.buyer_user).post(
            f"/orders/{order.id}/ship/",
            {"warehouse": "east", "carrier": "顺丰", "tracking_no": "SF1", f"qty_{line.id}": "24"},
        )
        assert response.status_code == 403
        assert reloaded(order).status == S.ALLOCATED

    def test_a_return_is_requested_decided_and_received(self, browser_of, desk):
        # given: a delivered order
        order = place(desk, ("W-STILL", 24))
        line = reloaded(order).lines.get()
        shipment = fulfilment.create_shipment(actor=desk.manager, order=order, warehouse_code="east", carrier="顺丰",
                                              tracking_no="SF9", lines=[fulfilment.LineQty(24, line_no=1)])  # fmt: skip
        fulfilment.confirm_receipt(actor=desk.distributor, shipment=shipment)
        buyer, manager = browser_of(desk.buyer_user), browser_of(desk.manager.user)
        assert buyer.get(f"/orders/{order.id}/").context["return_rows"] == [(line, 24)]
        # when: the distributor asks to return 12
        asked = buyer.post(f"/orders/{order.id}/returns/", {f"qty_{line.id}": "12", "reason": "破损"})
        # then
        assert asked.status_code == 302
        see_all_brands()
        request = ReturnRequest.objects.get()
        assert (request.status, request.amount) == ("requested", Decimal("30.00"))
        # when: the desk accepts it, then receives the goods into 华东仓
        assert (
            manager.post(f"/orders/{order.id}/returns/{request.id}/decide/", {"decision": "approve"}).status_code == 302
        )
        received = manager.post(f"/orders/{order.id}/returns/{request.id}/receive/", {"warehouse": "east"})
        # then
        assert received.status_code == 302
        see_all_brands()
        request.refresh_from_db()
        assert request.status == "received"
        assert reloaded(order).lines.get().returned_qty == 12
        assert desk.level(desk.east, desk.still) == (1188, 0)

    def test_a_return_without_a_reason_is_refused_and_nothing_is_asked(self, browser_of, desk):
        order = place(desk, ("W-STILL", 24))
        line = reloaded(order).lines.get()
        fulfilment.create_shipment(actor=desk.manager, order=order, warehouse_code="east", carrier="顺丰",
                                   tracking_no="SF9", lines=[fulfilment.LineQty(24, line_no=1)])  # fmt: skip
        response = browser_of(desk.buyer_user).post(f"/orders/{order.id}/returns/", {f"qty_{line.id}": "12"})
        assert response.status_code == 422
        assert response.context["return_posted"] == {line.id: "12"}
        see_all_brands()
        assert not ReturnRequest.objects.exists()

    def test_a_distributor_cannot_decide_its_return(self, browser_of, desk):
        order = place(desk, ("W-STILL", 24))
        fulfilment.create_shipment(actor=desk.manager, order=order, warehouse_code="east", carrier="顺丰",
                                   tracking_no="SF9", lines=[fulfilment.LineQty(24, line_no=1)])  # fmt: skip
        request = fulfilment.request_return(actor=desk.distributor, order=order, reason="破损",
                                            lines=[fulfilment.LineQty(12, line_no=1)])  # fmt: skip
        response = browser_of(desk.buyer_user).post(
            f"/orders/{order.id}/returns/{request.id}/decide/", {"decision": "approve"}
        )
        assert response.status_code == 403
        see_all_brands()
        request.refresh_from_db()
        assert request.status == "requested"


# --- 库存 ---------------------------------------------------------------------------------------


class TestStock:
    def test_staff_see_on_hand_reserved_and_available(self, browser_of, desk):
        place(desk, ("W-STILL", 24))
        response = browser_of(desk.actor.user).get("/stock/")
        assert response.status_code == 200
        rows = [(r.product.sku, r.warehouse.code, r.on_hand, r.reserved, r.free) for r in response.context["page"]]
        assert rows == [
            ("T-GREEN", "north", 50, 0, 50),
            ("T-GREEN", "east", 100, 0, 100),
            ("W-SPARK", "east", 600, 0, 600),
            ("W-STILL", "north", 240, 0, 240),
            ("W-STILL", "east", 1200, 24, 1176),
        ]

    def test_filters_by_warehouse_sku_and_short_only(self, browser_of, desk):
        place(desk, ("T-GREEN", 100))  # all of east's tea
        client = browser_of(desk.manager.user)
        skus = lambda r: [(row.product.sku, row.warehouse.code) for row in r.context["page"]]  # noqa: E731
        assert skus(client.get("/stock/", {"warehouse": "north"})) == [("T-GREEN", "north"), ("W-STILL", "north")]
        assert skus(client.get("/stock/", {"sku": "w-s"})) == [
            ("W-SPARK", "east"),
            ("W-STILL", "north"),
            ("W-STILL", "east"),
        ]
        assert skus(client.get("/stock/", {"short": "1"})) == [("T-GREEN", "east")]

    def test_distributors_may_not_see_stock(self, browser_of, desk):
        assert browser_of(desk.buyer_user).get("/stock/").status_code == 403

    def test_another_brands_stock_is_not_listed(self, browser_of, desk):
        elsewhere = Desk()
        response = browser_of(desk.actor.user).get("/stock/")
        assert {row.brand_id for row in response.context["page"]} == {desk.brand.id}
        assert elsewhere.brand.id != desk.brand.id

    def test_the_stock_page_takes_the_same_number_of_queries_for_more_rows(self, browser_of, desk):
        client = browser_of(desk.actor.user)
        client.get("/stock/")
        with CaptureQueriesContext(connection) as few:
            client.get("/stock/")
        for n in range(10):
            desk.product(f"X-{n}")
        desk.count("east", {f"X-{n}": n for n in range(10)})
        with CaptureQueriesContext(connection) as many:
            response = client.get("/stock/")
        assert len(response.context["page"]) == 15
        assert len(many) == len(few)


def test_the_catalogue_shows_availability_and_a_way_into_the_order_form(browser_of, desk):
    response = browser_of(desk.buyer_user).get("/catalogue/")
    assert {row.line.sku: row.available for row in response.context["rows"]} == {
        "T-GREEN": 150,
        "W-SPARK": 600,
        "W-STILL": 1440,
    }
    assert 'href="/orders/new/?add=W-STILL"' in response.content.decode()
