"""The API documentation works offline: Swagger UI comes from the installed sidecar."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse


@pytest.mark.django_db
def test_api_docs_load_no_external_assets(client):
    user = get_user_model().objects.create_user("researcher", password="pw-res-1", is_staff=True)
    client.force_login(user)
    page = client.get(reverse("api-docs"))
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.content.decode())
    assert sources, "the docs page should load Swagger UI assets"
    assert not [s for s in sources if s.startswith(("http://", "https://", "//"))]
    schema = client.get(reverse("api-schema"))
    assert schema.status_code == 200 and b"openapi" in schema.content


@pytest.mark.django_db
def test_readers_cannot_read_the_api_schema(client):
    reader = get_user_model().objects.create_user("reader", password="pw-reader-1")
    client.force_login(reader)
    assert client.get(reverse("api-schema")).status_code == 403
    assert client.get(reverse("api-docs")).status_code == 403
