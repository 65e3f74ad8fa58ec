"""From raw article text to who-said-what: each sentence goes to the actors whose own words
or deeds it is.

Rule-based on purpose: every decision can be traced to a cue ("said X", "according to X",
a pronoun carried over from the last speaker), and every statement keeps its sentence as
evidence. The steps live beside it along the data's path: `detente.sentences` splits,
`detente.mentions` finds the names, `detente.cues` reads the wording around each,
`detente.reported` tells whose words a quotation or a reported clause is.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from itertools import pairwise

from detente.bounds import MAX_SENTENCE_CHARS, bound_sentences
from detente.cues import (
    AGENT_BY,
    AGENT_COMPOUND,
    DEED,
    LIST_CUES,
    MEDIATOR,
    PARTY,
    PREPOSITIONS,
    SUBJECT_CUES,
    acts_after,
    after_preposition,
    cue_for,
    object_of_verb,
    passive_after,
    procedural_after,
    stative_after,
)
from detente.mentions import Mention, MentionFinder, mask_mentions
from detente.pairs import (
    CREDITED,
    THE_TWO,
    add_the_two,
    coordinated,
    credited_in_quotation,
    person_is_the_party,
)
from detente.pronouns import (
    CARRIED_OVER,
    carried_over,
    people_he_stands_for,
    pronoun_speaks_too,
    unknown_speaker,
)
from detente.registry import fold
from detente.reported import (
    OWN_SIDE,
    QuoteMask,
    add_impersonal_subjects,
    add_own_side,
    office_relays_its_principal,
    opens_quotation,
    opens_reported_clause,
)
from detente.sentences import Sentence, split_sentences
from detente.speaker_labels import labels_a_turn
from detente.titles import (
    person_acts_for_the_title,
    states_named_only_in_titles,
    without_titles_of_people_who_act,
)

__all__ = [
    "AGENT_COMPOUND", "MEDIATOR", "MENTIONED_ONLY", "OWN_SIDE", "PARTY", "PREPOSITIONS",
    "THE_TWO", "Attribution", "Mention", "MentionFinder", "Sentence", "Statement", "attribute",
    "mask_mentions", "split_sentences",
]  # fmt: skip

_WORD = re.compile(r"\w+")
_FIRST_PERSON = re.compile(r"\b(?:I|we|We|our|Our|us|my|My)\b")


@dataclass
class Statement:
    """One sentence attributed to one actor, with the cue that attributed it."""

    actor: str
    sentence: Sentence
    cue: str


@dataclass
class Attribution:
    sentences: list[Sentence]
    mentions: list[Mention]
    statements: list[Statement] = field(default_factory=list)
    # Where mentions inside a quotation start: someone else's words name them.
    quoted: set[int] = field(default_factory=set)
    # Sentences longer than `max_sentence` characters, read as pieces (detente.bounds).
    over_long: int = 0

    @cached_property
    def _sentence_starts(self) -> list[int]:
        return [s.start for s in self.sentences]

    def sentence_at(self, position: int) -> Sentence:
        """The sentence holding `position` of the text attributed."""
        index = bisect_right(self._sentence_starts, position) - 1
        return self.sentences[max(index, 0)]

    @cached_property
    def _mentions_by_actor(self) -> dict[str, list[tuple[int, Mention]]]:
        by_actor: dict[str, list[tuple[int, Mention]]] = defaultdict(list)
        for index, mention in enumerate(self.mentions):
            by_actor[mention.actor].append((index, mention))
        return dict(by_actor)

    def mentions_of(self, actor: str) -> list[tuple[int, Mention]]:
        """The actor's mentions in text order, each with its index in `mentions` (grouped
        once: every actor's features and windows read them)."""
        return self._mentions_by_actor.get(actor, [])

    @cached_property
    def _mention_starts(self) -> list[int]:
        return [m.start for m in self.mentions]

    def mentions_within(self, start: int, end: int) -> list[Mention]:
        """The mentions wholly inside `start`..`end`, in order (found by bisection: this runs
        for every statement and every mention window)."""
        first = bisect_left(self._mention_starts, start)
        last = bisect_left(self._mention_starts, end, lo=first)
        inside = self.mentions[first:last]
        # Where the mentions' ends rise with their starts, the last ends furthest.
        if self._ends_in_order and (not inside or inside[-1].end <= end):
            return inside
        return [m for m in inside if m.end <= end]

    @cached_property
    def _name_words(self) -> frozenset[str]:
        return frozenset(w.casefold() for m in self.mentions for w in _WORD.findall(m.surface))

    def is_name_word(self, word: str) -> bool:
        """Whether `word` (case-folded) is part of a name the text gives an actor ("katz" of
        "Israel Katz")."""
        return word in self._name_words

    @cached_property
    def _ends_in_order(self) -> bool:
        return all(a.end <= b.end for a, b in pairwise(self.mentions))

    def masked(
        self, sentence: Sentence, start: int, end: int, token: Callable[[Mention], str]
    ) -> str:
        """`start`..`end` of `sentence` (positions in the attributed text), each name inside
        replaced by `token(mention)`."""
        return mask_mentions(
            sentence.text[start - sentence.start : end - sentence.start],
            start,
            self.mentions_within(start, end),
            token,
        )


