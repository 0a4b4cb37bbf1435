from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    name = "channelhub.workflow"
    label = "workflow"
