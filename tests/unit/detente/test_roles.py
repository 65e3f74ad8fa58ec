"""A title used alone ("the minister") stands for the person last named with it."""

from __future__ import annotations

from detente.attribution import Mention, MentionFinder, attribute
from detente.registry import ActorRegistry
from detente.roles import (
    link_surnames,
    link_titles,
    members_of,
    members_speak_as_body,
    sitters_speak_as_members,
)


def linked(text: str, registry: ActorRegistry) -> list[tuple[str, str]]:
    finder = MentionFinder(registry)
    return [(m.actor, m.surface) for m in link_titles(text, finder.find(text), finder.is_person)]


def test_the_title_alone_links_to_the_person_last_named_with_it(registry: ActorRegistry) -> None:
    text = (
        "Foreign Minister Sergey Lavrov met President Macron. The minister said talks were "
        "over; the President disagreed."
    )
    assert linked(text, registry) == [
        ("sergei-lavrov", "Sergey Lavrov"),
        ("emmanuel-macron", "President Macron"),
        ("sergei-lavrov", "The minister"),
        ("emmanuel-macron", "the President"),
    ]


def test_titles_naming_someone_else_or_nobody_stay_unlinked(registry: ActorRegistry) -> None:
    text = (
        "President Putin spoke. The President of France replied, the minister Ivan Sidorov "
        "agreed, and the Secretary-General was silent."
    )
    assert linked(text, registry) == [("vladimir-putin", "President Putin"), ("france", "France")]


def test_a_linked_title_makes_its_sentence_the_persons_statement(registry: ActorRegistry) -> None:
    text = "Foreign Minister Sergey Lavrov arrived in Paris. Later the minister warned NATO."
    finder = MentionFinder(registry)
    mentions = link_titles(text, finder.find(text), finder.is_person)
    result = attribute(text, finder, mentions=mentions)
    assert ("sergei-lavrov", "reporting verb") in [(s.actor, s.cue) for s in result.statements]


def test_a_deputys_title_is_another_office(registry: ActorRegistry) -> None:
    text = (
        "President Putin phoned Vice President Macron on Monday. Later the president "
        "recalled his envoy, and the vice president said nothing."
    )
    assert linked(text, registry) == [
        ("vladimir-putin", "President Putin"),
        ("emmanuel-macron", "President Macron"),
        ("vladimir-putin", "the president"),
        ("emmanuel-macron", "the vice president"),
    ]


def test_in_a_press_statement_the_members_of_a_body_are_the_body() -> None:
    registry = ActorRegistry.load()
    finder = MentionFinder(registry)
    bodies = members_of(registry)
    assert bodies["un-security-council-members"] == "un-security-council"
    statement = (
        "The following press statement was issued today. The members of the Security Council "
        "deplored the shelling of the border villages."
    )
    debate = "Several members of the Council regretted that no text had been agreed."

    def actors(text: str) -> list[str]:
        return [m.actor for m in members_speak_as_body(text, finder.find(text), bodies)]

    assert actors(statement) == ["un-security-council"]
    assert actors(debate) == ["un-security-council-members"]
    # The people who sit in a body speak as its members, never as the body.
    sitting = "Delegates in the Security Council urged calm, and the Security Council met again."
    mentions = sitters_speak_as_members(sitting, finder.find(sitting), bodies)
    assert [(m.actor, m.surface) for m in mentions] == [
        ("un-security-council-members", "Delegates in the Security Council"),
        ("un-security-council", "the Security Council"),
    ]
    # "members" alone, opening a clause just after the body is named, are its members; so
    # are the body's own members, or some of them; not another body's ("their").
    bare = (
        "An envoy briefed the Security Council, as members pressed for a truce. Members of "
        "the public waited, and family members wept."
    )
    own = (
        "The Security Council met again. As the 15-member body sat, many of its members saw "
        "a threat, and their members wept."
    )
    for text, body in ((bare, "the Security Council"), (own, "The Security Council")):
        mentions = sitters_speak_as_members(text, finder.find(text), bodies)
        assert [(m.actor, m.surface) for m in mentions] == [
            ("un-security-council", body),
            ("un-security-council-members", "members"),
        ]


def _named(text: str, *names: tuple[str, str]) -> list[Mention]:
    """A mention of each (actor, full name) where the name first stands in `text`."""
    return [
        Mention(actor, text.index(name), text.index(name) + len(name), name)
        for actor, name in names
    ]


def test_a_surname_after_the_full_name_links_to_the_same_person() -> None:
    text = (
        "Spokesperson Carla Brennan met Chairman Park Min Ho. Later Spokesperson Brennan said "
        "the talks went well, Brennan added that Chairman Park agreed, and Park Avenue was "
        "closed. Tom Brennan, a neighbour, Ann Lee-Brennan and the Brennan Institute were not "
        "asked."
    )
    mentions = _named(text, ("carla-brennan", "Carla Brennan"), ("park-min-ho", "Park Min Ho"))
    linked = [(m.actor, m.surface) for m in link_surnames(text, mentions, lambda _: True)]
    assert linked == [
        ("carla-brennan", "Carla Brennan"),
        ("park-min-ho", "Park Min Ho"),
        ("carla-brennan", "Spokesperson Brennan"),
        ("carla-brennan", "Brennan"),
        ("park-min-ho", "Chairman Park"),
    ]
    # Initials and a generational suffix are no surname.
    text = "Colonel John R. Harlow Jr. spoke first. Harlow said the road was open."
    mentions = _named(text, ("john-harlow", "John R. Harlow Jr."))
    assert [m.surface for m in link_surnames(text, mentions, lambda _: True)] == [
        "John R. Harlow Jr.",
        "Harlow",
    ]


def test_a_surname_two_people_of_the_text_share_links_to_neither() -> None:
    text = "Minister Ana Duarte and General Rui Duarte spoke. Duarte said little."
    mentions = _named(text, ("ana-duarte", "Ana Duarte"), ("rui-duarte", "Rui Duarte"))
    assert link_surnames(text, mentions, lambda _: True) == mentions
