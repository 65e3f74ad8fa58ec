"""Pronouns: whom "he", "she", "they" or "the minister" at the head of a sentence stands for
(the last speakers, carried over), which "it" stands for nobody ("It is difficult to ..."),
and a pronoun that speaks in a sentence where others act too ('"...," he said, noting that
the truce called by X and Y held')."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

from detente.cues import OFFICE, REPORTING_VERBS, after_preposition, object_of_verb
from detente.mentions import Mention
from detente.registry import fold
from detente.reported import QuoteMask
from detente.sentences import Sentence

CARRIED_OVER = "carried over"
# The cue of a person's envoy ("the Special Representative of the Secretary-General said"):
# the envoy is the one "he" stands for, not the person.
ENVOY = OFFICE

_PRONOUN_STARTS = re.compile(
    r"^[\"']?\s*(?:He|She|They|It|We|The (?:minister|president|prime minister|spokesman|"
    r"spokeswoman|spokesperson|ministry|chancellor|leader|envoy|ambassador|official|"
    r"statement|government|representative|delegate|secretary-general|Secretary-General|"
    r"foreign minister|defence minister|defense minister|head of state))\b"
)
_PERSONAL_PRONOUN = re.compile(r"\b(?:[Hh]e|[Ss]he|[Hh]is|[Hh]er)\b")
# "It is difficult to verify his story", "It has been stressed that ...", "It remains
# unclear whether ...": an empty subject before a copula or a passive, no speaker. Not "It
# is ready to talk", "It remains committed": there "it" holds a position of its own.
_EMPTY_IT = re.compile(
    r"^[\"']?\s*It\s+(?:(?:has|had|will|would|may|might|could|can|must|should|does|did)\s+)?"
    r"(?:not\s+)?(?:is|was|be|been|seems|seemed|appears|appeared|remains|remained)\b"
    r"(?!\s+(?:(?:still|also|not|now|fully|firmly)\s+)?(?:ready|prepared|willing|determined|"
    r"committed|opposed|resolved)\b)"
)
# "..., he said,", "He also stressed": "he" or "she" as the subject of a reporting verb, at
# the start of a sentence or a clause.
_PRONOUN_SPEAKS = re.compile(
    r"(?:^|[,;:\"“”]\s*|\b(?:and|but|as)\s+)(?:[Hh]e|[Ss]he)\s+"
    r"(?:(?:also|further|then|later|again|has|had|would|will)\s+)?([a-z]+)\b"
)


def carried_over(
    sentence: Sentence,
    mask: QuoteMask,
    inside_quote: bool,
    last_speakers: Sequence[str],
    last_people: Sequence[str],
    last_voices: Sequence[str] = (),
) -> dict[str, str]:
    """For a sentence where no name acts: the last speakers, when it opens with a pronoun or
    a bare title ("He added", "The minister said") or inside a quotation; "he" and "she"
    stand for the last people who spoke. A quotation goes on in the words of `last_voices`
    (those of the last speakers who spoke, not the sides their words were about), when
    given. Empty otherwise."""
    if not last_speakers:
        return {}
    starts_in_quote = inside_quote or fold(sentence.text).startswith('"')
    if not starts_in_quote and (
        not _PRONOUN_STARTS.match(sentence.text) or _EMPTY_IT.match(sentence.text)
    ):
        return {}
    spoke_last: Sequence[str] = last_speakers
    if _PERSONAL_PRONOUN.search(mask.outside(sentence.text)):
        spoke_last = last_people or last_speakers
    elif starts_in_quote and last_voices:
        spoke_last = last_voices
    return dict.fromkeys(spoke_last, CARRIED_OVER)


def pronoun_speaks_too(
    sentence: Sentence,
    mask: QuoteMask,
    outside: Sequence[Mention],
    last_people: Sequence[str],
    is_person: Callable[[str], bool],
) -> list[str]:
    """The last people who spoke, when "he" or "she" is the subject of a reporting verb in a
    sentence where other names act: '"Berlin was a serious effort," he said, noting that the
    truce called by Russia and Turkey held'. Not when a person named before the pronoun may
    be the one it stands for ("Putin called Macron, and he said ...")."""
    if not last_people:
        return []
    for match in _PRONOUN_SPEAKS.finditer(sentence.text):
        if match.group(1) not in REPORTING_VERBS or mask[match.end(1) - 1]:
            continue
        at = sentence.start + match.start(1)
        if any(is_person(m.actor) and m.start < at for m in outside):
            return []
        return list(last_people)
    return []


def people_he_stands_for(
    speakers: Mapping[str, str],
    outside: Sequence[Mention],
    text: str,
    is_person: Callable[[str], bool],
) -> list[str]:
    """The people a later "he" or "she" stands for, from a sentence where `speakers` act:
    the people among them (not the person whose envoy spoke); when none is a person, a
    person the sentence names outside quotations, and not as an object ("a letter to X", "the
    envoy of X", "warned X"): in "Briefing
    the Council, Jane Roe, ..., reporting that Russian attacks had tripled, ..." Russia acts,
    yet "She urged ..." that follows is Jane Roe."""
    people = [a for a, cue in speakers.items() if is_person(a) and cue != ENVOY]
    if people:
        return people
    named = (
        m.actor
        for m in outside
        if is_person(m.actor)
        and m.actor not in speakers
        and not after_preposition(before := text[max(0, m.start - 30) : m.start])
        and not object_of_verb(before)
    )
    return list(dict.fromkeys(named))
