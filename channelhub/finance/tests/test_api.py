"""Finance API: credit at a glance and per account, the writes, refusals as {code, message, field}."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from channelhub.finance.models import TemporaryCredit
from channelhub.finance.tests.conftest import audit_count, balances, credit_of, ship
from channelhub.testing import AccountFactory, BrandFactory, distributor_user, see_all_brands, user_with_role

pytestmark = pytest.mark.django_db


def day(n: int = 0) -> str:
    return (timezone.localdate() + timedelta(days=n)).isoformat()


@pytest.fixture
def finance(api, books):
    return api(books.finance)


def test_finance_sets_a_limit_grants_and_revokes_temporary_credit_and_records_money(finance, books):
    # given
    account = books.nanjing.id
    ship(books.nanjing, "3000")
    # when
    limit = finance.put(f"/finance/credit/{account}/limit", {"limit": "10000.00", "valid_from": day(-1)})
    granted = finance.post(
        f"/finance/credit/{account}/temporary",
        {"amount": "2000", "valid_from": day(0), "valid_to": day(9), "reason": "双十一备货"},
    )
    paid = finance.post(f"/finance/credit/{account}/payments", {"amount": "1000", "reference": "BANK-1"})
    adjusted = finance.post(f"/finance/credit/{account}/adjustments", {"amount": "-0.50", "note": "尾差"})
    detail = finance.get(f"/finance/credit/{account}")
    # then
    assert limit.status_code == 200, limit.content
    assert (limit.json()["limit"], limit.json()["limit_valid_from"]) == ("10000.00", day(-1))
    assert granted.status_code == 201, granted.content
    assert (granted.json()["amount"], granted.json()["state"], granted.json()["granted_by"]) == (
        "2000.00",
        "in_force",
        books.finance.username,
    )
    assert (paid.status_code, paid.json()["kind"], paid.json()["amount"]) == (201, "payment", "-1000.00")
    assert (adjusted.status_code, adjusted.json()["kind"], adjusted.json()["amount"]) == (201, "adjustment", "-0.50")
    body = detail.json()
    assert {k: body[k] for k in ("limit", "temporary", "receivable", "committed", "used", "available", "state")} == {
        "limit": "10000.00",
        "temporary": "2000.00",
        "receivable": "1999.50",
        "committed": "0.00",
        "used": "1999.50",
        "available": "10000.50",
        "state": "ok",
    }
    assert [e["kind"] for e in body["entries"]] == ["adjustment", "payment", "shipment"]
    revoked = finance.post(f"/finance/temporary-credits/{granted.json()['id']}/revoke")
    assert (revoked.status_code, revoked.json()["state"]) == (200, "revoked")
    assert finance.get(f"/finance/credit/{account}").json()["temporary"] == "0.00"


def test_the_list_pages_and_filters(finance, books):
    # given
    finance.put(f"/finance/credit/{books.nanjing.id}/limit", {"limit": "100"})
    ship(books.nanjing, "120")
    # when
    everything = finance.get("/finance/credit", limit=1)
    over = finance.get("/finance/credit", status="over_limit")
    found = finance.get("/finance/credit", q="杭州")
    # then
    assert everything.status_code == 200
    assert (everything.json()["count"], [r["code"] for r in everything.json()["items"]]) == (2, ["HZ001"])
    assert [(r["code"], r["utilisation"], r["available"]) for r in over.json()["items"]] == [
        ("NJ001", "120.0", "-20.00")
    ]
    assert [r["code"] for r in found.json()["items"]] == ["HZ001"]
    bad = finance.get("/finance/credit", status="everything")
    assert (bad.status_code, bad.json()["field"]) == (422, "status")


def test_bad_input_is_refused_with_code_message_and_field_and_changes_nothing(finance, books):
    # given
    url = f"/finance/credit/{books.nanjing.id}"
    ship(books.nanjing, "10")
    stored = balances(books.nanjing)
    before = audit_count()
    cases = [
        ("put", f"{url}/limit", {"limit": "-1"}, 422, "limit"),
        ("put", f"{url}/limit", {"limit": "1.001"}, 422, "limit"),
        ("put", f"{url}/limit", {"limit": "1", "valid_from": day(5), "valid_to": day(1)}, 422, "valid_to"),
        ("put", f"{url}/limit", {"limit": "1", "colour": "red"}, 422, "colour"),
        ("put", f"{url}/limit", {}, 422, "limit"),
        (
            "post",
            f"{url}/temporary",
            {"amount": "0", "valid_from": day(), "valid_to": day(), "reason": "x"},
            422,
            "amount",
        ),
        (
            "post",
            f"{url}/temporary",
            {"amount": "5", "valid_from": day(), "valid_to": day(), "reason": ""},
            422,
            "reason",
        ),
        ("post", f"{url}/payments", {"amount": "5", "reference": ""}, 422, "reference"),
        ("post", f"{url}/adjustments", {"amount": "0", "note": "x"}, 422, "amount"),
    ]
    for method, path, body, status, field in cases:
        # when
        response = getattr(finance, method)(path, body)
        # then
        assert response.status_code == status, (path, body, response.content)
        assert set(response.json()) == {"code", "message", "field"}
        assert (response.json()["code"], response.json()["field"]) == ("validation_error", field), (
            body,
            response.json(),
        )
    assert balances(books.nanjing) == stored and audit_count() == before
    see_all_brands()
    assert not TemporaryCredit.objects.exists()


def test_who_may_read_and_write(api, books):
    # given
    manager = api(user_with_role("region_manager", books.brand, divisions=["320000"]))
    distributor = api(distributor_user(books.nanjing))
    finance = api(books.finance)
    stranger = AccountFactory(brand=BrandFactory())
    before = audit_count()  # (signing in is audited too)
    # when / then: a region manager reads its region and writes nothing
    assert [r["code"] for r in manager.get("/finance/credit").json()["items"]] == ["NJ001"]
    assert manager.get(f"/finance/credit/{books.hangzhou.id}").status_code == 404
    refused = manager.put(f"/finance/credit/{books.nanjing.id}/limit", {"limit": "1"})
    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
    # a distributor reads its own credit only, and cannot change it
    assert distributor.get(f"/finance/credit/{books.nanjing.id}").json()["code"] == "NJ001"
    assert distributor.get(f"/finance/credit/{books.hangzhou.id}").json()["code"] == "not_found"
    assert (
        distributor.post(f"/finance/credit/{books.nanjing.id}/payments", {"amount": "1", "reference": "R"}).status_code
        == 403
    )
    # another brand's account does not exist for finance
    assert finance.get(f"/finance/credit/{stranger.id}").status_code == 404
    assert finance.put(f"/finance/credit/{stranger.id}/limit", {"limit": "1"}).status_code == 404
    assert finance.post("/finance/temporary-credits/999999/revoke").status_code == 404
    # nobody signed in
    assert api().get("/finance/credit").status_code == 401
    assert credit_of(books.nanjing) is None and credit_of(stranger) is None and audit_count() == before


def test_revoking_twice_is_a_conflict(finance, books):
    granted = finance.post(
        f"/finance/credit/{books.nanjing.id}/temporary",
        {"amount": "5", "valid_from": day(), "valid_to": day(1), "reason": "x"},
    ).json()
    assert finance.post(f"/finance/temporary-credits/{granted['id']}/revoke").status_code == 200
    again = finance.post(f"/finance/temporary-credits/{granted['id']}/revoke")
    assert (again.status_code, again.json()["code"]) == (409, "conflict")


def test_amounts_are_decimals_not_floats(finance, books):
    response = finance.put(f"/finance/credit/{books.nanjing.id}/limit", {"limit": 0.1})
    assert response.status_code == 200
    assert credit_of(books.nanjing).limit == Decimal("0.10")
