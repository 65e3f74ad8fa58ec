"""Article → per-actor stances: the one code path shared by the worker and `detente classify`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from detente.events import ActorStance, Article, ArticleStances
from detente.model import StanceModel
from detente.registry import ActorRegistry
from detente.text import MENTIONED_ONLY, Attribution, MentionFinder, Statement, attribute

SUPPORTED_LANGUAGES = frozenset({"en"})
MAX_EVIDENCE = 3
SPEAKER_TOKEN = "SPEAKER"
OTHER_ACTOR_TOKEN = "ACTOR"


class UnprocessableArticle(ValueError):
    """An article the engine cannot judge; `reason` is a short stable code for the DLQ."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def mask_statement(statement: Statement, attribution: Attribution) -> str:
    """Replace actor names by placeholders so the model learns wording, not who speaks."""
    sentence = statement.sentence
    pieces: list[str] = []
    cursor = 0
    for mention in attribution.mentions:
        if mention.start < sentence.start or mention.end > sentence.end:
            continue
        pieces.append(sentence.text[cursor : mention.start - sentence.start])
        pieces.append(SPEAKER_TOKEN if mention.actor == statement.actor else OTHER_ACTOR_TOKEN)
        cursor = mention.end - sentence.start
    pieces.append(sentence.text[cursor:])
    return "".join(pieces)


def aggregate(scored: Sequence[tuple[float, float]]) -> float:
    """An actor's p_hardline: its statements' p_hardline, weighted by how likely each one
    carries a stance at all (a two-class model weighs them all alike)."""
    total = sum(weight for _, weight in scored)
    if total <= 0:
        return 0.5
    return sum(p * weight for p, weight in scored) / total


@dataclass(frozen=True)
class StanceEngine:
    registry: ActorRegistry
    finder: MentionFinder
    model: StanceModel

    @classmethod
    def create(cls, registry: ActorRegistry, model: StanceModel) -> StanceEngine:
        return cls(registry, MentionFinder(registry), model)

    def check(self, article: Article) -> None:
        if article.language.split("-")[0] not in SUPPORTED_LANGUAGES:
            raise UnprocessableArticle(
                "unsupported_language", f"language {article.language!r} is not supported"
            )
        if not article.text.strip():
            raise UnprocessableArticle("empty_text", "article text is blank")

    def classify(self, article: Article) -> ArticleStances:
        return self.classify_many([article])[0]

    def classify_many(self, articles: Sequence[Article]) -> list[ArticleStances]:
        """Classify a batch, vectorising every statement of every article in one call."""
        for article in articles:
            self.check(article)
        attributions = [attribute(a.text, self.finder, title=a.title) for a in articles]
        texts: list[str] = []
        for attribution in attributions:
            texts.extend(mask_statement(s, attribution) for s in attribution.statements)
        scores = iter(self.model.scores(texts))
        results = []
        for article, attribution in zip(articles, attributions, strict=True):
            scored = [(s, *next(scores)) for s in attribution.statements]
            results.append(self._article_stances(article, scored))
        return results

    def _article_stances(
        self, article: Article, scored: list[tuple[Statement, float, float]]
    ) -> ArticleStances:
        per_actor: dict[str, list[tuple[Statement, float, float]]] = {}
        for statement, p, weight in scored:
            per_actor.setdefault(statement.actor, []).append((statement, p, weight))
        actors = []
        for actor_id, items in per_actor.items():
            actor = self.registry.get(actor_id)
            p_hardline = aggregate([(p, w) for _, p, w in items])
            hardline = p_hardline >= 0.5

            # Evidence: the stance-bearing sentences that most support the verdict.
            sign = 1.0 if hardline else -1.0
            ranked = sorted(items, key=lambda item: item[2] * sign * (item[1] - 0.5), reverse=True)
            chosen = sorted(ranked[:MAX_EVIDENCE], key=lambda item: item[0].sentence.start)
            actors.append(
                ActorStance(
                    actor=actor.id,
                    name=actor.name,
                    kind=actor.kind,
                    affiliation=actor.affiliation,
                    stance="hardline" if hardline else "conciliatory",
                    p_hardline=round(p_hardline, 4),
                    statements=len(items),
                    evidence=list(dict.fromkeys(s.sentence.text for s, _, _ in chosen)),
                    basis=(
                        "mentions"
                        if all(s.cue == MENTIONED_ONLY for s, _, _ in items)
                        else "statements"
                    ),
                )
            )
        actors.sort(key=lambda a: (-a.statements, a.actor))
        return ArticleStances(
            id=article.id,
            published_at=article.published_at,
            title=article.title,
            model_version=self.model.version,
            actors=actors,
        )
