from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "channelhub.tenancy"
    label = "tenancy"
