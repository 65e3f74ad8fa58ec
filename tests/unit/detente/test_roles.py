"""A title used alone ("the minister") stands for the person last named with it."""

from __future__ import annotations

from detente.attribution import MentionFinder, attribute
from detente.registry import ActorRegistry
from detente.roles import link_titles, members_of, members_speak_as_body


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
