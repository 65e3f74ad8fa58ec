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


def evaluate_news(engine: StanceEngine, path: Path) -> dict[str, Any]:
    """Actor-level scores: detection recall, and macro-F1 over found two-class actors.

    Mixed labels are left out of the two-class figures; a labelled actor the engine did not
    find counts against detection recall and, in `macro_f1_all`, as a wrong answer.
    """
    registry = engine.registry
    gold: list[str] = []
    predicted: list[str] = []
    gold_all: list[str] = []
    predicted_all: list[str] = []
    labelled = found = unknown = 0
    for article, labels in read_labelled_news(path):
        result = engine.classify(article)
        for label in labels:
            if label["stance"] not in ("hardline", "conciliatory"):
                continue
            labelled += 1
            actor = registry.lookup(label["actor"])
            p = rolled_up_p(result, actor.id, registry) if actor else None
            if actor is None:
                unknown += 1
            gold_all.append(label["stance"])
            if p is None:
                predicted_all.append("missed")
                continue
            found += 1
            verdict = "hardline" if p >= 0.5 else "conciliatory"
            gold.append(label["stance"])
            predicted.append(verdict)
            predicted_all.append(verdict)
    return {
        "labelled_actors": labelled,
        "actors_found": found,
        "actor_recall": round(found / labelled, 4) if labelled else 0.0,
        "actors_not_in_registry": unknown,
        "found_actors": class_report(gold, predicted),
        "macro_f1_all": class_report(gold_all, predicted_all)["macro_f1"],
    }