# "In the Geneva Agreement of 1966, ...", "Back in 2008, ...", "In February 2023 the
# Coast Guard ...": a lead that sets the sentence in a year at least `_RECALLED_YEARS`
# before the article's, ending at a comma or, without one, right before the subject.
_DATED_LEAD = re.compile(
    r"^[\"“]?(?:In|By|Since|During|After|Before|Until|Back in|As early as)\b[^,.;]{0,60}?"
    r"\b((?:19|20)\d\d)\b(?:[^,.;]{0,30},|\s+(?=(?:the\s+)?[A-Z]))"
)
_RECALLED_YEARS = 2


def _recalled(sentence: str, on: date) -> bool:
    lead = _DATED_LEAD.match(sentence)
    return lead is not None and int(lead.group(1)) <= on.year - _RECALLED_YEARS


# "Former Secretary-General Ban Ki-moon communicated to the parties on 15 December 2016": a
# past holder's act dated years before the article is background, wherever the date stands.
_FORMER = re.compile(r"\b(?:[Ff]ormer|[Ee]x-)\s*(?:[\w.-]+\s+){0,3}$")
_DATED_ACT = re.compile(r"\b(?:on|in|since)\s+(?:\d{1,2}\s+)?(?:[A-Z][a-z]+\s+)?((?:19|20)\d\d)\b")


def _former_recalled(before: str, sentence: str, on: date | None) -> bool:
    if on is None or not _FORMER.search(before[-40:]):
        return False
    return any(int(y) <= on.year - _RECALLED_YEARS for y in _DATED_ACT.findall(sentence))


# Cues of actors a sentence reports on rather than hears from, the agents of its deeds
# among them: a quotation that goes on is not theirs.
_DEEDS = frozenset({AGENT_BY, DEED})
_SPOKEN_ABOUT = frozenset({THE_TWO, PARTY, *_DEEDS})

# "On Tuesday, in a statement, the ...": a lead ending at a comma.
_INTRO_COMMA = re.compile(r",\s*(?:the\s+)?$")
# A lead that opens a complement clause: "Accusations that", "Fears whether", "Noting that
# the".
_COMPLEMENT_LEAD = re.compile(r"\b(?:that|whether)(?:\s+the)?\s*$", re.IGNORECASE)


