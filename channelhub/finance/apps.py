from django.apps import AppConfig


class FinanceConfig(AppConfig):
    name = "channelhub.finance"
    label = "finance"
    verbose_name = "finance"
