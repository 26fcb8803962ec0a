"""The report's machine-realism section: a generator's stored TSTR/TRTS/TRTR metrics beside
the physicians' accuracy on its ECGs, as a table and a plot (HTML) and as data (JSON)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from django.urls import reverse

from assessment.analysis_frames import judgments_frame
from assessment.reporting import study_export
from assessment.reports.charts import DESIGN_TITLES
from assessment.services import EcgPool, study_seed
from assessment.stats.summary import random_readers, study_summary
from generator.core.realism_metrics import multilabel_metrics
from generator.core.scp import SUPERCLASSES
from generator.models import RealismEvaluation
from tests.assessment.answering import alice_right_bob_alternates, answer_all
from tests.assessment.conftest import STORE_LAYOUT, seed
from tests.factories import EcgFactory


def metrics(seed_: int) -> dict:
    """Real metrics of noisy scores for random labels (the report only reads them)."""
    rng = np.random.default_rng(seed_)
    labels = (rng.random((40, 5)) < 0.4).astype(int)
    scores = np.clip(labels * 0.3 + rng.random((40, 5)) * 0.7, 0, 1)
    result = multilabel_metrics(labels, scores, SUPERCLASSES)
    return {**result, "n_train": 40, "n_test": 40}


@pytest.fixture
def study(small_store, reader_a, reader_b):
    study = seed(name="realism-report")
    answer_all(study, alice_right_bob_alternates, limit={"bob": 5})
    return study


def evaluate(origin: str, name: str, seed_: int) -> RealismEvaluation:
    return RealismEvaluation.objects.create(
        synthetic_origin=origin, generator_name=name, real_origin="test-real", train_folds=[1],
        test_folds=[10], sampling_rate=100.0,
        metrics={kind: metrics(seed_ + i) for i, kind in enumerate(("tstr", "trts", "trtr"))},
    )  # fmt: skip


@pytest.fixture
def evaluation(small_store):
    """An older and a newer evaluation of the study's pool: the newer one is shown."""
    evaluate("test-gen", "sssd-nle", 1)
    return evaluate("test-gen", "sssd-nle", 2)


def test_the_report_puts_tstr_beside_the_physicians_accuracy(study, evaluation):
    summary = study_summary(judgments_frame(study))
    readers = summary["designs"]["paired"]["round_1"]["reader_averaged"]
    exported = json.loads(study_export(study, "json").content)
    (entry,) = exported["realism"]["evaluations"]
    assert entry["id"] == evaluation.pk and entry["generator"] == "sssd-nle"
    (row,) = exported["realism"]["rows"]
    assert row["design"] == "paired" and row["evaluation"] == evaluation.pk
    assert row["readers_accuracy"] == pytest.approx(readers["estimate"])
    assert row["tstr_auc"] == pytest.approx(evaluation.tstr_auc)
    assert row["trtr_auc"] == pytest.approx(evaluation.metrics["trtr"]["macro"]["auc"])

    html = study_export(study, "html").content
    section = html.split("Machine realism beside the physicians")[1]
    low, high = readers["ci95"]
    expected = (
        f"<td>{DESIGN_TITLES['paired']}</td><td>sssd-nle</td><td>{evaluation.pk}</td>"
        f'<td class="readers-accuracy">{readers["estimate"]:.3f} [{low:.3f}, {high:.3f}]</td>'
        f'<td class="tstr-auc">{evaluation.tstr_auc:.3f}</td>'
    )
    assert expected in section
    assert 'id="chart-realism"' in html and "TSTR macro ROC-AUC" in html


def test_a_study_without_an_evaluation_says_so(study):
    html = study_export(study, "html").content
    assert "No realism evaluation of the study&#x27;s synthetic origins is recorded." in html
    assert 'id="chart-realism"' not in html


def test_with_two_generators_each_gets_its_own_readers_accuracy(small_store, reader_a, reader_b):
    for codes, count in STORE_LAYOUT:
        for _ in range(count):
            EcgFactory(source="synthetic", origin="peer-gen", codes=codes, generator_name="peer")
    pool = EcgPool(real_origins=["test-real"], synthetic_origins=["test-gen", "peer-gen"])
    study = study_seed(name="two-generators", design="paired", n=12, pool=pool, seed=4,
                       readers=["alice", "bob"], practice=0, open_now=True)  # fmt: skip
    answer_all(study, alice_right_bob_alternates)
    evaluations = {"sssd-nle": evaluate("test-gen", "sssd-nle", 1),
                   "peer": evaluate("peer-gen", "peer", 5)}  # fmt: skip
    by_generator = study_summary(judgments_frame(study))["designs"]["paired"]["primary"]
    modalities = random_readers(by_generator["by_generator"])["modalities"]
    readers = {m["name"]: m["estimate"] for m in modalities}
    rows = json.loads(study_export(study, "json").content)["realism"]["rows"]
    assert {row["generator"] for row in rows} == set(readers) == {"sssd-nle", "peer"}
    for row in rows:
        assert row["readers_accuracy"] == pytest.approx(readers[row["generator"]])
        assert row["tstr_auc"] == pytest.approx(evaluations[row["generator"]].tstr_auc)


def test_the_admin_lists_evaluations_with_their_macro_aucs(evaluation, client_admin):
    url = reverse("admin:generator_realismevaluation_changelist")
    html = client_admin.get(url).content.decode()
    assert f"{evaluation.tstr_auc:.3f}" in html and "sssd-nle" in html
    trts = evaluation.metrics["trts"]["macro"]["auc"]
    assert f"{trts:.3f}" in html


def test_the_report_says_when_the_generators_training_folds_are_unknown(study, evaluation):
    html = study_export(study, "html").content
    section = html.split("Machine realism beside the physicians")[1]
    assert (
        f"Evaluation {evaluation.pk} (sssd-nle): the generator&#x27;s training folds were not "
        "checked (an older evaluation).</p>"
    ) in section
    (entry,) = json.loads(study_export(study, "json").content)["realism"]["evaluations"]
    assert entry["generator_training"]["folds"] is None and entry["test_folds"] == [10]
    evaluation.settings = {"generator_training": {"folds": [1, 2], "source": "stated"}}
    evaluation.save()
    html = study_export(study, "html").content
    assert "training folds were not checked" not in html
    (entry,) = json.loads(study_export(study, "json").content)["realism"]["evaluations"]
    assert entry["generator_training"]["folds"] == [1, 2]
