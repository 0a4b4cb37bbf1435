"""The server-rendered pages. Every signed-in page goes through :func:`base.actor_required`."""

from channelhub.web.views.api_keys import api_key_revoke, api_keys
from channelhub.web.views.approvals import (
    approval_request,
    approval_request_retry,
    approval_requests,
    approval_task,
    approval_task_add_signer,
    approval_task_delegate,
    approval_task_return,
    approvals,
    approvals_done,
)
from channelhub.web.views.audit import audit_log
from channelhub.web.views.catalog import catalogue, catalogue_quote
from channelhub.web.views.catalog_admin import (
    catalog_authorization_remove,
    catalog_authorizations,
    catalog_category_create,
    catalog_product_create,
    catalog_product_edit,
    catalog_product_import,
    catalog_products,
)
from channelhub.web.views.catalog_pricing import (
    catalog_distributor_options,
    catalog_explain,
    catalog_price_list,
    catalog_price_list_create,
    catalog_price_lists,
    catalog_promotion_create,
    catalog_promotion_submit,
    catalog_promotions,
)
from channelhub.web.views.distributors import (
    distributor_create,
    distributor_detail,
    distributor_edit,
    distributor_sales_region_choices,
    distributors,
)
from channelhub.web.views.divisions import division_children, division_pick, divisions
from channelhub.web.views.home import home
from channelhub.web.views.notifications import notification_read, notifications, notifications_read_all
from channelhub.web.views.process_definitions import (
    process_definition_publish,
    process_definition_xml,
    process_definitions,
)
from channelhub.web.views.process_designer import process_designer
from channelhub.web.views.sales_regions import (
    sales_region_create,
    sales_region_delete,
    sales_region_edit,
    sales_regions,
)
from channelhub.web.views.session import login_view, logout_view, switch_brand
from channelhub.web.views.sla import process_sla

__all__ = [
    "api_key_revoke",
    "api_keys",
    "approval_request",
    "approval_request_retry",
    "approval_requests",
    "approval_task",
    "approval_task_add_signer",
    "approval_task_delegate",
    "approval_task_return",
    "approvals",
    "approvals_done",
    "audit_log",
    "catalog_authorization_remove",
    "catalog_authorizations",
    "catalog_category_create",
    "catalog_distributor_options",
    "catalog_explain",
    "catalog_price_list",
    "catalog_price_list_create",
    "catalog_price_lists",
    "catalog_product_create",
    "catalog_product_edit",
    "catalog_product_import",
    "catalog_products",
    "catalog_promotion_create",
    "catalog_promotion_submit",
    "catalog_promotions",
    "catalogue",
    "catalogue_quote",
    "distributor_create",
    "distributor_detail",
    "distributor_edit",
    "distributor_sales_region_choices",
    "distributors",
    "division_children",
    "division_pick",
    "divisions",
    "home",
    "login_view",
    "logout_view",
    "notification_read",
    "notifications",
    "notifications_read_all",
    "process_definition_publish",
    "process_definition_xml",
    "process_definitions",
    "process_designer",
    "process_sla",
    "sales_region_create",
    "sales_region_delete",
    "sales_region_edit",
    "sales_regions",
    "switch_brand",
]
