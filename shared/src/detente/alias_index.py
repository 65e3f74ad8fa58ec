"""Which aliases may start at a word of a text, longest first: the index `MentionFinder` reads.

Aliases are indexed by their first word, then by the two characters that follow it: a word
that many aliases start with ("the": "the Kremlin", "the United States", "the Secretary-
General", ...) offers only those that go on as the text does, instead of every length of
every one of them to slice the text for.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence

_WORD = re.compile(r"\w+")
# Characters after the first word that pick an alias's group.
_NEXT = 2
_MAX_CACHED_TOKENS = 100_000

# (alias as registered, its target)
Hit = tuple[str, str]
# Aliases of one length: each form it matches in a text → its hit.
Group = tuple[int, dict[str, Hit]]


class AliasIndex:
    def __init__(self, surfaces: Iterable[tuple[str, str]]) -> None:
        by_first_word: dict[str, list[Hit]] = defaultdict(list)
        for alias, target in surfaces:
            first = _WORD.match(alias)
            if first is not None:
                by_first_word[first.group()].append((alias, target))
        for candidates in by_first_word.values():
            candidates.sort(key=lambda pair: len(pair[0]), reverse=True)
        self._by_first_word = dict(by_first_word)
        # Every token an alias can start with, as written or capitalised ("the" → "The").
        self.first_words = frozenset(
            set(by_first_word) | {w[:1].upper() + w[1:] for w in by_first_word}
        )
        self._cache: dict[str, tuple[dict[str, list[Group]], list[Group]]] = {}

    def groups(self, token: str) -> list[Group]:
        """Aliases that may start at `token`, grouped by length, longest first, each group
        keyed by the forms it matches: "the Kremlin" also matches "The Kremlin", but
        "Putin" never matches "putin"."""
        pairs = list(self._by_first_word.get(token, ()))
        if token[:1].isupper():
            pairs += self._by_first_word.get(token[:1].lower() + token[1:], ())
        groups: dict[int, dict[str, Hit]] = {}
        for alias, target in pairs:
            group = groups.setdefault(len(alias), {})
            group.setdefault(alias, (alias, target))
            group.setdefault(alias[:1].upper() + alias[1:], (alias, target))
        return sorted(groups.items(), reverse=True)

    def groups_at(self, text: str, start: int, token: str) -> Sequence[Group]:
        """`groups(token)` for the word `token` at `start` of `text`, less the forms that
        cannot match there: those that go on past the word otherwise than the text does."""
        cached = self._cache.get(token)
        if cached is None:
            cached = _by_next(self.groups(token), len(token))
            if len(self._cache) < _MAX_CACHED_TOKENS:
                self._cache[token] = cached
        by_next, short = cached
        after = start + len(token)
        return by_next.get(text[after : after + _NEXT], short)


def _by_next(groups: list[Group], token_length: int) -> tuple[dict[str, list[Group]], list[Group]]:
    """The groups split by the `_NEXT` characters of each form after its first word, each
    list longest first and ending with the forms too short to have them (`short`, the list
    for any other continuation)."""
    cut = token_length + _NEXT
    short = [(length, forms) for length, forms in groups if length < cut]
    longer: dict[str, list[Group]] = {}
    for length, forms in groups:
        if length < cut:
            continue
        subsets: dict[str, dict[str, Hit]] = {}
        for form, hit in forms.items():
            subsets.setdefault(form[token_length:cut], {})[form] = hit
        for following, subset in subsets.items():
            longer.setdefault(following, []).append((length, subset))
    return {following: [*found, *short] for following, found in longer.items()}, short
