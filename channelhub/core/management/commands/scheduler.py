"""``channelhub scheduler``: enqueue periodic jobs when they are due (started by ``make run``)."""

import signal
import time

from django.core.management.base import BaseCommand

from channelhub.core.scheduler import registered_jobs, run_due


class Command(BaseCommand):
    help = "Enqueue periodic background jobs when due; the worker runs them."

    def add_arguments(self, parser):
        parser.add_argument("--tick", type=float, default=15.0, help="seconds between checks")
        parser.add_argument("--once", action="store_true", help="check once and exit")

    def handle(self, *args, tick: float, once: bool, **options):
        jobs = registered_jobs()
        self.stdout.write(f"scheduler: {len(jobs)} job(s): {', '.join(sorted(jobs)) or '-'}")
        stopping = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        while not stopping:
            run_due()  # logs what it enqueues
            if once:
                return
            try:
                time.sleep(tick)
            except KeyboardInterrupt:
                return
