"""Pronouns: whom "he", "she", "they" or "the minister" at the head of a sentence stands for
(the last speakers, carried over), which "it" stands for nobody ("It is difficult to ..."),
a pronoun that speaks in a sentence where others act too ('"...," he said, noting that
the truce called by X and Y held'), and a sentence whose speaker is someone the registry
does not know ('"...," said a nurse'), after which the last speakers carry over no more."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

from detente.cues import (
    OFFICE,
    REPORTING_VERBS,
    acts_after,
    after_preposition,
    object_of_verb,
)
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


# '"We hear shooting most weeks," said a miner', '"...," a doctor said', 'Umm Khaled said
# she fled': the sentence names its own speaker, and nobody the registry knows (a known one
# would have acted). Its words are not the last speakers', and a "he" after it is that
# speaker. Not "he said", "the ministry said", "both sides said", nor "a ministry
# spokesperson said" or "an army officer said": an unnamed official is of a side already
# named; and not "Katz said" where "Israel Katz" is named (`known_word`).
_SPEECH = r"(?:said|says|told|tells|added|adds|asked|explained|recalled|wrote|insisted|noted)"
_NOT_A_NAME = (
    r"(?!(?:The|He|She|They|It|We|I|Both|Each|All|This|That|These|Those|His|Her|Their|Its|"
    r"Our|But|And|As|In|On|At|After|When|While)\b)"
)
_NAMED_SPEAKER = re.compile(
    r"^\s*[,;]?\s*(?:"
    rf"{_SPEECH}\s+(?P<after>(?:an?|one|another)\s[^.;]*|{_NOT_A_NAME}[A-Z][^.;]*)"
    rf"|(?P<indefinite>(?:[Aa]n?|[Oo]ne|[Aa]nother)\s+(?:[\w'’-]+\s+){{1,5}}?){_SPEECH}\b"
    rf"|(?P<name>{_NOT_A_NAME}[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+){{0,3}})\s+{_SPEECH}\b"
    r")"
)
_CAPITALISED = re.compile(r"\b[A-Z][\w'’-]+")
_WORD = re.compile(r"\w+")
_OF_A_SIDE = re.compile(
    r"\b(?:spokes(?:man|woman|person)|officials?|officers?|diplomats?|members?|ministers?|"
    r"ministry|aides?|advisers?|advisors?|envoys?|representatives?|sources?|commanders?|"
    r"negotiators?|delegates?|ambassadors?)\b",
    re.IGNORECASE,
)


def unknown_speaker(outside: str, known_word: Callable[[str], bool]) -> bool:
    """Whether a sentence where no name acts says who speaks, and that speaker is nobody
    the registry knows: `outside` is the sentence without its quotations; `known_word(word)`
    whether a capitalised word is part of a name the article gives an actor."""
    match = _NAMED_SPEAKER.match(outside)
    if match is None:
        return False
    speaker = match.group("after") or match.group("indefinite") or match.group("name")
    if _OF_A_SIDE.search(speaker):
        return False
    names = (word for name in _CAPITALISED.findall(speaker) for word in _WORD.findall(name))
    return not any(known_word(word.casefold()) for word in names)


def carried_over(
    sentence: Sentence,
    mask: QuoteMask,
    inside_quote: bool,
    last_speakers: Sequence[str],
    last_people: Sequence[str],
    last_voices: Sequence[str] = (),
    named: Sequence[Mention] = (),
) -> dict[str, str]:
    """For a sentence where no name acts: the last speakers, when it opens with a pronoun or
    a bare title ("He added", "The minister said") or inside a quotation; "he" and "she"
    stand for the last people who spoke. A quotation goes on in the words of `last_voices`
    (those of the last speakers who spoke, not the sides their words were about), when
    given. Not those it names (`named`, outside quotations) as the object of its verb: "We have
    lodged stern representations with the US side" is not the United States', nor "They
    call on Baku to stop" Azerbaijan's. Empty otherwise."""
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
    objects = objects_of(named, sentence) if named else set()
    return dict.fromkeys((a for a in spoke_last if a not in objects), CARRIED_OVER)


# "call on Baku", "representations with the US side": a name its sentence addresses.
_ADDRESSED = re.compile(
    r"\b(?:(?:call|calls|called|calling|appeal|appeals|appealed)\s+(?:on|upon)|with)"
    r"\s+(?:the\s+)?$",
    re.IGNORECASE,
)
# '"...," warned Hamas spokesman X': after a quotation the verb is the speaker's, inverted.
_INVERTED = re.compile(r"[,\"”]\s*[a-z]+\s+(?:(?:the|a|an)\s+)?$")


def objects_of(mentions: Sequence[Mention], sentence: Sentence) -> set[str]:
    """The actors `mentions` (in `sentence`) name as objects: of a verb ("accused Taipei of",
    not "said Tokyo would") or of a call ("call on Baku")."""
    objects = set()
    for mention in mentions:
        at = mention.start - sentence.start
        before = sentence.text[max(0, at - 30) : at]
        rest = sentence.text[mention.end - sentence.start :]
        verb_object = object_of_verb(before) and not _INVERTED.search(before)
        if (verb_object and not acts_after(rest)) or _ADDRESSED.search(before):
            objects.add(mention.actor)
    return objects


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
