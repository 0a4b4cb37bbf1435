"""Pages of the reports area, included into the ``web`` namespace by ``web/urls.py``."""

urlpatterns: list = []
