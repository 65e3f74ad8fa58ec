from __future__ import annotations

import pytest

from detente.cues import PARTY, _role_of, cue_for


def cue_of(sentence: str, name: str) -> str | None:
    """The cue `cue_for` gives the first `name` in `sentence`."""
    at = sentence.index(name)
    return cue_for(sentence[:at], sentence[at + len(name) :])


@pytest.mark.parametrize(
    ("sentence", "name", "cue"),
    [
        ("The raid followed Hamas rocket attacks on the town.", "Hamas", "deed"),
        ("Observers praised the envoy in his efforts, and Kenya in its mediation.", "Kenya",
         "deed"),
        # An infinitive's deed is asked of the name, not done by it.
        ("Pressing leaders in Kyiv and Moscow to maintain their commitment to the deal, ...",
         "Moscow", None),
        ("The report named Iran and the attacks on shipping.", "Iran", None),
    ],
)  # fmt: skip
def test_a_deed_noun_names_its_agent_only_through_qualifiers(
    sentence: str, name: str, cue: str | None
) -> None:
    assert cue_of(sentence, name) == cue


@pytest.mark.parametrize(
    ("sentence", "cue"),
    [
        ("While Armenia viewed the plan as a threat, others welcomed it.", "clause subject"),
        ("Because Armenia withdrew, the meeting ended.", "clause subject"),
        # A passive verb names what befell the subject.
        ("While Armenia was attacked by drones, the talks went on.", None),
    ],
)
def test_a_sentence_may_open_with_the_conjunction_of_a_subject_clause(
    sentence: str, cue: str | None
) -> None:
    assert cue_of(sentence, "Armenia") == cue


@pytest.mark.parametrize(
    ("sentence", "cue"),
    [
        ("The talks between Serbia and Kosovo resumed in Brussels.", PARTY),
        ("Tensions Shrink Space for Dialogue between Serbia, Kosovo", None),
        ("Officials hoped for direct talks between Serbia and Kosovo.", None),
    ],
)
def test_talks_that_are_a_purpose_have_no_parties_yet(sentence: str, cue: str | None) -> None:
    assert cue_of(sentence, "Serbia") == cue


@pytest.mark.parametrize(
    ("sentence", "cue"),
    [
        ("Armenia has warned of war.", "reporting verb"),
        ("Armenia is committed to the talks.", "reporting verb"),
        ("Armenia was attacked by drones.", None),
        ("Armenia has been urged to return to the talks.", None),
    ],
)
def test_the_subject_of_a_passive_reporting_verb_does_not_speak(
    sentence: str, cue: str | None
) -> None:
    assert cue_of(sentence, "Armenia") == cue


@pytest.mark.parametrize(
    ("sentence", "cue"),
    [
        ("Briefing the Council, Jane Roe, Under-Secretary-General, reporting that attacks had "
         "tripled in May, said that talks were stalled.", "subject with appositive"),
        # No verb of the subject's after the participle clause: a list, not a subject.
        ("Observers named Jane Roe, an envoy, hoping for calm, and two aides.", None),
    ],
)  # fmt: skip
def test_a_participle_clause_may_stand_between_an_appositive_and_the_verb(
    sentence: str, cue: str | None
) -> None:
    assert cue_of(sentence, "Jane Roe") == cue


@pytest.mark.parametrize(
    ("sentence", "cue"),
    [
        ("As the body met, many of its Members saw a threat, calling for a truce.",
         "clause subject"),
        ("As the body met, its Members sees no threat.", "clause subject"),
        # A possessive of another noun: the members are no subject there.
        ("As the body met, many of its Members' aides left.", None),
    ],
)  # fmt: skip
def test_a_body_s_own_members_may_open_a_clause(sentence: str, cue: str | None) -> None:
    assert cue_of(sentence, "Members") == cue


@pytest.mark.parametrize(
    ("sentence", "cue"),
    [
        ("Turkey warned Greece against new drills.", "reporting verb"),
        ("Turkey on Monday warned Greece against new drills.", "reporting verb"),
        ("Turkey, on Tuesday, said it would respond.", "reporting verb"),
        ("Turkey last week rejected the plan.", "reporting verb"),
        ("Turkey on 3 March said it would respond.", "reporting verb"),
        ("Turkey earlier this month announced new drills.", "reporting verb"),
        # Only a time is skipped: the verb after it still decides.
        ("Turkey on Monday was attacked by drones.", None),
        ("Talks in Turkey on Monday ended without a deal.", None),
        ("Turkey on the other hand said it would wait.", None),
    ],
)
def test_a_time_between_the_subject_and_its_verb_is_skipped(sentence: str, cue: str | None) -> None:
    assert cue_of(sentence, "Turkey") == cue


def test_the_role_noun_around_a_name() -> None:
    assert _role_of("the representative of ", " said") == "representative"
    assert _role_of("THE REPRESENTATIVE OF ", " said") == "representative"
    assert _role_of("", "'s foreign minister said") == "foreign"
    assert _role_of("", "'S MINISTER SAID") == "minister"
    assert _role_of("", "’s envoy told") == "envoy"
    assert _role_of("", " said on Monday") is None
    assert _role_of("talks with ", "'s envoy") is None  # the role holder is an object there
    assert _role_of("the professor of ", " said") is None
