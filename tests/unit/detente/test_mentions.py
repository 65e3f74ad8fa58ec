"""Name forms that real texts use and alias lists miss: middle initials, inner capitals,
"the President of X" for "the X-ian president"."""

from __future__ import annotations

from datetime import date

import pytest

from detente.mentions import MentionFinder
from detente.registry import ActorRegistry


@pytest.fixture(scope="module")
def finder() -> MentionFinder:
    return MentionFinder(ActorRegistry.load())


def found(finder: MentionFinder, text: str, on: date | None = None) -> list[tuple[str, str]]:
    return [(m.actor, m.surface) for m in finder.find(text, on)]


def test_a_middle_initial_does_not_hide_a_registered_person(finder: MentionFinder) -> None:
    assert found(
        finder, "National Security Advisor Susan E. Rice said the launch was a threat."
    ) == [("susan-rice", "Susan E. Rice")]
    # Only between a registered first name and surname: initials elsewhere stay unmatched.
    assert found(finder, "Professor Alan B. Rice wrote to Mr. J. Smith.") == []


def test_inner_capitals_may_be_written_plain(finder: MentionFinder) -> None:
    assert found(finder, "Briefing the Council, Rosemary Dicarlo said the dam was destroyed.") == [
        ("rosemary-dicarlo", "Rosemary Dicarlo")
    ]


def test_the_title_of_a_state_names_the_same_holder_as_its_adjective_form(
    finder: MentionFinder,
) -> None:
    text = "The agreement between the President of Eritrea and the Prime Minister of Ethiopia."
    assert found(finder, text, date(2018, 9, 16)) == [
        ("isaias-afwerki", "the President of Eritrea"),
        ("abiy-ahmed", "the Prime Minister of Ethiopia"),
    ]
    # The office changed hands in April 2018: the date decides, in either phrasing.
    assert found(finder, "the Ethiopian prime minister said", date(2017, 5, 1)) == [
        ("hailemariam-desalegn", "the Ethiopian prime minister")
    ]
    assert found(finder, "talks with the president of Turkey", date(2020, 1, 1)) == [
        ("recep-tayyip-erdogan", "the president of Turkey")
    ]


@pytest.mark.parametrize(
    ("text", "on", "holder"),
    [
        ("the Israeli prime minister", date(2021, 9, 1), "naftali-bennett"),
        ("the Israeli prime minister", date(2023, 9, 1), "benjamin-netanyahu"),
        ("Iran's foreign minister", date(2016, 1, 16), "mohammad-javad-zarif"),
        ("the South Korean president", date(2018, 4, 27), "moon-jae-in"),
        ("the Prime Minister of India", date(2010, 6, 1), "manmohan-singh"),
        ("the Prime Minister of India", date(2019, 2, 26), "narendra-modi"),
        ("the Custodian of the Two Holy Mosques", date(2018, 9, 16), "king-salman"),
        ("the Chinese foreign minister", date(2010, 3, 1), "yang-jiechi"),
        ("the Chinese foreign minister", date(2023, 4, 1), "qin-gang"),
        ("the Chinese foreign minister", date(2024, 4, 1), "wang-yi"),
        ("the Chinese premier", date(2016, 1, 1), "li-keqiang"),
        ("the Russian prime minister", date(2010, 1, 1), "vladimir-putin"),
        ("the Russian prime minister", date(2021, 1, 1), "mikhail-mishustin"),
        ("the British foreign secretary", date(2012, 1, 1), "william-hague"),
        ("the French foreign minister", date(2015, 11, 30), "laurent-fabius"),
        ("the German foreign minister", date(2011, 1, 1), "guido-westerwelle"),
        ("the German foreign minister", date(2015, 1, 1), "frank-walter-steinmeier"),
        ("Ukraine's foreign minister", date(2022, 3, 1), "dmytro-kuleba"),
        ("the Turkish foreign minister", date(2012, 1, 1), "ahmet-davutoglu"),
        ("India's external affairs minister", date(2016, 1, 1), "sushma-swaraj"),
        ("the State Department spokeswoman", date(2014, 3, 1), "jen-psaki"),
        ("the State Department spokesman", date(2022, 2, 1), "ned-price"),
    ],
)
def test_offices_resolve_by_date(finder: MentionFinder, text: str, on: date, holder: str) -> None:
    assert [actor for actor, _ in found(finder, text, on)] == [holder]


def test_a_named_holder_wins_over_the_date_and_an_unnamed_spokesman_is_nobody(
    finder: MentionFinder,
) -> None:
    # The name after the title decides, even on a date when the title was someone else's.
    assert found(finder, "the State Department spokesman, Ned Price, said", date(2024, 1, 1)) == [
        ("ned-price", "Ned Price")
    ]
    # "A spokesman" is one of many, not the spokesperson: the department, not a person.
    assert [a for a, _ in found(finder, "a State Department spokesman said", date(2022, 2, 1))] == [
        "state-department"
    ]
    # Between two terms of the same minister, a caretaker the registry lacks: nobody.
    assert found(finder, "the Turkish foreign minister", date(2015, 10, 1)) == []


def test_an_office_vacant_on_the_date_names_nobody(finder: MentionFinder) -> None:
    # Between Pakistan's elected governments (a caretaker held the post): no guess.
    assert found(finder, "Pakistan's prime minister", date(2023, 10, 1)) == []


