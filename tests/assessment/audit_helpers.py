"""Shared helpers of the blinding audit tests: page normalising, answering, clients."""

from __future__ import annotations

import re
import uuid

from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from assessment.models import Assignment, Enrolment
from assessment.services import judgment_submit
from tests.assessment.answering import truth_answer

TOKEN_IN_URL = re.compile(r"/(item|panel|r)/[A-Za-z0-9_-]{22}")
CSRF_VALUE = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
UUID_VALUE = re.compile(r'value="[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"')
PROGRESS = re.compile(r'(data-answered|data-total|value|max)="\d+"|[Ii]tem \d+ of \d+')
PREFETCH = re.compile(rb'<link rel="prefetch" href="([^"]+)">')


def enrolment_of(reader) -> Enrolment:
    return Enrolment.objects.get(reader=reader)


def normalised(html: bytes) -> str:
    """An item page with its per-item and per-response values (tokens, CSRF, client token,
    progress counters) replaced by placeholders; what is left must not depend on the ECG."""
    text = html.decode()
    text = TOKEN_IN_URL.sub(r"/\1/TOKEN", text)
    text = CSRF_VALUE.sub("CSRF", text)
    text = UUID_VALUE.sub("UUID", text)
    return PROGRESS.sub("N", text)


def answer_next(reader, item: Assignment) -> None:
    """Answer ``item`` correctly through the service (the way the pages do)."""
    judgment_submit(
        reader=reader, item_token=item.token, client_token=uuid.uuid4(),
        answer=truth_answer(item), confidence=3,
    )  # fmt: skip


def answer_next_unaware(reader, item: Assignment) -> None:
    """Rate an unaware-phase item through the service."""
    judgment_submit(
        reader=reader, item_token=item.token, client_token=uuid.uuid4(), answer=None,
        quality=3, label_consistent=True,
    )  # fmt: skip


def walk_item_pages(client: Client, reader) -> list[tuple[Assignment, bytes]]:
    """Every item page of the reader's list, fetched in order and answered in between.

    The page's prefetch links must be exactly the next item's panels (they depend on the
    position alone); they are checked here and removed from the returned page."""
    pages = []
    items = list(enrolment_of(reader).assignments.select_related("case").order_by("position"))
    for item, upcoming in zip(items, [*items[1:], None], strict=True):
        response = client.get(reverse("assessment:item", args=[item.token]))
        assert response.status_code == 200
        assert PREFETCH.findall(response.content) == panel_urls(upcoming)
        pages.append((item, PREFETCH.sub(b"", response.content)))
        answer_next(reader, item)
    return pages


def panel_urls(item: Assignment | None) -> list[bytes]:
    """The panel image URLs of ``item`` (none for no item)."""
    if item is None:
        return []
    tokens = [t for t in (item.panel_a_token, item.panel_b_token) if t]
    return [reverse("assessment:panel-image", args=[t]).encode() for t in tokens]


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def csrf_client(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client
