from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "channelhub.partners"
    label = "partners"
