"""The training path end to end on a toy corpus: statement model, agency model and second
stage fitted, saved in one skops artifact, loaded back and used by the engine."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from detente import training
from detente.attribution import MentionFinder, attribute
from detente.corpora import JudgedPassage, LabelledStatement
from detente.events import Article
from detente.model import StanceModel
from detente.registry import ActorRegistry
from detente.stance_taking import SELF_TOKEN, agency_windows
from detente.stances import StanceEngine

HARD = [
    "Putin warned of war",
    "Moscow threatened strikes",
    "Lavrov rejected the plan",
    "NATO condemned the attack",
    "Macron denounced the shelling",
    "Kyiv vowed retaliation",
]
SOFT = [
    "Putin offered talks",
    "Moscow welcomed the ceasefire",
    "Lavrov backed dialogue",
    "NATO urged restraint",
    "Macron proposed mediation",
    "Kyiv agreed to negotiate",
]
# (text, stance-taker, its verdict, bystander): one per toy crisis.
PASSAGES = [
    ("Putin warned NATO against any deployment.", "Vladimir Putin", "hardline", "NATO"),
    ("Macron offered talks with Moscow.", "Emmanuel Macron", "conciliatory", "Russia"),
    ("Lavrov rejected the plan drawn up in Paris.", "Sergei Lavrov", "hardline", "France"),
    ("NATO urged restraint on Kyiv.", "NATO", "conciliatory", "Ukraine"),
    ("Kyiv vowed to answer Moscow.", "Ukraine", "hardline", "Russia"),
    ("The Kremlin welcomed a proposal by Paris.", "the Kremlin", "conciliatory", "France"),
]


def statements() -> list[LabelledStatement]:
    return [
        LabelledStatement(f"{text} on day {day}.", label, "", f"crisis-{day}", "own")  # type: ignore[arg-type]
        for day in range(4)
        for texts, label in ((HARD, "hardline"), (SOFT, "conciliatory"))
        for text in texts
    ]


def passages() -> list[JudgedPassage]:
    return [
        JudgedPassage(f"p{i}", f"crisis-{i}", "wire", "2026-03-01T00:00:00Z", "", text,
                      ((taker, verdict), (bystander, "none")))
        for i, (text, taker, verdict, bystander) in enumerate(PASSAGES)
    ]  # fmt: skip


def test_agency_windows_mask_the_actor_and_everyone_else(registry: ActorRegistry) -> None:
    text = "Diplomats said Putin warned NATO against any deployment."
    windows = agency_windows(attribute(text, MentionFinder(registry)), "nato", text)
    assert windows == [f"Diplomats said OTHER warned {SELF_TOKEN} against any deployment."]


def test_a_trained_artifact_round_trips_with_its_second_stage(
    tmp_path: Path, registry: ActorRegistry
) -> None:
    pipeline = training.fit(statements(), registry)
    classes = tuple(str(c) for c in pipeline.classes_)
    engine = StanceEngine.create(registry, StanceModel(pipeline, "training", classes))
    examples = training.stance_taking_examples(passages(), engine)
    assert examples.labels == [1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0]
    agency = training.fit_agency(examples.windows, examples.labels)
    training.add_agency(examples, None, folds=3)
    assert all("agency_max" in f for f in examples.features)
    second = training.fit_stance_taking(examples.features, examples.labels)
    path = tmp_path / "stance.skops"
    training.save(pipeline, path, {"model": "toy"}, second, agency)

    model = StanceModel.load(path)
    assert model.stance_taking is not None and model.agency is not None
    result = StanceEngine.create(registry, model).classify(
        Article(id="a", published_at=datetime(2026, 3, 2, tzinfo=UTC), source="t",
                text="Putin warned NATO against any deployment.")
    )  # fmt: skip
    everyone = [(a.actor, a.p_stance) for a in result.actors] + [
        (m.actor, m.p_stance) for m in result.mentioned
    ]
    assert {actor for actor, _ in everyone} == {"vladimir-putin", "nato"}
    assert all(0.0 <= p <= 1.0 for _, p in everyone)


def test_the_cut_has_the_best_f1_and_the_higher_one_on_a_tie() -> None:
    labels = [1, 1, 1, 0, 0, 0]
    # 0.45 and 0.50 keep the three stance-takers and no bystander; 0.55 loses one.
    assert training.choose_threshold([0.9, 0.8, 0.5, 0.4, 0.3, 0.1], labels) == 0.50
    # 0.20–0.60 all give F1 1.0 here: the highest wins, precision first.
    assert training.choose_threshold([0.9, 0.8, 0.7, 0.1, 0.1, 0.1], labels) == 0.60
    assert training.choose_threshold([], []) == training.STANCE_THRESHOLD


def test_the_cut_is_chosen_on_out_of_fold_scores_of_the_training_crises() -> None:
    examples = training.StanceTakingExamples()
    for n in range(60):
        takes = n % 2 == 0
        examples.features.append({"cue=reporting verb": 1.0 if takes else 0.0, "noise": n % 7})
        examples.windows.append([])
        examples.labels.append(int(takes))
        examples.crises.append(f"crisis-{n % 6}")
    proba = training.out_of_fold_p_stance(examples)
    assert len(proba) == 60
    # Every actor is scored by a model that never saw its crisis, and still told apart.
    assert min(p for p, g in zip(proba, examples.labels, strict=True) if g) > max(
        p for p, g in zip(proba, examples.labels, strict=True) if not g
    )


def test_cross_fitting_reads_each_crisis_with_a_statement_model_that_never_saw_it(
    registry: ActorRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    fitted_on: list[set[str]] = []
    read: list[set[str]] = []
    fit, examples_of = training.fit, training.stance_taking_examples

    def recording_fit(items: list[LabelledStatement], reg: ActorRegistry) -> object:
        fitted_on.append({s.crisis for s in items})
        return fit(items, reg)

    def recording_examples(items: list[JudgedPassage], engine: StanceEngine) -> object:
        read.append({p.crisis for p in items})
        return examples_of(items, engine)

    monkeypatch.setattr(training, "fit", recording_fit)
    monkeypatch.setattr(training, "stance_taking_examples", recording_examples)
    crossed = training.cross_fitted_examples(statements(), passages(), registry, folds=3)
    assert len(fitted_on) == len(read) == 3
    for statement_crises, passage_crises in zip(fitted_on, read, strict=True):
        assert statement_crises and not statement_crises & passage_crises
    # The same judged actors as the plain path, each once.
    pipeline = fit(statements(), registry)
    engine = StanceEngine.create(
        registry, StanceModel(pipeline, "training", tuple(str(c) for c in pipeline.classes_))
    )
    plain = examples_of(passages(), engine)
    assert sorted(zip(crossed.crises, crossed.labels, strict=True)) == sorted(
        zip(plain.crises, plain.labels, strict=True)
    )
