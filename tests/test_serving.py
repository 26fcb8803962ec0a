"""Serving as in production: static files through WhiteNoise, the project's own error pages,
a Content Security Policy, login throttling, and no Basic auth on the API."""

from __future__ import annotations

import base64

import pytest
from django.urls import reverse

from config.client_ip import forwarded_client_ip
from tests.personas import PASSWORD

pytestmark = pytest.mark.django_db


def test_static_files_are_served_by_the_application(client):
    response = client.get("/static/css/site.css")
    assert response.status_code == 200
    assert b"table.data" in b"".join(response.streaming_content)


def test_a_mistyped_link_gets_the_projects_404_not_a_url_list(client, reader_a):
    client.force_login(reader_a)
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert 'id="not-found"' in html
    assert "staff/" not in html and "URLconf" not in html


def test_pages_carry_a_content_security_policy(client):
    policy = client.get(reverse("login"))["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]


def test_repeated_wrong_passwords_lock_the_login(client, reader_a):
    url = reverse("login")
    for _ in range(4):
        response = client.post(url, {"username": "alice", "password": "wrong"})
        assert response.status_code == 200
    # The fifth failure locks the account; even the right password is refused now.
    assert client.post(url, {"username": "alice", "password": "wrong"}).status_code == 429
    locked = client.post(url, {"username": "alice", "password": PASSWORD})
    assert locked.status_code == 429
    assert 'id="locked-out"' in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_right_password_resets_the_failure_count(client, reader_a):
    url = reverse("login")
    for _ in range(4):
        client.post(url, {"username": "alice", "password": "wrong"})
    assert client.post(url, {"username": "alice", "password": PASSWORD}).status_code == 302
    client.logout()
    for _ in range(4):
        client.post(url, {"username": "alice", "password": "wrong"})
    assert client.post(url, {"username": "alice", "password": PASSWORD}).status_code == 302


def test_api_refuses_basic_auth(client, admin):
    credentials = base64.b64encode(f"admin:{PASSWORD}".encode()).decode()
    response = client.get("/api/studies/", HTTP_AUTHORIZATION=f"Basic {credentials}")
    assert response.status_code == 403


def test_behind_a_proxy_the_lockout_counts_the_client_the_proxy_saw(rf):
    request = rf.get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7", REMOTE_ADDR="10.0.0.2")
    assert forwarded_client_ip(request) == "203.0.113.7"
    assert forwarded_client_ip(rf.get("/", REMOTE_ADDR="10.0.0.2")) == "10.0.0.2"
