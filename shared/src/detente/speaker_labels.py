"""Speaker labels: a transcript names who speaks before a colon at the head of a turn
("President of Russia Vladimir Putin: Mr Chairman, friends, I am glad to see you."), and the
turn's "I" and "we" that follow are that speaker's until the next label."""

from __future__ import annotations

import re

# Before the name, only its title: capitalised words, "of", "the" ("President of Russia",
# "Secretary of State", "The Foreign Minister").
_TITLE_ONLY = re.compile(r"^[\"“]?(?:(?:[A-Z][\w.'’-]*|of|the|and)\s+){0,8}$")
_COLON_AFTER = re.compile(r"^\s*:\s*\S")


def labels_a_turn(before: str, rest: str) -> bool:
    """Is the name between `before` and `rest` (its sentence's text on either side) a
    speaker label: at the head of the sentence after its title, right before a colon? Not a
    name inside a sentence ("the talks with Russia: a failure") nor one after other words
    ("Asked about Putin: ...")."""
    return _COLON_AFTER.match(rest) is not None and _TITLE_ONLY.match(before) is not None
