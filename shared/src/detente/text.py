"""From raw article text to who-said-what: sentences, actor mentions and attribution.

Rule-based on purpose: every decision can be traced to a cue ("said X", "according to X",
a pronoun carried over from the last speaker), and every statement keeps its sentence as
evidence.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from itertools import pairwise

from detente.registry import FOLD as _NORMALISE
from detente.registry import ActorRegistry

_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "gen", "lt", "col", "maj", "capt", "sgt", "adm", "sen", "rep",
    "gov", "pres", "prof", "st", "jr", "sr", "no", "vol", "fig", "approx", "etc", "vs", "inc",
    "ltd", "co", "corp", "dept", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec", "u.s", "u.n", "u.k", "e.u", "e.g", "i.e", "a.m", "p.m",
}  # fmt: skip
_BOUNDARY = re.compile(r"[.!?]+[\"')\]]*\s+|[.!?]+[\"')\]]*$|\n+")

REPORTING_VERBS = frozenset(
    """
    accused accuses acknowledged acknowledges added adds admits admitted affirmed
    affirms agreed agrees announced announces appealed appeals argued argues asserted
    asserts assured assures attacked attacks backed backs believed believes blamed
    blames called calls cautioned cautions claimed claims commits committed condemned
    condemns confirmed confirms countered counters criticised criticises criticized
    criticizes declared declares declined declines demanded demands denied denies
    denounced denounces deplored deplores deployed deploys dismissed dismisses
    emphasised emphasises emphasized emphasizes expelled expels explained explains
    expressed expresses hailed hails hoped hopes imposed imposes indicated indicates
    insisted insists launched launches maintained maintains mobilised mobilized noted
    notes observed observes offered offers opposed opposes ordered orders pledged
    pledges pointed points posted praised praises pressed presses promised promises
    proposed proposes reaffirmed reaffirms recalled recalls recognised recognized
    refused refuses regrets regretted reiterated reiterates rejected rejects renewed
    renews repeated repeats replied replies responded responds said sanctioned sanctions
    say says seeks signaled signalled signals slammed slams sought stated states
    stressed stresses strikes struck suggested suggests summoned summons supported
    supports tells thanked thanks threatened threatens told tweeted underlined
    underlines urged urges vetoed vetoes voiced voices vowed vows wanted wants warned
    warns welcomed welcomes writes wrote
    """.split()
)
_AUXILIARIES = frozenset(
    """
    again already also are firmly further had has have is later on once openly publicly
    repeatedly sharply strongly then was were will would
    """.split()
)
# Verbs that put the speaker after them ("..., said the Kremlin."); transitive ones such as
# "warned" or "told" put their object there instead ("Putin warned Kyiv.").
_INVERTED_VERBS = frozenset(
    """
    said says added adds noted notes wrote writes explained explains stressed stresses
    insisted insists argued argues replied replies continued continues asserted asserts
    declared declares concluded concludes recalled recalls underlined underlines observed
    observes commented comments claimed claims countered counters remarked remarks
    acknowledged acknowledges emphasised emphasises emphasized emphasizes regretted regrets
    announced announces tweeted posted
    """.split()
)
_NEGATIONS = frozenset({"not", "n't", "t", "never", "no", "longer"})
# Finite verbs that make the word before them a clause subject.
_FINITE = frozenset(
    """
    has have had is was were are will would must should could can may might does did do
    """.split()
)
# Deeds count as much as words: what an actor does shows its stance.
ACTION_VERBS = frozenset(
    """
    began begins broke breaks brought built buys bought came comes cut cuts drew draws
    fought fights fired fires froze freezes gave gives held holds hit hits kept keeps
    led leads left leaves lost made makes meets met paid pays ran runs sent sends set
    shot sought spoke speaks stood stands struck strikes took takes threw throws wants
    went withdrew withdraws won wins seized seizes shelled shells invaded invades bombed
    bombs captured captures killed kills released releases signed signs agreed agrees
    continued continues refused refuses rejected rejects remains remained resumed resumes
    """.split()
)
_ROLE_NOUNS = frozenset(
    """
    ambassador army authorities chief defence defense delegate delegation envoy forces
    fighters troops militants militias diplomats negotiators navy lawmakers parliament
    spokesman spokeswoman spokesperson commanders commander leadership regime cabinet
    foreign government head leader leaders military minister ministry mission office
    official officials president prime representative representatives secretary
    spokesman spokesperson spokeswoman
    """.split()
)
_OFFICE_NOUNS = frozenset(
    "president prime minister chancellor secretary head leader leaders chief king".split()
)
# "by" is missing on purpose: "attacks by Russia" names the agent.
PREPOSITIONS = frozenset(
    """
    in at to with on against from into toward towards between over about under among across
    near inside within upon for of like
    """.split()
)
_PRONOUN_STARTS = re.compile(
    r"^[\"']?\s*(?:He|She|They|It|We|The (?:minister|president|prime minister|spokesman|"
    r"spokeswoman|spokesperson|ministry|chancellor|leader|envoy|ambassador|official|"
    r"statement|government|representative|delegate|secretary-general|Secretary-General|"
    r"foreign minister|defence minister|defense minister|head of state))\b"
)
_WORD = re.compile(r"\w+")
_DOUBLE_QUOTE = re.compile('"')
_ROLE_AFTER = re.compile(
    r"\s+(?:foreign |defen[cs]e |prime |security |armed |military |government |state )?"
    r"(?:officials?|forces|troops|government|authorities|military|army|navy|diplomats?|"
    r"ministry|spokes(?:man|woman|person)|president|minister|delegation|delegates?|"
    r"representatives?|ambassador|envoy|leaders?|leadership|militants|fighters|negotiators|"
    r"parliament|lawmakers|regime|commanders?|media|statement)\b",
    re.IGNORECASE,  # "Russian officials" and "Russian Foreign Ministry" alike
)


@dataclass(frozen=True)
class Sentence:
    index: int
    start: int
    end: int
    text: str
    paragraph: int


@dataclass(frozen=True)
class Mention:
    actor: str
    start: int
    end: int
    surface: str


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

    @cached_property
    def _sentence_starts(self) -> list[int]:
        return [s.start for s in self.sentences]

    def sentence_at(self, position: int) -> Sentence:
        """The sentence holding `position` of the text attributed."""
        index = bisect_right(self._sentence_starts, position) - 1
        return self.sentences[max(index, 0)]

    @cached_property
    def _mention_starts(self) -> list[int]:
        return [m.start for m in self.mentions]

    def mentions_within(self, start: int, end: int) -> list[Mention]:
        """The mentions wholly inside `start`..`end`, in order (found by bisection: this runs
        for every statement and every mention window)."""
        first = bisect_left(self._mention_starts, start)
        last = bisect_left(self._mention_starts, end, lo=first)
        return [m for m in self.mentions[first:last] if m.end <= end]

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


def mask_mentions(
    text: str, offset: int, mentions: Iterable[Mention], token: Callable[[Mention], str]
) -> str:
    """`text` (which starts at `offset` in the mentions' text) with each of `mentions`, in
    order and inside it, replaced by `token(mention)`: how names are hidden from the models,
    so that they learn wording, not who speaks."""
    pieces: list[str] = []
    cursor = 0
    for mention in mentions:
        pieces.append(text[cursor : mention.start - offset])
        pieces.append(token(mention))
        cursor = mention.end - offset
    pieces.append(text[cursor:])
    return "".join(pieces)


def split_sentences(text: str) -> list[Sentence]:
    """Split on sentence-final punctuation and line breaks, sparing abbreviations and initials."""
    sentences: list[Sentence] = []
    start = 0
    paragraph = 0
    for match in _BOUNDARY.finditer(text):
        end = match.end()
        if "\n" not in match.group() and match.group()[0] == ".":
            before = text[start : match.start()].rsplit(None, 1)
            last = before[-1].lower().lstrip("(\"'") if before else ""
            following = text[end : end + 1]
            if last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha()):
                continue
            if following and not (
                following.isupper() or following in "\"'“‘(" or following.isdigit()
            ):
                continue
        chunk = text[start:end]
        stripped = chunk.strip()
        if stripped:
            offset = start + (len(chunk) - len(chunk.lstrip()))
            sentences.append(
                Sentence(len(sentences), offset, offset + len(stripped), stripped, paragraph)
            )
        if "\n" in match.group():
            paragraph += 1
        start = end
    tail = text[start:].strip()
    if tail:
        offset = start + (len(text[start:]) - len(text[start:].lstrip()))
        sentences.append(Sentence(len(sentences), offset, offset + len(tail), tail, paragraph))
    return sentences


# Words that may stand right before a name without making it part of a longer one:
# titles and ranks ("President Zuma", "Foreign Minister Lavrov").
_TITLE_WORDS = frozenset(
    """
    president prime minister ministers secretary chancellor mr mrs ms dr general gen ambassador
    king queen prince crown emir sheikh chairman chairwoman chairperson leader premier vice
    deputy foreign defence defense senator sen rep representative envoy commissioner
    spokesman spokeswoman spokesperson colonel col marshal admiral commander chief director
    governor mayor speaker pope ayatollah supreme sultan lieutenant lt major maj captain capt
    special high comrade counsellor counselor adviser advisor lord lady sir dame baroness
    brigadier field military army interior state-secretary under-secretary-general
    secretary-general assistant acting former late then incoming outgoing government
    excellency his her
    """.split()
)
# Nouns that make a state's name part of a place's or a document's: "the Taiwan Strait",
# "the Taiwan Relations Act".
_NAME_SUFFIXES = frozenset(
    """
    Strait Straits Sea Gulf Bay Channel Canal River Valley Peninsula Island Islands Heights
    Corridor Basin Desert Mountains Act Relations Airport University Square Street Times Post
    Today
    """.split()
)
# Words that make the name after them a person's, even when it is also a place's.
_HONORIFICS = frozenset(
    "mr mrs ms miss dr sir dame lady lord reporter correspondent journalist columnist".split()
)
# A role phrase right after "former" names a past holder, not today's.
_PAST_BEFORE = re.compile(r"\b(?:former|ex-|late|then)\s*$", re.IGNORECASE)
_OFFICE = "office:"
_NAME_GAP = re.compile(r",?[ \t]+")


class MentionFinder:
    """Longest-match alias lookup at word starts; aliases are indexed by their first word.

    An office's alias ("the Secretary-General") names whoever held the office on the date
    given to `find`. A match that is only part of a longer name is not a mention: a surname
    joined by a hyphen to an unknown name ("Dlamini-Zuma"), or an alias right after a
    capitalised word that is neither a title nor the start of the sentence ("State
    Administrative Council members", "National Security Council").
    """

    def __init__(self, registry: ActorRegistry) -> None:
        self._registry = registry
        self._by_first_word: dict[str, list[tuple[str, str]]] = defaultdict(list)
        surfaces = [
            *registry.aliases().items(),
            *registry.demonyms().items(),
            *((alias, _OFFICE + office) for alias, office in registry.office_aliases().items()),
        ]
        for alias, target in surfaces:
            first = _WORD.match(alias)
            if first is not None:
                self._by_first_word[first.group()].append((alias, target))
        self._demonyms = set(registry.demonyms())
        self._cache: dict[str, list[tuple[int, dict[str, tuple[str, str]]]]] = {}
        # Every token an alias can start with, as written or capitalised ("the" → "The").
        self._first_words = set(self._by_first_word) | {
            w[:1].upper() + w[1:] for w in self._by_first_word
        }
        for candidates in self._by_first_word.values():
            candidates.sort(key=lambda pair: len(pair[0]), reverse=True)

    def _candidates(self, token: str) -> list[tuple[int, dict[str, tuple[str, str]]]]:
        """Aliases that may start at `token`, grouped by length, longest first, each group
        keyed by the forms it matches: "the Kremlin" also matches "The Kremlin", but
        "Putin" never matches "putin"."""
        cached = self._cache.get(token)
        if cached is None:
            pairs = list(self._by_first_word.get(token, ()))
            if token[:1].isupper():
                pairs += self._by_first_word.get(token[:1].lower() + token[1:], ())
            groups: dict[int, dict[str, tuple[str, str]]] = {}
            for alias, target in pairs:
                group = groups.setdefault(len(alias), {})
                group.setdefault(alias, (alias, target))
                group.setdefault(alias[:1].upper() + alias[1:], (alias, target))
            cached = sorted(groups.items(), reverse=True)
            if len(self._cache) < 100_000:
                self._cache[token] = cached
        return cached

    def _longest_at(self, normalised: str, start: int, token: str) -> tuple[str, str] | None:
        for length, forms in self._candidates(token):
            end = start + length
            hit = forms.get(normalised[start:end])
            if hit is None:
                continue
            if end < len(normalised) and (normalised[end].isalnum() or normalised[end] == "_"):
                continue
            if hit[0] in self._demonyms and not _ROLE_AFTER.match(normalised, end):
                continue
            return hit
        return None

    def _starts_a_name(self, normalised: str, start: int) -> bool:
        word = _WORD.match(normalised, start)
        return word is not None and self._longest_at(normalised, start, word.group()) is not None

    def _inside_longer_name(
        self, normalised: str, start: int, end: int, previous_end: int, target: str
    ) -> bool:
        # "Mr Holland", "reporter Jordan": a place's name used as a person's surname.
        if not target.startswith(_OFFICE) and not self.is_person(target):
            honorific = re.search(
                r"\b([A-Za-z]+)\.?[ \t]+$", normalised[max(0, start - 20) : start]
            )
            if honorific is not None and honorific.group(1).lower() in _HONORIFICS:
                return True
        joined_left = start >= 2 and normalised[start - 1] == "-" and previous_end != start - 1
        if joined_left and normalised[start - 2].isalpha():
            left = re.search(r"[\w.']+$", normalised[max(0, start - 41) : start - 1])
            left_word = left.group() if left else ""
            # "U.S.-China talks" pairs two actors; "Dlamini-Zuma" is one longer name.
            if left_word[:1].isupper() and not self._starts_a_name(
                normalised, start - 1 - len(left_word)
            ):
                return True
        following = re.match(r" ([A-Z][a-z]+)\b", normalised[end : end + 20])
        if following is not None and following.group(1) in _NAME_SUFFIXES:
            return True
        joined_right = end + 1 < len(normalised) and normalised[end] == "-"
        if joined_right and normalised[end + 1].isupper():
            return not self._starts_a_name(normalised, end + 1)
        # A person's full name is a name of its own, whatever stands before it ("Chairman of
        # the Government Vladimir Putin"); a lone surname or a body's generic name is not.
        if " " in normalised[start:end] and self.is_person(target):
            return False
        before = re.search(r"([A-Z][\w'-]*)[ \t]+$", normalised[max(0, start - 40) : start])
        if before is None or not normalised[start].isupper():
            return False
        word = before.group(1)
        word_start = start - len(before.group(0))
        if word.lower() in _TITLE_WORDS:
            return False
        previous = normalised[max(0, word_start - 20) : word_start].rstrip(" \t")[-1:]
        if previous == "" or previous in '.!?:;"(\n':
            return False  # the first word of a sentence is capitalised anyway
        return not self._starts_a_name(normalised, word_start)

    def find(self, text: str, on: date | None = None) -> list[Mention]:
        normalised = text.translate(_NORMALISE)
        mentions: list[Mention] = []
        position = 0
        starts = self._first_words
        for word in _WORD.finditer(normalised):
            token = word.group()
            # Most words start no alias: one set look-up, before anything slower.
            if token not in starts or word.start() < position:
                continue
            if word.start() > 0 and normalised[word.start() - 1].isalnum():
                continue
            match = self._longest_at(normalised, word.start(), token)
            if match is None:
                continue
            alias, target = match
            end = word.start() + len(alias)
            if self._overlapped_by_longer(normalised, word.start(), end):
                continue  # "President Petro Poroshenko": the name that reaches further wins
            position = end
            previous_end = mentions[-1].end if mentions else -1
            if self._inside_longer_name(normalised, word.start(), end, previous_end, target):
                continue
            if target.startswith(_OFFICE):
                if _PAST_BEFORE.search(normalised[max(0, word.start() - 12) : word.start()]):
                    continue
                # "the US president, Donald Trump": the name that follows decides.
                after = self._following_name(normalised, end)
                holder = self._registry.office(target[len(_OFFICE) :]).holder(on)
                if after or holder is None:
                    continue
                target = holder
            mentions.append(Mention(target, word.start(), end, text[word.start() : end]))
        return mentions

    def principal(self, actor_id: str) -> str | None:
        """The state or body a registered actor speaks for; None outside the registry."""
        return self._registry.principal(actor_id) if actor_id in self._registry else None

    def is_person(self, actor_id: str) -> bool:
        """Registered people, and actors found outside the registry (always people)."""
        return actor_id not in self._registry or self._registry.get(actor_id).kind == "person"

    def _overlapped_by_longer(self, normalised: str, start: int, end: int) -> bool:
        for inner in _WORD.finditer(normalised, start + 1, end):
            if normalised[inner.start() - 1].isalnum():
                continue
            match = self._longest_at(normalised, inner.start(), inner.group())
            if match is not None and inner.start() + len(match[0]) > end:
                return True
        return False

    def _following_name(self, normalised: str, end: int) -> bool:
        gap = _NAME_GAP.match(normalised, end)
        return gap is not None and self._starts_a_name(normalised, gap.end())


class _QuoteMask:
    """Which characters of a sentence are inside a quotation (quote marks included)."""

    def __init__(self, sentence: str, inside_at_start: bool) -> None:
        self._marks = [m.start() for m in _DOUBLE_QUOTE.finditer(sentence.translate(_NORMALISE))]
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


def _words_between(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def _speaks_after(rest: str) -> bool:
    """Does `rest` (the text after a mention) open with auxiliaries then a reporting verb?"""
    return _verb_after(rest, REPORTING_VERBS)


def _acts_after(rest: str) -> bool:
    """Is the mention the subject of a finite verb: "Hamas fired", "Russian officials have"?"""
    return _verb_after(rest, REPORTING_VERBS | ACTION_VERBS, finite_ok=True)


def _verb_after(rest: str, verbs: frozenset[str], finite_ok: bool = False) -> bool:
    words = _words_between(rest[:100])
    if words and words[0] == "s":  # possessive: "Russia's foreign minister said" is a role
        return False
    # "Houthi fighters said", "the Taliban government announced": skip a role noun or two.
    skipped = 0
    while skipped < 2 and words[skipped : skipped + 1] and words[skipped] in _ROLE_NOUNS:
        skipped += 1
    for word in words[skipped : skipped + 4]:
        if word in verbs:
            return True
        if finite_ok and (word in _FINITE or (len(word) > 4 and word.endswith("ed"))):
            return True
        if word not in _AUXILIARIES and word not in _NEGATIONS:
            return False
    return False


_CLAUSE_END = re.compile(
    r"^(?:'s)?\s*(?:statement|spokesman|spokeswoman|spokesperson|said)?"
    # "..., said the spokesman in a written statement." / "... on Monday."
    r"(?:\s+(?:in|on|at|during|from|after|before)\b[^,.;:\"]{0,60})?\s*(?:[,.;:!?)\-–—]|$)"
)
# Before the speaker of an inverted cue may stand its title: "said State Department
# Spokesperson Matthew Miller", "warned Hamas spokesman Fawzi Barhoum".
_SPEAKER_TITLE = re.compile(r"(?:\s+(?:[A-Z][\w.'-]*|[a-z]+(?:man|woman|person)))*\s*$")
_AFTER_QUOTE = re.compile(r"[,\"”]\s*$")


def _speaks_before(before: str, rest: str) -> bool:
    """An inverted cue ends the clause: "..., said the Kremlin." but not "he told Macron that".

    A transitive verb ("warned", "told") counts only right after a quotation or a comma,
    where its subject cannot be missing: '"We will resist," warned Hamas spokesman X.'
    """
    if not _CLAUSE_END.match(rest):
        return False
    title = _SPEAKER_TITLE.search(before)
    head = before[: title.start()] if title is not None else before
    words = _words_between(head[-40:])
    tail = [w for w in words[-3:] if w not in {"the", "also", "further", "then"}]
    if not tail:
        return False
    if tail[-1] in _INVERTED_VERBS:
        return True
    if tail[-1] not in REPORTING_VERBS:
        return False
    verb_at = head.lower().rfind(tail[-1])
    return _AFTER_QUOTE.search(head[:verb_at].rstrip()) is not None


def _role_of(before: str, rest: str) -> str | None:
    """The role noun in "the representative of France said", "Russia's minister told"."""
    words_before = _words_between(before[-60:])
    if (
        len(words_before) >= 2
        and words_before[-1] in {"of", "for"}
        and words_before[-2] in _ROLE_NOUNS
    ):
        # "called on the Government of Mali": the whole role phrase is an object.
        ahead = [w for w in words_before[:-2] if w not in {"the", "a", "an"}]
        if ahead and (ahead[-1] in PREPOSITIONS or ahead[-2:] == ["called", "on"]):
            return None
        return words_before[-2]
    words_after = _words_between(rest[:60])
    if words_after and words_after[0] == "s":
        return next((w for w in words_after[1:4] if w in _ROLE_NOUNS), None)
    return None


def _after_preposition(before: str) -> bool:
    """ "talks in Moscow", "a summit with France": a prepositional object is no subject."""
    words = _words_between(before[-30:])
    while words and words[-1] in {"the", "a", "an"}:
        words.pop()
    return bool(words) and words[-1] in PREPOSITIONS


_DEED_NOUNS = (
    "attacks?|offensives?|strikes?|air ?strikes?|shelling|bombardments?|bombings?|assaults?|"
    "incursions?|invasion|aggression|advances?|provocations?|threats?|demands?|ultimatums?|"
    "sanctions|violations|crackdown|repression|suppression|build-?up|mobili[sz]ation|"
    "occupation|annexation|blockade|efforts?|proposals?|offers?|initiatives?|mediation|"
    "commitments?|pledges?|assistance|cooperation|engagement|restraint|withdrawal"
)
_DEED_AFTER = re.compile(rf"^(?:['’]s?)?\s+((?:[a-z][\w-]*\s+){{0,3}})(?:{_DEED_NOUNS})\b")
_AGENT_BEFORE = re.compile(
    r"\bby\s+(?:the\s+)?(?:(?:[\w-]+\s+){0,3}(?:of|for)\s+(?:the\s+)?)?$", re.IGNORECASE
)
_CLAUSE_BEFORE = re.compile(r"(?:[,;]|\band\b|\bbut\b|\bwhile\b|\bwhereas\b)\s*(?:the\s+)?$")
_STATEMENT_BEFORE = re.compile(
    r"\b(?:remarks|statement|address|speech|message|readout|letter|op-ed)\s+"
    r"(?:[\w.-]+\s+){0,2}(?:by|of|from)\s+(?:the\s+)?(?:[\w.-]+\s+){0,4}$",
    re.IGNORECASE,
)
# A headline ending "(Secretary Antony J. Blinken)" or "| Minister Wang Yi" names its author.
_TITLE_BYLINE = re.compile(r"[(|]\s*(?:[A-Z][\w.'-]*\s+){0,4}$")
_BYLINE_END = re.compile(r"^[^()|]{0,12}\)?\s*$")
_APPOSITIVE = re.compile(r"^\s*,\s*[^,;:\"]{2,120}?,\s*")
_FIRST_PERSON = re.compile(r"\b(?:I|we|We|our|Our|us|my|My)\b")


# "the agreement between Armenia and Azerbaijan", "talks between Kyiv and Moscow": the
# parties to a deal or to talks act; "the conflict between ..." names no act of theirs.
PARTY = "party to an agreement or talks"
_PARTY_BEFORE = re.compile(
    r"\b(?:agreements?|deals?|accords?|ceasefire|truce|talks|negotiations|dialogue|summit|"
    r"treaty|memorandum|pact|exchange|swap)\s+(?:[\w-]+\s+){0,2}between\s+"
    r"(?:the\s+)?(?:(?:leaders?|governments?|delegations?|representatives?)\s+of\s+(?:the\s+)?)?$",
    re.IGNORECASE,
)
# "the mediators — Egypt, Qatar and the United States", "mediators from Kenya": a named
# mediator's act is the mediation.
MEDIATOR = "mediator"
_MEDIATOR_BEFORE = re.compile(
    r"\b(?:mediators?|facilitators?|guarantors?|co-?chairs?|brokers?)\s*"
    r"(?:[—–:(,-]\s*|\s(?:from|of|in)\s+|,?\s*namely\s+)(?:the\s+)?$",
    re.IGNORECASE,
)
# "the Qatar-brokered truce", "US-led talks", "a Russian-backed offensive".
AGENT_COMPOUND = "agent (compound)"
_AGENT_COMPOUND = re.compile(
    r"^-(?:brokered|mediated|led|facilitated|sponsored|hosted|backed|drafted|proposed|"
    r"initiated|imposed|ordered)\b",
    re.IGNORECASE,
)
_LIST_CUES = frozenset({"agent (by)", "according to", "statement by", PARTY, MEDIATOR})
_BETWEEN_OPEN = re.compile(r"\bbetween\b[^,;:.]*$", re.IGNORECASE)
_SUBJECT_CUES = frozenset(
    {"reporting verb", "sentence subject", "subject with appositive", "clause subject"}
)


def _cue(before: str, rest: str, person: bool = False, headline: bool = False) -> str | None:
    """Why the mention between `before` and `rest` is the actor of its sentence, if it is;
    `person` when the mention names a person rather than a body, `headline` when the
    sentence is the article's title."""
    # "Remarks on Korea (President Donald J. Trump)": the headline names the text's author.
    if headline and person and _TITLE_BYLINE.search(before) and _BYLINE_END.match(rest):
        return "statement by"
    # "... Mission in Kosovo (UNMIK), said": a bracketed name echoes the one before.
    if before.endswith("(") and rest.startswith(")"):
        return None
    if re.search(r"according to (?:the )?$", before[-25:], re.IGNORECASE):
        return "according to"
    if _STATEMENT_BEFORE.search(before[-80:]):
        return "statement by"
    role = _role_of(before, rest)
    if role is not None:
        # A delegate, ministry or army speaks for its state; a president or minister speaks
        # for himself, so the state is only named ("the President of Serbia blamed ..."); and
        # a person's envoy ("the Special Representative of the Secretary-General") speaks in
        # the envoy's voice, not the person's.
        return "office of actor" if person or role in _OFFICE_NOUNS else "role of actor"
    if _PARTY_BEFORE.search(before[-80:]):
        return PARTY
    if _MEDIATOR_BEFORE.search(before[-40:]):
        return MEDIATOR
    if _AGENT_COMPOUND.match(rest):
        return AGENT_COMPOUND
    if _after_preposition(before):
        if _AGENT_BEFORE.search(before[-60:]):
            return "agent (by)"
        # "At Germany's initiative", "in response to Russia's offensive": the possessor acts.
        return "deed" if _possessive_deed(rest) else None
    if _speaks_after(rest):
        return "reporting verb"
    if _speaks_before(before, rest):
        return "inverted reporting verb"
    appositive = _APPOSITIVE.match(rest)
    if appositive and _acts_after(rest[appositive.end() :]):
        return "subject with appositive"
    if _AGENT_BEFORE.search(before[-60:]):
        return "agent (by)"
    # "Houthi drone attacks", "Russia's offensive"; but not "NATO was a threat".
    if _deed_after(rest):
        return "deed"
    # "... and Hezbollah raged": not when the "and" joins the two sides after "between".
    if (
        _CLAUSE_BEFORE.search(before[-12:])
        and _acts_after(rest)
        and not _BETWEEN_OPEN.search(before[-80:])
    ):
        return "clause subject"
    return None


def _deed_after(rest: str) -> bool:
    deed = _DEED_AFTER.match(rest)
    if deed is None:
        return False
    return not set(deed.group(1).split()) & (_FINITE | _AUXILIARIES | REPORTING_VERBS)


def _possessive_deed(rest: str) -> bool:
    return rest[:1] in ("'", "’") and _deed_after(rest)


_REPORTED_CLAUSE = re.compile(r"\b(?:that|said|says|added|stressed|insisted)\s+(?:the\s+)?$")
_QUOTE_OPENING = re.compile(r"[\"“]\s*(?:[Tt]he\s+)?$")
OWN_SIDE = "own side in reported speech"


def _add_own_side(
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
        if opens_clause(before) and _acts_after(rest):
            speakers[mention.actor] = OWN_SIDE


def _opens_reported_clause(before: str) -> bool:
    """ "Putin said [Russia] ...": right after a reporting verb or "that"."""
    return _REPORTED_CLAUSE.search(before[-30:]) is not None


def _opens_quotation(inside_at_start: bool) -> Callable[[str], bool]:
    """'"[The United States] calls ...': right after an opening quotation mark, or at the
    start of a sentence that continues a quotation."""

    def opens(before: str) -> bool:
        folded = before.translate(_NORMALISE)
        if _QUOTE_OPENING.search(folded):
            return True
        return inside_at_start and len(_WORD.findall(folded)) <= 1 and '"' not in folded

    return opens


def _coordinated(gap: str) -> bool:
    # "by Russia and Turkey", "from Kenya, from South Africa": a repeated preposition too.
    return re.fullmatch(r"\s*(?:,|and|,\s*and)\s*(?:(?:from|by)\s+)?(?:the\s+)?", gap) is not None


def attribute(
    text: str,
    finder: MentionFinder,
    title: str = "",
    on: date | None = None,
    mentions: list[Mention] | None = None,
) -> Attribution:
    """Attribute each sentence of `title` + `text` to the actors whose statement or deed it
    is; `on` (the article's date) decides who holds an office the text names by its title.
    `mentions` in the joined text, when the caller found them (with discovered actors)."""
    full = f"{title}\n\n{text}" if title else text
    sentences = split_sentences(full)
    if mentions is None:
        mentions = finder.find(full, on)
    result = Attribution(sentences=sentences, mentions=mentions)

    by_sentence: dict[int, list[Mention]] = defaultdict(list)
    cursor = 0
    for mention in mentions:
        while cursor < len(sentences) and sentences[cursor].end <= mention.start:
            cursor += 1
        if cursor < len(sentences):
            by_sentence[cursor].append(mention)

    last_speakers: list[str] = []
    document_speaker: str | None = None  # "Statement by X": its "I" and "we" are X
    inside_quote = False
    paragraph = -1
    for sentence in sentences:
        if sentence.paragraph != paragraph:
            paragraph = sentence.paragraph
            inside_quote = False
        mask = _QuoteMask(sentence.text, inside_quote)
        speakers: dict[str, str] = {}
        named = by_sentence.get(sentence.index, [])
        outside = [m for m in named if not mask[m.start - sentence.start]]
        result.quoted.update(m.start for m in named if mask[m.start - sentence.start])
        headline = bool(title) and sentence.index == 0
        for mention in outside:
            before = sentence.text[: mention.start - sentence.start]
            rest = sentence.text[mention.end - sentence.start :]
            cue = _cue(before, rest, finder.is_person(mention.actor), headline)
            if cue:
                speakers.setdefault(mention.actor, cue)
                if cue == "statement by":
                    document_speaker = mention.actor
        _add_own_side(speakers, outside, sentence, finder, _opens_reported_clause)
        # "Macron and Putin agreed ...": a coordinated subject speaks together.
        # "efforts by Russia and Turkey": the rest of a coordinated agent list acts too.
        for left, right in pairwise(outside):
            if speakers.get(left.actor) in _LIST_CUES and _coordinated(
                full[left.end : right.start]
            ):
                speakers.setdefault(right.actor, speakers[left.actor])
        for left, right in reversed(list(pairwise(outside))):
            if speakers.get(right.actor) in _SUBJECT_CUES and _coordinated(
                full[left.end : right.start]
            ):
                speakers.setdefault(left.actor, speakers[right.actor])
        if not speakers and outside:
            first = outside[0]
            lead = sentence.text[: first.start - sentence.start]
            after = sentence.text[first.end - sentence.start :]
            # "In Moscow, ..." or "The conflict between Israel and ...": not a subject.
            short_lead = len(_WORD.findall(lead)) <= 3 and not _after_preposition(lead)
            # "On Tuesday, in a statement, the Houthis claimed ...": an introductory phrase.
            intro_lead = re.search(r",\s*(?:the\s+)?$", lead) is not None and _acts_after(after)
            if (short_lead or intro_lead) and '"' not in lead.translate(_NORMALISE):
                speakers[first.actor] = "sentence subject"
                for other in outside[1:]:
                    if not _coordinated(full[first.end : other.start]):
                        break
                    speakers[other.actor] = "sentence subject"
                    first = other
        if not speakers and document_speaker and _FIRST_PERSON.search(mask.outside(sentence.text)):
            speakers = {document_speaker: "first person of the statement's author"}
        if not speakers and last_speakers:
            starts_in_quote = inside_quote or sentence.text.translate(_NORMALISE).startswith('"')
            if starts_in_quote or _PRONOUN_STARTS.match(sentence.text):
                speakers = dict.fromkeys(last_speakers, "carried over")
        if speakers:
            quoted = [m for m in named if mask[m.start - sentence.start]]
            _add_own_side(speakers, quoted, sentence, finder, _opens_quotation(inside_quote))
        for actor_id, cue in speakers.items():
            result.statements.append(Statement(actor_id, sentence, cue))
        if speakers:
            last_speakers = list(speakers)
        inside_quote = mask.inside_at_end
    _add_mention_fallback(result, by_sentence)
    return result


MENTIONED_ONLY = "mentioned only"


def _add_mention_fallback(result: Attribution, by_sentence: dict[int, list[Mention]]) -> None:
    """An actor named but never the actor of a sentence ("attacks on the port, blamed on the
    Houthis") gets the sentences that name it as candidate statements; whether they show a
    stance of its own is for the second stage (`detente.stance_taking`) to decide."""
    speaking = {statement.actor for statement in result.statements}
    for sentence in result.sentences:
        for actor_id in dict.fromkeys(m.actor for m in by_sentence.get(sentence.index, [])):
            if actor_id not in speaking:
                result.statements.append(Statement(actor_id, sentence, MENTIONED_ONLY))
