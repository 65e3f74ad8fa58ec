"""Titles whose holder acts (detente.titles), through `attribute`, which applies them."""

from __future__ import annotations

from datetime import date

from detente.attribution import MENTIONED_ONLY, MentionFinder, attribute
from detente.registry import ActorRegistry


def speakers(registry: ActorRegistry, text: str) -> list[tuple[str, str]]:
    result = attribute(text, MentionFinder(registry))
    return [(s.actor, s.cue) for s in result.statements if s.cue != MENTIONED_ONLY]


def test_a_state_named_in_the_title_of_its_leader_who_acts_does_not_act(
    registry: ActorRegistry,
) -> None:
    # Unnamed, the leader's title still gives the state its weak cue ...
    assert speakers(registry, "The Russian president said no.") == [("russia", "office of actor")]
    # ... but once a person of that state acts in the article, the act is the person's.
    assert speakers(registry, "The Russian president said no. Lavrov said talks would go on.") == [
        ("sergei-lavrov", "reporting verb")
    ]
    # A person of another state leaves it as it was.
    assert speakers(registry, "The Russian president said no. Macron said talks would go on.") == [
        ("russia", "office of actor"),
        ("emmanuel-macron", "reporting verb"),
    ]


def test_a_person_named_in_the_title_of_an_envoy_who_acts_beside_it_does_not_act() -> None:
    finder = MentionFinder(ActorRegistry.load())
    on = date(2024, 1, 30)

    def acting(text: str) -> list[tuple[str, str]]:
        found = attribute(text, finder, on=on).statements
        return [(s.actor, s.cue) for s in found if s.cue != MENTIONED_ONLY]

    envoy = "Special Representative of the Secretary-General for Afghanistan"
    assert acting(f"Roza Otunbayeva, {envoy}, said the law was wrong.") == [
        ("roza-otunbayeva", "subject with appositive")
    ]
    # Unnamed, or another clause away from the person who acts, the envoy keeps the cue.
    assert acting(f"The {envoy} said the law was wrong.") == [
        ("antonio-guterres", "office of actor")
    ]
    text = "Roza Otunbayeva said the law was wrong, and the Secretary-General's spokesman agreed."
    assert ("antonio-guterres", "office of actor") in acting(text)


def test_the_agent_in_a_title_is_the_person_not_the_state(registry: ActorRegistry) -> None:
    text = "NATO studied a plan put forward by Russia's President Vladimir Putin."
    acting = speakers(registry, text)
    assert ("vladimir-putin", "agent (by)") in acting
    assert not any(actor == "russia" for actor, _ in acting), acting


def test_a_state_named_only_in_the_titles_of_its_people_is_no_candidate(
    registry: ActorRegistry,
) -> None:
    def candidates(text: str) -> set[str]:
        return {s.actor for s in attribute(text, MentionFinder(registry)).statements}

    present = "NATO met in Brussels. Russia's Sergei Lavrov was also present."
    assert "russia" not in candidates(present)
    # Named once more on its own, it stays a candidate for the second stage to judge.
    assert "russia" in candidates(f"{present} The talks were about Russia.")
    # A person of another state does not make a title of the name before it.
    assert "france" in candidates("NATO met in Brussels. France's Sergei Lavrov was present.")


def test_a_quotation_that_goes_on_is_not_the_agent_s_of_a_deed_in_the_sentence_before(
    registry: ActorRegistry,
) -> None:
    text = 'Lavrov rejected the plan put forward by France. "The plan is dead."'
    result = attribute(text, MentionFinder(registry))
    second = {s.actor for s in result.statements if s.sentence.index == 1}
    assert second == {"sergei-lavrov"}, result.statements
