"""Pages of the reports area, included into the ``web`` namespace by ``web/urls.py``."""

from django.urls import path

from channelhub.web.views import reports

urlpatterns: list = [
    path("reports/sell-through/", reports.sell_through, name="reports_sell_through"),
    path("reports/sell-through/template.xlsx", reports.sell_through_template, name="reports_sell_through_template"),
    path("reports/stock/", reports.stock, name="reports_stock"),
    path("reports/stock/template.xlsx", reports.stock_template, name="reports_stock_template"),
    path("reports/alerts/", reports.alerts, name="reports_alerts"),
    path("reports/alerts/<int:pk>/", reports.alert_detail, name="reports_alert"),
    path(
        "reports/alerts/<int:pk>/confirm/",
        reports.alert_handle,
        {"decision": "confirm"},
        name="reports_alert_confirm",
    ),
    path(
        "reports/alerts/<int:pk>/dismiss/",
        reports.alert_handle,
        {"decision": "dismiss"},
        name="reports_alert_dismiss",
    ),
    path("reports/turnover/", reports.turnover, name="reports_turnover"),
    path("reports/turnover/<int:pk>/", reports.turnover_account, name="reports_turnover_account"),
]
