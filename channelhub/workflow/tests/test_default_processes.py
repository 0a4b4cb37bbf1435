"""The processes that ship with ChannelHub: valid, installed once, and doing what they say."""

import pytest

from channelhub.partners.models import DistributorAccount
from channelhub.tenancy.actor import Actor
from channelhub.testing import AccountFactory, BrandFactory, see_all_brands, user_with_role
from channelhub.workflow import services
from channelhub.workflow.models import ProcessDefinition, ProcessInstance, WorkTask

pytestmark = pytest.mark.django_db

KEYS = ["distributor_exit", "distributor_onboarding", "order_credit_override", "promotion_approval"]


@pytest.fixture
def brand_people():
    brand = BrandFactory()
    see_all_brands()
    people = {
        "admin": user_with_role("brand_admin", brand),
        "manager": user_with_role("region_manager", brand, divisions=["320000"]),
        "finance": user_with_role("finance", brand),
    }
    services.install_default_processes(actor=Actor.for_user(people["admin"]), brand_id=brand.id)
    return brand, {name: Actor.for_user(user) for name, user in people.items()}


def decide(actor: Actor, step: str, decision: str = "approve") -> None:
    task = WorkTask.objects.get(step=step, status="open")
    services.act_on_task(actor=actor, task=task, decision=decision, comment="审核意见")


def onboarding(brand, admin: Actor, capital: int, account: DistributorAccount | None = None) -> ProcessInstance:
    account = account or AccountFactory(brand=brand, status=DistributorAccount.Status.PROSPECT)
    return services.start_process(
        actor=admin,
        brand_id=brand.id,
        key="distributor_onboarding",
        subject_type="partners.distributoraccount",
        subject_id=account.pk,
        subject_divisions=["320102"],
        data={"registered_capital": capital},
    )


def test_every_key_has_a_published_default_and_installing_again_adds_nothing(brand_people):
    brand, people = brand_people
    published = ProcessDefinition.objects.filter(brand=brand, status="published")
    assert sorted(published.values_list("key", flat=True)) == KEYS
    assert published.get(key="distributor_onboarding").name == "经销商准入"
    assert services.install_default_processes(actor=people["admin"], brand_id=brand.id) == []


def test_small_applicant_region_manager_then_director_then_the_account_is_active(brand_people):
    brand, people = brand_people
    account = AccountFactory(brand=brand, status=DistributorAccount.Status.PROSPECT)
    instance = onboarding(brand, people["admin"], capital=1_000_000, account=account)
    decide(people["manager"], "region_review")
    assert list(WorkTask.objects.filter(status="open").values_list("step", flat=True)) == ["director"]
    decide(people["admin"], "director")
    assert ProcessInstance.objects.get(pk=instance.pk).status == "approved"
    account.refresh_from_db()
    assert account.status == DistributorAccount.Status.ACTIVE


def test_a_director_rejection_leaves_the_account_a_prospect(brand_people):
    brand, people = brand_people
    account = AccountFactory(brand=brand, status=DistributorAccount.Status.PROSPECT)
    instance = onboarding(brand, people["admin"], capital=1_000_000, account=account)
    decide(people["manager"], "region_review")
    decide(people["admin"], "director", "reject")
    assert ProcessInstance.objects.get(pk=instance.pk).status == "rejected"
    account.refresh_from_db()
    assert account.status == DistributorAccount.Status.PROSPECT


def test_an_approved_exit_marks_the_account_exited(brand_people):
    brand, people = brand_people
    account = AccountFactory(brand=brand, status=DistributorAccount.Status.ACTIVE)
    instance = services.start_process(
        actor=people["admin"],
        brand_id=brand.id,
        key="distributor_exit",
        subject_type="partners.distributoraccount",
        subject_id=account.pk,
        subject_divisions=["320102"],
    )
    decide(people["manager"], "first_review")
    decide(people["admin"], "second_review")
    assert ProcessInstance.objects.get(pk=instance.pk).status == "approved"
    account.refresh_from_db()
    assert account.status == DistributorAccount.Status.EXITED


def test_large_applicant_gets_finance_in_parallel_and_its_rejection_counts(brand_people):
    brand, people = brand_people
    instance = onboarding(brand, people["admin"], capital=8_000_000)
    decide(people["manager"], "region_review")
    assert sorted(WorkTask.objects.filter(status="open").values_list("step", flat=True)) == [
        "director_big",
        "finance_review",
    ]
    decide(people["finance"], "finance_review", "reject")
    decide(people["admin"], "director_big", "approve")
    assert ProcessInstance.objects.get(pk=instance.pk).status == "rejected"


def test_region_manager_rejection_ends_it(brand_people):
    brand, people = brand_people
    instance = onboarding(brand, people["admin"], capital=1_000_000)
    decide(people["manager"], "region_review", "reject")
    assert ProcessInstance.objects.get(pk=instance.pk).status == "rejected"