def attribute(
    text: str,
    finder: MentionFinder,
    title: str = "",
    on: date | None = None,
    mentions: list[Mention] | None = None,
    max_sentence: int = MAX_SENTENCE_CHARS,
) -> Attribution:
    """Attribute each sentence of `title` + `text` to the actors whose statement or deed it
    is; `on` (the article's date) decides who holds an office the text names by its title.
    `mentions` in the joined text, when the caller found them (with discovered actors).
    A sentence that opens in a year long before `on` ("In the agreement of 1966, ...") is
    background: nobody in it acts in the article.
    A sentence longer than `max_sentence` is read as pieces cut at clause punctuation, so
    that no step's work grows with the square of a sentence's length."""
    full = f"{title}\n\n{text}" if title else text
    sentences, over_long = bound_sentences(split_sentences(full), max_sentence)
    if mentions is None:
        mentions = finder.find(full, on)
    result = Attribution(sentences=sentences, mentions=mentions, over_long=over_long)

    by_sentence: dict[int, list[Mention]] = defaultdict(list)
    cursor = 0
    for mention in mentions:
        while cursor < len(sentences) and sentences[cursor].end <= mention.start:
            cursor += 1
        if cursor < len(sentences):
            by_sentence[cursor].append(mention)

    last_speakers: list[str] = []
    # Of those, who spoke: not a pair or the parties their words were about ('He said the
    # two sides had come closer. "Dialogue is the only path."' is his quotation alone).
    last_voices: list[str] = []
    last_people: list[str] = []  # "he" and "she" are the last people who spoke
    document_speaker: str | None = None  # "Statement by X": its "I" and "we" are X
    inside_quote = False
    paragraph = -1
    for sentence in sentences:
        if sentence.paragraph != paragraph:
            paragraph = sentence.paragraph
            inside_quote = False
        mask = QuoteMask(sentence.text, inside_quote)
        if on is not None and _recalled(sentence.text, on):
            inside_quote = mask.inside_at_end
            continue
        speakers: dict[str, str] = {}
        named = by_sentence.get(sentence.index, [])
        outside = [m for m in named if not mask[m.start - sentence.start]]
        result.quoted.update(m.start for m in named if mask[m.start - sentence.start])
        headline = bool(title) and sentence.index == 0
        opens_paragraph = (
            sentence.index == 0 or sentences[sentence.index - 1].paragraph != paragraph
        )
        for mention in outside:
            before = sentence.text[: mention.start - sentence.start]
            rest = sentence.text[mention.end - sentence.start :]
            person = finder.is_person(mention.actor)
            # "President of Russia Vladimir Putin: Mr Chairman, ...": a transcript's turn.
            label = opens_paragraph and not headline and person and labels_a_turn(before, rest)
            cue = "statement by" if label else cue_for(before, rest, person, headline)
            if cue:
                speakers.setdefault(mention.actor, cue)
                if cue == "statement by":
                    document_speaker = mention.actor
        add_own_side(speakers, outside, sentence, finder, opens_reported_clause)
        add_impersonal_subjects(speakers, outside, sentence)
        office_relays_its_principal(speakers, outside, sentence, finder)
        person_acts_for_the_title(speakers, outside, full, finder)
        # "Macron and Putin agreed ...": a coordinated subject speaks together.
        # "efforts by Russia and Turkey": the rest of a coordinated agent list acts too.
        for left, right in pairwise(outside):
            if speakers.get(left.actor) in LIST_CUES and coordinated(full[left.end : right.start]):
                speakers.setdefault(right.actor, speakers[left.actor])
        # Not back to a prepositional object: "the situation in Sudan, the Council adopted".
        for left, right in reversed(list(pairwise(outside))):
            if (
                speakers.get(right.actor) in SUBJECT_CUES
                and coordinated(full[left.end : right.start])
                and not after_preposition(full[max(0, left.start - 30) : left.start])
            ):
                speakers.setdefault(left.actor, speakers[right.actor])
        person_is_the_party(speakers, outside, full, finder)
        add_the_two(speakers, sentence, mask, full, result.mentions, finder)
        # A party or mediator named later in the sentence ("France saw a good sign before a
        # meeting between X and Y") leaves the subject to be found.
        later_acts_only = all(cue in CREDITED for cue in speakers.values())
        if outside and outside[0].actor not in speakers and later_acts_only:
            first = outside[0]
            lead = sentence.text[: first.start - sentence.start]
            after = sentence.text[first.end - sentence.start :]
            # "In Moscow, ..." or "The conflict between Israel and ...": not a subject.
            short_lead = (
                len(_WORD.findall(lead)) <= 3
                and not after_preposition(lead)
                and not object_of_verb(lead)
                and not passive_after(after)
                and not procedural_after(after)
                and not stative_after(after)
                # "Cyprus's division is ...": the possessor is not the subject.
                and not after.startswith(("'s", "’s"))
                # "Accusations that Rwanda arms ...": the clause is someone else's claim.
                and _COMPLEMENT_LEAD.search(lead) is None
            )
            # "On Tuesday, in a statement, the Houthis claimed ...": an introductory phrase.
            intro_lead = _INTRO_COMMA.search(lead) is not None and acts_after(after)
            if (short_lead or intro_lead) and '"' not in fold(lead):
                speakers[first.actor] = "sentence subject"
                for other in outside[1:]:
                    if not coordinated(full[first.end : other.start]):
                        break
                    speakers.setdefault(other.actor, "sentence subject")
                    first = other
        for mention in outside if "ormer" in sentence.text or "ex-" in sentence.text else ():
            before = sentence.text[: mention.start - sentence.start]
            acts = mention.actor in speakers and finder.is_person(mention.actor)
            if acts and _former_recalled(before, sentence.text, on):
                del speakers[mention.actor]
        if not speakers and document_speaker and _FIRST_PERSON.search(mask.outside(sentence.text)):
            speakers = {document_speaker: "first person of the statement's author"}
        # 'He said Doha, with Egypt and the United States, would ...': "he" speaks, and the
        # others act in his words; a quotation that follows is his alone.
        reporting: list[str] = []
        if speakers:
            reporting = pronoun_speaks_too(sentence, mask, outside, last_people, finder.is_person)
            for actor_id in reporting:
                speakers.setdefault(actor_id, CARRIED_OVER)
        elif unknown_speaker(mask.outside(sentence.text), result.is_name_word):
            # '"We hear shooting," said a miner': nobody known speaks, nor does "he" next.
            last_speakers, last_voices, last_people = [], [], []
        elif carried := carried_over(
            sentence,
            mask,
            inside_quote,
            last_speakers,
            last_people,
            last_voices,
            named=outside,
        ):
            speakers = carried
            # "He said UNMIK had brought ...": the pronoun's own side acts as well.
            add_own_side(speakers, outside, sentence, finder, opens_reported_clause)
        elif said := pronoun_speaks_too(sentence, mask, outside, last_people, finder.is_person):
            # 'The fight "will continue" from Niger, he said.': nobody named acts, but "he"
            # reports.
            speakers = dict.fromkeys(said, CARRIED_OVER)
        if speakers:
            quoted = [m for m in named if mask[m.start - sentence.start]]
            add_own_side(speakers, quoted, sentence, finder, opens_quotation(inside_quote))
        for actor_id, cue in speakers.items():
            result.statements.append(Statement(actor_id, sentence, cue))
        if speakers:
            # "The Council condemned the attacks by the Houthis. They demanded ...": a later
            # pronoun is not the agent of a deed the sentence reports.
            last_speakers = [a for a, cue in speakers.items() if cue not in _DEEDS] or list(
                speakers
            )
            last_voices = (
                reporting
                or [a for a, cue in speakers.items() if cue not in _SPOKEN_ABOUT]
                or list(speakers)
            )
            last_people = (
                people_he_stands_for(speakers, outside, full, finder.is_person) or last_people
            )
        quoted = [m for m in named if mask[m.start - sentence.start] and m.actor not in speakers]
        for actor_id, cue in credited_in_quotation(quoted, sentence, full).items():
            result.statements.append(Statement(actor_id, sentence, cue))
        inside_quote = mask.inside_at_end
    result.statements = without_titles_of_people_who_act(
        result.statements, result.mentions_within, finder
    )
    _add_mention_fallback(result, by_sentence, states_named_only_in_titles(mentions, full, finder))
    return result


MENTIONED_ONLY = "mentioned only"


def _add_mention_fallback(
    result: Attribution, by_sentence: dict[int, list[Mention]], titles_only: set[str]
) -> None:
    """An actor named but never the actor of a sentence ("attacks on the port, blamed on the
    Houthis") gets the sentences that name it as candidate statements; whether they show a
    stance of its own is for the second stage (`detente.stance_taking`) to decide. Not a
    state named only in the titles of its people (`titles_only`): it stays named only."""
    speaking = {statement.actor for statement in result.statements} | titles_only
    for sentence in result.sentences:
        for actor_id in dict.fromkeys(m.actor for m in by_sentence.get(sentence.index, [])):
            if actor_id not in speaking:
                result.statements.append(Statement(actor_id, sentence, MENTIONED_ONLY))
