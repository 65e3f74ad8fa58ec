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
