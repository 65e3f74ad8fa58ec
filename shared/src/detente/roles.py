"""A title used alone stands for the person last named with it.

Readouts and wire stories name a person once with a title ("Secretary of State Antony
Blinken met ...", "Foreign Minister Wang Yi said ...") and then write "the Secretary
underscored ...", "the minister added ...". Without a link the sentence has no actor, and
its stance is lost or, worse, carried to whoever spoke last. This links each such "the
<title>" to the most recent person the text named with that title.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from detente.attribution import Mention
from detente.mentions import TITLE_WORDS
from detente.prefilter import may_hold
from detente.registry import ActorRegistry, fold

# Core titles a person can be named with, and the words that may qualify them.
_CORE = (
    "secretary|minister|president|chancellor|premier|spokesman|spokeswoman|spokesperson|"
    "ambassador|envoy|king|emir"
)
_CORE_WORDS = tuple(_CORE.split("|"))  # what `_TITLE_BEFORE` cannot match without
_TITLE_FIRST = re.compile(rf"({_CORE})\b", re.I)  # "President Putin" as one alias
_TITLE_BEFORE = re.compile(rf"\b({_CORE})\b(?: of [A-Z][\w-]*(?: [A-Z][\w-]*)?)?[ \t]*$", re.I)
# "the Secretary", "the foreign minister"; not "the Secretary-General", "the president of
# Serbia", "the minister Ali Khan" (a name follows: that name is the actor).
_CORE_EITHER_CASE = "|".join(f"[{w[0].upper()}{w[0]}]{w[1:]}" for w in _CORE.split("|"))
_TITLE_ALONE = re.compile(
    rf"\b[Tt]he ((?:[Dd]eputy|[Vv]ice)[ -])?(?:(?:[Ff]oreign|[Dd]efen[cs]e|[Pp]rime|[Ii]nterior) )?"
    rf"({_CORE_EITHER_CASE})\b(?![-‑]|'s? [A-Z]| of\b| for\b| to\b| [A-Z])"
)
# A deputy's title is another office: "the president" is never "Vice President Joe Biden",
# and "the deputy minister" never the minister.
_DEPUTY_BEFORE = re.compile(r"\b(?:vice|deputy)[ -](?:[a-z]+ )?$", re.I)


def link_titles(
    text: str, mentions: Sequence[Mention], is_person: Callable[[str], bool]
) -> list[Mention]:
    """`mentions` plus a mention of the right person for every "the <title>" after it."""
    folded = fold(text)
    named: list[tuple[int, tuple[bool, str], str]] = []  # (position, (deputy?, core), actor)
    for mention in mentions:
        if not is_person(mention.actor):
            continue
        surface = folded[mention.start : mention.end]
        window = folded[max(0, mention.start - 60) : mention.start]
        title = _TITLE_FIRST.match(surface)
        lead = window  # where "vice" or "deputy" would stand before the title
        if (
            title is None
            and may_hold(window, _CORE_WORDS)
            and (title := _TITLE_BEFORE.search(window)) is not None
        ):
            lead = window[: title.start(1)]
        if title is not None:
            deputy = _DEPUTY_BEFORE.search(lead) is not None
            named.append((mention.start, (deputy, title.group(1).lower()), mention.actor))
    if not named:
        return list(mentions)
    linked = list(mentions)
    for match in _TITLE_ALONE.finditer(folded):
        core = (match.group(1) is not None, match.group(2).lower())
        earlier = [actor for at, title, actor in named if title == core and at < match.start()]
        if not earlier or any(m.start < match.end() and match.start() < m.end for m in linked):
            continue
        surface = text[match.start() : match.end()]
        linked.append(Mention(earlier[-1], match.start(), match.end(), surface))
    linked.sort(key=lambda m: m.start)
    return linked


# A body's press statement is issued in its members' name ("The members of the Security
# Council condemned ..."): there the members are the body speaking, while in a debate
# "several members of the Council" speak each for itself.
_PRESS_STATEMENT = re.compile(r"\bpress statements?\b", re.I)


def members_of(registry: ActorRegistry) -> dict[str, str]:
    """Each registered group named "<body> members" (kind group, affiliated to the body) →
    the body."""
    bodies = {}
    for actor in registry:
        if actor.kind != "group" or actor.affiliation not in registry:
            continue
        body = registry.get(str(actor.affiliation))
        if actor.name == f"{body.name} members":
            bodies[actor.id] = body.id
    return bodies


# "speakers in the Security Council said", "delegates at the Council urged": the people
# who sit in a body speak as its members, not as the body.
_SITTERS_IN = re.compile(
    r"\b(?:[Ss]peakers|[Dd]elegates|[Dd]elegations|[Rr]epresentatives)\s+(?:in|at|of)\s+(?:the\s+)?$"
)


def sitters_speak_as_members(
    text: str, mentions: Sequence[Mention], bodies: Mapping[str, str]
) -> list[Mention]:
    """`mentions`, "speakers in <body>" named as the body's members group (`bodies`: group
    → body, as `members_of` gives), the phrase's words included in the mention."""
    groups = {body: group for group, body in bodies.items()}
    result = []
    for mention in mentions:
        sitters = (
            _SITTERS_IN.search(text, max(0, mention.start - 40), mention.start)
            if mention.actor in groups
            else None
        )
        if sitters is None:
            result.append(mention)
            continue
        start = sitters.start()
        result.append(Mention(groups[mention.actor], start, mention.end, text[start : mention.end]))
    return _bare_members(text, result, groups)


