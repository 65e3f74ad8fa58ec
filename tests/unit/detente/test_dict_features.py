"""The second stage's actor features, built without DictVectorizer, must give the pipeline's
own probabilities, bit for bit; rows it cannot read go through the pipeline itself."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from detente.model import DEFAULT_MODEL_PATH, StanceModel
from detente.vectorise import CachedDictPipeline

TRAIN: list[dict[str, Any]] = [
    {"kind=state": 1.0, "share_title": 0.5, "log_mentions": 1.1, "before=said": 0.25},
    {"kind=person": 1.0, "share_title": 0.0, "log_mentions": 0.7, "cue=reporting verb": 0.69},
    {"kind=state": 1.0, "share_list": 1.0, "log_mentions": 2.3, "after=and": 0.5},
    {"kind=person": 1.0, "share_quoted": 0.33, "log_mentions": 0.0, "prior": 0.9},
] * 4
LABELS = [1, 0, 0, 1] * 4
ROWS: list[dict[str, Any]] = [
    *TRAIN,
    {},  # no feature at all
    {"never seen": 3.0, "kind=state": 1.0},  # unknown names are left out
    {"log_mentions": 0.1, "kind=person": 1.0, "share_title": 0.75},  # another order
    {"prior": -0.0, "share_list": 1e-300},
]


def pipeline() -> Pipeline:
    return Pipeline(
        [
            ("features", DictVectorizer()),
            ("classifier", CalibratedClassifierCV(LogisticRegression(), cv=2, ensemble=False)),
        ]
    ).fit(TRAIN, LABELS)


def test_same_probabilities_as_the_pipeline() -> None:
    fitted = pipeline()
    cached = CachedDictPipeline.of(fitted)
    assert cached is not None
    assert np.array_equal(cached.predict_proba(ROWS), fitted.predict_proba(ROWS))


@pytest.mark.parametrize(
    "odd",
    [{"kind": "state"}, {"log_mentions": 1}, {"share_title": True}, {"tags": ["a", "b"]}],
)
def test_rows_with_other_values_go_through_the_pipeline(odd: dict[str, Any]) -> None:
    fitted = pipeline()
    cached = CachedDictPipeline.of(fitted)
    assert cached is not None
    rows = [*ROWS, {**TRAIN[0], **odd}]
    assert np.array_equal(cached.predict_proba(rows), fitted.predict_proba(rows))


def test_other_shapes_keep_the_pipeline() -> None:
    dense = Pipeline([("f", DictVectorizer(sparse=False)), ("c", LogisticRegression())])
    assert CachedDictPipeline.of(dense.fit(TRAIN, LABELS)) is None
    assert CachedDictPipeline.of(Pipeline([("c", LogisticRegression())])) is None
    assert CachedDictPipeline.of(None) is None


@pytest.mark.skipif(not DEFAULT_MODEL_PATH.exists(), reason="no model artifact")
def test_shipped_second_stage_scores_alike() -> None:
    fast = StanceModel.load()
    reference = replace(fast, fast_features=False)
    assert fast.stance_taking is not None
    assert isinstance(fast._stance_taking, CachedDictPipeline)
    assert reference._stance_taking is reference.stance_taking
    rows = [{**row, "agency_max": 0.5, "agency_mean": 0.25} for row in ROWS]
    assert fast.p_stance(rows) == reference.p_stance(rows)
