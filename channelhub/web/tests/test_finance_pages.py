"""信用额度 pages: the overview at a glance, one account's credit, finance's forms (Post/Redirect/Get,
errors on the form), and who sees what."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from channelhub.finance import services
from channelhub.finance.models import CreditAccount, TemporaryCredit
from channelhub.finance.tests.conftest import audit_count, balances, credit_of, make_books, ship
from channelhub.testing import AccountFactory, BrandFactory, distributor_user, member, see_all_brands, user_with_role

pytestmark = pytest.mark.django_db


def day(n: int = 0) -> str:
    return (timezone.localdate() + timedelta(days=n)).isoformat()


def codes(response) -> list[str]:
    return [item["row"].code for item in response.context["rows"]]


@pytest.fixture
def books():
    return make_books()


@pytest.fixture
def finance(browser_of, books):
    return browser_of(books.finance)


class TestOverview:
    def test_finance_sees_every_account_with_over_limit_flagged(self, finance, books):
        # given
        services.set_credit_limit(actor=books.actor, account_id=books.nanjing.id, limit=Decimal("1000"))
        ship(books.nanjing, "1500")
        # when
        response = finance.get("/finance/credit/")
        # then
        assert response.status_code == 200
        assert codes(response) == ["HZ001", "NJ001"]
        body = response.content.decode()
        assert "¥-500.00" in body and 'class="credit-over_limit"' in body and "150.0%" in body
        assert response.context["summary"].over_limit == 1

    def test_status_tabs_and_search_filter_the_rows(self, finance, books):
        services.set_credit_limit(actor=books.actor, account_id=books.nanjing.id, limit=Decimal("100"))
        ship(books.nanjing, "90")
        assert codes(finance.get("/finance/credit/", {"status": "near_limit"})) == ["NJ001"]
        assert codes(finance.get("/finance/credit/", {"status": "over_limit"})) == []
        assert codes(finance.get("/finance/credit/", {"q": "杭州"})) == ["HZ001"]

    def test_live_search_answers_only_the_results(self, finance, books):
        response = finance.get("/finance/credit/", {"q": "南京"}, headers={"HX-Request": "true"})
        body = response.content.decode()
        assert response.status_code == 200 and "<html" not in body and "南京一号商贸" in body

    def test_a_region_manager_sees_only_their_region(self, browser_of, books):
        client = browser_of(user_with_role("region_manager", books.brand, divisions=["320000"]))
        assert codes(client.get("/finance/credit/")) == ["NJ001"]

    def test_a_distributor_is_taken_to_its_own_credit(self, browser_of, books):
        response = browser_of(distributor_user(books.nanjing)).get("/finance/credit/")
        assert response.status_code == 302 and response["Location"] == f"/finance/credit/{books.nanjing.id}/"

    def test_a_reviewer_is_refused(self, browser_of, books):
        assert browser_of(user_with_role("reviewer", books.brand)).get("/finance/credit/").status_code == 403

    def test_a_brand_not_in_view_is_not_found(self, finance, books):
        assert finance.get("/finance/credit/", {"brand": BrandFactory().id}).status_code == 404

    def test_a_user_of_two_brands_can_narrow_to_one(self, browser_of, books):
        second = BrandFactory(name="第二品牌")
        AccountFactory(brand=second, code="B2001")
        member(books.finance, "finance", second)
        client = browser_of(books.finance)
        assert codes(client.get("/finance/credit/")) == ["HZ001", "NJ001", "B2001"]
        assert codes(client.get("/finance/credit/", {"brand": second.id})) == ["B2001"]


class TestAccountPage:
    def test_the_page_shows_the_position_temporary_credit_and_movements(self, finance, books):
        # given
        services.set_credit_limit(actor=books.actor, account_id=books.nanjing.id, limit=Decimal("8000"))
        services.grant_temporary_credit(
            actor=books.actor,
            account_id=books.nanjing.id,
            amount=Decimal("2000"),
            valid_from=timezone.localdate(),
            valid_to=timezone.localdate(),
            reason="年货节",
        )
        ship(books.nanjing, "2500")
        # when
        response = finance.get(f"/finance/credit/{books.nanjing.id}/")
        # then
        assert response.status_code == 200
        body = response.content.decode()
        assert "¥7,500.00" in body and "年货节" in body and "¥2,500.00" in body
        assert response.context["can_write"] is True
        assert [p["key"] for p in response.context["panels"]] == ["limit", "temporary", "payment", "adjustment"]

    def test_a_distributor_reads_its_own_credit_without_forms(self, browser_of, books):
        client = browser_of(distributor_user(books.nanjing))
        response = client.get(f"/finance/credit/{books.nanjing.id}/")
        assert response.status_code == 200
        assert response.context["can_write"] is False and 'action="/finance/credit/' not in response.content.decode()
        assert client.get(f"/finance/credit/{books.hangzhou.id}/").status_code == 404

    def test_an_account_of_another_brand_is_not_found(self, finance, books):
        assert finance.get(f"/finance/credit/{AccountFactory(brand=BrandFactory()).id}/").status_code == 404


class TestForms:
    def test_setting_a_limit_redirects_back_with_a_message(self, finance, books):
        # when
        response = finance.post(
            f"/finance/credit/{books.nanjing.id}/limit/",
            {"limit-limit": "20000.00", "limit-valid_from": day(-1), "limit-valid_to": ""},
        )
        # then
        assert response.status_code == 302 and response["Location"] == f"/finance/credit/{books.nanjing.id}/"
        assert balances(books.nanjing)[:3] == (Decimal("20000.00"), timezone.localdate() - timedelta(days=1), None)
        page = finance.get(response["Location"])
        assert [m.level_tag for m in page.context["messages"]] == ["success"]
        assert page.context["position"].limit == Decimal("20000.00")

    def test_a_bad_limit_comes_back_on_the_form_and_changes_nothing(self, finance, books):
        # given
        before = audit_count()
        # when
        response = finance.post(
            f"/finance/credit/{books.nanjing.id}/limit/",
            {"limit-limit": "100", "limit-valid_from": day(5), "limit-valid_to": day(1)},
        )
        # then
        assert response.status_code == 422
        panel = next(p for p in response.context["panels"] if p["key"] == "limit")
        assert panel["open"] is True and list(panel["form"].errors) == ["valid_to"]
        assert credit_of(books.nanjing) is None and audit_count() == before

    def test_negative_and_over_precise_amounts_are_refused_by_the_form(self, finance, books):
        for value in ("-1", "1.001", "abc"):
            response = finance.post(f"/finance/credit/{books.nanjing.id}/limit/", {"limit-limit": value})
            assert response.status_code == 422, value
        assert credit_of(books.nanjing) is None

    def test_a_service_refusal_is_shown_on_the_form(self, finance, books):
        # given: a temporary credit that would already have ended
        response = finance.post(
            f"/finance/credit/{books.nanjing.id}/temporary/",
            {
                "temporary-amount": "10",
                "temporary-valid_from": day(-9),
                "temporary-valid_to": day(-2),
                "temporary-reason": "x",
            },
        )
        # then
        assert response.status_code == 422
        form = next(p for p in response.context["panels"] if p["key"] == "temporary")["form"]
        assert len(form.errors["valid_to"]) == 1
        see_all_brands()
        assert not TemporaryCredit.objects.exists()

    def test_grant_and_revoke_temporary_credit(self, finance, books):
        # when
        granted = finance.post(
            f"/finance/credit/{books.nanjing.id}/temporary/",
            {
                "temporary-amount": "3000",
                "temporary-valid_from": day(),
                "temporary-valid_to": day(7),
                "temporary-reason": "旺季",
            },
        )
        # then
        assert granted.status_code == 302
        see_all_brands()
        temporary = TemporaryCredit.objects.get()
        assert (temporary.amount, temporary.reason) == (Decimal("3000.00"), "旺季")
        revoked = finance.post(f"/finance/temporary-credits/{temporary.id}/revoke/")
        assert revoked.status_code == 302
        temporary.refresh_from_db()
        assert temporary.revoked_at is not None
        again = finance.post(f"/finance/temporary-credits/{temporary.id}/revoke/", follow=True)
        assert again.status_code == 200
        assert [m.level_tag for m in again.context["messages"]][-1] == "error"

    def test_recording_a_payment_lowers_the_receivable(self, finance, books):
        ship(books.nanjing, "1000")
        response = finance.post(
            f"/finance/credit/{books.nanjing.id}/payments/",
            {"payment-amount": "250.50", "payment-reference": "BANK-7", "payment-note": ""},
        )
        assert response.status_code == 302
        assert credit_of(books.nanjing).receivable == Decimal("749.50")

    def test_an_adjustment_needs_a_reason(self, finance, books):
        ship(books.nanjing, "1000")
        stored = balances(books.nanjing)
        response = finance.post(
            f"/finance/credit/{books.nanjing.id}/adjustments/", {"adjustment-amount": "-10", "adjustment-note": ""}
        )
        assert response.status_code == 422 and balances(books.nanjing) == stored
        done = finance.post(
            f"/finance/credit/{books.nanjing.id}/adjustments/", {"adjustment-amount": "-10", "adjustment-note": "尾差"}
        )
        assert done.status_code == 302 and credit_of(books.nanjing).receivable == Decimal("990.00")

    def test_region_managers_and_distributors_cannot_post(self, browser_of, books):
        # given
        manager = browser_of(user_with_role("region_manager", books.brand, divisions=["320000"]))
        distributor = browser_of(distributor_user(books.nanjing))
        before = audit_count()
        # when
        answers = [
            client.post(f"/finance/credit/{books.nanjing.id}/limit/", {"limit-limit": "1"}).status_code
            for client in (manager, distributor)
        ]
        # then
        assert answers == [403, 403]
        see_all_brands()
        assert not CreditAccount.objects.exists() and audit_count() == before

    def test_posting_to_another_brands_account_is_not_found(self, finance, books):
        stranger = AccountFactory(brand=BrandFactory())
        assert finance.post(f"/finance/credit/{stranger.id}/limit/", {"limit-limit": "1"}).status_code == 404
        assert credit_of(stranger) is None
