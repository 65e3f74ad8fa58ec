from __future__ import annotations

from datetime import date

import pytest

from detente.attribution import MENTIONED_ONLY, MentionFinder, attribute
from detente.registry import ActorRegistry


def cues_by_sentence(registry: ActorRegistry, text: str) -> list[tuple[int, str, str]]:
    """(sentence index, actor, cue) of every statement, the fallback for the merely named
    left out."""
    result = attribute(text, MentionFinder(registry))
    return [
        (s.sentence.index, s.actor, s.cue) for s in result.statements if s.cue != MENTIONED_ONLY
    ]


def test_a_pronoun_that_speaks_beside_named_actors_is_still_the_last_speaker(
    registry: ActorRegistry,
) -> None:
    text = (
        "Lavrov met reporters in Geneva. "
        '"The meeting was useful," he said, noting that the offer made by France and Ukraine '
        "still stood."
    )
    cues = cues_by_sentence(registry, text)
    assert (1, "sergei-lavrov", "carried over") in cues
    assert (1, "france", "agent (by)") in cues
    assert (1, "ukraine", "agent (by)") in cues


@pytest.mark.parametrize(
    "second",
    [
        # A person named before the pronoun may be the one it stands for.
        "Putin called Macron, and he said France would help.",
        # Inside a quotation, "he said" is the quoted speaker's report.
        'The Kremlin said "he said NATO lied," citing Ukraine.',
    ],
)
def test_the_pronoun_does_not_reach_back_past_a_person_or_out_of_a_quotation(
    registry: ActorRegistry, second: str
) -> None:
    cues = cues_by_sentence(registry, f"Lavrov met reporters in Geneva. {second}")
    assert not any(index == 1 and actor == "sergei-lavrov" for index, actor, _ in cues)


def test_an_empty_it_stands_for_no_speaker(registry: ActorRegistry) -> None:
    for sentence in (
        "It is difficult to verify the account.",
        "It has been stressed that the talks must go on.",
        "It remains unclear whether the talks will resume.",
    ):
        cues = cues_by_sentence(registry, f"NATO warned of escalation. {sentence}")
        assert cues == [(0, "nato", "reporting verb")], sentence


def test_an_it_that_holds_a_position_still_stands_for_the_last_speaker(
    registry: ActorRegistry,
) -> None:
    for sentence in ("It is ready to resume talks.", "It said nothing more."):
        cues = cues_by_sentence(registry, f"NATO warned of escalation. {sentence}")
        assert (1, "nato", "carried over") in cues, sentence


def test_he_stands_for_the_envoy_not_for_the_person_whose_envoy_spoke() -> None:
    registry = ActorRegistry.load()
    text = (
        "Miroslav Jenča, Special Representative of the Secretary-General, said on 3 May 2023 "
        "that the door stayed open. He added that talks would resume."
    )
    result = attribute(text, MentionFinder(registry), on=date(2023, 5, 4))
    cues = [(s.sentence.index, s.actor, s.cue) for s in result.statements]
    # The envoy, named beside the title, acts: the Secretary-General is only named.
    assert (0, "antonio-guterres", "mentioned only") in cues
    assert (1, "miroslav-jenca", "carried over") in cues
    assert not any(index == 1 and actor == "antonio-guterres" for index, actor, _ in cues)


def test_she_stands_for_a_person_named_where_only_a_body_acted(registry: ActorRegistry) -> None:
    text = (
        "Speaking in Geneva, Lavrov, the minister, recalling that, in May, NATO expanded, said "
        "talks were stalled. He urged restraint."
    )
    assert (1, "sergei-lavrov", "carried over") in cues_by_sentence(registry, text)


def test_a_person_named_as_an_object_is_not_the_one_he_stands_for(
    registry: ActorRegistry,
) -> None:
    text = "NATO expanded, in a letter to Lavrov. He urged restraint."
    cues = cues_by_sentence(registry, text)
    assert not any(index == 1 and actor == "sergei-lavrov" for index, actor, _ in cues)


@pytest.mark.parametrize(
    "quotation",
    [
        '"We have counted the dead twice," said a nurse at the clinic.',
        '"We have counted the dead twice," a nurse said.',
        '"We have counted the dead twice," said Amal Idris, who runs the clinic.',
        "Amal Idris said they had counted the dead twice.",
    ],
)
def test_a_speaker_the_registry_does_not_know_takes_the_words_and_the_next_he(
    registry: ActorRegistry, quotation: str
) -> None:
    text = f'Lavrov warned Kyiv on Monday. {quotation} "We are still waiting," she said.'
    cues = cues_by_sentence(registry, text)
    assert [index for index, _, _ in cues] == [0], cues


@pytest.mark.parametrize(
    "quotation",
    [
        # A surname of someone the article names, an unnamed official, a bare title.
        '"We will answer," Lavrov said.',
        '"We will answer," a ministry spokeswoman said.',
        '"We will answer," the minister said.',
    ],
)
def test_a_known_name_an_official_or_a_title_still_carries_the_last_speaker_over(
    registry: ActorRegistry, quotation: str
) -> None:
    cues = cues_by_sentence(registry, f"Sergei Lavrov warned Kyiv on Monday. {quotation}")
    assert (1, "sergei-lavrov", "carried over") in cues or (
        1,
        "sergei-lavrov",
        "reporting verb",
    ) in cues, cues


def test_the_side_a_carried_over_sentence_calls_on_is_not_its_speaker(
    registry: ActorRegistry,
) -> None:
    text = "France, Ukraine and Russia met in Paris. They call on Russia to withdraw its troops."
    cues = cues_by_sentence(registry, text)
    assert {(0, "russia"), (0, "ukraine"), (0, "france")} <= {(i, a) for i, a, _ in cues}
    assert {(i, a) for i, a, _ in cues if i == 1} == {(1, "france"), (1, "ukraine")}, cues


def test_a_quotation_after_he_said_is_his_not_the_sides_in_his_words(
    registry: ActorRegistry,
) -> None:
    text = (
        "Lavrov met reporters in Geneva. "
        "He said Paris, together with Kyiv, would hold more talks. "
        '"We believe an agreement is near."'
    )
    cues = cues_by_sentence(registry, text)
    assert {a for i, a, _ in cues if i == 2} == {"sergei-lavrov"}, cues


def test_a_pronoun_is_not_the_agent_of_a_deed_the_sentence_before_reports(
    registry: ActorRegistry,
) -> None:
    text = "NATO condemned the strikes carried out by Russia. They demanded a ceasefire."
    cues = cues_by_sentence(registry, text)
    assert (0, "russia", "agent (by)") in cues, cues
    assert {a for i, a, _ in cues if i == 1} == {"nato"}, cues
