from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "channelhub.core"
    label = "core"
    verbose_name = "Core"
