"""Pages of the finance area, included into the ``web`` namespace by ``web/urls.py``."""

from django.urls import path

from channelhub.web.views import finance

urlpatterns: list = [
    path("finance/credit/", finance.finance_credit, name="finance_credit"),
    path("finance/credit/<int:account_id>/", finance.finance_credit_account, name="finance_credit_account"),
    path("finance/credit/<int:account_id>/limit/", finance.finance_credit_limit, name="finance_credit_limit"),
    path(
        "finance/credit/<int:account_id>/temporary/", finance.finance_credit_temporary, name="finance_credit_temporary"
    ),
    path("finance/credit/<int:account_id>/payments/", finance.finance_credit_payment, name="finance_credit_payment"),
    path(
        "finance/credit/<int:account_id>/adjustments/",
        finance.finance_credit_adjustment,
        name="finance_credit_adjustment",
    ),
    path(
        "finance/temporary-credits/<int:pk>/revoke/", finance.finance_temporary_revoke, name="finance_temporary_revoke"
    ),
]