# "..., as members demanded that ...", "..., many of its members saw ...": "members" alone
# or the body's own ("its"), opening a clause, are the members of the body named just before.
_BARE_MEMBERS = re.compile(
    r"(?:^|[,;:]\s*|\b(?:as|while|and|but|where|when)\s+)"
    r"(?:the\s+|(?:(?:[Mm]any|[Mm]ost|[Ss]ome|[Ss]everal|[Aa]ll)\s+of\s+)?[Ii]ts\s+)?"
    r"([Mm]embers)\b(?!\s+of\b)"
)
_MEMBERS_REACH = 300  # characters back to the body's name


def _bare_members(text: str, mentions: list[Mention], groups: Mapping[str, str]) -> list[Mention]:
    bodies = [m for m in mentions if m.actor in groups]
    if not bodies or "embers" not in text:
        return mentions
    added = []
    for match in _BARE_MEMBERS.finditer(text, bodies[0].end):
        start, end = match.span(1)
        before = [m for m in bodies if start - _MEMBERS_REACH <= m.end <= start]
        if before and not any(m.start < end and start < m.end for m in mentions):
            added.append(Mention(groups[before[-1].actor], start, end, text[start:end]))
    return sorted([*mentions, *added], key=lambda m: m.start) if added else mentions


def members_speak_as_body(
    text: str, mentions: Sequence[Mention], bodies: Mapping[str, str]
) -> list[Mention]:
    """`mentions`, the members of a body named as the body itself when the text is (or
    reports) a press statement: the body's formal voice."""
    if not any(m.actor in bodies for m in mentions) or not _PRESS_STATEMENT.search(text):
        return list(mentions)
    return [replace(m, actor=bodies[m.actor]) if m.actor in bodies else m for m in mentions]


