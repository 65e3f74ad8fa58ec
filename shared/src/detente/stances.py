"""Article → per-actor stances: the one code path shared by the worker and `detente classify`."""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from detente import bounds
from detente.attribution import Attribution, Mention, MentionFinder, Statement, attribute
from detente.bounds import Cuts
from detente.discovery import DiscoveredActor, discover
from detente.events import ActorKind, ActorStance, Article, ArticleStances, MentionedActor
from detente.model import StanceModel
from detente.registry import ActorRegistry
from detente.roles import (
    link_surnames,
    link_titles,
    members_of,
    members_speak_as_body,
    sitters_speak_as_members,
)
from detente.sentences import Sentence
from detente.stance_taking import (
    STANCE_THRESHOLD,
    ScoredStatement,
    actor_features,
    agency_features,
    agency_windows,
)

SUPPORTED_LANGUAGES = frozenset({"en"})
MAX_EVIDENCE = 3
# A wire story can name dozens of states; an actor's stance is toward a few of them.
MAX_TARGETS = 8
SPEAKER_TOKEN = "SPEAKER"
OTHER_ACTOR_TOKEN = "ACTOR"


class UnprocessableArticle(ValueError):
    """An article the engine cannot judge; `reason` is a short stable code for the DLQ."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason

    def __reduce__(self) -> tuple[type[UnprocessableArticle], tuple[str, str]]:
        # Pickled whole, so that it crosses from a classifying process (detente_worker).
        return (UnprocessableArticle, (self.reason, str(self)))


def mask_statement(statement: Statement, attribution: Attribution) -> str:
    """The statement's sentence with the speaker's names as SPEAKER and every other as ACTOR;
    of a sentence longer than the evidence bound, the window around the speaker's first name
    that its evidence shows (detente.bounds), so scoring costs what the evidence does."""
    sentence = statement.sentence

    def token(mention: Mention) -> str:
        return SPEAKER_TOKEN if mention.actor == statement.actor else OTHER_ACTOR_TOKEN

    start, end = sentence.start, sentence.end
    if end - start > bounds.MAX_EVIDENCE_CHARS:
        inside = attribution.mentions_within(start, end)
        at = next((m.start for m in inside if m.actor == statement.actor), start)
        first, last = bounds.window_span(sentence.text, at - start)
        start, end = start + first, start + last
        # A name the window cuts through is kept whole, never shown to the model in part.
        for mention in inside:
            if mention.start < start < mention.end:
                start = mention.start
            if mention.start < end < mention.end:
                end = mention.end
    return attribution.masked(sentence, start, end, token)


def aggregate(scored: Sequence[tuple[float, float]]) -> float:
    """An actor's p_hardline: its statements' p_hardline, weighted by how likely each one
    carries a stance at all (a two-class model weighs them all alike)."""
    total = sum(weight for _, weight in scored)
    if total <= 0:
        return 0.5
    return sum(p * weight for p, weight in scored) / total


@dataclass(frozen=True)
class NamedActor:
    """An actor an article names: registered or discovered, with what the text shows of it."""

    id: str
    name: str
    kind: ActorKind
    affiliation: str | None
    statements: list[ScoredStatement]
    features: dict[str, float]
    windows: list[str]  # masked words around each mention (agency model input)
    targets: list[str]  # principals its statements are about (ActorStance.targets)
    named_at: list[int]  # where its mentions start in the text (evidence windows)


@dataclass(frozen=True)
class StanceEngine:
    registry: ActorRegistry
    finder: MentionFinder
    model: StanceModel
    # Below this p_stance an actor is only `mentioned`; 0 gives every named actor a stance.
    stance_threshold: float = STANCE_THRESHOLD
    # Find people outside the registry by their titles (detente.discovery).
    discover_actors: bool = True

    @classmethod
    def create(
        cls,
        registry: ActorRegistry,
        model: StanceModel,
        stance_threshold: float | None = None,
        discover_actors: bool = True,
    ) -> StanceEngine:
        """`stance_threshold` defaults to the one the model was trained with."""
        threshold = model.stance_threshold if stance_threshold is None else stance_threshold
        return cls(registry, MentionFinder(registry), model, threshold, discover_actors)

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
        return [stances for stances, _ in self.classify_counted(articles)]

    def classify_counted(self, articles: Sequence[Article]) -> list[tuple[ArticleStances, Cuts]]:
        """`classify_many`, each article with what the bounds cut of it (detente.bounds)."""
        cuts = [Cuts() for _ in articles]
        named = self._named_actors(articles, cuts)
        p_stances = iter(self.model.p_stance([a.features for actors in named for a in actors]))
        return [
            (
                self._article_stances(article, [(actor, next(p_stances)) for actor in actors], cut),
                cut,
            )
            for article, actors, cut in zip(articles, named, cuts, strict=True)
        ]

    def named_actors(self, articles: Sequence[Article]) -> list[list[NamedActor]]:
        """Per article, every actor it names with its scored statements and the features the
        second stage reads (the model's input, also what `detente train` learns from)."""
        return self._named_actors(articles, [Cuts() for _ in articles])

    def _named_actors(
        self, articles: Sequence[Article], cuts: Sequence[Cuts]
    ) -> list[list[NamedActor]]:
        for article in articles:
            self.check(article)
        read = []
        for article, cut in zip(articles, cuts, strict=True):
            full = f"{article.title}\n\n{article.text}" if article.title else article.text
            # Reading stops at the bound: the names after it would be cut anyway, and
            # finding them in a hostile text costs more than everything else it does.
            found = self.finder.find(
                full, article.published_at.date(), limit=bounds.MAX_MENTIONS_PER_ARTICLE
            )
            mentions, discovered = (
                discover(full, found, self.registry) if self.discover_actors else (found, {})
            )
            finder = self.finder.knowing(
                {actor.id: actor.affiliation for actor in discovered.values()},
                [actor.id for actor in discovered.values() if actor.kind != "person"],
            )
            mentions = link_surnames(full, mentions, finder.is_person)
            mentions = link_titles(full, mentions, finder.is_person)
            mentions = sitters_speak_as_members(full, mentions, self._bodies)
            mentions = members_speak_as_body(full, mentions, self._bodies)
            mentions, left_out = bounds.first(mentions, bounds.MAX_MENTIONS_PER_ARTICLE)
            stopped = len(found) == bounds.MAX_MENTIONS_PER_ARTICLE
            _count(cut, bounds.MENTIONS_PER_ARTICLE, 1 if left_out or stopped else 0)
            attribution = attribute(
                article.text,
                finder,
                article.title,
                on=article.published_at.date(),
                mentions=mentions,
            )
            kept, statements = _bounded(attribution, cut)
            read.append((full, attribution, discovered, kept, statements))
        texts: list[str] = []
        for _, attribution, _, _, statements in read:
            texts.extend(mask_statement(s, attribution) for s in statements)
        scores = iter(self.model.scores(texts))
        named = []
        for article, (full, attribution, discovered, kept, statements) in zip(
            articles, read, strict=True
        ):
            scored = [ScoredStatement(s, *next(scores)) for s in statements]
            per_actor: dict[str, list[ScoredStatement]] = {actor: [] for actor in kept}
            for item in scored:
                per_actor[item.statement.actor].append(item)
            title_end = len(article.title) if article.title else 0
            principals: dict[str, str] = {}
            actors = []
            for actor_id, items in per_actor.items():
                name, kind, affiliation = self._describe(actor_id, discovered)
                features = actor_features(actor_id, kind, attribution, full, title_end, items)
                windows = agency_windows(attribution, actor_id, full)
                targets = self._targets(actor_id, items, attribution, discovered, principals)
                named_at = [m.start for _, m in attribution.mentions_of(actor_id)]
                actors.append(
                    NamedActor(
                        actor_id, name, kind, affiliation, items, features, windows, targets,
                        named_at,
                    )
                )  # fmt: skip
            named.append(actors)
        if self.model.agency is not None:
            windows = [w for actors in named for actor in actors for w in actor.windows]
            p_agent = iter(self.model.p_agent(windows))
            for actors in named:
                for actor in actors:
                    actor.features.update(agency_features([next(p_agent) for _ in actor.windows]))
        return named

    @cached_property
    def _bodies(self) -> dict[str, str]:
        return members_of(self.registry)

    def _principal(self, actor_id: str, discovered: dict[str, DiscoveredActor]) -> str:
        """The state or body an actor speaks for, as the indices roll it up."""
        found = discovered.get(actor_id)
        affiliation = found.affiliation if found is not None else None
        return self.registry.lineage_of(actor_id, affiliation)[-1]

    def _targets(
        self,
        actor_id: str,
        statements: Sequence[ScoredStatement],
        attribution: Attribution,
        discovered: dict[str, DiscoveredActor],
        principals: dict[str, str],
    ) -> list[str]:
        """Whom an actor's statements are about: the other sides named in its sentences
        ("Russia warned Ukraine", "Macron and Putin agreed"), most named first. `principals`
        remembers each actor's principal within the article."""

        def principal(actor: str) -> str:
            found = principals.get(actor)
            if found is None:
                found = principals[actor] = self._principal(actor, discovered)
            return found

        own = principal(actor_id)
        counts: Counter[str] = Counter()
        sentences = {s.statement.sentence.index: s.statement.sentence for s in statements}
        for sentence in sentences.values():
            named = {m.actor for m in attribution.mentions_within(sentence.start, sentence.end)}
            sides = {principal(other) for other in named - {actor_id}}
            counts.update(sides - {own})
        ranked = sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))
        return [side for side, _ in ranked[:MAX_TARGETS]]

    def _describe(
        self, actor_id: str, discovered: dict[str, DiscoveredActor]
    ) -> tuple[str, ActorKind, str | None]:
        if actor_id in discovered:
            found = discovered[actor_id]
            return found.name, found.kind, found.affiliation
        actor = self.registry.get(actor_id)
        return actor.name, actor.kind, actor.affiliation

    def _article_stances(
        self, article: Article, named: list[tuple[NamedActor, float]], cut: Cuts
    ) -> ArticleStances:
        actors = []
        mentioned = []
        for actor, p_stance in named:
            items = actor.statements
            if not items or p_stance < self.stance_threshold:
                mentioned.append(
                    MentionedActor(
                        actor=actor.id,
                        name=actor.name,
                        kind=actor.kind,
                        p_stance=round(p_stance, 4),
                    )
                )
                continue
            p_hardline = aggregate([(s.p_hardline, s.weight) for s in items])
            hardline = p_hardline >= 0.5
            # Evidence: the stance-bearing sentences that most support the verdict.
            sign = 1.0 if hardline else -1.0
            ranked = sorted(
                items, key=lambda s: s.weight * sign * (s.p_hardline - 0.5), reverse=True
            )
            chosen = sorted(ranked[:MAX_EVIDENCE], key=lambda s: s.statement.sentence.start)
            evidence = list(
                dict.fromkeys(_evidence(s.statement.sentence, actor.named_at) for s in chosen)
            )
            sentences = {s.statement.sentence.text for s in chosen}
            _count(
                cut,
                bounds.EVIDENCE_LENGTH,
                sum(len(t) > bounds.MAX_EVIDENCE_CHARS for t in sentences),
            )
            actors.append(
                ActorStance(
                    actor=actor.id,
                    name=actor.name,
                    kind=actor.kind,
                    affiliation=actor.affiliation,
                    stance="hardline" if hardline else "conciliatory",
                    p_hardline=round(p_hardline, 4),
                    p_stance=round(p_stance, 4),
                    statements=len(items),
                    evidence=evidence,
                    targets=actor.targets,
                )
            )
        actors.sort(key=lambda a: (-a.statements, a.actor))
        return ArticleStances(
            id=article.id,
            published_at=article.published_at,
            title=article.title,
            model_version=self.model.version,
            actors=actors,
            mentioned=mentioned,
        )


