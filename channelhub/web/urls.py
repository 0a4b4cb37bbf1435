from django.urls import path, re_path

from channelhub.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("brand/", views.switch_brand, name="switch_brand"),
    path("divisions/", views.divisions, name="divisions"),
    path("divisions/pick/", views.division_pick, name="division_pick"),
    re_path(r"^divisions/(?P<code>[0-9]{6})/children/$", views.division_children, name="division_children"),
    path("sales-regions/", views.sales_regions, name="sales_regions"),
    path("sales-regions/new/", views.sales_region_create, name="sales_region_create"),
    path("sales-regions/<int:pk>/edit/", views.sales_region_edit, name="sales_region_edit"),
    path("sales-regions/<int:pk>/delete/", views.sales_region_delete, name="sales_region_delete"),
    path("distributors/", views.distributors, name="distributors"),
    path("distributors/new/", views.distributor_create, name="distributor_create"),
    path(
        "distributors/new/sales-regions/",
        views.distributor_sales_region_choices,
        name="distributor_sales_region_choices",
    ),
    path("distributors/<int:pk>/", views.distributor_detail, name="distributor_detail"),
    path("distributors/<int:pk>/edit/", views.distributor_edit, name="distributor_edit"),
    path("approvals/", views.approvals, name="approvals"),
    path("approvals/tasks/<int:pk>/", views.approval_task, name="approval_task"),
    path("approvals/tasks/<int:pk>/delegate/", views.approval_task_delegate, name="approval_task_delegate"),
    path("approvals/instances/", views.approval_requests, name="approval_requests"),
    path("approvals/instances/<int:pk>/", views.approval_request, name="approval_request"),
    path("approvals/definitions/", views.process_definitions, name="process_definitions"),
    path(
        "approvals/definitions/<int:pk>/publish/",
        views.process_definition_publish,
        name="process_definition_publish",
    ),
    path("approvals/definitions/<int:pk>/xml/", views.process_definition_xml, name="process_definition_xml"),
    path("approvals/sla/", views.process_sla, name="sla"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read-all/", views.notifications_read_all, name="notifications_read_all"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
    path("audit/", views.audit_log, name="audit"),
    path("api-keys/", views.api_keys, name="api_keys"),
    path("api-keys/<int:pk>/revoke/", views.api_key_revoke, name="api_key_revoke"),
]
