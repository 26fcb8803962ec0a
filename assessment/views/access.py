"""Access rules shared by the staff pages, and where each user lands after logging in."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


def staff_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Anonymous visitors go to the login page; signed-in non-staff users get 404.

    Readers never learn that staff pages exist. Put it outermost, above method checks
    such as ``require_POST``, or a wrong method would answer 405 before this 404.
    """

    @wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (request.user.is_active and request.user.is_staff):
            raise Http404("no such page")
        return view(request, *args, **kwargs)

    return guarded


class LoginView(auth_views.LoginView):
    """The login page. Readers land on the reader home (``LOGIN_REDIRECT_URL``); staff land
    on the staff home (``STAFF_LOGIN_REDIRECT_URL``) unless the login was asked for by
    another page than the reader home, which they then return to. A user already logged
    in who opens it goes straight there."""

    redirect_authenticated_user = True

    def get_success_url(self) -> str:
        url = super().get_success_url()
        if self.request.user.is_staff and url == resolve_url(settings.LOGIN_REDIRECT_URL):
            return resolve_url(settings.STAFF_LOGIN_REDIRECT_URL)
        return url


class LogoutView(auth_views.LogoutView):
    """Logging out is a POST (the header's button); opening the logout address asks for
    that click instead of answering 405 with an empty page."""

    http_method_names = ["get", "post", "options"]

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        return render(request, "registration/logout_confirm.html")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent from a page that outlived its sign-in (a log-out or a new log-in in
    another tab): a 403 page that says nothing was saved and leads back to that page."""
    back = request.headers.get("Referer", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse("assessment:home")
    return render(request, "403_csrf.html", {"back_url": back}, status=403)
