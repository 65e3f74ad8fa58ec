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
from detente.registry import ActorRegistry, fold

# Core titles a person can be named with, and the words that may qualify them.
_CORE = (
    "secretary|minister|president|chancellor|premier|spokesman|spokeswoman|spokesperson|"
    "ambassador|envoy|king|emir"
)
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
        if title is None and (title := _TITLE_BEFORE.search(window)) is not None:
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


def members_speak_as_body(
    text: str, mentions: Sequence[Mention], bodies: Mapping[str, str]
) -> list[Mention]:
    """`mentions`, the members of a body named as the body itself when the text is (or
    reports) a press statement: the body's formal voice."""
    if not _PRESS_STATEMENT.search(text) or not any(m.actor in bodies for m in mentions):
        return list(mentions)
    return [replace(m, actor=bodies[m.actor]) if m.actor in bodies else m for m in mentions]
