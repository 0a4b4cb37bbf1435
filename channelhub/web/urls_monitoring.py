"""Pages of promotion execution monitoring, included into the ``web`` namespace by ``web/urls.py``."""

from django.urls import path

from channelhub.web.views.promotion_monitor import promotion_execution

urlpatterns: list = [
    path("catalog/promotions/<int:pk>/execution/", promotion_execution, name="catalog_promotion_execution"),
]
