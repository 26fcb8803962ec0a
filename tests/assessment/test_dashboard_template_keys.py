"""A dashboard template that names a key the summary does not have fails here, instead of
rendering a blank cell."""

import pytest
from django.test import override_settings
from django.urls import reverse

from tests.assessment.answering import alice_right_bob_alternates, answer_all
from tests.assessment.conftest import seed

pytestmark = pytest.mark.django_db

MARKER = "@@MISSING:%s@@"


@pytest.mark.parametrize("design", ["paired", "single"])
def test_every_template_variable_of_the_dashboard_exists(
    client_admin, small_store, reader_a, reader_b, design, settings
):
    study = seed(design=design)
    answer_all(study, alice_right_bob_alternates)
    templates = [{**settings.TEMPLATES[0]}]
    templates[0]["OPTIONS"] = {**templates[0]["OPTIONS"], "string_if_invalid": MARKER}
    with override_settings(TEMPLATES=templates):
        html = client_admin.get(reverse("reports:dashboard", args=[study.pk])).content.decode()
    assert "@@MISSING" not in html, html[html.index("@@MISSING") - 200 :][:400]
    assert f'id="stats-{design}"' in html


def test_unaware_phase_results_are_shown_real_vs_synthetic(
    client_admin, small_store, reader_a, reader_b, settings
):
    study = seed(design="single", n=4, unaware=6,
                 settings={"unaware_phase": True, "ask_confidence": False})  # fmt: skip
    quality = {"real": 4, "synthetic": 2}

    def choose(username, item):
        return item.case.single_source == "synthetic"

    answer_all(study, choose, unaware=lambda item: quality[item.case.single_source])
    templates = [{**settings.TEMPLATES[0]}]
    templates[0]["OPTIONS"] = {**templates[0]["OPTIONS"], "string_if_invalid": MARKER}
    with override_settings(TEMPLATES=templates):
        response = client_admin.get(reverse("reports:dashboard", args=[study.pk]))
    html = response.content.decode()
    assert "@@MISSING" not in html
    rows = {row.name: row for row in response.context["dashboard"].unaware}
    assert rows["quality"].real["estimate"] == pytest.approx(4.0)
    assert rows["quality"].synthetic["estimate"] == pytest.approx(2.0)
    assert rows["quality"].difference["estimate"] == pytest.approx(2.0)
    assert 'id="unaware"' in html
