"""Pages of promotion execution monitoring, included into the ``web`` namespace by ``web/urls.py``."""

urlpatterns: list = []
