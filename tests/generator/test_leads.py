"""Lead names, orders and the Einthoven/Goldberger relations."""

from __future__ import annotations

import numpy as np
import pytest

from generator.core import leads


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [("AVR", "aVR"), ("avr", "aVR"), ("aVL", "aVL"), ("i", "I"), (" v1 ", "V1"), ("MLII", "II")],
)
def test_lead_names_are_normalised(raw, canonical):
    assert leads.normalise_lead_name(raw) == canonical


def test_unknown_lead_name_is_refused():
    with pytest.raises(leads.LeadError, match="unknown lead name 'V7'"):
        leads.normalise_lead_name("V7")


def test_sssd_order_is_rearranged_to_standard():
    sssd = np.arange(12)[:, None] * np.ones((12, 3))
    standard = leads.from_order(sssd, "sssd")
    # standard row k must hold the SSSD row of the same lead
    for k, name in enumerate(leads.STANDARD_LEADS):
        assert standard[k, 0] == leads.SSSD_LEADS.index(name)


def test_reorder_drops_frank_leads_and_requires_all_twelve():
    names = ["i", "ii", "iii", "avr", "avl", "avf", "v1", "v2", "v3", "v4", "v5", "v6", "vx"]
    signal = np.arange(13, dtype=float)[:, None] * np.ones((13, 2))
    assert leads.reorder_leads(signal, names)[:, 0].tolist() == list(range(12))
    with pytest.raises(leads.LeadError, match="missing standard leads: V6"):
        leads.reorder_leads(signal[:11], names[:11])


def test_derived_limb_leads_obey_einthoven(shared_data):
    real = np.load(shared_data / "sssd_ecg_turing22" / "real.npy")
    standard = leads.from_order(real[0], "sssd").astype(np.float64)
    derived = leads.derive_limb_leads(standard)
    assert leads.einthoven_error(derived) < 1e-6
    # the stored real limb leads already obey the relations up to rounding each to 1 uV
    assert leads.einthoven_error(standard) < 0.002


@pytest.mark.parametrize("lead_set", ["nle", "sssd", "i_ii"])
def test_twelve_from_eight_generated_leads_round_trips(shared_data, lead_set):
    real = np.load(shared_data / "sssd_ecg_turing22" / "real.npy")
    standard = leads.derive_limb_leads(leads.from_order(real[3], "sssd").astype(np.float64))
    eight = leads.generated_from_twelve(standard, lead_set)
    assert eight.shape == (8, 1000)
    twelve = leads.twelve_from_generated(eight, lead_set)
    np.testing.assert_allclose(twelve, standard, atol=1e-12)
    assert leads.einthoven_error(twelve) < 1e-6


def test_twelve_from_generated_handles_a_batch():
    batch = np.random.default_rng(0).normal(size=(4, 8, 50))
    out = leads.twelve_from_generated(batch, "nle")
    assert out.shape == (4, 12, 50)
    np.testing.assert_allclose(out[:, 5], batch[:, 1])  # aVF is the generated aVF
    np.testing.assert_allclose(out[:, 1], batch[:, 1] + batch[:, 0] / 2)  # II = aVF + I/2
