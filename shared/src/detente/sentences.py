"""Sentences: where an article's sentences and paragraphs start and end."""

from __future__ import annotations

import re
from dataclasses import dataclass

_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "gen", "lt", "col", "maj", "capt", "sgt", "adm", "sen", "rep",
    "gov", "pres", "prof", "st", "jr", "sr", "no", "vol", "fig", "approx", "etc", "vs", "inc",
    "ltd", "co", "corp", "dept", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec", "u.s", "u.n", "u.k", "e.u", "e.g", "i.e", "a.m", "p.m",
}  # fmt: skip
_BOUNDARY = re.compile(r"[.!?]+[\"')\]]*\s+|[.!?]+[\"')\]]*$|\n+")


@dataclass(frozen=True)
class Sentence:
    index: int
    start: int
    end: int
    text: str
    paragraph: int


def split_sentences(text: str) -> list[Sentence]:
    """Split on sentence-final punctuation and line breaks, sparing abbreviations and initials."""
    sentences: list[Sentence] = []
    start = 0
    paragraph = 0
    for match in _BOUNDARY.finditer(text):
        end = match.end()
        if "\n" not in match.group() and match.group()[0] == ".":
            before = text[start : match.start()].rsplit(None, 1)
            last = before[-1].lower().lstrip("(\"'") if before else ""
            following = text[end : end + 1]
            if last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha()):
                continue
            if following and not (
                following.isupper() or following in "\"'“‘(" or following.isdigit()
            ):
                continue
        chunk = text[start:end]
        stripped = chunk.strip()
        if stripped:
            offset = start + (len(chunk) - len(chunk.lstrip()))
            sentences.append(
                Sentence(len(sentences), offset, offset + len(stripped), stripped, paragraph)
            )
        if "\n" in match.group():
            paragraph += 1
        start = end
    tail = text[start:].strip()
    if tail:
        offset = start + (len(text[start:]) - len(text[start:].lstrip()))
        sentences.append(Sentence(len(sentences), offset, offset + len(tail), tail, paragraph))
    return sentences
