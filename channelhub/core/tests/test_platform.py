"""Health probes, the OpenAPI document, the scheduler and the demo loader."""

import pytest
from django.core.management import call_command
from django.test import Client

from channelhub.core.models import ScheduleState
from channelhub.core.scheduler import run_due
from channelhub.testing import see_all_brands


def test_healthz_needs_no_database():
    assert Client().get("/healthz").json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_reports_the_database():
    import os

    response = Client().get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    expected_cache = "RedisCache" if os.environ.get("REDIS_URL") else "LocMemCache"
    assert response.json()["cache"] == expected_cache


@pytest.mark.django_db
def test_openapi_document_and_docs_are_served():
    schema = Client().get("/api/v1/openapi.json").json()
    assert {"/api/v1/distributors", "/api/v1/auth/token", "/api/v1/sales-regions"} <= set(schema["paths"])
    assert Client().get("/api/v1/docs").status_code == 200


@pytest.mark.django_db
def test_scheduler_enqueues_due_jobs_once_per_interval(django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    prune, sweep = "channelhub.core.tasks.prune_task_results", "channelhub.workflow.tasks.sweep_workflow_timers"
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        first = run_due(now)
        soon = run_due(now + timedelta(seconds=30))
        hour = run_due(now + timedelta(hours=1))
        next_day = run_due(now + timedelta(days=1, seconds=1))
    assert {prune, sweep} <= set(first)
    assert soon == []
    assert sweep in hour and prune not in hour  # every minute; the daily one waits
    assert set(next_day) == set(first)  # the daily one too
    assert DBTaskResult.objects.count() == len(first) + len(hour) + len(next_day)
    assert ScheduleState.objects.count() == len(first)


@pytest.mark.django_db(databases="__all__")  # on PostgreSQL the loader runs ANALYZE as the owner
def test_demo_has_the_promised_users_and_shared_parties(capsys):
    from channelhub.partners.models import DistributorAccount, DistributorParty
    from channelhub.tenancy.models import Brand, User

    call_command("demo", scale=40)
    see_all_brands()
    assert Brand.objects.count() == 3
    assert DistributorAccount.objects.count() == 80
    assert DistributorParty.objects.count() < 80  # some companies serve several brands
    for username in ["group_admin", "brand_a_admin", "brand_b_admin", "region_js_manager", "distributor_a1"]:
        assert User.objects.get(username=username).check_password("demo-pass-2026")
    first = DistributorAccount.objects.order_by("id").select_related("registered_division").first()
    assert first.registered_division.province_id == "320000"  # the region manager's province
    from channelhub.tenancy.actor import Actor
    from channelhub.workflow.selectors import inbox_for

    manager = Actor.for_user(User.objects.get(username="region_js_manager"))
    assert inbox_for(manager).exists()  # onboarding requests of 江苏 prospects wait for the manager
    call_command("demo", if_empty=True)  # a second run with --if-empty leaves the data alone
    assert DistributorAccount.objects.count() == 80
    assert "already has data" in capsys.readouterr().out


@pytest.mark.django_db
def test_demo_builds_the_same_data_every_time():
    from django.db import transaction

    from channelhub.demo.builder import build_demo
    from channelhub.partners.models import DistributorAccount

    class Rollback(Exception):
        pass

    def build() -> list:
        rows = []
        try:
            with transaction.atomic():
                build_demo(scale=30)
                see_all_brands()
                rows = list(
                    DistributorAccount.objects.order_by("brand__code", "code").values_list(
                        "code", "party__credit_code", "grade", "status", "registered_division_id"
                    )
                )
                raise Rollback
        except Rollback:
            return rows

    assert build() == build() != []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("get", "/api/v1/no-such-thing", 404, "not_found"),
        ("put", "/api/v1/distributors", 405, "method_not_allowed"),
        ("get", "/api/v1/distributors/99999999999999999999", 422, "validation_error"),
        ("get", "/api/v1/distributors?offset=999999999999999999999", 422, "validation_error"),
        ("get", "/api/v1/distributors?sales_region=99999999999999999999", 422, "validation_error"),
        ("get", "/api/v1/distributors?limit=100000", 422, "validation_error"),
    ],
)
def test_every_api_error_has_the_json_shape(api, method, path, status, code):
    from channelhub.testing import user_with_role

    client = api(user_with_role("group_admin"))
    response = getattr(client.client, method)(path, **client.headers)
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == code
    assert set(response.json()) == {"code", "message", "field"}
