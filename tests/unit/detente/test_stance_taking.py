"""What the second stage reads of where an actor's name stands."""

from __future__ import annotations

from detente.attribution import MentionFinder, attribute
from detente.registry import ActorRegistry
from detente.stance_taking import actor_features


def share_object(text: str, actor: str, registry: ActorRegistry) -> float:
    result = attribute(text, MentionFinder(registry))
    return actor_features(actor, "person", result, text, 0, [])["share_object"]


def test_a_name_after_a_verb_ending_in_ing_is_its_object(registry: ActorRegistry) -> None:
    assert share_object("Macron called, telling Putin to stop.", "vladimir-putin", registry) == 1
    assert share_object("The report, introducing Putin, was long.", "vladimir-putin", registry) == 1
    assert share_object("Putin spoke at length.", "vladimir-putin", registry) == 0


def features(text: str, actor: str, registry: ActorRegistry) -> dict[str, float]:
    return actor_features(actor, "state", attribute(text, MentionFinder(registry)), text, 0, [])


def test_a_name_in_a_list_is_told_by_the_gap_to_its_neighbours(registry: ActorRegistry) -> None:
    listed = "Russia, France and Ukraine met."
    assert features(listed, "france", registry)["share_list"] == 1
    assert features(listed, "russia", registry)["share_list"] == 1
    assert features(listed, "ukraine", registry)["share_list"] == 1
    # Not when other words stand between the names, nor for a name with no neighbour.
    apart = "Russia warned on Monday that France would not stay silent."
    assert features(apart, "russia", registry)["share_list"] == 0
    assert features(apart, "france", registry)["share_list"] == 0
    assert features("Russia spoke.", "russia", registry)["share_list"] == 0


def test_an_actors_mentions_are_grouped_in_text_order(registry: ActorRegistry) -> None:
    text = "Russia and France met. Russia said Ukraine would come."
    result = attribute(text, MentionFinder(registry))
    russia = result.mentions_of("russia")
    assert [index for index, _ in russia] == [0, 2]
    assert [m.start for _, m in russia] == [0, 23]
    assert result.mentions_of("nato") == []
    assert [m for _, m in result.mentions_of("ukraine")] == [result.mentions[3]]
