"""Access rules shared by the staff pages, and where each user lands after logging in."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import resolve_url


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
    another page than the reader home, which they then return to."""

    def get_success_url(self) -> str:
        url = super().get_success_url()
        if self.request.user.is_staff and url == resolve_url(settings.LOGIN_REDIRECT_URL):
            return resolve_url(settings.STAFF_LOGIN_REDIRECT_URL)
        return url
