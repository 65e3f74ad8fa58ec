"""Who-takes-a-stance scores: precision, detection and macro-F1 against judged items."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from detente.evaluation import read_event_records, read_judged, score
from detente.events import ActorStance, ArticleStances
from detente.registry import ActorRegistry


def given(actor: str, stance: str) -> ActorStance:
    return ActorStance(
        actor=actor, name=actor, kind="state", affiliation=None, stance=stance,  # type: ignore[arg-type]
        p_hardline=0.9 if stance == "hardline" else 0.1, statements=1, evidence=[],
    )  # fmt: skip


def result(*stances: ActorStance) -> ArticleStances:
    return ArticleStances(
        id="x", published_at=datetime(2026, 1, 1, tzinfo=UTC), model_version="t",
        actors=list(stances),
    )  # fmt: skip


def write(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_scores_count_bystanders_misses_and_wrong_stances(
    tmp_path: Path, registry: ActorRegistry
) -> None:
    base = {"published": "2022-01-28", "title": "T", "text": "Text."}
    news = write(
        tmp_path / "news.jsonl",
        [
            {**base, "id": "n1", "labels": [
                {"actor": "Vladimir Putin", "stance": "hardline"},
                {"actor": "Emmanuel Macron", "stance": "conciliatory"},
            ]},
            {**base, "id": "n2", "labels": [{"actor": "Moscow", "stance": "mixed"}]},
        ],
    )  # fmt: skip
    verdicts = write(
        tmp_path / "judged.jsonl",
        [{"id": "n1", "judged": [
            {"actor": "Ukraine", "stance": "none", "why": "threatened only"},
            {"actor": "NATO", "stance": "hardline", "why": "warned"},
        ]}],
    )  # fmt: skip
    judged = read_judged(news, registry, verdicts)
    outputs = [
        # Putin right, Macron wrong, Ukraine a bystander, NATO missed, France unjudged.
        result(given("vladimir-putin", "hardline"), given("emmanuel-macron", "hardline"),
               given("ukraine", "hardline"), given("france", "hardline")),
        result(given("russia", "conciliatory")),  # mixed: found, out of the two-class F1
    ]  # fmt: skip

    scores = score(judged, outputs, registry)

    assert scores["given_a_stance"] == 4  # the unjudged France is left out, and counted
    assert scores["unjudged"] == 1
    assert scores["attribution_precision"] == pytest.approx(3 / 4)
    assert scores["stance_takers"] == 4
    assert scores["detection"] == pytest.approx(3 / 4)
    # Found: Putin right, Macron wrong. Missed NATO counts as a wrong answer in macro_f1.
    assert scores["macro_f1_found"] == pytest.approx((2 / 3 + 0) / 2, abs=1e-4)
    assert scores["macro_f1"] == pytest.approx((1 / 2 + 0) / 2, abs=1e-4)
    assert scores["errors"]["bystanders_given_a_stance"] == ["n1: ukraine"]
    assert scores["errors"]["stance_takers_missed"] == ["n1: NATO (hardline)"]


def test_in_an_exhaustive_set_an_unjudged_actor_is_a_bystander(
    tmp_path: Path, registry: ActorRegistry
) -> None:
    path = write(
        tmp_path / "exhaustive.jsonl",
        [{"id": "e1", "published": "2022-01-28", "title": "", "text": "Text.",
          "labels": [{"actor": "Putin", "stance": "hardline"}],
          "none": [{"actor": "Kyiv", "why": "target"}]}],
    )  # fmt: skip
    scores = score(read_judged(path, registry), [result(given("france", "hardline"))], registry)
    assert (scores["given_a_stance"], scores["take_a_stance"], scores["unjudged"]) == (1, 0, 0)
    assert scores["detection"] == 0.0


def test_event_records_judge_sources_as_acting_and_targets_as_acted_upon(
    tmp_path: Path, registry: ActorRegistry
) -> None:
    records = [
        {"id": "e1", "event": "THREATEN", "date": "2021-05-04",
         "text": "Russia threatened Ukraine with new measures on Monday.",
         "source": [{"actorText": "Russia"}], "target": [{"actorText": "Ukraine"}]},
        {"id": "e2", "event": "CONSULT", "date": "2019-02-01",
         "text": "France hosted talks with the rebels.",
         "source": [{"actorText": "France"}], "target": [{"actorText": "the rebels"}]},
        # Not a stance event, no text, or nobody the registry knows: not judged.
        {"id": "e3", "event": "DOCUMENT", "text": "About this file."},
        {"id": "e4", "event": "FIGHT", "source": [{"actorText": "Russia"}]},
        {"id": "e5", "event": "ASSAULT", "text": "Gunmen attacked a convoy.",
         "source": [{"actorText": "gunmen"}], "target": ""},
    ]  # fmt: skip
    path = tmp_path / "events.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    judged = read_event_records(path, registry)
    assert [j.article.id for j in judged] == ["e1", "e2"]
    assert judged[0].verdicts == {
        "russia": ("hardline", "Russia"), "ukraine": ("none", "Ukraine"),
    }  # fmt: skip
    assert judged[1].verdicts == {"france": ("conciliatory", "France")}
    assert judged[0].article.published_at == datetime(2021, 5, 4, tzinfo=UTC)
    assert not judged[0].exhaustive
    # Scored like any judged set: Ukraine given a stance is a bystander, France missed.
    scores = score(judged, [result(given("russia", "hardline"), given("ukraine", "hardline")),
                            result()], registry)  # fmt: skip
    assert (scores["given_a_stance"], scores["take_a_stance"]) == (2, 1)
    assert (scores["stance_takers"], scores["found"]) == (2, 1)
