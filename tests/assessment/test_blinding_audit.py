"""Security audit of blinding and access: what a careful reader could see, request or race."""

from __future__ import annotations

import re
import threading
import time
import uuid
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

import assessment.selectors as selectors_module
import assessment.services.judgments as judgments_module
import assessment.views.images as images_module
from assessment.errors import AlreadyAnsweredError
from assessment.models import Assignment, Case, Enrolment, Judgment, Study
from assessment.services import enrolment_acknowledge_reveal, judgment_submit, study_close
from generator.models import ECG
from generator.selectors import preview_token
from tests.assessment.answering import truth_answer
from tests.assessment.conftest import ready, seed

pytestmark = pytest.mark.django_db

TOKEN_IN_URL = re.compile(r"/(item|panel|r)/[A-Za-z0-9_-]{22}")
CSRF_VALUE = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
UUID_VALUE = re.compile(r'value="[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"')
PROGRESS = re.compile(r'(data-answered|data-total|value|max)="\d+"|item \d+ of \d+')
SVG_NS = "{http://www.w3.org/2000/svg}"


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
    """Every item page of the reader's list, fetched in order and answered in between."""
    pages = []
    for item in enrolment_of(reader).assignments.select_related("case").order_by("position"):
        response = client.get(reverse("assessment:item", args=[item.token]))
        assert response.status_code == 200
        pages.append((item, response.content))
        answer_next(reader, item)
    return pages


# --- Item pages and panels: nothing but the waveform differs -------------------------------


def test_single_item_pages_are_identical_for_real_and_synthetic(small_store, reader_a, client_a):
    seed(design="single", n=8, readers=("alice",))
    ready(enrolment_of(reader_a))
    by_source: dict[str, set[str]] = {"real": set(), "synthetic": set()}
    lengths: dict[str, set[int]] = {"real": set(), "synthetic": set()}
    for item, html in walk_item_pages(client_a, reader_a):
        by_source[item.case.single_source].add(normalised(html))
        lengths[item.case.single_source].add(len(html))
    assert len(by_source["real"]) == len(by_source["synthetic"]) == 1
    assert by_source["real"] == by_source["synthetic"]
    # Fixed-width tokens and counters of one digit: even the byte length is shared.
    assert lengths["real"] == lengths["synthetic"] and len(lengths["real"]) == 1


def test_paired_item_pages_do_not_depend_on_which_panel_is_synthetic(
    paired_study, reader_a, client_a
):
    ready(enrolment_of(reader_a))
    by_side: dict[bool, set[str]] = {True: set(), False: set()}
    for item, html in walk_item_pages(client_a, reader_a):
        by_side[item.synthetic_on_top].add(normalised(html))
    assert by_side[True] == by_side[False] and len(by_side[True]) == 1


def svg_skeleton(svg: bytes) -> str:
    """The SVG without its trace coordinates: every element and attribute but trace data."""
    return re.sub(rb'd="[^"]*" data-lead', b'd="" data-lead', svg).decode()


def test_both_panels_share_headers_cookies_and_svg_structure(paired_study, reader_a, client_a):
    ready(enrolment_of(reader_a))
    item = enrolment_of(reader_a).assignments.order_by("position").first()
    top, bottom = (
        client_a.get(reverse("assessment:panel-image", args=[token]))
        for token in (item.panel_a_token, item.panel_b_token)
    )
    assert (top.status_code, bottom.status_code) == (200, 200)
    assert top.content != bottom.content
    assert {k for k in top.headers} == {k for k in bottom.headers}
    for name, value in top.headers.items():
        if name != "Content-Length":
            assert bottom.headers[name] == value, name
    assert top.headers["Vary"] == "Cookie"
    assert int(top["Content-Length"]) == len(top.content)
    assert not top.cookies and not bottom.cookies
    assert svg_skeleton(top.content) == svg_skeleton(bottom.content)


