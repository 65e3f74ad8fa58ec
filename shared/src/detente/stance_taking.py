"""Does an actor take a stance of its own in an article, or is it only named?

The second stage of the engine. Attribution (`detente.attribution`) proposes statements, each with
the cue that tied a sentence to an actor; the statement model says how likely each sentence
shows a stance at all. This module describes every actor an article names by what kind of
evidence it has (its cues, the statement model's confidence) and where its name stands (in
the title only, after a preposition, as the object of a verb, in a list, inside somebody
else's quotation), as a small dict of numbers. A calibrated logistic regression trained on
the team's judged passages (`data/training/attribution/`) turns that into `p_stance`;
without one, `prior_p_stance` combines fixed per-cue reliabilities.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from detente.attribution import (
    AGENT_COMPOUND,
    MEDIATOR,
    MENTIONED_ONLY,
    OWN_SIDE,
    PARTY,
    PREPOSITIONS,
    THE_TWO,
    Attribution,
    Mention,
    Statement,
)

STANCE_THRESHOLD = 0.5

# How often a statement found by each cue is the actor's own stance, before any training:
# an explicit speech verb is strong evidence, position alone is weak.
CUE_PRIORS: dict[str, float] = {
    "reporting verb": 0.85,
    "inverted reporting verb": 0.85,
    "statement by": 0.8,
    "first person of the statement's author": 0.8,
    "role of actor": 0.75,
    "subject with appositive": 0.7,
    "clause subject": 0.65,
    THE_TWO: 0.65,
    "deed": 0.55,
    "agent (by)": 0.55,
    AGENT_COMPOUND: 0.55,
    MEDIATOR: 0.6,
    "carried over": 0.5,
    OWN_SIDE: 0.6,
    PARTY: 0.6,
    "according to": 0.35,
    "office of actor": 0.3,
    "sentence subject": 0.4,
    # Only named: a bystander more often than not, unless named again and again.
    MENTIONED_ONLY: 0.25,
}
_WORD = re.compile(r"[\w'-]+")
# A name right after one of these is usually a place, a target or a partner, not an agent.
# Attribution's list, less "of" ("the representative of France" speaks for France), plus
# "including", which opens a list of bystanders.
_PREPOSITIONS = (PREPOSITIONS - {"of"}) | {"including"}
# Verbs whose object is the actor named right after them: "accused Kyiv", "urged Iran".
_OBJECT_VERBS = frozenset(
    """
    accused accuse accuses urged urge urges warned warn warns told tell tells condemned
    condemn condemns criticised criticized criticise criticize blamed blame blames
    attacked attack attacks sanctioned sanction sanctions called calls pressed press
    asked ask asks invited invite invites welcomed welcome welcomes thanked thank thanks
    met meet meets joined join joins visited visit visits hosted host hosts struck strike
    strikes hit hits targeted target targets shelled shell shells invaded invade invades
    defeated supporting backing backed back backs helping helped help helps arming armed
    threatened threaten threatens provoked provoke provokes deter deterring deterred
    punish punished punishing engage engaged engaging recognise recognised recognize
    recognized praised praise praises congratulated contacted informed reassured assured
    accusing urging warning telling condemning criticising criticizing blaming attacking
    sanctioning pressing asking inviting welcoming thanking meeting joining visiting hosting
    striking hitting targeting shelling invading threatening provoking praising
    congratulating contacting informing reassuring introducing naming appointed appointing
    replaced replacing
    """.split()
)
_LIST_GAP = re.compile(r"\s*(?:,|and|or|,\s*and|,\s*or)\s*(?:the\s+)?")
_HEDGES = frozenset({"also", "has", "have", "had", "will", "would", "on", "s"})
_ARTICLES = frozenset({"the", "a", "an", "its", "their", "his", "her"})
CUE_NAMES = tuple(CUE_PRIORS)
_SKIP_AFTER = _ARTICLES | _HEDGES


@dataclass(frozen=True)
class ScoredStatement:
    statement: Statement
    p_hardline: float
    weight: float  # how likely the sentence shows a stance at all (statement model)


def _words_before(text: str, start: int, limit: int = 60) -> list[str]:
    text = text[max(0, start - limit) : start]
    # As detente.cues lowercases words: the whole text at once when it is ASCII.
    if text.isascii():
        return _WORD.findall(text.lower())
    return [w.lower() for w in _WORD.findall(text)]


def _in_list(index: int, mentions: Sequence[Mention], text: str) -> bool:
    """Is mention `index` (in text order) one item of a list: "Russia, China and Iran"?"""
    mention = mentions[index]
    # The gaps are read in place (`fullmatch` between two positions), not copied out.
    before = index > 0 and _LIST_GAP.fullmatch(text, mentions[index - 1].end, mention.start)
    after = index + 1 < len(mentions) and _LIST_GAP.fullmatch(
        text, mention.end, mentions[index + 1].start
    )
    return bool(before or after)


def actor_features(
    actor_id: str,
    kind: str,
    attribution: Attribution,
    text: str,
    title_end: int,
    scored: Sequence[ScoredStatement],
) -> dict[str, float]:
    """What the article shows of one actor, as named numeric features.

    `text` is what attribution read (title, blank line, body) and `title_end` where the title
    ends in it (0 without a title); `scored` are this actor's statements.
    """
    own = attribution.mentions_of(actor_id)
    features: dict[str, float] = {f"kind={kind}": 1.0}
    mentions = max(len(own), 1)
    context: Counter[str] = Counter()
    counts = {"title": 0, "preposition": 0, "object": 0, "list": 0, "quoted": 0, "possessive": 0,
              "lead": 0}  # fmt: skip
    for index, mention in own:
        before = _words_before(text, mention.start)
        while before and before[-1] in _ARTICLES:
            before.pop()
        counts["title"] += mention.start < title_end
        counts["preposition"] += bool(before) and before[-1] in _PREPOSITIONS
        counts["object"] += bool(before) and (
            before[-1] in _OBJECT_VERBS or before[-2:] == ["called", "on"]
        )
        counts["list"] += _in_list(index, attribution.mentions, text)
        counts["quoted"] += mention.start in attribution.quoted
        counts["possessive"] += text[mention.end : mention.end + 2] in ("'s", "’s")
        sentence_start = attribution.sentence_at(mention.start).start
        lead = text[max(sentence_start, mention.start - 40) : mention.start]
        counts["lead"] += mention.start - sentence_start <= 40 and len(_WORD.findall(lead)) <= 2
        # The words around the name, as a parser's poor cousin: "Russia [warned]", "[against]
        # Russia", "[accused] Russia".
        context[f"before={before[-1] if before else '^'}"] += 1
        after = _WORD.findall(text[mention.end : mention.end + 30].lower())[:3]
        while after and after[0] in _SKIP_AFTER:
            after.pop(0)
        context[f"after={after[0] if after else '$'}"] += 1
    for name, count in counts.items():
        features[f"share_{name}"] = count / mentions
    for name, count in context.items():
        features[name] = count / mentions
    features["log_mentions"] = math.log1p(len(own))
    features["log_statements"] = math.log1p(len(scored))
    cues = [s.statement.cue for s in scored]
    for cue in CUE_NAMES:
        n = cues.count(cue)
        if n:
            features[f"cue={cue}"] = math.log1p(n)
    weights = [s.weight for s in scored]
    features["max_stance_weight"] = max(weights, default=0.0)
    features["mean_stance_weight"] = sum(weights) / len(weights) if weights else 0.0
    features["max_polarity"] = max((abs(s.p_hardline - 0.5) * 2 for s in scored), default=0.0)
    features["prior"] = prior_p_stance(scored)
    return features


def prior_p_stance(scored: Sequence[ScoredStatement]) -> float:
    """Noisy-or of the cue reliabilities, each statement damped by the statement model's
    own doubt that it shows a stance: any one strong statement makes a stance-taker."""
    none = 1.0
    named_only = [item for item in scored if item.statement.cue == MENTIONED_ONLY]
    for item in scored:
        if item.statement.cue != MENTIONED_ONLY:
            none *= 1.0 - CUE_PRIORS.get(item.statement.cue, 0.5) * item.weight
    if named_only:
        # Being named often is no evidence of acting: the sentences count once, together.
        none *= 1.0 - CUE_PRIORS[MENTIONED_ONLY] * max(item.weight for item in named_only)
    return 1.0 - none


AGENCY_WIDTH = 7  # words each side of a name in its agency window
SELF_TOKEN = "SELF"
OTHER_TOKEN = "OTHER"


def agency_windows(attribution: Attribution, actor_id: str, text: str) -> list[str]:
    """The words around each mention of the actor, names masked ("... warned SELF spokesman
    OTHER ...", "accused SELF of"), for the agency model: is the name there an agent?"""

    def token(mention: Mention) -> str:
        return SELF_TOKEN if mention.actor == actor_id else OTHER_TOKEN

    windows = []
    for _, mention in attribution.mentions_of(actor_id):
        sentence = attribution.sentence_at(mention.start)
        left = attribution.masked(sentence, sentence.start, mention.start, token)
        right = attribution.masked(sentence, mention.end, sentence.end, token)
        words = [*left.split()[-AGENCY_WIDTH:], SELF_TOKEN, *right.split()[:AGENCY_WIDTH]]
        windows.append(" ".join(words))
    return windows


def agency_features(probabilities: Sequence[float]) -> dict[str, float]:
    """What the agency model says of an actor's mentions, pooled: one mention as an agent
    is enough to act, so the maximum leads."""
    if not probabilities:
        return {"agency_max": 0.0, "agency_mean": 0.0}
    return {
        "agency_max": max(probabilities),
        "agency_mean": sum(probabilities) / len(probabilities),
    }
