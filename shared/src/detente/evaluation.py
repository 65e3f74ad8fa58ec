"""Who-takes-a-stance scores on judged real news (`make evaluate`).

Three figures, as issue #12 defines them, per judged set:

- **attribution precision**: of the actors the engine gives a stance, the share that take one
  in the text (judged hardline, conciliatory or mixed);
- **detection**: of the actors that take a stance, the share the engine gives one;
- **macro-F1** over the two-class stance-takers it found (mixed left out).

Judgements come from the team folder: `news-dev.jsonl` labels plus the per-item verdicts of
`news-dev-attribution.jsonl`, and `news-dev-exhaustive.jsonl`, where every named actor is
judged; PLOVER's gold event records add sources (who acts) and targets (who is acted
upon) on single news-style sentences. Names are matched through the registry; a name it
does not know (a discovered actor) matches by its folded display name.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from detente.events import ActorStance, Article, ArticleStances
from detente.registry import ActorRegistry, alias_key
from detente.stances import StanceEngine
from detente.training import class_report

TAKES_A_STANCE = frozenset({"hardline", "conciliatory", "mixed"})
# When two judged names resolve to one actor, the verdict that shows a stance wins.
_PRECEDENCE = {"mixed": 3, "hardline": 2, "conciliatory": 2, "none": 0}


@dataclass(frozen=True)
class JudgedArticle:
    article: Article
    verdicts: dict[str, tuple[str, str]]  # actor key → (verdict, name as judged)
    exhaustive: bool  # every named actor judged: an unjudged prediction is a bystander


def actor_key(name: str, registry: ActorRegistry) -> str:
    actor = registry.lookup(name)
    return actor.id if actor is not None else "name:" + alias_key(name).lower()


def stance_key(stance: ActorStance, registry: ActorRegistry) -> str:
    return stance.actor if stance.actor in registry else actor_key(stance.name, registry)


def _published(row: dict[str, Any]) -> datetime:
    """The item's date; an undated item takes the year in its URL (mid-year), else today's
    date, since offices ("the Secretary-General") resolve by date."""
    if row.get("published"):
        return datetime.fromisoformat(str(row["published"])[:10]).replace(tzinfo=UTC)
    year = re.search(r"/((?:19|20)\d\d)/", str(row.get("source_url", "")))
    if year is not None:
        return datetime(int(year.group(1)), 7, 1, tzinfo=UTC)
    return datetime.now(UTC)


def _article(row: dict[str, Any]) -> Article:
    return Article(
        id=row["id"],
        published_at=_published(row),
        source=row.get("publisher") or "news-dev",
        url=row.get("source_url", ""),
        title=row.get("title", ""),
        text=row["text"],
    )


def _rows(path: Path) -> Iterator[dict[str, Any]]:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            yield json.loads(line)


def _add(verdicts: dict[str, tuple[str, str]], key: str, verdict: str, name: str) -> None:
    known = verdicts.get(key)
    if known is None or _PRECEDENCE[verdict] > _PRECEDENCE[known[0]]:
        verdicts[key] = (verdict, name)


def read_judged(
    path: Path, registry: ActorRegistry, attribution: Path | None = None
) -> list[JudgedArticle]:
    """A judged set: labels (+ `none` list) per item, plus an attribution file's verdicts."""
    extra: dict[str, list[dict[str, str]]] = {}
    if attribution is not None:
        extra = {row["id"]: row["judged"] for row in _rows(attribution)}
    judged = []
    for row in _rows(path):
        verdicts: dict[str, tuple[str, str]] = {}
        for label in row.get("labels", []):
            _add(verdicts, actor_key(label["actor"], registry), label["stance"], label["actor"])
        for item in extra.get(row["id"], []):
            _add(verdicts, actor_key(item["actor"], registry), item["stance"], item["actor"])
        for item in row.get("none", []):
            _add(verdicts, actor_key(item["actor"], registry), "none", item["actor"])
        judged.append(JudgedArticle(_article(row), verdicts, exhaustive="none" in row))
    return judged


def read_event_records(path: Path, registry: ActorRegistry) -> list[JudgedArticle]:
    """PLOVER's gold event records as judged one-sentence articles: each record's sources
    take the stance of its event (cooperation conciliatory, conflict hardline), its targets
    none. Only names the registry knows are judged ("police", "rebels" are not): a check of
    who acts and who is acted upon, on news-style sentences nobody tuned the rules on."""
    from detente.corpora import plover_stance

    judged = []
    for record in json.loads(path.read_text(encoding="utf-8")):
        stance = plover_stance(record)
        if stance is None:
            continue
        verdicts: dict[str, tuple[str, str]] = {}
        for role, verdict in (("source", stance), ("target", "none")):
            parties = record.get(role)
            for party in parties if isinstance(parties, list) else []:
                name = party.get("actorText", "")
                if registry.lookup(name) is not None:
                    _add(verdicts, actor_key(name, registry), verdict, name)
        if verdicts:
            article = _article(
                {**record, "published": record.get("date"), "title": "", "publisher": "plover"}
            )
            judged.append(JudgedArticle(article, verdicts, exhaustive=False))
    return judged


