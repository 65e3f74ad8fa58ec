"""People outside the registry, tied to a registered body by their title."""

from __future__ import annotations

import pytest

from detente.attribution import MentionFinder
from detente.discovery import actor_id_for, discover
from detente.registry import ActorRegistry


def found(text: str, registry: ActorRegistry) -> dict[str, tuple[str, str]]:
    mentions, discovered = discover(text, MentionFinder(registry).find(text), registry)
    people = {m.actor for m in mentions if m.actor in discovered}
    return {a: (discovered[a].name, discovered[a].affiliation) for a in people}


@pytest.mark.parametrize(
    ("text", "name", "affiliation"),
    [
        ("Russian Foreign Ministry spokesman Ivan Petrov said no.", "Ivan Petrov", "russia"),
        ("Anna Kovalenko, a Kyiv government adviser, said no.", "Anna Kovalenko", "ukraine"),
        ("President Jean Dupont of France said no.", "Jean Dupont", "france"),
        ("Oleg Sidorov, head of Russia's drone office, said no.", "Oleg Sidorov", "russia"),
        ("Marc Lenoir, envoy of President Macron, said no.", "Marc Lenoir", "france"),
        ("The NATO special envoy to Kyiv, Lena Berg, said no.", "Lena Berg", "nato"),
        (
            "In May, Macron appointed a Personal Envoy, Paul Girard, who met both sides.",
            "Paul Girard",
            "france",
        ),
    ],
)
def test_a_titled_name_becomes_an_actor_of_the_body_its_title_names(
    registry: ActorRegistry, text: str, name: str, affiliation: str
) -> None:
    assert found(text, registry) == {actor_id_for(name): (name, affiliation)}


def test_later_surname_mentions_link_and_untitled_names_stay_unknown(
    registry: ActorRegistry,
) -> None:
    text = (
        "Russian Foreign Ministry spokesman Ivan Petrov spoke. Petrov said no. John Smith agreed."
    )
    mentions, discovered = discover(text, MentionFinder(registry).find(text), registry)
    assert list(discovered) == ["ivan-petrov"]
    assert [m.surface for m in mentions if m.actor == "ivan-petrov"] == ["Ivan Petrov", "Petrov"]


def test_registered_people_and_weekdays_are_never_discovered(registry: ActorRegistry) -> None:
    assert found("Russian President Vladimir Putin said no.", registry) == {}
    assert found("Russian officials on Tuesday Morning said no.", registry) == {}
