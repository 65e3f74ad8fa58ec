"""People outside the registry, tied to a registered body by their title."""

from __future__ import annotations

import pytest

from detente.attribution import MentionFinder
from detente.discovery import actor_id_for, discover
from detente.registry import ActorRegistry


def found(text: str, registry: ActorRegistry) -> dict[str, tuple[str, str]]:
    mentions, discovered = discover(text, MentionFinder(registry).find(text), registry)
    people = {m.actor for m in mentions if getattr(discovered.get(m.actor), "kind", "") == "person"}
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
        # An official titled by function alone belongs to the sentence's subject.
        (
            "France, which denies sending troops, rejected the report and foreign ministry "
            "spokesman Claire Morel said on Sunday that talks were over.",
            "Claire Morel",
            "france",
        ),
        (
            "In Moscow, Defence Ministry spokesman Oleg Volkov told reporters the drills "
            "were routine.",
            "Oleg Volkov",
            "russia",
        ),
        (
            "On Friday, Ukraine recalled its envoy, and Prime Minister Ivan Hrytsenko said "
            "the decision was final.",
            "Ivan Hrytsenko",
            "ukraine",
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
    # The ministry the small registry lacks is a body of its own.
    assert list(discovered) == ["russian-foreign-ministry", "ivan-petrov"]
    assert [m.surface for m in mentions if m.actor == "ivan-petrov"] == ["Ivan Petrov", "Petrov"]


def test_registered_people_and_weekdays_are_never_discovered(registry: ActorRegistry) -> None:
    assert found("Russian President Vladimir Putin said no.", registry) == {}
    assert found("Russian officials on Tuesday Morning said no.", registry) == {}


@pytest.mark.parametrize(
    "text",
    [
        # Two states in the sentence: whose spokesman is it?
        "Russia shelled Ukraine overnight and defence ministry spokesman Oleg Volkov said so.",
        # The sentence before may be about the other side.
        "Russian forces advanced. Army spokesman Anton Hrytsak said the attack was repelled.",
        # A quotation may name another state than the speaker's.
        '"Russia must leave," foreign ministry spokesman Anne Roux said in Paris.',
        # No speech verb after the name.
        "France sent a note and foreign ministry spokesman Paul Blanc visited Kyiv.",
        # A spokesman with no governmental qualifier may speak for anyone.
        "Russia struck the camp, and spokesman Pavel Orlov said ten people died.",
        # The subject is a person, not a state.
        "Putin spoke for an hour and foreign ministry spokesman Ivan Orlov said more later.",
    ],
)
def test_an_official_titled_by_function_stays_unknown_without_one_clear_state(
    registry: ActorRegistry, text: str
) -> None:
    assert found(text, registry) == {}


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("The Ukrainian Ministry of Health said 12 people died.", "Ukrainian Ministry of Health"),
        (
            "A statement from Russia's Ministry of Emergency Situations followed.",
            "Russia's Ministry of Emergency Situations",
        ),
        (
            "The Ministry of Foreign Affairs of France summoned the envoy.",
            "Ministry of Foreign Affairs of France",
        ),
    ],
)
def test_a_state_s_ministry_outside_the_registry_is_a_body_of_that_state(
    registry: ActorRegistry, text: str, name: str
) -> None:
    mentions, discovered = discover(text, MentionFinder(registry).find(text), registry)
    body = discovered[actor_id_for(name)]
    assert (body.name, body.kind) == (name, "organisation")
    # The state is named only in the ministry's name, as a registered ministry's alias.
    assert [m.actor for m in mentions] == [body.id]
    assert body.affiliation == ("ukraine" if "Ukrain" in name else
                                "russia" if "Russia" in name else "france")  # fmt: skip


def test_a_ministry_in_another_form_of_a_registered_one_links_to_it() -> None:
    registry = ActorRegistry.load()
    text = "Russia's Ministry of Defence said the drills ended; Russian troops left."
    mentions, discovered = discover(text, MentionFinder(registry).find(text), registry)
    assert discovered == {}
    assert [m.actor for m in mentions] == ["russian-defence-ministry", "russia"]


@pytest.mark.parametrize(
    "text",
    [
        "Russian officials at the ministry said no.",
        "Ukraine's ministry of health said no.",
        "Kyiv said the Ministry was closed.",
    ],
)
def test_no_ministry_without_its_capitalised_name_next_to_the_state(
    registry: ActorRegistry, text: str
) -> None:
    assert discover(text, MentionFinder(registry).find(text), registry)[1] == {}
