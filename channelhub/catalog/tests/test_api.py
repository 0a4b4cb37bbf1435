"""Catalogue API: writing the catalogue, quote and explain, refusals and brand isolation."""

from datetime import timedelta

import pytest
from django.utils import timezone

from channelhub.catalog.models import Product, Promotion
from channelhub.testing import AccountFactory, BrandFactory, see_all_brands, user_with_role
from channelhub.workflow.tests.test_approvals import inbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def brand():
    return BrandFactory()


@pytest.fixture
def admin(api, brand):
    return api(user_with_role("brand_admin", brand))


@pytest.fixture
def catalogue(admin, brand):
    drinks = admin.post("/catalog/categories", {"brand_id": brand.id, "code": "drinks", "name": "饮料"}).json()
    for sku, pack in (("W1", 1), ("CASE", 6)):
        made = admin.post(
            "/catalog/products",
            {"brand_id": brand.id, "sku": sku, "name": f"商品{sku}", "category": "drinks", "pack_size": pack},
        )
        assert made.status_code == 201, made.content
    assert (
        admin.post(
            "/catalog/authorizations", {"brand_id": brand.id, "allow": True, "category_id": drinks["id"]}
        ).status_code
        == 201
    )
    base = admin.post(
        "/catalog/price-lists", {"brand_id": brand.id, "code": "base", "name": "基础价", "kind": "base"}
    ).json()
    rows = [
        {"sku": "W1", "unit_price": "10.00"},
        {"sku": "W1", "unit_price": "9.00", "min_qty": 50},
        {"sku": "CASE", "unit_price": "50"},
    ]
    assert admin.put(f"/catalog/price-lists/{base['id']}/prices", {"prices": rows}).json() == {"set": 3}
    return AccountFactory(brand=brand, grade="B", territory=["320000"])


def test_quote_and_explain(admin, catalogue):
    body = {"distributor_id": catalogue.id, "lines": [{"sku": "W1", "qty": 50}, {"sku": "CASE", "qty": 4}]}
    quoted = admin.post("/catalog/quote", body)
    assert quoted.status_code == 200, quoted.content
    result = quoted.json()
    assert (result["ok"], result["total"]) == (False, "450.00")
    first, second = result["lines"]
    assert (first["list_price"], first["price_rule"], first["amount"]) == ("9.0000", "base ≥50", "450.00")
    assert (second["ok"], second["code"]) == (False, "bad_quantity")
    assert "trace" not in first
    explained = admin.post("/catalog/explain", body).json()
    assert [c["stage"] for c in explained["lines"][0]["trace"]] == ["authorization", "price"]


def test_bad_input_is_refused_and_names_the_field(admin, brand, catalogue):
    cases = [
        ("/catalog/products", {"brand_id": brand.id, "sku": "W1", "name": "x", "category": "drinks"}, 409, "sku"),
        ("/catalog/products", {"brand_id": brand.id, "sku": "N", "name": "x", "category": "nope"}, 422, "category"),
        ("/catalog/quote", {"distributor_id": catalogue.id, "lines": [{"sku": "W1", "qty": 0}]}, 422, "lines"),
    ]
    for url, body, status, field in cases:
        response = admin.post(url, body)
        assert (response.status_code, response.json().get("field")) == (status, field), (url, response.content)
    bad_prices = admin.put(
        "/catalog/price-lists/1/prices",
        {"prices": [{"sku": "W1", "unit_price": "1"}, {"sku": "ZZ", "unit_price": "1"}]},
    )
    assert bad_prices.status_code in (404, 422)
    see_all_brands()
    assert Product.objects.count() == 2


def test_another_brand_sees_nothing_and_cannot_quote(api, admin, catalogue):
    other = api(user_with_role("brand_admin", BrandFactory()))
    assert other.get("/catalog/products").json()["count"] == 0
    response = other.post("/catalog/quote", {"distributor_id": catalogue.id, "lines": [{"sku": "W1", "qty": 1}]})
    assert response.status_code == 404


def test_a_distributor_user_quotes_only_for_its_own_account(api, brand, catalogue):
    from channelhub.testing import distributor_user

    own = api(distributor_user(catalogue))
    assert (
        own.post("/catalog/quote", {"distributor_id": catalogue.id, "lines": [{"sku": "W1", "qty": 1}]}).status_code
        == 200
    )
    stranger = AccountFactory(brand=brand)
    assert (
        own.post("/catalog/quote", {"distributor_id": stranger.id, "lines": [{"sku": "W1", "qty": 1}]}).status_code
        == 404
    )
    assert own.post("/catalog/products", {"sku": "X", "name": "x", "category": "drinks"}).status_code == 403


def test_a_promotion_takes_effect_when_its_approval_ends(
    api, admin, brand, catalogue, django_capture_on_commit_callbacks
):
    from channelhub.tenancy.actor import Actor
    from channelhub.workflow import services as workflow_services

    see_all_brands()
    workflow_services.install_default_processes(actor=Actor.system(), brand_id=brand.id)
    now = timezone.now()
    made = admin.post(
        "/catalog/promotions",
        {
            "brand_id": brand.id,
            "code": "spring",
            "name": "春季促销",
            "mechanic": "percent_off",
            "params": {"percent": "10"},
            "starts_at": (now - timedelta(days=1)).isoformat(),
            "ends_at": (now + timedelta(days=30)).isoformat(),
            "budget_amount": "1000.00",
        },
    )
    assert made.status_code == 201, made.content
    body = {"distributor_id": catalogue.id, "lines": [{"sku": "W1", "qty": 10}]}
    assert admin.post("/catalog/quote", body).json()["total"] == "100.00"  # a draft does nothing
    reviewer = api(user_with_role("reviewer", brand))
    submitted = admin.post(f"/catalog/promotions/{made.json()['id']}/submit")
    assert submitted.json()["status"] == "pending"
    # the reviewer, then the brand admin approve (the default promotion process)
    with django_capture_on_commit_callbacks(execute=True):
        for client in (reviewer, admin):
            task = inbox(client)[0]
            assert client.post(f"/workflow/tasks/{task['id']}/act", {"decision": "approve"}).status_code == 200
    see_all_brands()
    assert Promotion.objects.get().status == "active"
    assert admin.post("/catalog/quote", body).json()["total"] == "90.00"


@pytest.mark.parametrize(
    ("field", "value"),
    [("division_codes", ["999999"]), ("product_ids", [987654]), ("category_ids", [987654]), ("grades", ["Z"])],
)
def test_a_promotion_must_name_what_exists(admin, brand, catalogue, field, value):
    now = timezone.now()
    body = {
        "brand_id": brand.id,
        "code": "typo",
        "name": "笔误",
        "mechanic": "percent_off",
        "params": {"percent": "5"},
        "starts_at": now.isoformat(),
        "ends_at": (now + timedelta(days=3)).isoformat(),
        field: value,
    }
    response = admin.post("/catalog/promotions", body)
    assert (response.status_code, response.json()["field"]) == (422, field)
    see_all_brands()
    assert not Promotion.objects.exists()