def test_both_panels_take_the_same_harmonisation_and_render_path(
    paired_study, reader_a, client_a, monkeypatch
):
    """Each panel is harmonised with the study's spec and rendered with the same options;
    stored factory ECGs are not quantised, the served signals and SVG lie on a 1 uV grid."""
    calls = []
    harmonise, render = selectors_module.harmonise, images_module.rendered_response

    def spy_harmonise(signal, fs, spec):
        calls.append(("harmonise", fs, spec))
        return harmonise(signal, fs, spec)

    def spy_render(signal, fs, options, fmt):
        calls.append(("render", signal, fs, options, fmt))
        return render(signal, fs, options, fmt)

    monkeypatch.setattr(selectors_module, "harmonise", spy_harmonise)
    monkeypatch.setattr(images_module, "rendered_response", spy_render)
    ready(enrolment_of(reader_a))
    item = enrolment_of(reader_a).assignments.select_related("case").order_by("position").first()
    stored = ECG.objects.get(pk=item.case.synthetic_ecg_id).signal()
    assert not np.allclose(stored * 1000, np.round(stored * 1000), atol=1e-3)
    bodies = [
        client_a.get(reverse("assessment:panel-image", args=[token])).content
        for token in (item.panel_a_token, item.panel_b_token)
    ]
    harmonised = [c for c in calls if c[0] == "harmonise"]
    rendered = [c for c in calls if c[0] == "render"]
    assert len(harmonised) == len(rendered) == 2
    assert harmonised[0][1:] == harmonised[1][1:]
    assert harmonised[0][2] == paired_study.harmonisation_spec()
    assert [c[2:] for c in rendered] == [rendered[0][2:]] * 2
    for _, signal, _, _, fmt in rendered:
        assert fmt == "svg" and signal.dtype == np.float32 and signal.shape == (12, 1000)
        assert np.allclose(signal * 1000, np.round(signal * 1000), atol=1e-3)
    for body in bodies:
        root = ET.fromstring(body)
        traces = [p for p in root.iter(f"{SVG_NS}path") if p.get("data-lead")]
        numbers = np.array(
            [float(n) for p in traces for n in re.findall(r"-?\d+(?:\.\d+)?", p.get("d"))]
        )
        assert len(traces) >= 12 and numbers.size > 12 * 200
        assert np.allclose(numbers * 100, np.round(numbers * 100), atol=1e-6)


# --- Presentation order ---------------------------------------------------------------------


def test_synthetic_on_top_exactly_half_and_different_per_reader(small_store, reader_a, reader_b):
    seed(n=8, practice=2, settings={"repeat_share": 0.5, "repeat_min_distance": 2,
                                    "attention_checks": 2})  # fmt: skip
    sequences = []
    for reader in (reader_a, reader_b):
        items = list(
            Assignment.objects.filter(enrolment__reader=reader)
            .select_related("case")
            .order_by("position")
        )
        main = [i for i in items if i.phase == "main" and i.case.kind == Case.Kind.MAIN]
        practice = [i for i in items if i.phase == "practice"]
        assert len(main) == 12 and len(practice) == 2
        assert sum(i.synthetic_on_top for i in main) == 6
        assert sum(i.synthetic_on_top for i in practice) == 1
        sequences.append([i.synthetic_on_top for i in main])
        # Neither panel-token order nor position parity is a rule for the synthetic side.
        by_parity = [i.synthetic_on_top for i in main if i.position % 2 == 0]
        assert 0 < sum(by_parity) < len(by_parity)
    assert sequences[0] != sequences[1]


def test_single_design_share_is_exact_and_order_differs_between_readers(
    small_store, reader_a, reader_b
):
    seed(design="single", n=10)
    orders = []
    for reader in (reader_a, reader_b):
        items = Assignment.objects.filter(enrolment__reader=reader).order_by("position")
        sources = [i.case.single_source for i in items.select_related("case")]
        assert sources.count("synthetic") == 5
        orders.append(sources)
    assert orders[0] != orders[1]


def test_practice_and_attention_ecgs_never_appear_in_main_cases(small_store, reader_a):
    study = seed(n=6, practice=2, readers=("alice",), settings={"attention_checks": 2})
    ecgs = {kind: set() for kind in Case.Kind.values}
    for case in study.cases.all():
        ecgs[case.kind] |= {case.real_ecg_id, case.synthetic_ecg_id} - {None}
    assert ecgs["main"] and ecgs["practice"] and ecgs["attention"]
    assert not ecgs["main"] & ecgs["practice"]
    assert not ecgs["main"] & ecgs["attention"]


