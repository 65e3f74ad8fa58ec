from __future__ import annotations

from detente.attribution import MENTIONED_ONLY, MentionFinder, attribute
from detente.registry import ActorRegistry


def cues(registry: ActorRegistry, text: str, title: str = "") -> list[tuple[int, str, str]]:
    result = attribute(text, MentionFinder(registry), title)
    return [
        (s.sentence.index, s.actor, s.cue) for s in result.statements if s.cue != MENTIONED_ONLY
    ]


TRANSCRIPT = (
    "President of France Emmanuel Macron: Mr President, I am glad to see you.\n\n"
    "Our countries have long been friends.\n\n"
    "Vladimir Putin: Thank you. We are ready to talk."
)
OWN_WORDS = "first person of the statement's author"


def test_a_transcript_turn_is_its_speaker_s_until_the_next_label(registry: ActorRegistry) -> None:
    turns = {(index, actor): cue for index, actor, cue in cues(registry, TRANSCRIPT)}
    assert turns[(0, "emmanuel-macron")] == "statement by"
    assert turns[(1, "emmanuel-macron")] == OWN_WORDS
    assert turns[(2, "vladimir-putin")] == "statement by"
    assert turns[(3, "vladimir-putin")] == OWN_WORDS
    assert (3, "emmanuel-macron") not in turns


def test_a_colon_after_a_name_inside_a_sentence_or_a_headline_labels_no_turn(
    registry: ActorRegistry,
) -> None:
    for text, title in (
        ("The talks with Putin: a failure, we think.", ""),
        ("Reporters asked Macron: will we talk?", ""),
        ("We will talk.", "Macron: No Talks"),
    ):
        assert not any(cue == "statement by" for _, _, cue in cues(registry, text, title)), text
