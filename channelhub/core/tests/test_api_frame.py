from typing import Annotated

import pytest
from django.db import connection
from django.http import HttpResponse
from django.urls import path
from pydantic import AliasPath, Field

from channelhub.core.api import Output, Related, own_transaction
from channelhub.tenancy.models import ApiKey
from channelhub.testing import BrandFactory


class KeyOut(Output):
    name: str
    brand: str = Field(validation_alias=AliasPath("brand", "name"))


class BrandOut(Output):
    code: str
    api_keys: Annotated[list[KeyOut], Related]


@pytest.mark.django_db
def test_output_reads_related_objects_and_lists_off_the_model():
    brand = BrandFactory(name="甲品牌")
    ApiKey.objects.create(brand=brand, name="ERP", prefix="k1", key_hash="h1")

    answer = BrandOut.model_validate(brand).model_dump()

    assert answer == {"code": brand.code, "api_keys": [{"name": "ERP", "brand": "甲品牌"}]}


@pytest.mark.django_db(transaction=True)
def test_own_transaction_takes_only_the_named_method_out_of_the_request_transaction(rf):
    seen = {}

    def view(request):
        seen[request.method] = connection.in_atomic_block
        return HttpResponse()

    patterns = [path("orders/<int:order_id>", view), path("orders", view, name="orders")]
    own_transaction((patterns, "api", "api"), "orders", "POST")
    wrapped = patterns[1].callback
    wrapped(rf.post("/orders"))
    wrapped(rf.get("/orders"))

    assert seen == {"POST": False, "GET": True}
    assert patterns[0].callback is view and patterns[1].name == "orders"
    assert wrapped._non_atomic_requests and wrapped.csrf_exempt  # Django leaves it alone; CSRF as other API views


def test_own_transaction_names_a_route_it_cannot_find():
    with pytest.raises(LookupError, match="nowhere"):
        own_transaction(([path("orders", lambda r: None)], "api", "api"), "nowhere", "POST")
