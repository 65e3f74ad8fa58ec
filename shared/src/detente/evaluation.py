"""Actor-level evaluation on labelled real news (the news-dev set in the team folder)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from detente.events import Article, ArticleStances
from detente.registry import ActorRegistry
from detente.stances import StanceEngine
from detente.text import split_sentences
from detente.training import class_report


def rolled_up_p(stances: ArticleStances, actor_id: str, registry: ActorRegistry) -> float | None:
    """An actor's p_hardline including everyone who speaks for it (Kremlin, Putin → Russia)."""
    total = weight = 0.0
    for stance in stances.actors:
        if actor_id in registry.lineage(stance.actor):
            total += stance.p_hardline * stance.statements
            weight += stance.statements
    return total / weight if weight else None


def read_labelled_news(path: Path) -> Iterable[tuple[Article, list[dict[str, str]]]]:
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        # Some items carry no date; event time does not matter for stance scoring.
        date = str(row.get("published") or "2000-01-01")[:10]
        published = datetime.fromisoformat(date).replace(tzinfo=UTC)
        article = Article(
            id=row["id"],
            published_at=published,
            source=row.get("publisher", "news-dev"),
            url=row.get("source_url", ""),
            title=row.get("title", ""),
            text=row["text"],
        )
        yield article, row["labels"]


def _sentence_baseline(engine: StanceEngine, article: Article, actor_id: str) -> float | None:
    """Naive baseline: every sentence that names the actor (or anyone it rolls up from),
    unmasked, classified by the same model; no attribution at all."""
    registry = engine.registry
    sentences = split_sentences(f"{article.title}\n\n{article.text}")
    mentions = engine.finder.find(f"{article.title}\n\n{article.text}")
    chosen = [
        s.text
        for s in sentences
        if any(
            s.start <= m.start < s.end and actor_id in registry.lineage(m.actor) for m in mentions
        )
    ]
    if not chosen:
        return None
    probabilities = engine.model.p_hardline(chosen)
    return sum(probabilities) / len(probabilities)


def _article_baseline(engine: StanceEngine, article: Article, actor_id: str) -> float | None:
    """Naive baseline: the whole article as one text, the same verdict for every actor named."""
    if not any(
        actor_id in engine.registry.lineage(m.actor) for m in engine.finder.find(article.text)
    ):
        return None
    return engine.model.p_hardline([f"{article.title}\n\n{article.text}"])[0]


def evaluate_news(engine: StanceEngine, path: Path, method: str = "engine") -> dict[str, Any]:
    """Actor-level scores: detection recall and precision, and macro-F1 over found actors.

    `method` is "engine" (attribution + classifier), or a baseline measured the same way:
    "sentences" (every sentence naming the actor) or "article" (the whole article).
    Mixed labels are left out of the two-class figures; a labelled actor that was not found
    counts against recall and, in `macro_f1_all`, as a wrong answer. Labels list only
    actors whose stance the text clearly shows, so precision is a lower bound.
    """
    registry = engine.registry
    gold: list[str] = []
    predicted: list[str] = []
    gold_all: list[str] = []
    predicted_all: list[str] = []
    labelled = found = unknown = 0
    predicted_actors = matched_actors = 0
    for article, labels in read_labelled_news(path):
        result = engine.classify(article) if method == "engine" else None
        label_ids = {a.id for a in (registry.lookup(x["actor"]) for x in labels) if a}
        if result is not None:
            for stance in result.actors:
                predicted_actors += 1
                lineage = set(registry.lineage(stance.actor))
                matched_actors += bool(lineage & label_ids)
        for label in labels:
            if label["stance"] not in ("hardline", "conciliatory"):
                continue
            labelled += 1
            actor = registry.lookup(label["actor"])
            if actor is None:
                unknown += 1
                p = None
            elif result is not None:
                p = rolled_up_p(result, actor.id, registry)
            elif method == "sentences":
                p = _sentence_baseline(engine, article, actor.id)
            else:
                p = _article_baseline(engine, article, actor.id)
            gold_all.append(label["stance"])
            if p is None:
                predicted_all.append("missed")
                continue
            found += 1
            verdict = "hardline" if p >= 0.5 else "conciliatory"
            gold.append(label["stance"])
            predicted.append(verdict)
            predicted_all.append(verdict)
    report: dict[str, Any] = {
        "method": method,
        "labelled_actors": labelled,
        "actors_found": found,
        "actor_recall": round(found / labelled, 4) if labelled else 0.0,
        "actors_not_in_registry": unknown,
        "found_actors": class_report(gold, predicted),
        "macro_f1_all": class_report(gold_all, predicted_all)["macro_f1"],
    }
    if method == "engine":
        report["actor_precision_lower_bound"] = (
            round(matched_actors / predicted_actors, 4) if predicted_actors else 0.0
        )
    return report
