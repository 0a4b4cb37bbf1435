"""Signing in and out, and the brand switcher."""

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from channelhub.core.errors import NotFound
from channelhub.web.forms import SignInForm
from channelhub.web.views.base import actor_required, int_or_none, safe_next

login_view = auth_views.LoginView.as_view(
    template_name="web/login.html", authentication_form=SignInForm, redirect_authenticated_user=True
)
logout_view = auth_views.LogoutView.as_view(next_page="web:login")

ALL_BRANDS = ""


@actor_required
@require_POST
def switch_brand(request: HttpRequest) -> HttpResponse:
    """Narrow every page to one of the user's brands, or (empty choice) widen back to all of them."""
    choice = request.POST.get("brand", ALL_BRANDS)
    if choice == ALL_BRANDS:
        request.session.pop("active_brand_id", None)
    else:
        brand_id = int_or_none(choice)
        if brand_id is None or brand_id not in request.actor.allowed_brand_ids:
            raise NotFound("brand not found")
        request.session["active_brand_id"] = brand_id
    return redirect(safe_next(request))