def _count(cut: Cuts, reason: str, n: int) -> None:
    if n:
        cut[reason] += n


def _bounded(attribution: Attribution, cut: Cuts) -> tuple[list[str], list[Statement]]:
    """The actors an article names, in order, and the statements to score, within the
    bounds (`detente.bounds`): the most-stated actors, then their first statements."""
    _count(cut, bounds.SENTENCE_LENGTH, attribution.over_long)
    named = [m.actor for m in attribution.mentions]
    actors = list(dict.fromkeys([*named, *(s.actor for s in attribution.statements)]))
    stated = Counter(s.actor for s in attribution.statements)
    actors, left_out = bounds.most_stated(actors, stated, bounds.MAX_ACTORS_PER_ARTICLE)
    _count(cut, bounds.ACTORS_PER_ARTICLE, left_out)
    kept = set(actors)
    statements, left_out = bounds.first(
        [s for s in attribution.statements if s.actor in kept], bounds.MAX_STATEMENTS_PER_ARTICLE
    )
    _count(cut, bounds.STATEMENTS_PER_ARTICLE, left_out)
    return actors, statements


def _evidence(sentence: Sentence, named_at: Sequence[int]) -> str:
    """The sentence, or a window of it around the actor's first name in it."""
    first = bisect_left(named_at, sentence.start)
    at = named_at[first] if first < len(named_at) and named_at[first] < sentence.end else 0
    return bounds.evidence_window(sentence.text, max(at - sentence.start, 0))
