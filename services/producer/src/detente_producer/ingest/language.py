"""An item's language: what the feed or its configuration declares, else detected from the
text with py3langid, whose model ships inside the package (nothing is downloaded)."""

from __future__ import annotations

import re

import py3langid

_PRIMARY = re.compile(r"^([a-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*$")
# Below this many letters a detector guesses rather than detects.
MIN_DETECTABLE_LETTERS = 20
_DETECT_CHARS = 5000


def primary_language(tag: str | None) -> str | None:
    """'en-GB' and 'EN_us' give 'en'; anything that is not a language tag gives None."""
    if not tag:
        return None
    match = _PRIMARY.match(tag.strip().lower())
    return match.group(1) if match else None


def detect_language(text: str) -> str | None:
    """The ISO 639-1 code py3langid gives the text, or None for too little text."""
    sample = text[:_DETECT_CHARS]
    if sum(ch.isalpha() for ch in sample) < MIN_DETECTABLE_LETTERS:
        return None
    code, _score = py3langid.classify(sample)
    return primary_language(str(code))


def item_language(configured: str | None, declared: str | None, text: str) -> str | None:
    """The feed's configuration wins, then what the feed declares, then detection."""
    return primary_language(configured) or primary_language(declared) or detect_language(text)
