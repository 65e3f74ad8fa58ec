from __future__ import annotations

import re

import pytest

from detente.alias_index import AliasIndex
from detente.registry import ActorRegistry

SURFACES = [
    ("the Kremlin", "kremlin"),
    ("the Kremlin administration", "kremlin"),
    ("the United States", "united-states"),
    ("the United Nations", "un"),
    ("the UN", "un"),
    ("the US", "united-states"),
    ("Putin", "vladimir-putin"),
    ("Vladimir Putin", "vladimir-putin"),
    ("U.S.", "united-states"),
    ("Pet", "pet"),
    ("Pe", "pe"),
]


def first_hit(groups: object, text: str, start: int) -> tuple[int, tuple[str, str]] | None:
    for length, forms in groups:  # type: ignore[attr-defined]
        hit = forms.get(text[start : start + length])
        if hit is not None:
            return length, hit
    return None


def test_groups_are_longest_first_and_match_both_first_letter_cases() -> None:
    index = AliasIndex(SURFACES)
    lengths = [length for length, _ in index.groups("The")]
    assert lengths == sorted(lengths, reverse=True)
    assert first_hit(index.groups_at("The Kremlin said", 0, "The"), "The Kremlin said", 0) == (
        11,
        ("the Kremlin", "kremlin"),
    )
    text = "the Kremlin administration said"
    assert first_hit(index.groups_at(text, 0, "the"), text, 0) == (
        26,
        ("the Kremlin administration", "kremlin"),
    )


@pytest.mark.parametrize(
    ("text", "start", "token"),
    [
        ("putin said", 0, "putin"),  # a person's name is never lowercased
        ("the Kremlinology of", 0, "the"),  # no form goes on as "the Kr..." and is this
        ("the K", 0, "the"),  # the text ends before any form could
        ("the", 0, "the"),
        ("the Uzbek envoy", 0, "the"),
        ("then the", 0, "then"),  # no alias starts with "then"
    ],
)
def test_no_form_matches_where_the_text_goes_on_otherwise(
    text: str, start: int, token: str
) -> None:
    index = AliasIndex(SURFACES)
    found = first_hit(index.groups_at(text, start, token), text, start)
    if text.startswith("the Kremlinology"):
        # The slice "the Kremlin" is a form: the word boundary is the finder's to check.
        assert found == (11, ("the Kremlin", "kremlin"))
    else:
        assert found is None


def test_short_forms_are_still_offered_after_a_cut_word() -> None:
    # A word cut short by a search's end ("Pet" of "Petro") keeps its short forms.
    index = AliasIndex(SURFACES)
    assert first_hit(index.groups_at("Petro", 0, "Pet"), "Petro", 0) == (3, ("Pet", "pet"))
    assert first_hit(index.groups_at("Pe said", 0, "Pe"), "Pe said", 0) == (2, ("Pe", "pe"))


def test_the_same_first_hit_as_every_group_on_registered_aliases(
    registry: ActorRegistry,
) -> None:
    surfaces = [*registry.aliases().items(), *registry.demonyms().items()]
    index = AliasIndex(surfaces)
    text = (
        "The Kremlin and the United States met the United Nations envoy. The UN, "
        "the U.S. and Russian officials said the Russia-Ukraine talks in Moscow, Kyiv and "
        "the Hague went on; The Secretary-General, Guterres and the E.U. the"
    )
    checked = 0
    for word in re.finditer(r"\w+", text):
        token = word.group()
        if token not in index.first_words:
            continue
        every = first_hit(index.groups(token), text, word.start())
        assert first_hit(index.groups_at(text, word.start(), token), text, word.start()) == every
        checked += 1
    assert checked > 10
