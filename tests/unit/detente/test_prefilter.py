"""may_hold may say "perhaps" too often, never "no" where a case-blind pattern would match."""

from __future__ import annotations

import re

import pytest

from detente.prefilter import may_hold

WORDS = ("statement", "chair", "by")
PATTERN = re.compile(r"\b(?:statement|co-?chairs?|by)\b", re.IGNORECASE)


@pytest.mark.parametrize(
    "text",
    [
        "in a STATEMENT released by ",
        "the Co-Chair of ",
        "the ByLaws",
        "a written statement ",
        "attacks by the ",
        "\u212aremlin sources",  # the Kelvin sign: not ASCII, so the pattern decides
        "ſtatement by",  # the long s folds onto "s" under IGNORECASE
        "the cochairs' ",
    ],
)
def test_never_no_where_the_pattern_matches(text: str) -> None:
    if PATTERN.search(text):
        assert may_hold(text, WORDS)


def test_no_for_an_ascii_text_without_the_words() -> None:
    assert not may_hold("the talks in Geneva on Monday, ", WORDS)
    assert not may_hold("", WORDS)
    assert not may_hold("the chai tea ", WORDS)  # "chai" is not "chair"
    assert not PATTERN.search("the talks in Geneva on Monday, ")


def test_a_text_beyond_ascii_is_left_to_the_pattern() -> None:
    assert may_hold("la déclaration du ", WORDS)
    assert may_hold("’", WORDS)
