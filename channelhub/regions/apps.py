from django.apps import AppConfig


class RegionsConfig(AppConfig):
    name = "channelhub.regions"
    label = "regions"
