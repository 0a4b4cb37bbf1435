"""``channelhub demo``: build the deterministic demo group (``--scale`` for benchmarks)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from channelhub.demo.builder import build_demo
from channelhub.tenancy.models import Brand


class Command(BaseCommand):
    help = "Load the demo group, brands, users and distributors (演示数据)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale", type=int, default=160, help="distributors in the first brand; the others get half (default 160)"
        )
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--if-empty", action="store_true", help="do nothing when brands already exist")

    def handle(self, *args, scale: int, seed: int, if_empty: bool, **options):
        if scale < 1:
            raise CommandError("--scale must be at least 1")
        if Brand.objects.exists():
            if if_empty:
                self.stdout.write("demo: database already has data, nothing loaded")
                return
            raise CommandError("the database already has brands; the demo loads into an empty database only")
        summary = build_demo(scale=scale, seed=seed)
        if "owner" in settings.DATABASES:
            # Bulk-loaded tables have no planner statistics yet; only the owner may ANALYZE them.
            with connections["owner"].cursor() as cursor:
                cursor.execute("ANALYZE")
        self.stdout.write(
            self.style.SUCCESS(f"demo: {summary.brands} brands, {summary.distributors} distributors loaded")
        )
        for username, password in summary.users:
            self.stdout.write(f"  login {username} / {password}")
