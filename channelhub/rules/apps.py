from django.apps import AppConfig


class RulesConfig(AppConfig):
    name = "channelhub.rules"
    label = "rules"
