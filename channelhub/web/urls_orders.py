"""Pages of the orders area, included into the ``web`` namespace by ``web/urls.py``."""

from django.urls import path

from channelhub.web.views import orders, orders_desk, stock

urlpatterns: list = [
    path("orders/", orders.order_list, name="order_list"),
    path("orders/new/", orders.order_new, name="order_new"),
    path("orders/new/quote/", orders.order_quote, name="order_quote"),
    path("orders/<int:pk>/", orders_desk.order_detail, name="order_detail"),
    path("orders/<int:pk>/cancel/", orders_desk.order_cancel, name="order_cancel"),
    path("orders/<int:pk>/discard/", orders_desk.order_discard, name="order_discard"),
    path("orders/<int:pk>/credit/", orders_desk.order_credit_decision, name="order_credit_decision"),
    path("orders/<int:pk>/allocate/", orders_desk.order_allocate, name="order_allocate"),
    path("orders/<int:pk>/ship/", orders_desk.order_ship, name="order_ship"),
    path("orders/<int:pk>/complete/", orders_desk.order_complete, name="order_complete"),
    path("orders/<int:pk>/shipments/<int:shipment_pk>/receive/", orders_desk.order_receive, name="order_receive"),
    path("orders/<int:pk>/returns/", orders_desk.order_return, name="order_return"),
    path(
        "orders/<int:pk>/returns/<int:return_pk>/decide/",
        orders_desk.order_return_decision,
        name="order_return_decision",
    ),
    path(
        "orders/<int:pk>/returns/<int:return_pk>/receive/",
        orders_desk.order_return_receive,
        name="order_return_receive",
    ),
    path("stock/", stock.stock_levels, name="stock_levels"),
]
