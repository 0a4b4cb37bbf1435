from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "channelhub.partners"
    label = "partners"

    def ready(self) -> None:
        from channelhub.partners import workflow_steps

        workflow_steps.register()
