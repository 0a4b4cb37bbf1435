"""Housekeeping tasks of the platform itself."""

from datetime import timedelta

from django.core.management import call_command
from django_tasks import task

from channelhub.core.scheduler import every


@every(timedelta(days=1))
@task()
def prune_task_results() -> None:
    """Delete finished background-task results older than two weeks."""
    call_command("prune_db_task_results", min_age_days=14, verbosity=0)
