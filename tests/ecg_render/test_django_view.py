"""The token view and the render_ecg command on stored ECGs."""

from __future__ import annotations

import io

import numpy as np
import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse

from assessment.previews import preview_token
from generator.core.leads import from_order
from generator.records.types import EcgRecord
from generator.services import ecg_import

pytestmark = pytest.mark.django_db


@pytest.fixture
def real_and_synthetic(shared_data):
    folder = shared_data / "sssd_ecg_turing22"
    records = [
        EcgRecord(
            source_key=f"{name}:0",
            signal=from_order(np.load(folder / f"{name}.npy")[0], "sssd"),
            sampling_rate=100.0,
            source=name,
            origin=f"turing-{name}",
        )
        for name in ("real", "synthetic")
    ]
    ecg_import(records=records)
    from generator.models import ECG

    return ECG.objects.get(source="real"), ECG.objects.get(source="synthetic")


@pytest.fixture
def staff_client(client):
    user = get_user_model().objects.create_user("staff", password="pw-staff-1", is_staff=True)
    client.force_login(user)
    return client


def test_staff_preview_headers_do_not_depend_on_source(staff_client, real_and_synthetic):
    responses = [
        staff_client.get(reverse("ecg_render:rendered", args=[preview_token(ecg), "svg"]))
        for ecg in real_and_synthetic
    ]
    assert [r.status_code for r in responses] == [200, 200]
    headers = [{k: v for k, v in r.headers.items() if k != "Content-Length"} for r in responses]
    assert headers[0] == headers[1]
    # fixed-width trace coordinates: the same size, though the waveforms differ
    assert responses[0].content != responses[1].content
    assert responses[0]["Content-Length"] == responses[1]["Content-Length"]
    assert headers[0]["Cache-Control"] == "private, no-store, max-age=0"
    assert "ETag" not in headers[0] and "Content-Disposition" not in headers[0]
    for response in responses:
        body = response.content.decode()
        assert "synthetic" not in body and "real" not in body and "turing" not in body


def test_bad_tokens_formats_and_readers_get_404(client, staff_client, real_and_synthetic):
    token = preview_token(real_and_synthetic[0])
    assert staff_client.get(reverse("ecg_render:rendered", args=[token, "gif"])).status_code == 404
    assert (
        staff_client.get(reverse("ecg_render:rendered", args=["x" + token, "svg"])).status_code
        == 404
    )
    reader = get_user_model().objects.create_user("reader", password="pw-reader-1")
    client.force_login(reader)
    assert client.get(reverse("ecg_render:rendered", args=[token, "svg"])).status_code == 404


def test_anonymous_user_is_sent_to_login(client, real_and_synthetic):
    token = preview_token(real_and_synthetic[0])
    response = client.get(reverse("ecg_render:rendered", args=[token, "png"]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    ("fmt", "magic"), [("svg", b"<svg"), ("png", b"\x89PNG"), ("pdf", b"%PDF")]
)
def test_render_command_writes_each_format(tmp_path, real_and_synthetic, fmt, magic):
    out = tmp_path / f"ecg.{fmt}"
    call_command(
        "render_ecg", str(real_and_synthetic[0].pk), "--layout", "12x1", "--format", fmt,
        "-o", str(out), stdout=io.StringIO(),
    )  # fmt: skip
    assert magic in out.read_bytes()[:200]


def test_render_command_reports_unknown_ids(tmp_path):
    with pytest.raises(CommandError, match="no ECG with id 999"):
        call_command("render_ecg", "999", "-o", str(tmp_path / "x.svg"))


def test_render_command_refuses_a_missing_output_folder(tmp_path, real_and_synthetic):
    target = tmp_path / "missing" / "ecg.svg"
    with pytest.raises(CommandError, match="output folder does not exist"):
        call_command("render_ecg", str(real_and_synthetic[0].pk), "-o", str(target))
    assert not target.parent.exists()


def test_render_command_refuses_a_rate_outside_50_to_1000_hz(tmp_path, real_and_synthetic):
    target = tmp_path / "ecg.svg"
    with pytest.raises(CommandError, match="harmonisation.sampling_rate must lie between 50"):
        call_command(
            "render_ecg", str(real_and_synthetic[0].pk), "--rate", "2000", "-o", str(target)
        )
    assert not target.exists()


@pytest.mark.parametrize("fmt", ["svg", "png", "pdf"])
def test_render_command_writes_dash_to_stdout_byte_for_byte(
    tmp_path, monkeypatch, real_and_synthetic, fmt
):
    pk = str(real_and_synthetic[0].pk)
    call_command("render_ecg", pk, "--format", fmt, "-o", str(tmp_path / "ecg"),
                 stdout=io.StringIO())  # fmt: skip
    monkeypatch.chdir(tmp_path)
    stdout, stderr = io.TextIOWrapper(io.BytesIO(), encoding="utf-8"), io.StringIO()
    call_command("render_ecg", pk, "--format", fmt, "-o", "-", stdout=stdout, stderr=stderr)
    assert stdout.buffer.getvalue() == (tmp_path / "ecg").read_bytes()
    assert not (tmp_path / "-").exists()
    assert stderr.getvalue().startswith("wrote standard output (")


def test_render_command_refuses_an_output_it_cannot_write(tmp_path, real_and_synthetic):
    with pytest.raises(CommandError, match="cannot write: Is a directory"):
        call_command("render_ecg", str(real_and_synthetic[0].pk), "-o", str(tmp_path))
