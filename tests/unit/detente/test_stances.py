"""The engine's three outcomes: hardline, conciliatory, or only named (`mentioned`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
import pytest

from detente import bounds
from detente.events import Article
from detente.model import StanceModel
from detente.registry import ActorRegistry
from detente.stances import StanceEngine


class KeywordClassifier:
    """A stand-in statement model: "warn" is hardline, "talks" conciliatory, else neutral."""

    classes_ = np.array(["conciliatory", "hardline", "neutral"])

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        rows = []
        for text in texts:
            if "warn" in text:
                rows.append([0.05, 0.9, 0.05])
            elif "talks" in text:
                rows.append([0.85, 0.05, 0.1])
            else:
                rows.append([0.1, 0.1, 0.8])
        return np.array(rows)


class PeopleOnly:
    """A stand-in second stage that believes only people take stances."""

    def predict_proba(self, features: Sequence[dict[str, float]]) -> np.ndarray:
        p = [0.9 if f.get("kind=person") else 0.2 for f in features]
        return np.array([[1 - x, x] for x in p])


def article(text: str, title: str = "") -> Article:
    return Article(
        id="t-1",
        published_at=datetime(2026, 3, 1, tzinfo=UTC),
        source="unit",
        title=title,
        text=text,
    )


@pytest.fixture
def engine(registry: ActorRegistry) -> StanceEngine:
    model = StanceModel(KeywordClassifier(), "test", ("conciliatory", "hardline", "neutral"))
    return StanceEngine.create(registry, model)


def test_a_bystander_is_mentioned_not_given_a_stance(engine: StanceEngine) -> None:
    result = engine.classify(
        article(
            "Putin warned that NATO would regret any deployment. "
            "Diplomats in Paris followed the exchange closely."
        )
    )
    assert [(a.actor, a.stance) for a in result.actors] == [("vladimir-putin", "hardline")]
    assert 0.5 <= result.actors[0].p_stance <= 1.0
    named = {m.actor: m for m in result.mentioned}
    assert set(named) == {"nato", "france"}  # reported about, and a venue
    assert all(m.p_stance < 0.5 for m in named.values())


def test_the_second_stage_decides_who_takes_a_stance(registry: ActorRegistry) -> None:
    model = StanceModel(
        KeywordClassifier(), "test", ("conciliatory", "hardline", "neutral"), PeopleOnly()
    )
    engine = StanceEngine.create(registry, model)
    result = engine.classify(
        article("Macron said France wanted talks. The Kremlin, in Moscow, warned of war.")
    )
    assert [(a.actor, a.stance, a.p_stance) for a in result.actors] == [
        ("emmanuel-macron", "conciliatory", 0.9)
    ]
    assert {(m.actor, m.p_stance) for m in result.mentioned} == {
        ("france", 0.2),
        ("kremlin", 0.2),
        ("russia", 0.2),
    }


def test_a_stance_weighs_its_statements_by_how_likely_they_show_one(
    engine: StanceEngine,
) -> None:
    # A neutral sentence of the same speaker barely moves its verdict.
    result = engine.classify(
        article("Macron said France wanted talks. Macron said he had arrived in Kyiv.")
    )
    macron = next(a for a in result.actors if a.actor == "emmanuel-macron")
    assert macron.stance == "conciliatory"
    assert macron.statements == 2
    assert macron.p_hardline < 0.2


def test_a_stance_is_toward_the_other_sides_its_statements_name(engine: StanceEngine) -> None:
    result = engine.classify(
        article(
            "Putin warned Ukraine and NATO against any deployment. "
            "Lavrov warned Ukraine again. "
            "Macron said talks with the Kremlin must go on."
        )
    )
    targets = {a.actor: a.targets for a in result.actors}
    # Most named first; its own side (Lavrov's Russia, the Kremlin's Russia) never a target.
    assert targets["vladimir-putin"] == ["nato", "ukraine"]
    assert targets["sergei-lavrov"] == ["ukraine"]
    assert targets["emmanuel-macron"] == ["russia"]


# Bounds (detente.bounds): what a hostile article may cost and write.
HOSTILE_CLAUSE = "Putin warned Ukraine that NATO would regret any deployment near its borders, "


def test_an_article_within_the_bounds_has_nothing_cut(engine: StanceEngine) -> None:
    text = "Putin warned that NATO would regret any deployment. Macron said talks must go on."
    [(stances, cut)] = engine.classify_counted([article(text)])
    assert cut == {}
    assert stances == engine.classify(article(text))


def test_one_huge_sentence_is_read_in_pieces_with_short_evidence(engine: StanceEngine) -> None:
    text = HOSTILE_CLAUSE * (199_000 // len(HOSTILE_CLAUSE))
    [(stances, cut)] = engine.classify_counted([article(text)])
    assert cut[bounds.SENTENCE_LENGTH] == 1  # one sentence, split
    putin = next(a for a in stances.actors if a.actor == "vladimir-putin")
    assert putin.stance == "hardline"
    assert putin.evidence and all(len(e) <= bounds.MAX_SENTENCE_CHARS for e in putin.evidence)
    # Names past the bound are not read, and what the article writes stays small.
    assert cut[bounds.MENTIONS_PER_ARTICLE] > 0
    assert sum(a.statements for a in stances.actors) <= bounds.MAX_STATEMENTS_PER_ARTICLE
    assert len(stances.model_dump_json()) < 20_000


def test_evidence_of_a_long_sentence_is_a_window_around_the_actor(engine: StanceEngine) -> None:
    filler = "officials in the region said that talks would continue and " * 12
    text = f"{filler}Putin warned Ukraine against any deployment {filler}"
    assert bounds.MAX_EVIDENCE_CHARS < len(text) <= bounds.MAX_SENTENCE_CHARS
    [(stances, cut)] = engine.classify_counted([article(text)])
    putin = next(a for a in stances.actors if a.actor == "vladimir-putin")
    [evidence] = putin.evidence
    assert len(evidence) <= bounds.MAX_EVIDENCE_CHARS
    assert "Putin warned Ukraine" in evidence and evidence.startswith(bounds.ELLIPSIS)
    assert cut[bounds.EVIDENCE_LENGTH] >= 1


class RecordingClassifier(KeywordClassifier):
    """The keyword model, keeping every text it was asked to score."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        self.seen.extend(texts)
        return super().predict_proba(texts)


