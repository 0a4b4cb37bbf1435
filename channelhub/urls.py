from django.urls import include, path

from channelhub.catalog.api import router as catalog_router
from channelhub.core.api import api, own_transaction
from channelhub.core.views import healthz, readyz
from channelhub.finance.api import router as finance_router
from channelhub.messaging.api import router as messaging_router
from channelhub.orders.api import router as orders_router
from channelhub.orders.monitoring_api import router as monitoring_router
from channelhub.orders.reports_api import router as reports_router
from channelhub.partners.api import router as partners_router
from channelhub.regions.api import router as regions_router
from channelhub.tenancy.api import router as tenancy_router
from channelhub.workflow.api import router as workflow_router

api.add_router("", tenancy_router)
api.add_router("", regions_router)
api.add_router("", partners_router)
api.add_router("", catalog_router)
api.add_router("", workflow_router)
api.add_router("", messaging_router)
api.add_router("", orders_router)
api.add_router("", finance_router)
api.add_router("", reports_router)
api.add_router("", monitoring_router)

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    # a submitted order commits before its answer is built (see orders.api.submit_order)
    path("api/v1/", own_transaction(api.urls, "orders", "POST")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("channelhub.web.urls")),
]
