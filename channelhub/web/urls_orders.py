"""Pages of the orders area, included into the ``web`` namespace by ``web/urls.py``."""

urlpatterns: list = []