def test_reading_stops_at_the_limit_with_the_same_first_names(finder: MentionFinder) -> None:
    text = "Putin met Macron in Paris while NATO and China watched. " * 20
    everything = finder.find(text)
    assert finder.find(text, limit=7) == everything[:7]
    assert finder.find(text, limit=len(everything) + 1) == everything


def test_a_body_s_name_may_be_written_in_title_case(finder: MentionFinder) -> None:
    # Headlines and formal names capitalise the common nouns: "Congolese Army".
    assert found(finder, "Shelling by the Myanmar Armed Forces Resumes Near Lashio") == [
        ("tatmadaw", "Myanmar Armed Forces")
    ]
    assert found(finder, "The Congolese Army denied the report.") == [
        ("fardc", "The Congolese Army")
    ]
    # Only the words after the first: a lower-case start is matched as registered.
    assert found(finder, "the myanmar armed forces") == []


def test_a_place_that_names_a_document_or_process_is_no_mention(finder: MentionFinder) -> None:
    assert found(finder, "They said the Kyiv declaration and the Moscow agreements died.") == []
    assert found(finder, "The Algiers Accord ended the war; the Astana process stalled.") == []
    assert found(finder, "Under the Moscow format, envoys met twice.") == []
    # The place acting, a possessive, or a party to the document stays a mention.
    assert found(finder, "Moscow agreed; Kyiv's agreement came later.") == [
        ("russia", "Moscow"),
        ("ukraine", "Kyiv"),
    ]
    assert found(finder, "The agreement between Moscow and Kyiv holds.") == [
        ("russia", "Moscow"),
        ("ukraine", "Kyiv"),
    ]


def test_a_finder_told_of_discovered_actors_knows_their_sides_and_bodies(
    finder: MentionFinder,
) -> None:
    article_finder = finder.knowing(
        {"eritrean-ministry-of-information": "eritrea", "lu-kang": "china"},
        ["eritrean-ministry-of-information"],
    )
    assert not article_finder.is_person("eritrean-ministry-of-information")
    assert article_finder.is_person("lu-kang")  # other unregistered names are people
    # Their principal is their registered affiliation's.
    assert article_finder.principal("lu-kang") == "china"
    assert finder.principal("lu-kang") is None  # the shared finder is unchanged
    assert finder.is_person("eritrean-ministry-of-information")
    assert finder.knowing({}) is finder


def test_a_short_name_two_states_share_names_the_one_the_article_names(
    finder: MentionFinder,
) -> None:
    drc = "Fighting resumed in the Democratic Republic of the Congo. Congo blamed its neighbour."
    assert found(finder, drc) == [
        ("dr-congo", "Democratic Republic of the Congo"),
        ("dr-congo", "Congo"),
    ]
    roc = "Congo said the vote in Brazzaville was fair."
    assert found(finder, roc) == [("republic-of-the-congo", "Congo"),
                                  ("republic-of-the-congo", "Brazzaville")]  # fmt: skip
    # Neither or both named in full: "Congo" stays unknown; a river is no state.
    assert found(finder, "Congo blamed its neighbour.") == []
    both = "Kinshasa and Brazzaville face each other across the Congo River. Congo said no."
    assert [actor for actor, _ in found(finder, both)] == ["dr-congo", "republic-of-the-congo"]
    assert found(finder, "Kinshasa closed the Congo River to barges.") == [("dr-congo", "Kinshasa")]


def test_a_state_s_cabinet_is_the_state_acting(finder: MentionFinder) -> None:
    assert found(finder, "The Israeli cabinet approved the deal; the British Cabinet met.") == [
        ("israel", "Israeli"),
        ("united-kingdom", "British"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Foreign ministry spokesman Abbas Mousavi said the talks were over.",
        "The films of Abbas Kiarostami were shown in Tehran.",
    ],
)
def test_a_lone_name_before_another_capitalised_name_is_someone_else(
    finder: MentionFinder, text: str
) -> None:
    assert "mahmoud-abbas" not in [actor for actor, _ in found(finder, text)]


@pytest.mark.parametrize(
    "text",
    [
        "Abbas said the talks were over.",
        # A title-case headline capitalises the verb and small words after the name.
        "Abbas Says Talks Are Over",
        "Abbas Meets Blinken in Ramallah",
        "Abbas To Visit Cairo",
    ],
)
def test_a_lone_name_before_a_verb_or_a_small_word_is_still_the_person(
    finder: MentionFinder, text: str
) -> None:
    assert found(finder, text)[0] == ("mahmoud-abbas", "Abbas")


def test_registered_sides_and_people_as_the_registry_has_them(registry: ActorRegistry) -> None:
    finder = MentionFinder(registry)
    for actor in registry:
        assert finder.principal(actor.id) == registry.principal(actor.id)
        assert finder.is_person(actor.id) == (actor.kind == "person")
    assert finder.principal("vladimir-putin") == "russia"
    assert finder.is_person("vladimir-putin")
    assert not finder.is_person("russia")
    assert not finder.is_person("kremlin")
    # Not registered, and no affiliation given: no side; a person unless said otherwise.
    assert finder.principal("someone-unknown") is None
    assert finder.principal("") is None
    assert finder.is_person("someone-unknown")
    told = finder.knowing({"a-envoy": "not-registered"})
    assert told.principal("a-envoy") is None  # an affiliation the registry lacks
