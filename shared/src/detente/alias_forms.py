"""The spellings an alias may take in a text beyond the registered one: inner capitals
("Dicarlo" for "DiCarlo"), a body's name in title case ("Myanmar Armed Forces"), a role
phrase turned around ("the President of Eritrea" for "the Eritrean president")."""

from __future__ import annotations

import re

from detente.registry import ActorRegistry


def plain_capitals(name: str) -> str:
    """Each word with only its first letter a capital: "DiCarlo" → "Dicarlo"."""
    return " ".join(word[:1] + word[1:].lower() if word[:1].isupper() else word
                    for word in name.split(" "))  # fmt: skip


_ROLE_TITLES = (
    "president|prime minister|foreign minister|defen[cs]e minister|king|emir|chancellor|"
    "vice president|supreme leader|crown prince|head of state"
)
_ROLE_PHRASE = re.compile(rf"the ([A-Z][\w-]+(?: [A-Z][\w-]+)?) ({_ROLE_TITLES})")
_POSSESSIVE_ROLE = re.compile(rf"([A-Z][\w.-]+(?: [A-Z][\w-]+)?)'s ({_ROLE_TITLES})")


# Words a headline or a body's formal name leaves in lower case.
_MINOR_WORDS = frozenset("a an and as at by for in of on or the to".split())


def title_case(alias: str) -> str:
    """ "Myanmar armed forces" → "Myanmar Armed Forces": headlines and formal names
    capitalise the common nouns of a body's name."""
    words = alias.split(" ")
    return " ".join(
        [words[0], *(w if w in _MINOR_WORDS or not w[:1].islower() else w[:1].upper() + w[1:]
                     for w in words[1:])]
    )  # fmt: skip


def role_variants(alias: str, registry: ActorRegistry) -> list[str]:
    """ "the Eritrean president" or "Eritrea's president" → "the president of Eritrea" and
    "the President of Eritrea", the form UN and government texts use."""
    phrase = _ROLE_PHRASE.fullmatch(alias)
    state = registry.demonyms().get(phrase.group(1)) if phrase else None
    if phrase is None:
        phrase = _POSSESSIVE_ROLE.fullmatch(alias)
        named = registry.lookup(phrase.group(1)) if phrase else None
        state = named.id if named is not None and named.kind == "state" else None
    if phrase is None or state is None:
        return []
    title, name = phrase.group(2), registry.get(state).name
    capitalised = " ".join(word[:1].upper() + word[1:] for word in title.split())
    return [f"the {title} of {name}", f"the {capitalised} of {name}"]