@dataclass
class _Tally:
    given: int = 0
    correct: int = 0
    unjudged: list[str] = field(default_factory=list)
    stance_takers: int = 0
    found: int = 0
    gold: list[str] = field(default_factory=list)
    predicted: list[str] = field(default_factory=list)
    bystanders: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    missed_verdicts: list[str] = field(default_factory=list)
    wrong_stance: list[str] = field(default_factory=list)


def _match(key: str, item: JudgedArticle) -> str:
    """A discovered actor matches a judged name outside the registry by surname too, within
    one article: spellings of names vary ("Demetris" and "Dimitris Christofias")."""
    if key in item.verdicts or not key.startswith("name:"):
        return key
    surname = key.rsplit(" ", 1)[-1]
    same = [k for k in item.verdicts if k.startswith("name:") and k.rsplit(" ", 1)[-1] == surname]
    return same[0] if len(same) == 1 else key


def score(
    judged: Iterable[JudgedArticle],
    results: Iterable[ArticleStances],
    registry: ActorRegistry,
) -> dict[str, Any]:
    """Precision, detection and macro-F1 of an engine's output against judged items."""
    tally = _Tally()
    for item, result in zip(judged, results, strict=True):
        given = {_match(stance_key(s, registry), item): s for s in result.actors}
        for key, stance in given.items():
            judgement = item.verdicts.get(key)
            where = f"{item.article.id}: {stance.name}"
            if judgement is None and not item.exhaustive:
                tally.unjudged.append(where)
                continue
            tally.given += 1
            if judgement is not None and judgement[0] in TAKES_A_STANCE:
                tally.correct += 1
            else:
                tally.bystanders.append(where)
        for key, (verdict, name) in item.verdicts.items():
            if verdict not in TAKES_A_STANCE:
                continue
            tally.stance_takers += 1
            found = given.get(key)
            if found is None:
                tally.missed.append(f"{item.article.id}: {name} ({verdict})")
                tally.missed_verdicts.append(verdict)
                continue
            tally.found += 1
            if verdict != "mixed":
                tally.gold.append(verdict)
                tally.predicted.append(found.stance)
                if found.stance != verdict:
                    tally.wrong_stance.append(f"{item.article.id}: {name} ({verdict})")
    report = class_report(tally.gold, tally.predicted)
    missed_as_wrong = class_report(
        tally.gold + [v for v in tally.missed_verdicts if v != "mixed"],
        tally.predicted + ["missed"] * sum(v != "mixed" for v in tally.missed_verdicts),
    )
    return {
        "attribution_precision": round(tally.correct / tally.given, 4) if tally.given else 0.0,
        "detection": round(tally.found / tally.stance_takers, 4) if tally.stance_takers else 0.0,
        # A stance-taker the engine missed counts as a wrong answer: detection is part of it.
        "macro_f1": missed_as_wrong["macro_f1"],
        "macro_f1_found": report["macro_f1"],
        "given_a_stance": tally.given,
        "take_a_stance": tally.correct,
        "stance_takers": tally.stance_takers,
        "found": tally.found,
        "unjudged": len(tally.unjudged),
        "per_class": {k: report[k] for k in ("conciliatory", "hardline")},
        "errors": {
            "bystanders_given_a_stance": tally.bystanders,
            "stance_takers_missed": tally.missed,
            "wrong_stance": tally.wrong_stance,
            "unjudged": tally.unjudged,
        },
    }


def ablation(
    engine: StanceEngine, judged_sets: dict[str, list[JudgedArticle]]
) -> list[dict[str, Any]]:
    """What each part of the engine adds: the shipped engine, and the same engine with one
    part taken away, scored on every judged set."""
    undated = {
        name: [
            JudgedArticle(j.article.model_copy(update={"published_at": datetime.now(UTC)}),
                          j.verdicts, j.exhaustive)
            for j in judged
        ]
        for name, judged in judged_sets.items()
    }  # fmt: skip
    variants: list[tuple[str, StanceEngine, dict[str, list[JudgedArticle]]]] = [
        ("shipped engine", engine, judged_sets),
        ("no 'none' outcome: every named actor gets a stance",
         replace(engine, stance_threshold=0.0), judged_sets),
        ("second stage replaced by fixed cue priors",
         replace(engine, model=replace(engine.model, stance_taking=None)), judged_sets),
        ("no discovery of actors outside the registry",
         replace(engine, discover_actors=False), judged_sets),
        ("offices resolved to today's holder, not the article's date", engine, undated),
    ]  # fmt: skip
    rows = []
    for label, variant, sets in variants:
        row: dict[str, Any] = {"variant": label}
        for name, judged in sets.items():
            scores = score(
                judged, variant.classify_many([j.article for j in judged]), engine.registry
            )
            row[name] = {k: scores[k] for k in ("attribution_precision", "detection", "macro_f1")}
        rows.append(row)
    return rows
