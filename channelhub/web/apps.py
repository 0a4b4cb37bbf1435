from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "channelhub.web"
    label = "web"
