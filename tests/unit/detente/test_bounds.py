"""The hot path's bounds (detente.bounds): each cuts what exceeds it, says how much, and
leaves anything within it exactly as it was."""

from __future__ import annotations

from collections import Counter

import pytest

from detente import bounds
from detente.bounds import (
    ELLIPSIS,
    bound_sentences,
    chunks_by_size,
    evidence_window,
    first,
    most_stated,
    split_long_sentence,
)
from detente.sentences import Sentence, split_sentences


def sentence_of(text: str, start: int = 0, index: int = 0, paragraph: int = 0) -> Sentence:
    return Sentence(index, start, start + len(text), text, paragraph)


def test_a_sentence_within_the_bound_is_left_alone() -> None:
    short = sentence_of("Russia warned NATO.")
    assert split_long_sentence(short, limit=19) == [short]


def test_a_long_sentence_is_cut_after_clause_punctuation_with_its_positions_kept() -> None:
    clauses = ["Russia warned NATO that it would respond", "Ukraine called for talks",
               "France urged restraint", "the United Nations said it was worried"]  # fmt: skip
    text = "; ".join(clauses) + "."
    prefix = "Title.\n\n"
    sentence = sentence_of(text, start=len(prefix), paragraph=2)
    whole = prefix + text
    pieces = split_long_sentence(sentence, limit=60)
    assert all(len(p.text) <= 60 for p in pieces)
    assert [p.text for p in pieces] == [
        "Russia warned NATO that it would respond;",
        "Ukraine called for talks; France urged restraint;",
        "the United Nations said it was worried.",
    ]
    assert all(whole[p.start : p.end] == p.text for p in pieces)
    assert {p.paragraph for p in pieces} == {2}
    # Nothing but the spaces between pieces is lost.
    assert "".join(p.text for p in pieces).replace(" ", "") == text.replace(" ", "")


def test_clause_punctuation_wins_over_a_later_space() -> None:
    text = "a" * 30 + ", " + "b " * 20
    pieces = split_long_sentence(sentence_of(text), limit=50)
    assert pieces[0].text == "a" * 30 + ","


def test_a_sentence_without_spaces_is_cut_into_windows_of_the_bound() -> None:
    text = "x" * 250
    pieces = split_long_sentence(sentence_of(text), limit=100)
    assert [len(p.text) for p in pieces] == [100, 100, 50]
    assert [p.start for p in pieces] == [0, 100, 200]


def test_bound_sentences_renumbers_and_counts_what_it_split() -> None:
    text = "Short one. Long " + "word " * 100 + "end. Another short one."
    sentences, split = bound_sentences(split_sentences(text), limit=120)
    assert split == 1
    assert [s.index for s in sentences] == list(range(len(sentences)))
    assert all(len(s.text) <= 120 and text[s.start : s.end] == s.text for s in sentences)
    assert sentences[0].text == "Short one." and sentences[-1].text == "Another short one."
    long = sentences[1:-1]  # the 509-character sentence, in pieces of 60 to 120 characters
    assert len(long) == 5 and all(len(s.text) > 60 for s in long[:-1])
    assert " ".join(s.text for s in long) == text[long[0].start : long[-1].end]


def test_bound_sentences_changes_nothing_within_the_bound() -> None:
    text = "Mr. Smith met U.S. officials. Vladimir V. Putin said no.\n\nA new paragraph."
    original = split_sentences(text)
    assert bound_sentences(original) == (original, 0)


def test_evidence_within_the_bound_is_the_sentence_itself() -> None:
    text = "Russia warned NATO that any deployment would be met with force."
    assert evidence_window(text, at=0, limit=len(text)) == text


@pytest.mark.parametrize("at", [0, 500, 2_000, 4_999, 9_000])
def test_evidence_is_a_window_around_the_name_cut_at_spaces(at: int) -> None:
    words = [f"w{i:04d}" for i in range(2_000)]  # 5 characters and a space each
    text = " ".join(words)
    name_at = min(at, len(text) - 5)
    window = evidence_window(text, at=name_at, limit=400)
    assert len(window) <= 400
    inner = window.strip(ELLIPSIS)
    assert inner in text
    start = text.index(inner)
    # The window holds the name, with some of what comes before it when there is any.
    assert start <= name_at < start + len(inner)
    assert name_at - start <= 400 // 3 + 6
    # Whole words only, an ellipsis on each side where text was left out.
    assert set(inner.split()) <= set(words)
    assert window.startswith(ELLIPSIS) == (start > 0)
    assert window.endswith(ELLIPSIS) == (start + len(inner) < len(text))


def test_the_most_stated_actors_are_kept_in_their_order() -> None:
    actors = ["a", "b", "c", "d", "e"]
    stated = Counter({"b": 5, "d": 5, "e": 1, "a": 1})
    assert most_stated(actors, stated, limit=3) == (["a", "b", "d"], 2)
    assert most_stated(actors, stated, limit=5) == (actors, 0)


def test_first_keeps_the_first_items_and_counts_the_rest() -> None:
    assert first([1, 2, 3, 4], 3) == ([1, 2, 3], 1)
    assert first([1, 2], 3) == ([1, 2], 0)


def test_chunks_keep_order_and_stay_within_the_limit() -> None:
    sizes = [3, 4, 2, 9, 1, 1, 12, 5]
    groups = chunks_by_size(sizes, lambda n: n, limit=10)
    assert [n for group in groups for n in group] == sizes
    assert groups == [[3, 4, 2], [9, 1], [1], [12], [5]]
    assert all(sum(g) <= 10 or len(g) == 1 for g in groups)
    assert chunks_by_size([], lambda n: n, limit=10) == []


def test_the_limits_are_far_above_real_news() -> None:
    # docs/events.md, "Bounds": the largest seen in the judged news and the training texts.
    assert bounds.MAX_SENTENCE_CHARS > 3 * 569
    assert bounds.MAX_EVIDENCE_CHARS > 569
    assert bounds.MAX_ACTORS_PER_ARTICLE > 2 * 24
    assert bounds.MAX_STATEMENTS_PER_ARTICLE > 5 * 35
    assert bounds.MAX_MENTIONS_PER_ARTICLE > 10 * 46
    assert bounds.MAX_BATCH_CHARS >= 2 * 200_000  # two articles of the longest text allowed
