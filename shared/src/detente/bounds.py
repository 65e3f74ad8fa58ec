"""Bounds on what one article, or one batch, may cost: the hot path's limits.

Real news never reaches them (docs/events.md, "Bounds", gives the numbers and the sizes
measured on real text); a hostile or broken upstream does, and then the work and the
records stay small instead of growing with the input. Every function here is pure and
returns what it cut, so that the worker can count it (`detente_worker_bounded_total`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import TypeVar

from detente.sentences import Sentence

# The longest sentence in the judged news and the training texts is 569 characters.
MAX_SENTENCE_CHARS = 2_000
# Evidence is a window of the sentence around the actor's name, never the whole of a
# split-off piece: at most three per stance record, so a record stays a few kilobytes.
MAX_EVIDENCE_CHARS = 1_000
# Real articles name actors at most 46 times, name at most 24 actors and attribute at
# most 35 statements. The work per name grows with its sentence: names past the first
# 500 are not looked at.
MAX_MENTIONS_PER_ARTICLE = 500
MAX_ACTORS_PER_ARTICLE = 64
MAX_STATEMENTS_PER_ARTICLE = 256
# Text classified in one call of the worker's classify stage (one piece of a batch).
MAX_BATCH_CHARS = 400_000

ELLIPSIS = "…"

# Why something was cut: the `reason` label of `detente_worker_bounded_total`.
SENTENCE_LENGTH = "sentence_length"
EVIDENCE_LENGTH = "evidence_length"
ACTORS_PER_ARTICLE = "actors_per_article"
STATEMENTS_PER_ARTICLE = "statements_per_article"
MENTIONS_PER_ARTICLE = "mentions_per_article"
BATCH_TEXT = "batch_text"
REASONS = (SENTENCE_LENGTH, EVIDENCE_LENGTH, MENTIONS_PER_ARTICLE, ACTORS_PER_ARTICLE,
           STATEMENTS_PER_ARTICLE, BATCH_TEXT)  # fmt: skip

# How many of each reason one article (or batch) had cut; empty when nothing was.
Cuts = Counter[str]

# Where a long sentence may be cut, best first: after clause punctuation, then any space.
_CLAUSE_END = re.compile(r"[;:,—–]\s+|\s[-–—]\s")
_SPACE = re.compile(r"\s+")

T = TypeVar("T")


def _cut_point(text: str, start: int, limit: int) -> int:
    """Where the piece of `text` that starts at `start` ends: after the last clause mark
    within `limit` characters, else at the last space, else at `limit` itself; never in
    the first half of the window, so that pieces stay long."""
    end = start + limit
    floor = start + limit // 2
    for pattern in (_CLAUSE_END, _SPACE):
        found = [m.end() for m in pattern.finditer(text, floor, end)]
        if found:
            return found[-1]
    return end


def split_long_sentence(sentence: Sentence, limit: int = MAX_SENTENCE_CHARS) -> list[Sentence]:
    """`sentence` in pieces of at most `limit` characters, cut at clause punctuation where it
    can be; the sentence itself when it is short enough. Pieces keep the sentence's
    paragraph and their positions in the text; `index` is the caller's to renumber."""
    if len(sentence.text) <= limit:
        return [sentence]
    pieces: list[Sentence] = []
    text = sentence.text
    cursor = 0
    while cursor < len(text):
        end = len(text) if len(text) - cursor <= limit else _cut_point(text, cursor, limit)
        chunk = text[cursor:end]
        stripped = chunk.strip()
        if stripped:
            offset = cursor + len(chunk) - len(chunk.lstrip())
            start = sentence.start + offset
            pieces.append(replace(sentence, start=start, end=start + len(stripped), text=stripped))
        cursor = end
    return pieces


def bound_sentences(
    sentences: Iterable[Sentence], limit: int = MAX_SENTENCE_CHARS
) -> tuple[list[Sentence], int]:
    """Every sentence at most `limit` characters long (over-long ones split), renumbered in
    order; and how many sentences had to be split."""
    bounded: list[Sentence] = []
    split = 0
    for sentence in sentences:
        split += len(sentence.text) > limit
        for piece in split_long_sentence(sentence, limit):
            # Sentences are immutable: one already at its place is kept, not copied.
            index = len(bounded)
            bounded.append(piece if piece.index == index else replace(piece, index=index))
    return bounded, split


def window_span(text: str, at: int = 0, limit: int = MAX_EVIDENCE_CHARS) -> tuple[int, int]:
    """Where `evidence_window` cuts `text`: all of it if it is at most `limit` characters;
    else a window around position `at` (where the actor is named: a third of the window
    before it, the rest after, since what an actor says follows its name), cut at spaces,
    leaving room for an ellipsis at each end."""
    if len(text) <= limit:
        return 0, len(text)
    room = limit - 2 * len(ELLIPSIS)
    at = min(max(at, 0), len(text))
    start = max(0, min(at - room // 3, len(text) - room))
    end = start + room
    if start > 0:
        space = text.find(" ", start, at) if at > start else -1
        start = space + 1 if space >= 0 else start
    if end < len(text):
        space = text.rfind(" ", max(start, at), end)
        end = space if space > start else end
    return start, end


def evidence_window(text: str, at: int = 0, limit: int = MAX_EVIDENCE_CHARS) -> str:
    """`text` if it is at most `limit` characters; else the window `window_span` gives,
    an ellipsis where text was left out. Never longer than `limit`."""
    start, end = window_span(text, at, limit)
    if (start, end) == (0, len(text)):
        return text
    window = text[start:end].strip()
    return (ELLIPSIS if start > 0 else "") + window + (ELLIPSIS if end < len(text) else "")


def most_stated(
    actors: Sequence[str], statements: Counter[str], limit: int = MAX_ACTORS_PER_ARTICLE
) -> tuple[list[str], int]:
    """The `limit` actors with the most statements (ties: the one named first), in their
    original order; and how many were left out."""
    if len(actors) <= limit:
        return list(actors), 0
    order = {actor: i for i, actor in enumerate(actors)}
    ranked = sorted(actors, key=lambda actor: (-statements[actor], order[actor]))
    kept = set(ranked[:limit])
    return [actor for actor in actors if actor in kept], len(actors) - limit


def first(items: Sequence[T], limit: int) -> tuple[list[T], int]:
    """The first `limit` items, and how many were left out."""
    return list(items[:limit]), max(len(items) - limit, 0)


def chunks_by_size(
    items: Sequence[T], size: Callable[[T], int], limit: int = MAX_BATCH_CHARS
) -> list[list[T]]:
    """`items` in order, in consecutive groups whose sizes add up to at most `limit`; an item
    larger than `limit` alone makes a group. Empty input makes no group."""
    groups: list[list[T]] = []
    total = 0
    for item in items:
        weight = size(item)
        if not groups or total + weight > limit:
            groups.append([])
            total = 0
        groups[-1].append(item)
        total += weight
    return groups
