from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "channelhub.demo"
    label = "demo"
    verbose_name = "Demo data"
