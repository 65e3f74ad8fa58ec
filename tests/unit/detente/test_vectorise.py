"""The cached TF-IDF features must be scikit-learn's own, entry for entry, and so must the
probabilities of a pipeline scored through them: outputs may not change by a bit."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from detente.model import DEFAULT_MODEL_PATH, StanceModel
from detente.vectorise import CachedTextPipeline, CachedTfidf

TRAIN = [
    "SPEAKER warned ACTOR against any deployment near the border.",
    "SPEAKER offered talks with ACTOR, and welcomed the ceasefire.",
    "SPEAKER rejected the plan drawn up in Paris; SPEAKER's minister said no.",
    "SPEAKER urged restraint on ACTOR and called for dialogue.",
    "SPEAKER vowed to answer ACTOR's shelling with force.",
    "SPEAKER said the talks would resume, the ministry said.",
] * 3
LABELS = ["hardline", "conciliatory", "hardline", "conciliatory", "hardline", "conciliatory"] * 3
TEXTS = [
    *TRAIN,
    "SPEAKER  said\tthe talks\nwould resume",  # runs of whitespace of every kind
    "ΟΔΟΣ ΣΟΦΙΑΣ İstanbul ÉLAN naïve\u00a0café \u2003 end",  # case folding beyond ASCII
    "",
    "   ",
    "a",
    "said said said said",  # repeats
    "an unseen vocabulary entirely",
    "SPEAKER said {0} {} {x} {{ braces }} %s",  # n-grams are joined by a format string
]
SETTINGS: list[dict[str, Any]] = [
    {"ngram_range": (1, 2), "sublinear_tf": True},
    {"lowercase": False, "ngram_range": (1, 3), "token_pattern": r"[\w'-]+"},
    {"ngram_range": (2, 3), "norm": None},
    {"ngram_range": (3, 3), "smooth_idf": False},
    {"ngram_range": (1, 4), "token_pattern": r"\S+"},
    # Accents stripped or a preprocessor of one's own: tokens through sklearn's own calls.
    {"ngram_range": (1, 2), "strip_accents": "unicode"},
    {"ngram_range": (1, 2), "preprocessor": str.upper, "lowercase": False},
    # Tokens that hold spaces: n-grams are then joined as strings, not looked up as tuples.
    {"ngram_range": (1, 3), "token_pattern": r"[a-z]+ [a-z]+|\w+"},
    {"analyzer": "char_wb", "ngram_range": (3, 5), "sublinear_tf": True},
    {"analyzer": "char_wb", "ngram_range": (2, 2), "binary": True, "use_idf": False},
]


def assert_same_matrix(expected: Any, got: Any) -> None:
    assert type(got) is type(expected)
    assert got.shape == expected.shape
    assert got.dtype == expected.dtype
    assert np.array_equal(got.indptr, expected.indptr)
    assert np.array_equal(got.indices, expected.indices)
    assert np.array_equal(got.data, expected.data)


@pytest.mark.parametrize("settings", SETTINGS)
def test_same_matrix_as_sklearn(settings: dict[str, Any]) -> None:
    vectorizer = TfidfVectorizer(**settings).fit(TRAIN)
    cached = CachedTfidf(vectorizer)
    assert_same_matrix(vectorizer.transform(TEXTS), cached.transform(TEXTS))
    # Again, with every word's n-grams now cached.
    assert_same_matrix(vectorizer.transform(TEXTS), cached.transform(TEXTS))


def test_same_probabilities_as_the_pipeline() -> None:
    union = FeatureUnion(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 2))),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5))),
        ]
    )
    pipeline = Pipeline([("features", union), ("classifier", LogisticRegression())])
    pipeline.fit(TRAIN, LABELS)
    cached = CachedTextPipeline.of(pipeline)
    assert cached is not None
    assert np.array_equal(cached.predict_proba(TEXTS), pipeline.predict_proba(TEXTS))


def test_other_shapes_keep_sklearns_path() -> None:
    stop_words = Pipeline(
        [("words", TfidfVectorizer(stop_words="english")), ("classifier", LogisticRegression())]
    )
    weighted = Pipeline(
        [
            ("features", FeatureUnion([("w", TfidfVectorizer())], transformer_weights={"w": 2})),
            ("classifier", LogisticRegression()),
        ]
    )
    assert CachedTextPipeline.of(stop_words.fit(TRAIN, LABELS)) is None
    assert CachedTextPipeline.of(weighted.fit(TRAIN, LABELS)) is None
    assert CachedTextPipeline.of(None) is None


@pytest.mark.skipif(not DEFAULT_MODEL_PATH.exists(), reason="no model artifact")
def test_shipped_model_scores_alike() -> None:
    model = StanceModel.load()
    assert model.agency is not None
    windows = [
        "officials said SELF would not attend",
        "OTHER accused SELF of shelling",
        "SELF warned OTHER against",
    ]
    for pipeline, texts in ((model.pipeline, TEXTS), (model.agency, [*windows, *TEXTS])):
        cached = CachedTextPipeline.of(pipeline)
        assert cached is not None
        assert np.array_equal(cached.predict_proba(texts), pipeline.predict_proba(texts))


@pytest.mark.skipif(not DEFAULT_MODEL_PATH.exists(), reason="no model artifact")
def test_the_reference_path_scores_alike_through_scikit_learn() -> None:
    """`fast_features=False` (the bench's baseline) takes scikit-learn's own transform and
    gives the same scores as the fast path."""
    fast = StanceModel.load()
    reference = replace(fast, fast_features=False)
    assert reference._statements is reference.pipeline
    assert reference._agency is reference.agency
    assert fast._statements is not fast.pipeline
    assert reference.scores(TEXTS) == fast.scores(TEXTS)
    windows = ["OTHER accused SELF of shelling", "SELF warned OTHER against"]
    assert reference.p_agent(windows) == fast.p_agent(windows)


def test_ngrams_with_braces_join_as_sklearn_joins_them() -> None:
    texts = ["said {0} {} {x} now", "said {0} {} {x} now", "{} {} {{ %s }}", "{} {} {{ %s }}"]
    vectorizer = TfidfVectorizer(ngram_range=(1, 3), token_pattern=r"\S+").fit(texts)
    assert "{0} {} {x}" in vectorizer.vocabulary_
    assert_same_matrix(vectorizer.transform(texts), CachedTfidf(vectorizer).transform(texts))


def test_word_ngrams_are_looked_up_as_numbers_and_never_across_two_texts() -> None:
    vectorizer = TfidfVectorizer(ngram_range=(1, 3)).fit(["peace talks resume", "talks resume"])
    cached = CachedTfidf(vectorizer)
    assert cached._coded is not None  # the batch path, not one text at a time
    # "talks resume" would be a bigram of the joined tokens of the first two texts.
    texts = ["peace talks", "resume now", "", "talks resume peace talks resume"]
    assert_same_matrix(vectorizer.transform(texts), cached.transform(texts))
    assert cached.transform(texts)[0, vectorizer.vocabulary_["talks resume"]] == 0


def test_ngrams_too_long_for_one_integer_are_looked_up_one_text_at_a_time() -> None:
    # 20-grams over the training vocabulary's tokens would not fit in 63 bits.
    vectorizer = TfidfVectorizer(ngram_range=(1, 20)).fit(TRAIN)
    cached = CachedTfidf(vectorizer)
    assert cached._coded is None
    assert_same_matrix(vectorizer.transform(TEXTS), cached.transform(TEXTS))
