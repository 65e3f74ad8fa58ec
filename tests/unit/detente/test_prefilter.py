"""may_hold may say "perhaps" too often, never "no" where a case-blind pattern would match."""

from __future__ import annotations

import re

import pytest

from detente.prefilter import may_end_of_or_for, may_hold

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


@pytest.mark.parametrize(
    ("before", "may"),
    [
        ("the representative of ", True),
        ("The Representative OF  ", True),
        ("the special envoy for", True),
        ('a statement of "', True),  # punctuation last: the words decide
        ("", True),
        ("the head of the señoř ", True),  # not ASCII: the words decide
        ("Sheikh Tamim bin Hamad Al Thani, Emir of ", True),
        ("the minister ", False),
        ("officials said that ", False),
        ("x ", False),
        ("the professors\t", False),
        ("the professor ", True),  # ends as "for" does: the words decide
    ],
)
def test_whether_the_word_before_a_name_may_be_of_or_for(before: str, may: bool) -> None:
    assert may_end_of_or_for(before) is may
