"""A cheap test before a slow pattern: can `text` hold any of the words the pattern needs?

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
