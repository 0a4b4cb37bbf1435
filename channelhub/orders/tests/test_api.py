from decimal import Decimal

import pytest

from channelhub.orders.models import IdempotencyKey, Order, StockLevel
from channelhub.tenancy.services import create_api_key
from channelhub.testing import AccountFactory, see_all_brands

S = Order.Status


@pytest.fixture
def buyer(api, desk):
    return api(desk.buyer_user)


@pytest.fixture
def wms(api, desk):
    _, raw = create_api_key(actor=desk.actor, brand_id=desk.brand.id, name="WMS", scopes=["read", "write"])
    return api(token=raw)


def body(desk, *lines, **extra):
    return {"distributor_id": desk.account.id, "lines": [{"sku": s, "qty": q} for s, q in lines], **extra}


def test_submit_answers_201_with_the_priced_order_and_a_retry_gets_200_with_the_same(buyer, desk):
    payload = body(desk, ("W-STILL", 24), ("T-GREEN", 10), note="周五前送到")

    first = buyer.post("/orders", payload, headers={"Idempotency-Key": "phone-7f3a"})
    again = buyer.post("/orders", payload, headers={"Idempotency-Key": "phone-7f3a"})

    assert first.status_code == 201, first.content
    data = first.json()
    assert (data["status"], data["total"], data["source"]) == ("allocated", "100.00", "api")
    assert [(line["sku"], line["unit_price"], line["reserved_qty"]) for line in data["lines"]] == [
        ("W-STILL", "2.5000", 24),
        ("T-GREEN", "4.0000", 10),
    ]
    assert again.status_code == 200 and again.json()["id"] == data["id"]
    see_all_brands()
    assert Order.objects.count() == 1
    assert StockLevel.objects.get(warehouse=desk.east, product=desk.still).reserved == 24


def test_a_reused_key_with_another_body_is_refused(buyer, desk):
    buyer.post("/orders", body(desk, ("W-STILL", 12)), headers={"Idempotency-Key": "k1"})

    refused = buyer.post("/orders", body(desk, ("W-STILL", 24)), headers={"Idempotency-Key": "k1"})

    assert refused.status_code == 422
    assert refused.json()["code"] == "idempotency_key_reused"
    see_all_brands()
    assert Order.objects.count() == 1 and IdempotencyKey.objects.count() == 1


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({"lines": [{"sku": "W-STILL", "qty": 12}]}, 422, "distributor_id"),
        ({"distributor_id": 1, "lines": []}, 422, "lines"),
        ({"distributor_id": 1, "lines": [{"sku": "W-STILL", "qty": 12}], "price": "0.01"}, 422, "price"),
    ],
)
def test_malformed_bodies_are_refused_naming_the_field(buyer, desk, payload, status, field):
    response = buyer.post("/orders", payload)
    assert response.status_code == status
    assert response.json()["field"] == field
    see_all_brands()
    assert not Order.objects.exists()


def test_broken_json_is_a_4xx(buyer):
    response = buyer.post("/orders", raw='{"distributor_id": 1, "lines": [')
    assert 400 <= response.status_code < 500
    assert response.json()["code"]


@pytest.mark.parametrize(
    ("lines", "status", "code"),
    [
        ([("NOPE", 1)], 422, "lines_invalid"),
        ([("W-STILL", 0)], 422, "validation_error"),
        ([("W-STILL", -12)], 422, "validation_error"),
        ([("W-STILL", 5)], 422, "lines_invalid"),
        ([("T-GREEN", 151)], 409, "insufficient_stock"),
    ],
)
def test_bad_lines_get_a_clear_4xx_and_change_nothing(buyer, desk, lines, status, code):
    response = buyer.post("/orders", body(desk, *lines), headers={"Idempotency-Key": "x"})

    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    see_all_brands()
    assert not Order.objects.exists() and not IdempotencyKey.objects.exists()
    assert StockLevel.objects.filter(reserved__gt=0).count() == 0


def test_an_order_for_another_distributor_is_not_found(buyer, desk):
    other = AccountFactory(brand=desk.brand)
    response = buyer.post("/orders", {"distributor_id": other.id, "lines": [{"sku": "W-STILL", "qty": 12}]})
    assert response.status_code == 404


def test_a_distributor_lists_only_its_own_orders(api, buyer, desk):
    buyer.post("/orders", body(desk, ("W-STILL", 12)))
    manager = api(desk.manager.user)

    assert buyer.get("/orders").json()["count"] == 1
    assert manager.get("/orders", status="allocated").json()["count"] == 1
    assert manager.get("/orders", status="cancelled").json()["count"] == 0


