"""Pairs and lists of actors: who acts with whom in one sentence ("Macron and Putin agreed",
"talks between X and Y", "the two countries agreed"), and which acts a speaker credits to
others inside a quotation."""

from __future__ import annotations

import re
from itertools import pairwise

from detente.cues import AGENT_COMPOUND, LIST_CUES, MEDIATOR, PARTY, acts_after, cue_for
from detente.mentions import Mention, MentionFinder
from detente.reported import QuoteMask
from detente.sentences import Sentence

# "Mr Putin and Ms Merkel": an honorific before the second name of a pair.
_HONORIFIC = r"(?:(?:Mr|Ms|Mrs|Dr|Mme)\.?\s+)?"
# "by Russia and Turkey", "from Kenya, from South Africa": a repeated preposition too.
_COORDINATED = re.compile(r"\s*(?:,|and|,\s*and)\s*(?:(?:from|by)\s+)?(?:the\s+)?" + _HONORIFIC)


def coordinated(gap: str) -> bool:
    return _COORDINATED.fullmatch(gap) is not None


# Between a state and the person it qualifies: "US President", "the leader of North Korea,
# comrade", "Greek Cypriot leader".
_QUALIFIES_PERSON = re.compile(r"(?:['’]s)?(?:\s+[\w.-]+){0,4}\s+|,\s+(?:[a-z]+\s+)?")


def person_is_the_party(
    speakers: dict[str, str], outside: list[Mention], text: str, finder: MentionFinder
) -> None:
    """ "a meeting between the leader of North Korea, Kim Jong Un, and US President Trump":
    the people named are the parties; the states their titles name are not."""
    for here, after in pairwise(outside):
        if (
            speakers.get(here.actor) == PARTY
            and speakers.get(after.actor) == PARTY
            and not finder.is_person(here.actor)
            and finder.is_person(after.actor)
            and _QUALIFIES_PERSON.fullmatch(text[here.end : after.start])
            and " and " not in text[here.end : after.start]
        ):
            del speakers[here.actor]


# Acts credited to an actor named later in a sentence, not to its subject, and the ones a
# speaker may credit to others inside a quotation: mediation, a part in a deal or talks.
CREDITED = frozenset({MEDIATOR, PARTY, AGENT_COMPOUND})


def credited_in_quotation(quoted: list[Mention], sentence: Sentence, text: str) -> dict[str, str]:
    """Inside a quotation another actor's words name the actor, and what they say it did is
    no stance of its own ('"Russia is shelling our cities," Zelensky said'), except for the
    acts a speaker credits: '"The mediators from the African Union, from Kenya, were
    essential"', '"the agreement between Armenia and Azerbaijan holds"'. These statements
    carry no pronoun over: the speaker is still the one who speaks."""
    credited: dict[str, str] = {}
    for mention in quoted:
        before = sentence.text[: mention.start - sentence.start]
        rest = sentence.text[mention.end - sentence.start :]
        cue = cue_for(before, rest)
        if cue in CREDITED:
            credited.setdefault(mention.actor, cue)
    for left, right in pairwise(quoted):
        if credited.get(left.actor) in LIST_CUES and coordinated(text[left.end : right.start]):
            credited.setdefault(right.actor, credited[left.actor])
    return credited


# "the two countries agreed", "both sides have", "their governments accepted": a pair named
# just before acts together.
_THE_TWO = re.compile(
    r"\b(?:[Tt]he two|[Bb]oth|[Tt]heir)\s+(?:(countries|nations|states|governments|neighbou?rs)|"
    r"(leaders|presidents|ministers|men|women)|(?:sides|parties|delegations))\b(?!['’])"
)
_PAIR_GAP = re.compile(r"\s*(?:,\s*)?and\s+(?:the\s+)?" + _HONORIFIC)
# The pair is the subject of a verb of its own, not a pronoun's guess at the last speaker.
THE_TWO = 'pair named before "the two"'
# How far back the pair may be named (characters before "the two").
_PAIR_REACH = 400


def add_the_two(
    speakers: dict[str, str],
    sentence: Sentence,
    mask: QuoteMask,
    text: str,
    mentions: list[Mention],
    finder: MentionFinder,
) -> None:
    """ "... between Armenia and Azerbaijan, as the two countries agreed on a ceasefire",
    "Putin and Merkel spoke. The two leaders discussed ...": the last pair "X and Y" named
    before "the two <plural>" (people for "leaders"; for "countries" or "their governments",
    states, a person standing for his state: "the prime minister of Israel and Lebanon")
    acts, when the phrase is the subject of a verb."""
    # Every match holds "he two", "oth" or "heir" ("[Tt]he two", "[Bb]oth", "[Tt]heir"): most
    # sentences are passed over without running the pattern.
    said = sentence.text
    if "he two" not in said and "oth" not in said and "heir" not in said:
        return
    for match in _THE_TWO.finditer(sentence.text):
        if mask[match.start()] or not acts_after(sentence.text[match.end() :]):
            continue
        at = sentence.start + match.start()
        states, people = match.group(1) is not None, match.group(2) is not None
        before = [
            m
            for m in mentions
            if at - _PAIR_REACH <= m.start and m.end <= at
            and not (people and not finder.is_person(m.actor))
        ]  # fmt: skip
        # "Greek Cypriot leader X and Turkish Cypriot leader Y": the people are the pair,
        # not the state in the second one's title, which stands in the gap between them.
        titled: dict[int, int] = {}  # a person's start → where its title's state starts
        for m, after in pairwise(before):
            gap = text[m.end : after.start]
            if (
                not finder.is_person(m.actor)
                and finder.is_person(after.actor)
                and _QUALIFIES_PERSON.fullmatch(gap)
                and " and " not in gap
            ):
                titled[after.start] = m.start
        before = [m for m in before if m.start not in titled.values()]
        for left, right in reversed(list(pairwise(before))):
            pair = [left.actor, right.actor]
            if states:
                pair = [
                    (finder.principal(a) or a) if finder.is_person(a) else a for a in pair
                ]  # fmt: skip
                if any(finder.is_person(a) for a in pair):
                    continue
            gap = text[left.end : titled.get(right.start, right.start)]
            if pair[0] != pair[1] and _PAIR_GAP.fullmatch(gap):
                speakers.setdefault(pair[0], THE_TWO)
                speakers.setdefault(pair[1], THE_TWO)
                break
