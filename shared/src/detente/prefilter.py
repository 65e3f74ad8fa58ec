"""Cheap tests before slower work: can `text` hold any of the words a pattern needs, can the
last word before a name be "of" or "for"?

The cue patterns that end at a name (`...$`, searched over the text before it) try every
position of that text; most texts before a name hold none of the words such a pattern
needs ("statement", "mediator"), and a substring test says so for much less.
"""

from __future__ import annotations


def may_hold(text: str, words: tuple[str, ...]) -> bool:
    """False only when `text` surely holds none of `words` (lowercase ASCII) in any case:
    when it is ASCII, where a case-blind pattern's letters fold as `str.lower` folds them.
    Any other text may (a case-blind pattern folds some other letters onto ASCII ones: the
    Kelvin sign onto "k", the long s onto "s"), so the pattern decides."""
    if not text.isascii():
        return True
    lowered = text.lower()
    # A loop, not any() over a generator: about twice as fast on these short tuples.
    for word in words:  # noqa: SIM110
        if word in lowered:
            return True
    return False


def may_end_of_or_for(before: str) -> bool:
    """False only when the last word before the name is surely neither "of" nor "for":
    it ends the text (spaces aside) in two ASCII characters other than "of" or "or" (any
    case). Most names are passed over without splitting the text before them into words."""
    end = before.rstrip()
    last = end[-1:]
    if not (last.isalnum() or last == "_"):
        return True  # punctuation last: the words decide
    pair = end[-2:]
    return not pair.isascii() or pair.lower() in ("of", "or")