# Titles that may stand before a surname on a later mention: "Chairman Kim", "Spokesperson
# Miller", "Mr. Barzani".
_SURNAME_TITLE = (
    r"(?:(?:Mr|Mrs|Ms|Dr|Gen|Sen)\.?|President|Chairman|Chairwoman|Chair|Secretary|Minister|"
    r"Spokesperson|Spokesman|Spokeswoman|Premier|Chancellor|Ambassador|General|Envoy|King|Emir|"
    r"Sheikh|Senator|Governor|Commander|Director|Speaker)"
)
_NAME_WORDS = re.compile(r"[A-Z][\w'’]*(?:-[A-Z][\w'’]*)?")
_INITIAL_OR_SUFFIX = re.compile(r"[A-Z]\.|Jr\.?|Sr\.?|II|III|IV")
_TITLE_JUST_BEFORE = re.compile(rf"\b{_SURNAME_TITLE}[ \t]+$")
# A capitalised word right before or after: "Steve Miller" or "Miller Center" is someone or
# something else; so is a word joined by a hyphen or an apostrophe ("Dlamini-Zuma").
_CAPITAL_BEFORE = re.compile(r"[A-Z][\w'’.-]*[ \t]+$")
_CAPITAL_AFTER = re.compile(r"[ \t]+[A-Z]|[-‑]")


def _whole_words(text: str, word: str, start: int) -> list[tuple[int, int]]:
    """Where `word` stands as a whole word in `text` from `start` on (a plain search, no
    regex per name: names would crowd out the regex cache)."""
    found = []
    at = text.find(word, start)
    while at != -1:
        end = at + len(word)
        before = text[at - 1] if at else " "
        if not (before.isalnum() or before in "-‑'’") and not text[end : end + 1].isalnum():
            found.append((at, end))
        at = text.find(word, end)
    return found


def _full_name(surface: str) -> list[str]:
    """The run of capitalised words that ends a mention, after any title: "Spokesperson
    Matthew Miller" → Matthew, Miller; "The head of Russian diplomacy" names no name."""
    words: list[str] = []
    for word in reversed(surface.split()):
        if _INITIAL_OR_SUFFIX.fullmatch(word):
            continue  # "Lloyd J. Austin III"
        if not _NAME_WORDS.fullmatch(word) or word.lower() in TITLE_WORDS:
            break
        words.insert(0, word)
    return words


def link_surnames(
    text: str, mentions: Sequence[Mention], is_person: Callable[[str], bool]
) -> list[Mention]:
    """`mentions` plus the later short mentions of a person the text first names in full:
    news gives the whole name once ("Spokesperson Matthew Miller", "Chairman Kim Jong Un")
    and then the surname, alone or after a title ("Miller noted", "Chairman Kim"). The
    registry leaves many surnames out (they are ambiguous across articles); inside one
    article, after the full name, they are not. A surname two people of the text share
    links to neither; alone, only the family name that ends a Western name links
    ("Miller", never "Matthew")."""
    first_seen: dict[str, tuple[int, str, str]] = {}  # actor → (end, first word, last word)
    for mention in mentions:
        if mention.actor in first_seen or " " not in mention.surface:
            continue
        if not is_person(mention.actor):
            continue
        words = _full_name(fold(mention.surface))
        if len(words) >= 2:
            first_seen[mention.actor] = (mention.end, words[0], words[-1])
    if not first_seen:
        return list(mentions)
    folded = fold(text)
    owners: dict[str, set[str]] = {}
    for actor, (_, first, last) in first_seen.items():
        owners.setdefault(first, set()).add(actor)
        owners.setdefault(last, set()).add(actor)
    linked = list(mentions)
    for actor, (end, first, last) in first_seen.items():
        spans = []
        for word in dict.fromkeys((first, last)):
            if owners[word] != {actor} or len(word) < 3:
                continue
            for start, stop in _whole_words(folded, word, end):
                lead = folded[max(0, start - 30) : start]
                title = _TITLE_JUST_BEFORE.search(lead)
                if title is not None:
                    spans.append((start - len(lead) + title.start(), stop))
                elif word == last and len(word) > 3 and not _CAPITAL_BEFORE.search(lead):
                    spans.append((start, stop))
        for start, stop in sorted(spans):
            if _CAPITAL_AFTER.match(folded, stop) or any(
                m.start < stop and start < m.end for m in linked
            ):
                continue
            linked.append(Mention(actor, start, stop, text[start:stop]))
    linked.sort(key=lambda m: m.start)
    return linked