# --- Reader API -----------------------------------------------------------------------------


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_api_lists_exactly_the_readers_own_items_in_order(small_store, reader_a, reader_b):
    seed(n=4)
    seed("draft", n=4, open_now=False)
    rows = api(reader_a).get("/api/my/assignments/").json()
    own = Assignment.objects.filter(enrolment__reader=reader_a).order_by("position")
    assert [r["item"] for r in rows] == [a.token for a in own]
    assert [r["position"] for r in rows] == list(range(4))
    assert {r["study"] for r in rows} == {"ECG reading study"}
    bob = set(Assignment.objects.filter(enrolment__reader=reader_b).values_list("token", flat=True))
    assert bob and not bob & {r["item"] for r in rows}
    assert set(rows[0]) == {"item", "study", "enrolment", "position", "phase", "panels",
                            "questions", "answered"}  # fmt: skip


def test_api_hides_later_items_until_the_unaware_phase_is_over(small_store, reader_a):
    """Before the reveal, main items (asking "real or synthetic?") would tell an unaware
    reader what the study is about; the API lists only the unaware items then."""
    seed(readers=("alice",), n=4, unaware=2, practice=2, settings={"unaware_phase": True})
    enrolment = ready(enrolment_of(reader_a))
    response = api(reader_a).get("/api/my/assignments/")
    assert [row["phase"] for row in response.json()] == ["unaware", "unaware"]
    assert b"synthetic" not in response.content
    for item in enrolment.assignments.filter(phase="unaware").order_by("position"):
        answer_next_unaware(reader_a, item)
    enrolment_acknowledge_reveal(enrolment=enrolment)
    rows = api(reader_a).get("/api/my/assignments/").json()
    assert [row["phase"] for row in rows] == ["unaware"] * 2 + ["practice"] * 2 + ["main"] * 4


def test_staff_api_answers_readers_the_same_whatever_the_study(paired_study, reader_a):
    client = api(reader_a)
    missing = paired_study.pk + 1000
    answers = set()
    for method, path in [
        ("get", "/api/studies/"),
        ("post", "/api/studies/"),
        ("get", f"/api/studies/{paired_study.pk}/"),
        ("get", f"/api/studies/{missing}/"),
        ("get", f"/api/studies/{paired_study.pk}/cases/"),
        ("get", f"/api/studies/{missing}/cases/"),
        ("post", f"/api/studies/{paired_study.pk}/close/"),
        ("post", f"/api/studies/{missing}/close/"),
    ]:
        response = getattr(client, method)(path, {}, format="json")
        answers.add((response.status_code, response.content))
    assert answers == {(403, b'{"detail":"You do not have permission to perform this action."}')}
    assert Study.objects.get().status == Study.Status.OPEN


def test_api_methods_beyond_the_documented_ones_are_refused(paired_study, reader_a):
    client = api(reader_a)
    for method in ("put", "patch", "delete"):
        assert getattr(client, method)("/api/my/assignments/").status_code == 405
        assert getattr(client, method)("/api/judgments/").status_code == 405
    assert client.get("/api/judgments/").status_code == 405
    assert not Judgment.objects.exists()


def test_api_404_for_another_readers_item_matches_a_missing_item(paired_study, reader_a, reader_b):
    ready(enrolment_of(reader_b))
    alices = enrolment_of(reader_a).assignments.order_by("position").first()
    client = api(reader_b)
    payload = {"client_token": str(uuid.uuid4()), "answer": "top", "confidence": 3}
    theirs = client.post("/api/judgments/", {**payload, "item": alices.token}, format="json")
    nothing = client.post("/api/judgments/", {**payload, "item": "x" * 22}, format="json")
    assert theirs.status_code == nothing.status_code == 404
    assert theirs.content == nothing.content


# --- Access: login, staff pages, admin, render tokens ---------------------------------------


def test_api_schema_and_docs_need_a_login(db):
    anonymous = Client()
    for name in ("api-schema", "api-docs"):
        assert anonymous.get(reverse(name)).status_code == 403


