import pytest
from django.db import connection
from django.http import HttpResponse
from django.urls import path

from channelhub.core.api import own_transaction


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
