"""Actor mentions: where a registered actor (or an office's holder) is named in a text."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from copy import copy
from dataclasses import dataclass
from datetime import date

from detente.alias_forms import plain_capitals, role_variants, title_case
from detente.alias_index import AliasIndex
from detente.cues import ACTION_VERBS, REPORTING_VERBS
from detente.registry import ActorRegistry, fold

_WORD = re.compile(r"\w+")
_ROLE_AFTER = re.compile(
    r"\s+(?:foreign |defen[cs]e |prime |security |armed |military |government |state )?"
    r"(?:officials?|forces|troops|government|authorities|military|army|navy|diplomats?|"
    r"ministry|spokes(?:man|woman|person)|president|minister|delegation|delegates?|"
    r"representatives?|ambassador|envoy|leaders?|leadership|militants|fighters|negotiators|"
    r"parliament|lawmakers|regime|commanders?|media|statement|cabinet)\b",
    re.IGNORECASE,  # "Russian officials" and "Russian Foreign Ministry" alike
)


@dataclass(frozen=True)
class Mention:
    actor: str
    start: int
    end: int
    surface: str


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


# Words that may stand right before a name without making it part of a longer one:
# titles and ranks ("President Zuma", "Foreign Minister Lavrov").
TITLE_WORDS = frozenset(
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
# Documents and processes named after the place they were made: "the Algiers accord", "the
# Minsk agreements", "the Astana process", "the Normandy format". The place names the
# thing, not a party acting in the sentence.
_DOCUMENT_NOUNS = re.compile(
    r" (?:[Aa]ccords?|[Aa]greements?|[Pp]rocess|[Ff]ormat|[Dd]eclaration|[Pp]rotocols?|"
    r"[Cc]ommuniqu[eé])\b"
)
_THE_BEFORE = re.compile(r"\b[Tt]he[ \t]+$")
# Words a title-case headline capitalises after a person's name, where they do not
# continue it: its verbs and small words.
_HEADLINE_WORDS = (
    REPORTING_VERBS
    | ACTION_VERBS
    | frozenset(
        """
        a an and as at by for in of on or the to with from over after before amid against
        again also not will would may can could should must has have had is was are were be
        meet visit visits talk talks call hold holds urge say tell warn vow set
        """.split()
    )
)
# Short names that two registered states share, left out of both alias lists: the article's
# full names decide (MentionFinder._shared_short_names).
_SHARED_SHORT_NAMES = {"Congo": ("dr-congo", "republic-of-the-congo")}
# Words that make the name after them a person's, even when it is also a place's.
_HONORIFICS = frozenset(
    "mr mrs ms miss dr sir dame lady lord reporter correspondent journalist columnist".split()
)
# A role phrase right after "former" names a past holder, not today's.
_PAST_BEFORE = re.compile(r"\b(?:former|ex-|late|then)\s*$", re.IGNORECASE)
_OFFICE = "office:"
_NAME_GAP = re.compile(r",?[ \t]+")
# Compiled once: these run for every mention.
_WORD_BEFORE_GAP = re.compile(r"\b([A-Za-z]+)\.?[ \t]+$")
_LEFT_WORD = re.compile(r"[\w.']+$")
_FOLLOWING_WORD = re.compile(r" ([A-Z][a-z]+)\b")
_CAPITAL_BEFORE = re.compile(r"([A-Z][\w'-]*)[ \t]+$")


# "Susan E. Rice", "Antony J. Blinken": a first name, one initial, a surname.
_MIDDLE_INITIAL = re.compile(r"([A-Z][a-z]+) [A-Z]\. ([A-Z][\w'-]*[a-z])\b")
_FIRST_AND_LAST = re.compile(r"[A-Z][a-z]+ [A-Z][\w'-]*[a-z]")


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
        surfaces = [
            *registry.aliases().items(),
            *registry.demonyms().items(),
            *((alias, _OFFICE + office) for alias, office in registry.office_aliases().items()),
        ]
        # "the President of Eritrea" for "the Eritrean president": one office, two phrasings.
        taken = {alias.lower(): target for alias, target in surfaces}
        for alias, target in list(surfaces):
            for variant in role_variants(alias, registry):
                if taken.setdefault(variant.lower(), target) == target:
                    surfaces.append((variant, target))
        aliases = registry.aliases()
        people = {a: t for a, t in aliases.items() if registry.get(t).kind == "person"}
        # "Rosemary Dicarlo" for "Rosemary DiCarlo": a name's inner capitals vary by outlet.
        surfaces += [
            (plain, target)
            for alias, target in people.items()
            if (plain := plain_capitals(alias)) != alias and plain not in aliases
        ]
        self._people_by_name = {a: t for a, t in people.items() if _FIRST_AND_LAST.fullmatch(a)}
        # "Myanmar Armed Forces" for "Myanmar armed forces" (bodies only: a person's name is
        # capitalised as registered, and a title-cased role phrase is a title).
        surfaces += [
            (titled, target)
            for alias, target in aliases.items()
            if registry.get(target).kind != "person"
            and (titled := title_case(alias)) != alias
            and titled not in aliases
        ]
        self._aliases = AliasIndex(surfaces)
        # Each registered actor's principal, and who is a person: read once, since they are
        # asked of nearly every mention in every sentence.
        self._principals = {actor.id: registry.principal(actor.id) for actor in registry}
        self._people = frozenset(actor.id for actor in registry if actor.kind == "person")
        self._demonyms = set(registry.demonyms())
        # Actors found outside the registry in the article being read (`knowing`).
        self._found_affiliations: dict[str, str] = {}
        self._found_bodies: frozenset[str] = frozenset()

    def _longest_at(self, normalised: str, start: int, token: str) -> tuple[str, str] | None:
        for length, forms in self._aliases.groups_at(normalised, start, token):
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

    def _with_middle_initial(self, normalised: str, start: int) -> tuple[str, int] | None:
        """(person id, end) for "Susan E. Rice" when "Susan Rice" is a registered name:
        official texts add middle initials that no alias list keeps up with."""
        spelled = _MIDDLE_INITIAL.match(normalised, start)
        if spelled is None:
            return None
        target = self._people_by_name.get(f"{spelled.group(1)} {spelled.group(2)}")
        return (target, spelled.end()) if target is not None else None

    def _starts_a_name(self, normalised: str, start: int) -> bool:
        word = _WORD.match(normalised, start)
        return word is not None and self._longest_at(normalised, start, word.group()) is not None

    def _inside_longer_name(
        self, normalised: str, start: int, end: int, previous_end: int, target: str
    ) -> bool:
        # "Mr Holland", "reporter Jordan": a place's name used as a person's surname.
        if not target.startswith(_OFFICE) and not self.is_person(target):
            honorific = _WORD_BEFORE_GAP.search(normalised[max(0, start - 20) : start])
            if honorific is not None and honorific.group(1).lower() in _HONORIFICS:
                return True
        joined_left = start >= 2 and normalised[start - 1] == "-" and previous_end != start - 1
        if joined_left and normalised[start - 2].isalpha():
            left = _LEFT_WORD.search(normalised[max(0, start - 41) : start - 1])
            left_word = left.group() if left else ""
            # "U.S.-China talks" pairs two actors; "Dlamini-Zuma" is one longer name.
            if left_word[:1].isupper() and not self._starts_a_name(
                normalised, start - 1 - len(left_word)
            ):
                return True
        if (
            _DOCUMENT_NOUNS.match(normalised, end)
            and _THE_BEFORE.search(normalised[max(0, start - 6) : start])
            and not self.is_person(target)
        ):
            return True
        following = _FOLLOWING_WORD.match(normalised[end : end + 20])
        if following is not None and following.group(1) in _NAME_SUFFIXES:
            return True
        # "Abbas Mousavi", "Kim Yong-nam": a person's one-word alias before another
        # capitalised word is part of someone else's name; not before a headline's verb or
        # small word ("Abbas Says", "Abbas Meets Blinken", "Abbas To Visit").
        if (
            following is not None
            and " " not in normalised[start:end]
            and self.is_person(target)
            and following.group(1).lower() not in _HEADLINE_WORDS
        ):
            return True
        joined_right = end + 1 < len(normalised) and normalised[end] == "-"
        if joined_right and normalised[end + 1].isupper():
            return not self._starts_a_name(normalised, end + 1)
        # A person's full name is a name of its own, whatever stands before it ("Chairman of
        # the Government Vladimir Putin"); a lone surname or a body's generic name is not.
        if " " in normalised[start:end] and self.is_person(target):
            return False
        before = _CAPITAL_BEFORE.search(normalised[max(0, start - 40) : start])
        if before is None or not normalised[start].isupper():
            return False
        word = before.group(1)
        word_start = start - len(before.group(0))
        if word.lower() in TITLE_WORDS:
            return False
        previous = normalised[max(0, word_start - 20) : word_start].rstrip(" \t")[-1:]
        if previous == "" or previous in '.!?:;"(\n':
            return False  # the first word of a sentence is capitalised anyway
        return not self._starts_a_name(normalised, word_start)

    def find(self, text: str, on: date | None = None, limit: int | None = None) -> list[Mention]:
        """Every registered name in `text` in reading order; with `limit`, reading stops
        at the `limit`-th (the rest of a hostile text costs nothing, detente.bounds)."""
        normalised = fold(text)
        mentions: list[Mention] = []
        position = 0
        starts = self._aliases.first_words
        for word in _WORD.finditer(normalised):
            token = word.group()
            # Most words start no alias: one set look-up, before anything slower.
            if token not in starts or word.start() < position:
                continue
            if word.start() > 0 and normalised[word.start() - 1].isalnum():
                continue
            match = self._longest_at(normalised, word.start(), token)
            if match is not None:
                target, end = match[1], word.start() + len(match[0])
            elif (initialled := self._with_middle_initial(normalised, word.start())) is not None:
                target, end = initialled
            else:
                continue
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
            if len(mentions) == limit:
                break
        if limit is None or len(mentions) < limit:
            mentions = self._shared_short_names(normalised, text, mentions)
        return mentions

    def _shared_short_names(
        self, normalised: str, text: str, mentions: list[Mention]
    ) -> list[Mention]:
        """A short name two registered states share ("Congo") names the one of them the
        article names in full, when it names exactly one: "Congo accuses Rwanda" in a story
        about the Democratic Republic of the Congo."""
        named = {m.actor for m in mentions}
        added = []
        for short, states in _SHARED_SHORT_NAMES.items():
            if short not in normalised:
                continue
            meant = [state for state in states if state in named]
            if len(meant) != 1:
                continue
            for start in (w.start() for w in re.finditer(rf"\b{short}\b", normalised)):
                end = start + len(short)
                previous_end = max((m.end for m in mentions if m.end <= start), default=-1)
                if any(m.start < end and start < m.end for m in mentions) or (
                    self._inside_longer_name(normalised, start, end, previous_end, meant[0])
                ):
                    continue
                added.append(Mention(meant[0], start, end, text[start:end]))
        return sorted([*mentions, *added], key=lambda m: m.start) if added else mentions

    def principal(self, actor_id: str) -> str | None:
        """The state or body an actor speaks for: a registered one's, or that of the registered
        affiliation of one found outside the registry (`knowing`); None otherwise."""
        registered = self._principals.get(actor_id)
        if registered is not None:
            return registered
        return self._principals.get(self._found_affiliations.get(actor_id, ""))

    def is_office(self, actor_id: str) -> bool:
        """A registered organisation that is part of a state or body (a presidency, a
        ministry, a press office), not a state, a group or a person."""
        if actor_id not in self._registry:
            return False
        actor = self._registry.get(actor_id)
        return actor.kind == "organisation" and actor.affiliation is not None

    def is_state(self, actor_id: str) -> bool:
        """A registered state (a country or territory and its government)."""
        return actor_id in self._registry and self._registry.get(actor_id).kind == "state"

    def is_person(self, actor_id: str) -> bool:
        """Registered people, and actors found outside the registry other than the bodies
        this finder was told of (`knowing`)."""
        if actor_id not in self._principals:
            return actor_id not in self._found_bodies
        return actor_id in self._people

    def knowing(self, affiliations: Mapping[str, str], bodies: Iterable[str] = ()) -> MentionFinder:
        """This finder, for one article that names actors outside the registry
        (detente.discovery): `affiliations` gives each one's registered affiliation, which
        its principal is found through, and `bodies` those that are no people (ministries and
        the like). The indexes are shared, not copied."""
        if not affiliations:
            return self
        article_finder = copy(self)
        article_finder._found_affiliations = dict(affiliations)
        article_finder._found_bodies = frozenset(bodies)
        return article_finder

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
