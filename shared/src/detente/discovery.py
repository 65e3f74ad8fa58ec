"""Actors beyond the registry: named people and ministries tied to a registered state or
organisation.

News names many more officials than any registry holds: a Cypriot president, an army
spokesman, a ministry's minister, an envoy. When the text gives such a person's name with a
title and the body or state the title belongs to ("Chinese Foreign Ministry spokesman Lu
Kang", "Fawzi Barhoum, a Hamas spokesman", "President Ismail Guelleh of Djibouti"), the
person becomes an actor of its own for this article: a stable id made from the name, kind
"person", and the affiliation of the registered actor named in the title, so its stance rolls
up like any registered person's. Later mentions by surname ("Barhoum said") link to it.

A title that names no body ("foreign ministry spokesman Lu Kang said") ties the person to the
state that is the subject of the same sentence, when it is the only state named there before
the title. A registered state's ministry the registry lacks ("the Eritrean Ministry of
Information") is discovered too, as an organisation of that state.

Everything discovered has a registered affiliation: a name without a title, or a title
without a registered body or a clear subject state, stays unknown rather than guessed.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass

from detente.attribution import Mention
from detente.events import ActorKind
from detente.registry import ActorRegistry, fold

# Words that make the following name a person holding an office.
_TITLES = (
    r"(?:Vice |Deputy |Prime |Foreign |Defen[cs]e |Interior |Finance |Chief |Special |"
    r"Supreme |Army |Military |Government |Presidential |Ministry |Foreign Ministry |"
    r"Defen[cs]e Ministry |Acting |Senior |Top |Lead |Head |Personal |Chief )*"
    r"(?:President|Minister|Chancellor|Premier|Secretary|Ambassador|Envoy|Representative|"
    r"Spokes(?:man|woman|person)|General|Gen\.|Colonel|Col\.|Lieutenant|Lt\.|Major|Maj\.|"
    r"Commander|Chairman|Chairwoman|Chairperson|Speaker|Negotiator|Adviser|Advisor|"
    r"Mediator|Coordinator|Director|Governor|King|Emir|Sheikh|Leader|Chief|Head|Official)"
)
_TITLE_WORDS = rf"(?:{_TITLES}|{_TITLES.lower()})"
_NAME_WORD = r"[A-Z][a-z'’]+(?:-[A-Za-z][a-z'’]+)?"
_PARTICLE = r"(?:al-|el-|bin |ibn |abu |de |da |dos |van |von |der |le )"
# Two to four capitalised words, with Arabic, Dutch or Portuguese particles between them.
_NAME = rf"(?:{_NAME_WORD}(?: {_PARTICLE}?{_NAME_WORD}){{1,3}})"
# Capitalised words that open sentences or name things, never a person's first name.
_NOT_NAMES = frozenset(
    """
    The This That These Those Monday Tuesday Wednesday Thursday Friday Saturday Sunday
    January February March April May June July August September October November December
    He She They It We His Her Their Its Our In On At For With By From And But As After Before
    United Nations Security Council General Assembly Republic Democratic People Ministry
    Foreign Affairs Office Department State Army Forces National Federal Union European
    African Arab Islamic Mission Special Representative Agency News Press Central Committee
    Party Front Movement Government House White Kremlin Coast Guard Navy Air Force Defence
    Defense Interior Council Court Commission Authority Administration Palace President
    Minister Secretary Ambassador Envoy Spokesman Spokeswoman Chairman Chancellor King
    Prime Deputy Vice Colonel Commander Chief Head Speaker Mr Mrs Ms Dr
    """.split()
)
# Up to four words between a body and its official's title, none that starts a new clause
# ("Russia shelled Ukraine overnight and defence ministry spokesman X": not Ukraine's).
_AFFILIATION_GAP = r"(?:'s|’s)?(?: (?!(?:and|but|or|while|as)\b)[\w-]+){0,4}? "


# The core words of every title above, for a quick look before the patterns.
_TITLE_SET = frozenset(
    """
    president minister chancellor premier secretary ambassador envoy representative spokesman
    spokeswoman spokesperson general gen colonel col lieutenant lt major maj commander chairman
    chairwoman chairperson speaker negotiator adviser advisor mediator coordinator director
    governor king emir sheikh leader chief head official
    """.split()
)
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_ENDS_WITH_OF = re.compile(r"\b(?:of|for|to) (?:the )?$")
_NAME_TITLE_OF = re.compile(
    rf"({_NAME}), (?:the |a |an )?(?:{_TITLE_WORDS} )*{_TITLE_WORDS} (?:of|for|to) (?:the )?$"
)
_TITLE_NAME_AFTER = re.compile(
    rf"{_AFFILIATION_GAP}?(?:{_TITLE_WORDS} )*{_TITLE_WORDS}"
    rf"(?: (?:to|for|in|on) (?:the )?[A-Z][\w-]*(?: [A-Z][\w-]*)?)?,? ({_NAME})\b"
)
_TITLE_AFTER = re.compile(rf"{_AFFILIATION_GAP}?(?:{_TITLE_WORDS})\b")
_NAME_COMMA = re.compile(rf"({_NAME}), (?:the |a |an )?(?:[\w-]+ ){{0,3}}$")
_TITLE_NAME_OF = re.compile(rf"\b{_TITLES} ({_NAME}),? (?:of|for) (?:the )?$")
# "Guterres appointed a Personal Representative, Dag Halvor Nylander": an appointee works
# for the appointer's side.
_APPOINTED = re.compile(
    rf" (?:has |had )?(?:appointed|named|designated|sent|dispatched) (?:a |an |his |her |the |as )*"
    rf"(?:{_TITLE_WORDS} )*{_TITLE_WORDS}"
    rf"(?: (?:to|for|on) (?:the )?[A-Z][\w-]*(?: [A-Z][\w-]*)?)?,? ({_NAME})\b"
)


# "foreign ministry spokesman Lu Kang said", "Defence Minister Ana Costa told": a state's
# office named by its function alone, then a name, then what the person said.
_GOVERNMENT_TITLE = re.compile(
    r"\b(?:(?:[Ff]oreign|[Dd]efen[cs]e|[Ii]nterior|[Ff]inance|[Pp]rime|[Gg]overnment|"
    r"[Pp]residential|[Aa]rmy|[Mm]ilitary|[Mm]inistry) )+"
    rf"(?:[Mm]inister|[Ss]pokes(?:man|woman|person)),? ({_NAME}),? (?:on [A-Z]\w+ )?(\w+)"
)
# Speech verbs after such a name; the state is then the sentence's subject.
_SPEECH = frozenset(
    """
    said says told tells added adds warned warns stated declared announced insisted stressed
    noted urged accused denied rejected explained confirmed
    """.split()
)
_SENTENCE_BREAKS = (". ", "! ", "? ", ".\u201d ", '." ', "\n")
# Words before a sentence's subject: "On Monday, China said", "But Russia".
_LEAD_WORDS = 3
_STATE_KINDS = frozenset({"state", "group"})
# A quotation closed before the title: '"...," foreign ministry spokesman X said'.
_QUOTATION_BEFORE = re.compile(r"[,.?!][\"”]")


@dataclass(frozen=True)
class DiscoveredActor:
    id: str
    name: str
    affiliation: str
    kind: ActorKind = "person"


def actor_id_for(name: str) -> str:
    """A stable id from a name: the same person gets the same id in every article."""
    return _NOT_SLUG.sub("-", fold(name).lower()).strip("-")


def _occurrences(text: str, word: str) -> list[tuple[int, int]]:
    """Whole-word occurrences of `word` (a plain search: a regex per name would crowd out
    the regex cache)."""
    found = []
    start = text.find(word)
    while start != -1:
        end = start + len(word)
        if (start == 0 or not text[start - 1].isalnum()) and (
            end == len(text) or not text[end].isalnum()
        ):
            found.append((start, end))
        start = text.find(word, end)
    return found


def _plausible(name: str) -> bool:
    words = name.replace("-", " ").split()
    return not any(word in _NOT_NAMES for word in words)


def _sentence_start(text: str, position: int) -> int:
    """Where the sentence holding `position` starts (a cheap look back: discovery runs before
    the text is split into sentences)."""
    ends = (text.rfind(end, 0, position) + len(end) for end in _SENTENCE_BREAKS)
    return max((at for at, end in zip(ends, _SENTENCE_BREAKS, strict=True) if at >= len(end)),
               default=0)  # fmt: skip


def _subject_state(
    text: str, position: int, mentions: Sequence[Mention], registry: ActorRegistry
) -> str | None:
    """The state whose official a title at `position` names when the title names no body:
    the subject of the same sentence ("China has expressed anger and foreign ministry
    spokesman Lu Kang said"); never when another state is named before the title, nor after
    a quotation (someone else's words may name the state), nor from the sentence before
    ("Russian forces advanced. Army spokesman X said the attack was repelled" is Ukraine's)."""
    start = _sentence_start(text, position)
    opens_quoted = text[start:position].lstrip().startswith(('"', "“"))
    if opens_quoted or _QUOTATION_BEFORE.search(text, start, position):
        return None
    named = [m for m in mentions if start <= m.start < position]
    states = {
        m.actor for m in named if m.actor in registry and registry.get(m.actor).kind in _STATE_KINDS
    }
    if len(states) != 1 or named[0].actor not in states:
        return None
    lead = text[start : named[0].start]
    return named[0].actor if len(lead.split()) <= _LEAD_WORDS else None


# A state's ministry the registry lacks: "Eritrean Ministry of Information", "Ethiopia's
# Information Ministry" after the state's name; "the Ministry of Defence of Serbia" before it.
_MINISTRY_WORD = r"[A-Z][a-z]+"
_MINISTRY_OF = (
    rf"Ministry (?:of|for) (?:the )?{_MINISTRY_WORD}"
    rf"(?:,? (?:and |of |for )?{_MINISTRY_WORD}){{0,3}}"
)
_MINISTRY_AFTER = re.compile(
    rf"(?:'s|’s)? (?:({_MINISTRY_OF})|((?:{_MINISTRY_WORD} ){{1,2}})Ministry)\b(?! of\b)"
)
_MINISTRY_BEFORE = re.compile(rf"(?:\b[Tt]he )?{_MINISTRY_OF} of (?:the )?$")
_BODY_KINDS = frozenset({"state"})


def _ministries(
    text: str, folded: str, mentions: Sequence[Mention], registry: ActorRegistry
) -> tuple[list[Mention], dict[str, DiscoveredActor]]:
    """The mentions with each state named only in a ministry's name replaced by the ministry:
    a registered one when its name has another form in the registry ("Russian Ministry of
    Defence" for "Russian Defence Ministry"), else a discovered organisation of the state.
    The state itself is then only named, as a registered ministry's alias names it."""
    replaced: list[Mention] = []
    bodies: dict[str, DiscoveredActor] = {}
    for mention in mentions:
        state = registry.get(mention.actor)
        after = _MINISTRY_AFTER.match(folded, mention.end) if state.kind in _BODY_KINDS else None
        before = (
            _MINISTRY_BEFORE.search(folded[max(0, mention.start - 90) : mention.start])
            if state.kind in _BODY_KINDS
            else None
        )
        if after is not None:
            start, end = mention.start, after.end()
            # "Eritrean Ministry of Information" may be registered as "Eritrean Information
            # Ministry" (and the other way round).
            of_form = after.group(1) is not None
            field = after.group(1)[len("Ministry of ") :] if of_form else after.group(2).strip()
            owner = folded[mention.start : after.start(1 if of_form else 2)].strip()
            other = f"{owner} {field} Ministry" if of_form else f"{owner} Ministry of {field}"
        elif before is not None:
            start, end = mention.start - len(before.group()), mention.end
            other = ""
        else:
            replaced.append(mention)
            continue
        name = text[start:end]
        if name.startswith(("the ", "The ")):
            start, name = start + 4, name[4:]
        known = registry.lookup(name) or (registry.lookup(other) if other else None)
        if known is not None and known.kind == "organisation":
            replaced.append(Mention(known.id, start, end, text[start:end]))
            continue
        body = DiscoveredActor(actor_id_for(name), name, state.id, kind="organisation")
        bodies.setdefault(body.id, body)
        replaced.append(Mention(body.id, start, end, text[start:end]))
    return replaced, bodies


def discover(
    text: str, mentions: Sequence[Mention], registry: ActorRegistry
) -> tuple[list[Mention], dict[str, DiscoveredActor]]:
    """Registered mentions plus the people the text names with a registered affiliation, and
    the ministries of registered states the registry lacks.

    Returns every mention in text order (registered and discovered, never overlapping) and
    the discovered actors by id.
    """
    folded = fold(text)
    bodies: dict[str, DiscoveredActor] = {}
    if "Ministry" in folded:
        mentions, bodies = _ministries(text, folded, mentions, registry)
    # Where title words stand: most names have none near them, and skip the slow patterns.
    lowered = folded.lower()
    titles = sorted(start for word in _TITLE_SET for start, _ in _occurrences(lowered, word))
    if not titles:
        return list(mentions), bodies
    discovered: dict[str, DiscoveredActor] = dict(bodies)
    spans: list[tuple[int, int, str]] = []

    def take(start: int, end: int, affiliation: str) -> None:
        name = text[start:end]
        actor_id = actor_id_for(name)
        if not _plausible(name) or actor_id in registry or len(actor_id) < 5:
            return
        if any(m.start < end and start < m.end for m in mentions):
            return
        discovered.setdefault(actor_id, DiscoveredActor(actor_id, name, affiliation))
        spans.append((start, end, actor_id))

    for mention in mentions:
        # A discovered ministry's people belong to its state, which the registry rolls up.
        body = bodies.get(mention.actor)
        known = registry.get(body.affiliation if body is not None else mention.actor)
        # A person's envoy belongs to the person's body ("Special Representative of the
        # Secretary-General" works for the UN).
        principal = known.affiliation if known.kind == "person" else known.id
        if principal is None:
            continue
        window = max(0, mention.start - 160)
        before = folded[window : mention.start]
        # Most names have no title near them: skip the slower patterns then.
        nearest = bisect_left(titles, mention.start - 80)
        if nearest == len(titles) or titles[nearest] > mention.end + 80:
            continue
        # Cheap tests first: most mentions have no title next to them.
        after_of = _ENDS_WITH_OF.search(before[-10:]) is not None
        # "Zhang Zhijun, head of China's Taiwan Affairs Office", "Caroline Ziadeh, Special
        # Representative of the Secretary-General".
        found = _NAME_TITLE_OF.search(before) if after_of else None
        if found is not None:
            take(window + found.start(1), window + found.end(1), principal)
            continue
        found = _APPOINTED.match(folded, mention.end)
        if found is not None:
            take(found.start(1), found.end(1), principal)
            continue
        if known.kind == "person":
            continue
        # "Chinese Foreign Ministry spokesman Lu Kang", "Taiwan's ... minister Wang Yu-chi",
        # "the United Nations special representative to Cyprus, Alexander Downer".
        found = _TITLE_NAME_AFTER.match(folded, mention.end)
        if found is not None:
            take(found.start(1), found.end(1), principal)
            continue
        # "Fawzi Barhoum, a Hamas spokesman", "Olivier Amuli, the Congolese army spokesman".
        if _TITLE_AFTER.match(folded, mention.end):
            found = _NAME_COMMA.search(before)
            if found is not None:
                take(window + found.start(1), window + found.end(1), principal)
                continue
        # "President Ismail Omar Guelleh of Djibouti".
        found = _TITLE_NAME_OF.search(before) if after_of else None
        if found is not None:
            take(window + found.start(1), window + found.end(1), principal)

    # Only around "minister" and "spokes...": the qualifiers stand before it ("foreign
    # ministry spokesman"), the name and the verb after it.
    seen = -1
    for at in titles:
        if not lowered.startswith(("minister", "spokes"), at) or at < seen:
            continue
        speaker = _GOVERNMENT_TITLE.search(folded, max(0, at - 50), at + 80)
        if speaker is None or speaker.start() > at:
            continue
        seen = speaker.end()
        if speaker.group(2) not in _SPEECH or actor_id_for(speaker.group(1)) in discovered:
            continue
        state = _subject_state(text, speaker.start(), mentions, registry)
        if state is not None:
            take(speaker.start(1), speaker.end(1), state)

    # Later mentions by surname, or by the whole name again, link to the same person.
    for actor in [found for found in discovered.values() if found.kind == "person"]:
        for start, end in _occurrences(text, actor.name.split()[-1]):
            if not any(s < end and start < e for s, e, _ in spans):
                spans.append((start, end, actor.id))
    merged = list(mentions)
    for start, end, actor_id in spans:
        if not any(m.start < end and start < m.end for m in merged):
            merged.append(Mention(actor_id, start, end, text[start:end]))
    merged.sort(key=lambda m: m.start)
    return merged, discovered
