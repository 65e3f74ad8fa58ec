"""Reported speech and quotations: whose words a clause or a quotation is, and which actors
a speaker's words make act with the speaker (its own side) or only relay."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable

from detente.cues import acts_after
from detente.mentions import Mention, MentionFinder
from detente.registry import fold
from detente.sentences import Sentence

_WORD = re.compile(r"\w+")
_DOUBLE_QUOTE = re.compile('"')


class QuoteMask:
    """Which characters of a sentence are inside a quotation (quote marks included)."""

    def __init__(self, sentence: str, inside_at_start: bool) -> None:
        self._marks = [m.start() for m in _DOUBLE_QUOTE.finditer(fold(sentence))]
        self._inside_at_start = inside_at_start
        self.inside_at_end = inside_at_start ^ (len(self._marks) % 2 == 1)

    def __getitem__(self, position: int) -> bool:
        before = bisect_left(self._marks, position)
        if before < len(self._marks) and self._marks[before] == position:
            return True
        return self._inside_at_start ^ (before % 2 == 1)

    def outside(self, sentence: str) -> str:
        """The sentence without its quoted parts."""
        pieces = []
        inside = self._inside_at_start
        cursor = 0
        for mark in self._marks:
            if not inside:
                pieces.append(sentence[cursor:mark])
            inside = not inside
            cursor = mark + 1
        if not inside:
            pieces.append(sentence[cursor:])
        return "".join(pieces)


_REPORTED_CLAUSE = re.compile(r"\b(?:that|said|says|added|stressed|insisted)\s+(?:the\s+)?$")
_QUOTE_OPENING = re.compile(r"[\"“]\s*(?:[Tt]he\s+)?$")
OWN_SIDE = "own side in reported speech"


def add_own_side(
    speakers: dict[str, str],
    mentions: list[Mention],
    sentence: Sentence,
    finder: MentionFinder,
    opens_clause: Callable[[str], bool],
) -> None:
    """The subject of a clause a speaker utters acts too when it is the speaker's own side:
    "Putin said Russia would respond", '"The United States calls upon the PRC ...," said
    Spokesperson Miller'. "Lavrov said NATO was expanding" and '"Russia is shelling our
    cities," Zelensky said' leave NATO and Russia bystanders. `opens_clause(before)`: does
    the sentence's text before the mention open such a clause?"""
    sides = {finder.principal(actor) for actor in speakers} - {None}
    for mention in mentions:
        if mention.actor in speakers or finder.principal(mention.actor) not in sides:
            continue
        before = sentence.text[: mention.start - sentence.start]
        rest = sentence.text[mention.end - sentence.start :]
        if opens_clause(before) and acts_after(rest):
            speakers[mention.actor] = OWN_SIDE


_RELAYING = frozenset({"reporting verb", "inverted reporting verb", "according to"})


def office_relays_its_principal(
    speakers: dict[str, str], mentions: list[Mention], sentence: Sentence, finder: MentionFinder
) -> None:
    """ "The Kremlin said the Russian president expressed concern": an office that reports
    what a person of its own side said or did only relays; the person acts."""
    people = {
        finder.principal(m.actor)
        for m in mentions
        if m.actor in speakers
        and finder.is_person(m.actor)
        and opens_reported_clause(sentence.text[: m.start - sentence.start])
    }
    for actor, cue in list(speakers.items()):
        if cue in _RELAYING and finder.is_office(actor) and finder.principal(actor) in people:
            del speakers[actor]


def opens_reported_clause(before: str) -> bool:
    """ "Putin said [Russia] ...": right after a reporting verb or "that"."""
    return _REPORTED_CLAUSE.search(before[-30:]) is not None


def opens_quotation(inside_at_start: bool) -> Callable[[str], bool]:
    """'"[The United States] calls ...': right after an opening quotation mark, or at the
    start of a sentence that continues a quotation."""

    def opens(before: str) -> bool:
        folded = fold(before)
        if _QUOTE_OPENING.search(folded):
            return True
        return inside_at_start and len(_WORD.findall(folded)) <= 1 and '"' not in folded

    return opens


# "It was stressed that Russia will respect ...", "It has been agreed that ...": a readout's
# impersonal frame reports what its own side said; the subject of the clause acts.
_IMPERSONAL_FRAME = re.compile(
    r"\b[Ii]t\s+(?:was|is|has\s+been|had\s+been)\s+(?:also\s+|again\s+)?"
    r"(?:stressed|emphasi[sz]ed|noted|underlined|underscored|reaffirmed|reiterated|agreed|"
    r"confirmed|affirmed|pointed\s+out)\s+that\s+(?:the\s+)?$"
)
IMPERSONAL = "clause subject"


def add_impersonal_subjects(
    speakers: dict[str, str], mentions: list[Mention], sentence: Sentence
) -> None:
    """The subject of a clause after an impersonal frame acts: "It has been stressed that
    Russia will respect the choice". Not after "It was alleged that" or "It is feared that":
    only verbs by which a side states its own position open the frame."""
    for mention in mentions:
        at = mention.start - sentence.start
        frame = sentence.text[max(0, at - 60) : at]
        # The frame ends in "that" (as written): without it, no pattern to run.
        if "that" not in frame or not _IMPERSONAL_FRAME.search(frame):
            continue
        if acts_after(sentence.text[mention.end - sentence.start :]):
            speakers.setdefault(mention.actor, IMPERSONAL)