def test_anonymous_visitors_get_the_login_page_whatever_the_method(paired_study, reader_a):
    item = enrolment_of(reader_a).assignments.first()
    anonymous = Client()
    for method, url in [
        ("post", reverse("assessment:staff-study-open", args=[paired_study.pk])),
        ("get", reverse("assessment:staff-study-close", args=[paired_study.pk])),
        ("post", reverse("reports:dashboard", args=[paired_study.pk])),
        ("post", reverse("assessment:panel-image", args=[item.panel_a_token])),
        ("put", reverse("assessment:item", args=[item.token])),
    ]:
        response = getattr(anonymous, method)(url)
        assert response.status_code == 302 and "/login/" in response.url, (method, url)


def test_staff_pages_are_a_plain_404_for_readers_whatever_the_method(paired_study, client_a):
    missing = client_a.get("/no/such/page/")
    pk = paired_study.pk
    for method, url in [
        ("get", reverse("assessment:staff-study-list")),
        ("get", reverse("assessment:staff-study-detail", args=[pk])),
        ("get", reverse("assessment:staff-study-open", args=[pk])),
        ("post", reverse("assessment:staff-study-open", args=[pk])),
        ("post", reverse("assessment:staff-study-close", args=[pk])),
        ("get", reverse("reports:dashboard", args=[pk])),
        ("post", reverse("reports:dashboard", args=[pk])),
        ("post", reverse("reports:export", args=[pk, "csv"])),
        ("get", reverse("reports:export", args=[pk, "csv"])),
    ]:
        response = getattr(client_a, method)(url)
        assert response.status_code == 404, (method, url)
        assert CSRF_VALUE.sub("", response.content.decode()) == CSRF_VALUE.sub(
            "", missing.content.decode()
        )
    assert Study.objects.get().status == Study.Status.OPEN


def test_admin_shows_readers_nothing(paired_study, client_a):
    for url in ("/admin/", "/admin/assessment/study/", "/admin/assessment/case/",
                f"/admin/assessment/study/{paired_study.pk}/change/",
                "/admin/assessment/study/seed/", "/admin/generator/ecg/"):  # fmt: skip
        response = client_a.get(url)
        assert response.status_code == 302 and response.url.startswith("/admin/login/"), url


def test_render_tokens_are_staff_only(paired_study, reader_a, client_a, client_admin):
    ready(enrolment_of(reader_a))
    item = enrolment_of(reader_a).assignments.select_related("case").first()
    ecg = ECG.objects.get(pk=item.case.real_ecg_id)
    preview = reverse("ecg_render:rendered", args=[preview_token(ecg), "svg"])
    missing = client_a.get(reverse("ecg_render:rendered", args=["x" * 22, "svg"]))
    assert client_admin.get(preview).status_code == 200
    for url in (preview, reverse("ecg_render:rendered", args=[item.panel_a_token, "svg"])):
        response = client_a.get(url)
        assert response.status_code == 404, url
        assert CSRF_VALUE.sub("", response.content.decode()) == CSRF_VALUE.sub(
            "", missing.content.decode()
        )
    anonymous = Client().get(preview)
    assert anonymous.status_code == 302 and "/login/" in anonymous.url


# --- Phases, closed studies, feedback ------------------------------------------------------


def test_main_phase_never_gives_feedback(small_store, reader_a, client_a):
    seed(readers=("alice",), n=3, practice=1)
    ready(enrolment_of(reader_a))
    for item, html in walk_item_pages(client_a, reader_a):
        feedback = client_a.get(reverse("assessment:feedback", args=[item.token]))
        text = html.decode()
        if item.phase == "practice":
            assert feedback.status_code == 200 and b"was synthetic" in feedback.content
        else:
            assert feedback.status_code == 404
            assert "data-correct" not in text and "was synthetic" not in text
    done = client_a.get(reverse("assessment:done", args=[enrolment_of(reader_a).token]))
    assert b"correct" not in done.content.lower() and b"synthetic" not in done.content


