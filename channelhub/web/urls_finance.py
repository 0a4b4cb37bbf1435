"""Pages of the finance area, included into the ``web`` namespace by ``web/urls.py``."""

urlpatterns: list = []
