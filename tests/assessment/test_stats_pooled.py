"""The optional mixed-effects model."""

import numpy as np
import pandas as pd
import pytest

from assessment.stats.pooled import mixed_model_accuracy


def test_mixed_model_recovers_typical_accuracy():
    rng = np.random.default_rng(4)
    reader_effect = rng.normal(0, 0.3, 12)
    case_effect = rng.normal(0, 0.3, 40)
    rows = [
        {
            "reader": f"r{r}",
            "case": f"c{c}",
            "correct": bool(
                rng.random() < 1 / (1 + np.exp(-(0.4 + reader_effect[r] + case_effect[c])))
            ),
        }
        for r in range(12)
        for c in range(40)
    ]
    result = mixed_model_accuracy(pd.DataFrame(rows))
    assert result["computable"]
    assert result["accuracy"] == pytest.approx(1 / (1 + np.exp(-0.4)), abs=0.06)
    assert result["ci_low"] < result["accuracy"] < result["ci_high"]
    single = mixed_model_accuracy(pd.DataFrame(rows[:40]))
    assert not single["computable"]
