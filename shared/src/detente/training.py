"""Training and held-out evaluation of the stance classifier (`detente train`)."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from detente.attribution import Mention, MentionFinder, mask_mentions
from detente.corpora import JudgedPassage, LabelledStatement
from detente.events import Article
from detente.model import StanceModel, write_checksum
from detente.registry import ActorRegistry
from detente.stance_taking import STANCE_THRESHOLD, agency_features
from detente.stances import OTHER_ACTOR_TOKEN, SPEAKER_TOKEN, StanceEngine

MODEL_NAME = "detente-stance-v1"
# Crises held out of training entirely, so scores show generalisation to unseen crises.
TEST_CRISES = frozenset({"georgia-2008", "libya", "myanmar", "somalia", "serbia-kosovo"})
SEED = 20260127
# Inverse regularisation of the second stage's logistic regression: 0.20-0.35 give about
# the same judged-set figures; 1.0 (until session 13) let single neighbour words weigh.
STANCE_TAKING_C = 0.25


def mask_training_text(
    statement: LabelledStatement, finder: MentionFinder, registry: ActorRegistry
) -> str:
    """Mask actor names as the engine does at run time: the speaker, and everybody else."""
    speaker = registry.lookup(statement.speaker) if statement.speaker else None
    speaker_lineage = set(registry.lineage(speaker.id)) if speaker else set()

    def token(mention: Mention) -> str:
        is_speaker = mention.actor in speaker_lineage or (
            speaker is not None and speaker.id in registry.lineage(mention.actor)
        )
        return SPEAKER_TOKEN if is_speaker else OTHER_ACTOR_TOKEN

    return mask_mentions(statement.text, 0, finder.find(statement.text), token)


def build_pipeline() -> Any:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    features = FeatureUnion(
        [
            (
                "words",
                TfidfVectorizer(
                    ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=60_000
                ),
            ),
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char_wb",
                    ngram_range=(3, 5),
                    min_df=3,
                    sublinear_tf=True,
                    max_features=60_000,
                ),
            ),
        ]
    )
    classifier = CalibratedClassifierCV(
        LogisticRegression(C=4.0, max_iter=3000, class_weight="balanced"),
        method="sigmoid",
        cv=5,
        ensemble=False,  # one model on all data, calibrated on cross-validated scores
    )
    return Pipeline([("features", features), ("classifier", classifier)])


@dataclass
class Split:
    train: list[LabelledStatement] = field(default_factory=list)
    test: list[LabelledStatement] = field(default_factory=list)


def split_by_crisis(statements: Sequence[LabelledStatement]) -> Split:
    split = Split()
    for statement in statements:
        (split.test if statement.crisis in TEST_CRISES else split.train).append(statement)
    return split


def class_report(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, Any]:
    """Per-class precision, recall and F1, and their macro average."""
    report: dict[str, Any] = {}
    for label in ("conciliatory", "hardline"):
        tp = sum(g == label and p == label for g, p in zip(gold, predicted, strict=True))
        fp = sum(g != label and p == label for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == label and p != label for g, p in zip(gold, predicted, strict=True))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        report[label] = {"precision": round(precision, 4), "recall": round(recall, 4),
                         "f1": round(f1, 4), "support": tp + fn}  # fmt: skip
    report["macro_f1"] = round((report["conciliatory"]["f1"] + report["hardline"]["f1"]) / 2, 4)
    report["n"] = len(gold)
    return report


def fit(statements: Sequence[LabelledStatement], registry: ActorRegistry) -> Any:
    finder = MentionFinder(registry)
    texts = [mask_training_text(s, finder, registry) for s in statements]
    labels = [s.label for s in statements]
    weights = [s.weight for s in statements]
    pipeline = build_pipeline()
    pipeline.fit(texts, labels, classifier__sample_weight=weights)
    # The vectorisers keep every pruned term for introspection only; drop them (tens of MB).
    # numpy ints in the vocabulary would each become a file in the skops archive.
    for _, vectoriser in pipeline.named_steps["features"].transformer_list:
        vectoriser.stop_words_ = None
        vectoriser.vocabulary_ = {term: int(i) for term, i in vectoriser.vocabulary_.items()}
    return pipeline


def evaluate_statements(
    pipeline: Any, statements: Sequence[LabelledStatement], registry: ActorRegistry
) -> dict[str, Any]:
    """Two-class scores on the stance-bearing statements; neutral recall when there are any.

    The stance of a statement is whichever of hardline and conciliatory the model finds
    more likely, exactly as `StanceModel.scores` decides at run time.
    """
    finder = MentionFinder(registry)
    classes = [str(c) for c in pipeline.classes_]
    texts = [mask_training_text(s, finder, registry) for s in statements]
    proba = pipeline.predict_proba(texts) if texts else []
    hard, soft = classes.index("hardline"), classes.index("conciliatory")
    gold, predicted = [], []
    neutral_total = neutral_hits = 0
    for statement, row in zip(statements, proba, strict=True):
        if statement.label == "neutral":
            neutral_total += 1
            neutral_hits += int(classes[int(row.argmax())] == "neutral")
            continue
        gold.append(statement.label)
        predicted.append("hardline" if row[hard] >= row[soft] else "conciliatory")
    report = class_report(gold, predicted)
    if neutral_total:
        report["neutral_recall"] = round(neutral_hits / neutral_total, 4)
        report["neutral_support"] = neutral_total
    return report


def save(
    pipeline: Any,
    path: Path,
    metadata: dict[str, Any],
    stance_taking: Any | None = None,
    agency: Any | None = None,
    stance_threshold: float = STANCE_THRESHOLD,
) -> None:
    import skops.io as sio

    path.parent.mkdir(parents=True, exist_ok=True)
    bundle = {"pipeline": pipeline, "name": MODEL_NAME}
    if stance_taking is not None:
        bundle["stance_taking"] = stance_taking
    if agency is not None:
        bundle["agency"] = agency
        bundle["stance_threshold"] = stance_threshold
    sio.dump(bundle, path, compression=zipfile.ZIP_DEFLATED)
    write_checksum(path)  # what StanceModel.load checks the artifact against
    path.with_suffix(".metrics.json").write_text(
        json.dumps(metadata, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )


def build_stance_taking_pipeline() -> Any:
    """Second stage: actor features → P(takes a stance). Interpretable inputs, so a
    calibrated logistic regression; calibrated like the statement model. Regularised hard
    (STANCE_TAKING_C): besides a few dozen dense features, the words right before and after
    a name (`before=`, `after=`) are thousands of sparse ones, and with C 1.0 a handful of
    passages taught the stage single words (models/README.md, "The second stage
    regularised")."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    classifier = CalibratedClassifierCV(
        LogisticRegression(C=STANCE_TAKING_C, max_iter=3000),
        method="sigmoid",
        cv=5,
        ensemble=False,
    )
    return Pipeline([("features", DictVectorizer()), ("classifier", classifier)])


@dataclass
class StanceTakingExamples:
    """Every judged actor the engine finds in the passages: its features, its agency
    windows, 1 when the passage shows a stance of its own, and its crisis."""

    features: list[dict[str, float]] = field(default_factory=list)
    windows: list[list[str]] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    crises: list[str] = field(default_factory=list)


def stance_taking_examples(
    passages: Sequence[JudgedPassage], engine: StanceEngine
) -> StanceTakingExamples:
    """Features of every judged actor the engine finds in the passages, with 1 when the
    passage shows a stance of its own. Judged actors it does not find teach nothing here."""
    articles = [
        Article(
            id=p.id,
            published_at=datetime.fromisoformat(p.published_at.replace("Z", "+00:00")),
            source="detente-training",
            title=p.title,
            text=p.text,
        )
        for p in passages
    ]
    examples = StanceTakingExamples()
    for passage, named in zip(passages, engine.named_actors(articles), strict=True):
        verdicts = {}
        for name, verdict in passage.verdicts:
            known = engine.registry.lookup(name)
            if known is not None:
                verdicts[known.id] = verdict
        for actor in named:
            if actor.id in verdicts:
                examples.features.append(actor.features)
                examples.windows.append(actor.windows)
                examples.labels.append(int(verdicts[actor.id] != "none"))
                examples.crises.append(passage.crisis)
    return examples


def cross_fitted_examples(
    statements: Sequence[LabelledStatement],
    passages: Sequence[JudgedPassage],
    registry: ActorRegistry,
    folds: int = 5,
) -> StanceTakingExamples:
    """`stance_taking_examples` with each crisis's passages read by a statement model fit
    without that crisis's statements (folds by crisis), so that the second stage learns
    from statement scores like those it meets at run time, on crises the statement model
    never saw, rather than from a model that already knows the crisis's words."""
    from sklearn.model_selection import GroupKFold

    examples = StanceTakingExamples()
    crises = [p.crisis for p in passages]
    for _, test in GroupKFold(n_splits=folds).split(passages, groups=crises):
        held = {crises[i] for i in test}
        pipeline = fit([s for s in statements if s.crisis not in held], registry)
        classes = tuple(str(c) for c in pipeline.classes_)
        engine = StanceEngine.create(registry, StanceModel(pipeline, "training", classes))
        part = stance_taking_examples([passages[i] for i in test], engine)
        examples.features += part.features
        examples.windows += part.windows
        examples.labels += part.labels
        examples.crises += part.crises
    return examples


def build_agency_pipeline() -> Any:
    """Masked words around a name → is it an agent there? Word 1–3-grams keep "SELF said",
    "accused SELF of", "SELF and OTHER agreed" apart."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    return Pipeline(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 3), min_df=2, sublinear_tf=True,
                                      lowercase=False, token_pattern=r"[\w'-]+")),
            ("classifier", LogisticRegression(C=2.0, max_iter=3000)),
        ]
    )  # fmt: skip


def fit_agency(windows: Sequence[Sequence[str]], labels: Sequence[int]) -> Any:
    """Each window takes its actor's label: a stance-taker's names are mostly agents'."""
    texts = [w for actor in windows for w in actor]
    targets = [label for actor, label in zip(windows, labels, strict=True) for _ in actor]
    pipeline = build_agency_pipeline()
    pipeline.fit(texts, targets)
    vectoriser = pipeline.named_steps["words"]
    vectoriser.stop_words_ = None
    vectoriser.vocabulary_ = {term: int(i) for term, i in vectoriser.vocabulary_.items()}
    return pipeline


def add_agency(examples: StanceTakingExamples, agency: Any | None, folds: int = 5) -> None:
    """Put the agency model's pooled output into each example's features. With `agency`
    None, out of fold: a model fit on the other crises scores each crisis's actors, so the
    second stage learns how far to trust agency on text the agency model never saw."""
    from sklearn.model_selection import GroupKFold

    def pooled(model: Any, windows: list[list[str]]) -> list[dict[str, float]]:
        flat = [w for actor in windows for w in actor]
        scores = iter(model.predict_proba(flat)[:, 1].tolist() if flat else [])
        return [agency_features([next(scores) for _ in actor]) for actor in windows]

    if agency is not None:
        for features, extra in zip(examples.features, pooled(agency, examples.windows),
                                   strict=True):  # fmt: skip
            features.update(extra)
        return
    for train, test in GroupKFold(n_splits=folds).split(examples.windows, groups=examples.crises):
        model = fit_agency(
            [examples.windows[i] for i in train], [examples.labels[i] for i in train]
        )
        for i, extra in zip(test, pooled(model, [examples.windows[i] for i in test]), strict=True):
            examples.features[i].update(extra)


def fit_stance_taking(features: Sequence[dict[str, float]], labels: Sequence[int]) -> Any:
    pipeline = build_stance_taking_pipeline()
    pipeline.fit(list(features), list(labels))
    vectoriser = pipeline.named_steps["features"]
    vectoriser.vocabulary_ = {name: int(i) for name, i in vectoriser.vocabulary_.items()}
    return pipeline


def out_of_fold_p_stance(examples: StanceTakingExamples, folds: int = 5) -> list[float]:
    """Each actor's p_stance from a second stage fit on the other crises' actors: what the
    cut is chosen on, so that the held-out crises stay unseen until they are scored."""
    from sklearn.model_selection import GroupKFold

    proba = [0.0] * len(examples.labels)
    splits = GroupKFold(n_splits=folds).split(examples.features, groups=examples.crises)
    for train, test in splits:
        model = fit_stance_taking(
            [examples.features[i] for i in train], [examples.labels[i] for i in train]
        )
        scores = model.predict_proba([examples.features[i] for i in test])[:, 1]
        for i, p in zip(test, scores, strict=True):
            proba[i] = float(p)
    return proba


def choose_threshold(proba: Sequence[float], labels: Sequence[int]) -> float:
    """The p_stance cut in 0.20–0.60 with the best F1 of "takes a stance" (the higher cut on
    a tie: precision first); the default with nothing to choose on."""
    if not proba or not any(labels):
        return STANCE_THRESHOLD
    best, best_f1 = STANCE_THRESHOLD, -1.0
    for step in range(20, 61, 5):
        cut = step / 100
        tp = sum(p >= cut and g for p, g in zip(proba, labels, strict=True))
        chosen = sum(p >= cut for p in proba)
        f1 = 2 * tp / (chosen + sum(labels)) if chosen else 0.0
        if f1 >= best_f1 - 1e-9:
            best, best_f1 = cut, f1
    return best


def evaluate_stance_taking(
    pipeline: Any,
    features: Sequence[dict[str, float]],
    labels: Sequence[int],
    threshold: float = STANCE_THRESHOLD,
) -> dict[str, Any]:
    """Precision and recall of "takes a stance" at the engine's threshold, and the Brier
    score (mean squared error of the probability: what calibration buys)."""
    if not features:
        return {"n": 0}
    proba = [float(p) for p in pipeline.predict_proba(list(features))[:, 1]]
    predicted = [p >= threshold for p in proba]
    tp = sum(p and g for p, g in zip(predicted, labels, strict=True))
    precision = tp / sum(predicted) if any(predicted) else 0.0
    recall = tp / sum(labels) if any(labels) else 0.0
    brier = sum((p - g) ** 2 for p, g in zip(proba, labels, strict=True)) / len(labels)
    return {
        "threshold": threshold,
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "brier": round(brier, 4),
        "takes_a_stance": sum(labels),
        "n": len(labels),
    }
