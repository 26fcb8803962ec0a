"""The client address behind one trusted TLS-terminating proxy (for login throttling)."""

from __future__ import annotations

from django.http import HttpRequest


def forwarded_client_ip(request: HttpRequest) -> str:
    """The last X-Forwarded-For entry (the one the proxy appended: earlier entries come from
    the client and can be forged), else REMOTE_ADDR."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    entries = [entry.strip() for entry in forwarded.split(",") if entry.strip()]
    return entries[-1] if entries else request.META.get("REMOTE_ADDR", "")