def test_a_long_sentence_is_scored_as_its_evidence_window_with_names_whole(
    registry: ActorRegistry,
) -> None:
    recording = RecordingClassifier()
    model = StanceModel(recording, "test", ("conciliatory", "hardline", "neutral"))
    engine = StanceEngine.create(registry, model)
    filler = "officials in the region said that talks would continue and " * 12
    text = f"{filler}Putin warned Ukraine against any deployment near NATO {filler}"
    assert bounds.MAX_EVIDENCE_CHARS < len(text) <= bounds.MAX_SENTENCE_CHARS
    engine.classify_counted([article(text)])
    putin = next(t for t in recording.seen if "SPEAKER warned" in t)
    # What the model reads costs what the evidence does, and never half a name.
    assert len(putin) <= bounds.MAX_EVIDENCE_CHARS
    assert "SPEAKER warned ACTOR against any deployment near ACTOR" in putin
    assert not any(part in t for t in recording.seen for part in ("Puti", "krain", "NAT"))


def test_only_the_most_stated_actors_are_kept(
    engine: StanceEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bounds, "MAX_ACTORS_PER_ARTICLE", 2)
    text = (
        "Putin warned NATO. Putin warned Ukraine again. Macron said talks must go on. "
        "Macron said Paris was ready. Macron said so again. Lavrov warned Kyiv."
    )
    [(stances, cut)] = engine.classify_counted([article(text)])
    named = {a.actor for a in stances.actors} | {m.actor for m in stances.mentioned}
    assert named == {"vladimir-putin", "emmanuel-macron"}
    assert cut[bounds.ACTORS_PER_ARTICLE] == 4  # NATO, Ukraine, France, Lavrov


def test_statements_past_the_bound_are_left_out(
    engine: StanceEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bounds, "MAX_STATEMENTS_PER_ARTICLE", 2)
    text = "Putin warned NATO. Putin warned Ukraine. Putin warned Paris. Putin warned Kyiv."
    [(stances, cut)] = engine.classify_counted([article(text)])
    putin = next(a for a in stances.actors if a.actor == "vladimir-putin")
    assert putin.statements == 2
    assert cut[bounds.STATEMENTS_PER_ARTICLE] >= 2