def test_closed_study_items_redirect_and_take_no_answers(paired_study, reader_a, client_a):
    enrolment = ready(enrolment_of(reader_a))
    item = enrolment.assignments.order_by("position").first()
    study_close(study=paired_study)
    page = client_a.get(reverse("assessment:item", args=[item.token]))
    assert page.url == reverse("assessment:closed", args=[enrolment.token])
    response = api(reader_a).post(
        "/api/judgments/",
        {"item": item.token, "client_token": str(uuid.uuid4()), "answer": "top",
         "confidence": 2},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400 and not Judgment.objects.exists()


def test_reader_pages_refuse_methods_that_are_not_theirs(paired_study, reader_a, client_a):
    enrolment = ready(enrolment_of(reader_a))
    item = enrolment.assignments.order_by("position").first()
    item_url = reverse("assessment:item", args=[item.token])
    for method in ("put", "delete", "patch", "head", "options"):
        assert getattr(client_a, method)(item_url).status_code == 405, method
    for name in ("home", "continue", "done", "closed"):
        args = [] if name == "home" else [enrolment.token]
        assert client_a.post(reverse(f"assessment:{name}", args=args)).status_code == 405
    feedback = reverse("assessment:feedback", args=[item.token])
    assert client_a.post(feedback).status_code == 405
    panel = reverse("assessment:panel-image", args=[item.panel_a_token])
    assert client_a.post(panel).status_code == 405
    item.refresh_from_db()
    assert item.shown_at is None and not Judgment.objects.exists()


# --- Error pages ----------------------------------------------------------------------------


def test_error_pages_reveal_nothing(paired_study, reader_a, monkeypatch):
    ready(enrolment_of(reader_a))
    item = enrolment_of(reader_a).assignments.select_related("case").first()
    secret = f"ecg {item.case.synthetic_ecg_id} of origin test-gen is synthetic"

    def broken(*args):
        raise RuntimeError(secret)

    monkeypatch.setattr(images_module, "panel_signal", broken)
    client = Client(raise_request_exception=False)
    client.force_login(reader_a)
    server_error = client.get(reverse("assessment:panel-image", args=[item.panel_a_token]))
    assert server_error.status_code == 500
    method = client.put(reverse("assessment:item", args=[item.token]))
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(reader_a)
    forbidden = csrf_client.post(reverse("assessment:item", args=[item.token]), {})
    bad_host = client.get("/", HTTP_HOST="evil.example")
    assert (method.status_code, forbidden.status_code, bad_host.status_code) == (405, 403, 400)
    for response in (server_error, method, forbidden, bad_host):
        body = response.content.decode().lower()
        for leak in ("test-gen", "synthetic", "traceback", "sssd", item.token.lower(),
                     str(item.case.synthetic_ecg_id) + " of"):  # fmt: skip
            assert leak not in body, (response.status_code, leak)


# --- CSRF -----------------------------------------------------------------------------------


def csrf_client(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def test_every_reader_form_needs_its_csrf_token(small_store, reader_a):
    seed(readers=("alice",), n=4, unaware=1, settings={"unaware_phase": True})
    enrolment = enrolment_of(reader_a)
    client = csrf_client(reader_a)
    consent = reverse("assessment:consent", args=[enrolment.token])
    data = {"consent": "on", "specialty": "cardiology", "years_experience": "3",
            "ecgs_per_week": "9"}  # fmt: skip
    assert client.post(consent, data).status_code == 403
    enrolment.refresh_from_db()
    assert enrolment.consented_at is None
    # The page's own token makes the same post go through (the check above can fail).
    page = client.get(consent).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    assert client.post(consent, {**data, "csrfmiddlewaretoken": token}).status_code == 302
    instructions = reverse("assessment:instructions", args=[enrolment.token])
    assert client.post(instructions, {}).status_code == 403
    enrolment.refresh_from_db()
    assert enrolment.instructions_seen_at is None
    ready(enrolment)
    item = enrolment.assignments.order_by("position").first()
    answer = {"quality": "3", "label_consistent": "yes", "client_token": str(uuid.uuid4())}
    assert client.post(reverse("assessment:item", args=[item.token]), answer).status_code == 403
    answer_next_unaware(reader_a, item)
    reveal = reverse("assessment:reveal", args=[enrolment.token])
    assert client.post(reveal, {}).status_code == 403
    assert client.post(reverse("logout"), {}).status_code == 403
    enrolment.refresh_from_db()
    assert enrolment.revealed_at is None and Judgment.objects.count() == 1


def test_api_and_staff_posts_need_csrf_with_a_session(paired_study, reader_a, admin):
    item = ready(enrolment_of(reader_a)).assignments.order_by("position").first()
    reader_api = APIClient(enforce_csrf_checks=True)
    reader_api.force_login(reader_a)
    payload = {"item": item.token, "client_token": str(uuid.uuid4()), "answer": "top",
               "confidence": 3}  # fmt: skip
    assert reader_api.post("/api/judgments/", payload, format="json").status_code == 403
    staff_api = APIClient(enforce_csrf_checks=True)
    staff_api.force_login(admin)
    assert staff_api.post(f"/api/studies/{paired_study.pk}/close/").status_code == 403
    staff = csrf_client(admin)
    close = reverse("assessment:staff-study-close", args=[paired_study.pk])
    assert staff.post(close).status_code == 403
    seed_page = staff.post("/admin/assessment/study/seed/", {"name": "x"})
    assert seed_page.status_code == 403
    assert Study.objects.get().status == Study.Status.OPEN and not Judgment.objects.exists()


# --- Double submits racing in two threads ---------------------------------------------------


def race(submits) -> list[object]:
    """Run the callables at the same moment in threads; each result or raised error."""
    barrier = threading.Barrier(len(submits))
    results: list[object] = [None] * len(submits)

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = submits[index]()
        except Exception as exc:  # noqa: BLE001 (the test inspects every outcome)
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(submits))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.fixture
def slow_checks(monkeypatch):
    """Widen the window between reading and writing so unlocked submits would collide."""
    next_step = judgments_module.next_step

    def slow(enrolment):
        time.sleep(0.2)
        return next_step(enrolment)

    monkeypatch.setattr(judgments_module, "next_step", slow)


@pytest.mark.django_db(transaction=True)
def test_racing_replays_of_one_client_token_store_one_judgment(paired_study, reader_a, slow_checks):
    item = ready(enrolment_of(reader_a)).assignments.order_by("position").first()
    token = uuid.uuid4()

    def submit():
        return judgment_submit(
            reader=reader_a, item_token=item.token, client_token=token, answer="top",
            confidence=4,
        )  # fmt: skip

    results = race([submit, submit])
    assert sorted(r.created for r in results) == [False, True]
    assert results[0].judgment.pk == results[1].judgment.pk
    assert Judgment.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_racing_different_answers_store_exactly_one(paired_study, reader_a, slow_checks):
    item = ready(enrolment_of(reader_a)).assignments.order_by("position").first()

    def submit(answer: str):
        return lambda: judgment_submit(
            reader=reader_a, item_token=item.token, client_token=uuid.uuid4(), answer=answer,
            confidence=4,
        )  # fmt: skip

    results = race([submit("top"), submit("bottom")])
    winners = [r for r in results if not isinstance(r, Exception)]
    losers = [r for r in results if isinstance(r, Exception)]
    assert len(winners) == 1 and winners[0].created
    assert len(losers) == 1 and isinstance(losers[0], AlreadyAnsweredError)
    assert list(Judgment.objects.values_list("answer", flat=True)) == [winners[0].judgment.answer]


@pytest.mark.django_db(transaction=True)
def test_racing_api_posts_answer_201_and_409(paired_study, reader_a, slow_checks):
    item = ready(enrolment_of(reader_a)).assignments.order_by("position").first()

    def post(answer: str):
        def send():
            client = APIClient()
            client.force_authenticate(reader_a)
            payload = {"item": item.token, "client_token": str(uuid.uuid4()),
                       "answer": answer, "confidence": 2}  # fmt: skip
            return client.post("/api/judgments/", payload, format="json").status_code

        return send

    assert sorted(race([post("top"), post("bottom")])) == [201, 409]
    assert Judgment.objects.count() == 1
