"""Display names of stored codes (statuses, roles, actions) in the page language.

The models keep bilingual choice labels for the API and the admin; pages show one language.
"""

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

STATUS = {
    "prospect": _("Prospect"),
    "active": _("Active"),
    "suspended": _("Suspended"),
    "exited": _("Exited"),
}

ROLE = {
    "group_admin": _("Group admin"),
    "group_analyst": _("Group analyst"),
    "brand_admin": _("Brand admin"),
    "region_manager": _("Region manager"),
    "reviewer": _("Reviewer"),
    "finance": _("Finance"),
    "distributor_user": _("Distributor user"),
    "system": _("System"),
    "integration": _("Integration"),
}

ACTION = {
    "create": _("Created"),
    "update": _("Updated"),
    "delete": _("Deleted"),
    "link": _("Linked"),
    "login": _("Signed in"),
    "revoke": _("Revoked"),
}

LEVEL = {
    1: _("Province"),
    2: _("Prefecture"),
    3: _("County"),
}

INSTANCE_STATUS = {
    "running": _("In progress"),
    "approved": _("Approved"),
    "rejected": _("Rejected"),
    "cancelled": _("Withdrawn"),
    "incident": _("Stuck"),
}

NOTIFICATION_KIND = {
    "task_assigned": _("New task"),
    "task_reminder": _("Reminder"),
    "task_escalated": _("Escalated"),
    "process_finished": _("Process finished"),
}

TASK_STATUS = {
    "open": _("Waiting"),
    "done": _("Done"),
    "cancelled": _("Cancelled"),
}

DECISION = {
    "approve": _("Approve"),
    "reject": _("Reject"),
    "return": _("Send back"),
    "add_signer": _("Add signer"),
}

DEFINITION_STATUS = {
    "draft": _("Draft"),
    "published": _("Published"),
    "retired": _("Retired"),
}

OBJECT_TYPE = {
    "partners.distributoraccount": _("Distributor"),
    "partners.distributorparty": _("Distributor company"),
    "regions.salesregion": _("Sales region"),
    "tenancy.apikey": _("Integration key"),
    "tenancy.apitoken": _("Personal token"),
    "tenancy.membership": _("Membership"),
    "tenancy.brand": _("Brand"),
    "workflow.processdefinition": _("Process definition"),
    "workflow.processinstance": _("Approval request"),
    "workflow.worktask": _("Approval task"),
}

FIELD = {
    "code": _("Code"),
    "name": _("Name"),
    "grade": _("Grade"),
    "status": _("Status"),
    "registered_division": _("Registered division"),
    "address": _("Address"),
    "custom_fields": _("Custom fields"),
    "party": _("Company"),
    "credit_code": _("Unified social credit code"),
    "legal_representative": _("Legal representative"),
    "registered_capital": _("Registered capital"),
    "territory_divisions": _("Territory divisions"),
    "territory_sales_regions": _("Territory sales regions"),
    "description": _("Description"),
    "divisions": _("Divisions"),
    "scopes": _("Scopes"),
    "prefix": _("Key prefix"),
    "role": _("Role"),
    "user": _("User"),
    "bpmn_xml": _("BPMN XML"),
    "version": _("Version"),
    "process": _("Process"),
    "subject": _("Subject"),
    "decision": _("Decision"),
    "comment": _("Comment"),
    "assignee": _("Assignee"),
}

# The business data a request was started with (``ProcessInstance.data``) and the form data of a
# step; keys not listed here are shown as they are stored.
REQUEST_DATA = {
    "registered_capital": _("Registered capital"),
    "amount": _("Amount"),
    "order_amount": _("Order amount"),
    "credit_limit": _("Credit limit"),
    "budget": _("Budget"),
    "grade": _("Grade"),
    "region": _("Region"),
    "sales_region": _("Sales region"),
    "reason": _("Reason"),
    "note": _("Note"),
}
MONEY_KEYS = frozenset({"registered_capital", "amount", "order_amount", "credit_limit", "budget"})

SCOPE = {
    "read": _("Read"),
    "write": _("Write"),
}


def brand_name(brand) -> str:
    """A brand's name in the page language (its English name, when it has one, on English pages)."""
    if brand.name_en and (get_language() or "").startswith("en"):
        return brand.name_en
    return brand.name
