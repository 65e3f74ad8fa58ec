from __future__ import annotations

import pytest

from detente.attribution import MENTIONED_ONLY, MentionFinder, attribute
from detente.registry import ActorRegistry


def acting(registry: ActorRegistry, text: str) -> list[tuple[str, str]]:
    result = attribute(text, MentionFinder(registry))
    return [(s.actor, s.cue) for s in result.statements if s.cue != MENTIONED_ONLY]


@pytest.mark.parametrize(
    "sentence",
    [
        "It has been stressed that Russia will respect the choice of the people.",
        "It was also agreed that France would send its envoy.",
    ],
)
def test_the_subject_after_an_impersonal_frame_acts(registry: ActorRegistry, sentence: str) -> None:
    assert len(acting(registry, sentence)) == 1
    assert acting(registry, sentence)[0][1] == "clause subject"


@pytest.mark.parametrize(
    "sentence",
    [
        # An allegation or a fear is not the side's own position.
        "It was alleged that Russia will attack in the spring.",
        "It is feared that France would send troops.",
        # The name is an object in the clause.
        "It was stressed that sanctions against Russia will stay.",
    ],
)
def test_other_impersonal_frames_make_no_one_act(registry: ActorRegistry, sentence: str) -> None:
    assert acting(registry, sentence) == []
