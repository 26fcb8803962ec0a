"""Property-based requests (schemathesis) against the documented API, as staff and as a
reader: whatever the input, the server answers without a 5xx, and only with statuses the
schema documents."""

from __future__ import annotations

import collections
import json

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from django.test import Client
from hypothesis import HealthCheck, given, settings

from tests.assessment.conftest import seed

pytestmark = pytest.mark.django_db(transaction=True)

CSRF = "k" * 32  # any 32-character secret: the cookie and header below carry the same one
MAX_EXAMPLES = 40


def _session(user) -> tuple[dict[str, str], dict[str, str]]:
    """(cookies, headers) of a logged-in browser session with a CSRF token."""
    client = Client()
    client.force_login(user)
    cookies = {"sessionid": client.cookies["sessionid"].value, "csrftoken": CSRF}
    return cookies, {"X-CSRFToken": CSRF}


def _fetch_schema(admin) -> str:
    client = Client()
    client.force_login(admin)
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("identity", ["staff", "reader"])
def test_no_request_the_schema_allows_gets_a_server_error(
    small_store, admin, reader_a, reader_b, identity
):
    seed()  # an open study, so reader endpoints have rows to return
    text = _fetch_schema(admin)
    schema = schemathesis.openapi.from_dict(json.loads(text))
    app = get_wsgi_application()
    cookies, headers = _session(admin if identity == "staff" else reader_a)
    server_errors = []
    statuses = collections.defaultdict(list)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 4
    for operation in operations:
        _fuzz(operation, app, cookies, headers, server_errors, statuses)
    undocumented = {
        (op.label, code)
        for op in operations
        for code in set(statuses[op.label])
        if str(code) not in op.definition.raw.get("responses", {})
    }
    assert server_errors == []
    assert undocumented == set(), "responses the schema does not document"
    # The session reached the views: not every answer is "forbidden".
    reached = [label for label, codes in statuses.items() if set(codes) != {403}]
    assert len(reached) >= (len(operations) if identity == "staff" else 2), dict(statuses)


def _fuzz(
    operation, app, cookies: dict, headers: dict, server_errors: list, statuses: dict
) -> None:
    """Send ``MAX_EXAMPLES`` generated requests to one operation; collect any 5xx."""

    @given(case=operation.as_strategy())
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def call(case):
        response = case.call(app=app, headers=headers, cookies=cookies)
        statuses[operation.label].append(response.status_code)
        if response.status_code >= 500:
            server_errors.append((operation.label, case.body, case.query, response.status_code))

    call()
