"""Periodic jobs: modules register tasks with :func:`every`; the scheduler enqueues them when due.

The scheduler only enqueues; workers run the tasks. Last-run times are stored, so a restart or a
second scheduler process does not run a job twice (the row is locked while it is checked).
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from channelhub.core.models import ScheduleState

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    task: object
    interval: timedelta


_jobs: dict[str, Job] = {}


def every(interval: timedelta, *, name: str | None = None):
    """Register a task (from ``@task``) to be enqueued once per ``interval``."""

    def register(task):
        job_name = name or f"{task.func.__module__}.{task.func.__name__}"
        _jobs[job_name] = Job(job_name, task, interval)
        return task

    return register


def registered_jobs() -> dict[str, Job]:
    autodiscover_modules("tasks")
    return dict(_jobs)


def run_due(now: datetime | None = None) -> list[str]:
    """Enqueue every job whose interval has passed; returns the names enqueued."""
    now = now or timezone.now()
    enqueued = []
    for job in registered_jobs().values():
        with transaction.atomic():
            state, created = ScheduleState.objects.select_for_update().get_or_create(
                name=job.name, defaults={"last_run_at": now}
            )
            if not created and now - state.last_run_at < job.interval:
                continue
            state.last_run_at = now
            state.save(update_fields=["last_run_at"])
            # Enqueued once the run time is committed: with a Redis queue, a rollback must not
            # leave a task behind, nor a crash between the two a run forgotten.
            transaction.on_commit(job.task.enqueue)
            enqueued.append(job.name)
    if enqueued:
        logger.info("scheduler enqueued: %s", ", ".join(enqueued))
    return enqueued
