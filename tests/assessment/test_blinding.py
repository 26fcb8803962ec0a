"""Blinding: opaque tokens, own items only, and images whose headers and encoding do not
depend on the source (real ECGs of the SSSD-ECG Turing test against their synthetic twins)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from django.urls import reverse

from assessment.audit import svg_traces
from assessment.models import TOKEN_BYTES, Assignment, Enrolment
from generator.core.leads import from_order
from generator.records.types import EcgRecord
from generator.services import ecg_import
from tests.assessment.conftest import ready, seed

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r"^[A-Za-z0-9_-]{22}$")
SOURCE_HEADERS_THAT_MUST_NOT_EXIST = ("ETag", "Last-Modified", "Content-Disposition", "Expires")


@pytest.fixture
def turing_study(turing_store, reader_a, reader_b):
    return seed("turing", n=10, real="turing-real", synthetic="turing-synthetic")


def panel_responses(client, item: Assignment):
    urls = [
        reverse("assessment:panel-image", args=[t])
        for t in (item.panel_a_token, item.panel_b_token)
    ]
    return [client.get(url) for url in urls]


def test_real_and_synthetic_image_responses_have_identical_headers(
    turing_study, reader_a, client_a
):
    for item in Assignment.objects.filter(enrolment__reader=reader_a, phase="main")[:4]:
        responses = panel_responses(client_a, item)
        assert [r.status_code for r in responses] == [200, 200]
        headers = [{k: v for k, v in r.headers.items() if k != "Content-Length"} for r in responses]
        assert headers[0] == headers[1]
        assert headers[0]["Content-Type"] == "image/svg+xml"
        assert headers[0]["Cache-Control"] == "private, max-age=3600, immutable, no-transform"
        for name in SOURCE_HEADERS_THAT_MUST_NOT_EXIST:
            assert name not in headers[0]
        for response in responses:
            body = response.content.decode()
            for word in ("real", "synthetic", "turing", "sssd", item.case.label_set):
                assert word not in body


def test_svg_size_is_constant_and_content_is_the_waveform(shared_data, reader_a, client_a):
    """A synthetic ECG and its copy quantised to 1 uV (as PTB-XL stores real ECGs) give
    panels of one length whose traces differ by at most two 10 uV quanta (the dither):
    harmonisation applies the same quantum and the SVG writer a fixed width."""
    raw = np.load(shared_data / "sssd_ecg_turing22" / "synthetic.npy")[5]
    signal = from_order(raw, "sssd").astype(np.float32)
    quantised = (np.round(signal.astype(np.float64) * 1000) / 1000).astype(np.float32)
    ecg_import(records=[
        EcgRecord("twin:real", quantised, 100.0, "real", "twin-real", scp_codes={"NORM": 100.0}),
        EcgRecord("twin:syn", signal, 100.0, "synthetic", "twin-gen", scp_codes={"NORM": 100.0}),
    ])  # fmt: skip
    seed("twins", n=1, real="twin-real", synthetic="twin-gen", readers=("alice",))
    ready(Enrolment.objects.get(reader=reader_a))
    item = Assignment.objects.get(enrolment__reader=reader_a)
    first, second = panel_responses(client_a, item)
    assert first["Content-Length"] == second["Content-Length"] == str(len(first.content))
    assert len(first.content) % 4096 == 0
    for a, b in zip(svg_traces(first.content), svg_traces(second.content), strict=True):
        assert a.lead == b.lead and np.array_equal(a.x, b.x)
        assert np.max(np.abs(a.y - b.y)) <= 20  # hundredths of a mm = uV at 10 mm/mV


def without_csrf(body: bytes) -> bytes:
    """The page without its per-response masked CSRF token (the logout form has one)."""
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", body)


def test_other_reader_gets_404(paired_study, reader_a, reader_b, client_b):
    ready(Enrolment.objects.get(reader=reader_b))
    enrolment = ready(Enrolment.objects.get(reader=reader_a))
    item = enrolment.assignments.order_by("position").first()
    missing = client_b.get(reverse("assessment:item", args=["x" * 22]))
    for url in [
        reverse("assessment:item", args=[item.token]),
        reverse("assessment:feedback", args=[item.token]),
        reverse("assessment:panel-image", args=[item.panel_a_token]),
        reverse("assessment:panel-image", args=[item.panel_b_token]),
        reverse("assessment:continue", args=[enrolment.token]),
        reverse("assessment:consent", args=[enrolment.token]),
    ]:
        response = client_b.get(url)
        assert response.status_code == 404, url
        assert without_csrf(response.content) == without_csrf(missing.content)


def test_tokens_are_opaque_and_distinct_per_panel_and_reader(paired_study):
    tokens = []
    for item in Assignment.objects.all():
        tokens += [item.token, item.panel_a_token, item.panel_b_token]
    assert all(TOKEN.match(t) for t in tokens)
    assert len(set(tokens)) == len(tokens)
    assert TOKEN_BYTES * 8 >= 128


def test_item_page_reveals_no_provenance(turing_study, reader_a, client_a):
    enrolment = ready(Enrolment.objects.get(reader=reader_a))
    item = enrolment.assignments.order_by("position").first()
    response = client_a.get(reverse("assessment:item", args=[item.token]))
    html = response.content.decode()
    for leak in ("turing", "sssd", "ptbxl", item.case.label_set, f"/{item.case.real_ecg_id}/",
                 'data-source', "real ECG", "synthetic ECG"):  # fmt: skip
        assert leak not in html, leak
    # The only paths on the page are static assets, tokens and the site's own pages.
    paths = re.findall(r'(?:href|src|action)="([^"]+)"', html)
    assert f"/panel/{item.panel_a_token}.svg" in paths
    assert not any(re.search(r"/\d+(/|\.|$)", path) for path in paths)
    assert "Content-Disposition" not in response.headers


def test_malformed_tokens_are_404_not_500(paired_study, client_a):
    for url in ("/item/%00/", "/panel/%00.svg", "/r/%00/", "/r/%00/consent/",
                "/item/" + "a" * 23 + "/", "/panel/short.svg"):  # fmt: skip
        assert client_a.get(url).status_code == 404, url