def test_the_wms_counts_stock_ships_and_the_distributor_receives(buyer, wms, desk):
    order = buyer.post("/orders", body(desk, ("W-STILL", 24))).json()

    counted = wms.put("/warehouses/east/stock", {"counts": [{"sku": "W-STILL", "on_hand": 20}]})
    assert counted.status_code == 200, counted.content
    assert counted.json() == {"updated": 1, "created": 0, "below_reserved": ["W-STILL"]}
    wms.put("/warehouses/east/stock", {"counts": [{"sku": "W-STILL", "on_hand": 1200}]})
    shipped = wms.post(
        f"/orders/{order['id']}/shipments",
        {"warehouse": "east", "carrier": "顺丰", "tracking_no": "SF1", "lines": [{"line_no": 1, "qty": 24}]},
    )
    assert shipped.status_code == 201, shipped.content
    received = buyer.post(f"/shipments/{shipped.json()['id']}/receive")

    assert received.status_code == 200 and received.json()["received_at"]
    assert buyer.get(f"/orders/{order['id']}").json()["status"] == "delivered"
    stock = wms.get("/stock", sku="W-STILL", warehouse="east").json()["items"]
    assert stock == [{"warehouse": "east", "sku": "W-STILL", "on_hand": 1176, "reserved": 0, "available": 1176}]


def test_a_bad_stock_count_names_every_bad_row_and_writes_nothing(wms, desk):
    response = wms.put(
        "/warehouses/east/stock", {"counts": [{"sku": "NOPE", "on_hand": 1}, {"sku": "T-GREEN", "on_hand": -1}]}
    )
    assert response.status_code == 422
    assert "row 1: unknown SKU 'NOPE'" in response.json()["message"]
    assert "row 2: on hand must be" in response.json()["message"]
    see_all_brands()
    assert StockLevel.objects.get(warehouse=desk.east, product=desk.tea).on_hand == 100


def test_cancel_through_the_api_gives_everything_back(buyer, desk):
    order = buyer.post("/orders", body(desk, ("W-STILL", 24))).json()

    cancelled = buyer.post(f"/orders/{order['id']}/cancel", {"reason": "下错了"})

    assert cancelled.status_code == 200
    assert (cancelled.json()["status"], cancelled.json()["cancel_reason"]) == ("cancelled", "下错了")
    see_all_brands()
    assert StockLevel.objects.get(warehouse=desk.east, product=desk.still).reserved == 0
    assert desk.credit().committed == Decimal("0")


def test_a_draft_reserves_nothing_and_is_priced_again_when_submitted(buyer, desk):
    draft = buyer.post("/orders", body(desk, ("W-STILL", 12), draft=True))
    assert draft.status_code == 201, draft.content
    assert (draft.json()["status"], draft.json()["total"]) == ("draft", "30.00")
    see_all_brands()
    assert StockLevel.objects.filter(reserved__gt=0).count() == 0

    changed = buyer.put(f"/orders/{draft.json()['id']}/draft", {"lines": [{"sku": "W-STILL", "qty": 24}]})
    assert changed.json()["total"] == "60.00"
    desk.prices(desk.base, [("W-STILL", "3.00")])
    submitted = buyer.post(f"/orders/{draft.json()['id']}/submit", headers={"Idempotency-Key": "d1"})
    again = buyer.post(f"/orders/{draft.json()['id']}/submit", headers={"Idempotency-Key": "d1"})

    assert submitted.status_code == 201, submitted.content
    data = submitted.json()
    assert (data["id"], data["number"]) == (draft.json()["id"], draft.json()["number"])
    assert (data["status"], data["total"]) == ("allocated", "72.00")
    assert again.status_code == 200 and again.json()["id"] == data["id"]
    see_all_brands()
    assert StockLevel.objects.get(warehouse=desk.east, product=desk.still).reserved == 24
    assert buyer.delete(f"/orders/{data['id']}").status_code == 409


def test_a_draft_can_be_discarded(buyer, desk):
    draft = buyer.post("/orders", body(desk, ("W-STILL", 12), draft=True)).json()

    assert buyer.delete(f"/orders/{draft['id']}").status_code == 204
    assert buyer.get(f"/orders/{draft['id']}").status_code == 404


def test_warehouse_stock_is_for_staff_distributors_see_availability_in_their_catalogue(buyer, wms):
    assert buyer.get("/stock").json()["count"] == 0
    assert buyer.get("/warehouses").json()["count"] == 0
    assert wms.get("/stock").json()["count"] == 5


def test_the_submit_answer_is_what_reading_the_order_back_gives(buyer, desk):
    desk.promotion("b10g1", "buy_x_get_y", {"buy": 10, "get": 1, "gift_sku": "T-GREEN"})
    desk.promotion("p5", "percent_off", {"percent": "5"}, stackable=True)

    created = buyer.post("/orders", body(desk, ("T-GREEN", 20), ("W-SPARK", 6), note="备注"))

    assert created.status_code == 201
    assert created.json() == buyer.get(f"/orders/{created.json()['id']}").json()
