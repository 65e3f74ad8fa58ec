from __future__ import annotations

from detente.registry import ActorRegistry
from detente.text import MentionFinder, attribute, split_sentences


def test_split_sentences_spares_abbreviations_and_initials() -> None:
    text = "Mr. Smith met U.S. officials. Vladimir V. Putin said no.\n\nA new paragraph here."
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == [
        "Mr. Smith met U.S. officials.",
        "Vladimir V. Putin said no.",
        "A new paragraph here.",
    ]
    assert [s.paragraph for s in sentences] == [0, 0, 1]
    assert all(text[s.start : s.end] == s.text for s in sentences)


def test_mentions_take_the_longest_alias_on_word_boundaries(registry: ActorRegistry) -> None:
    finder = MentionFinder(registry)
    text = "President Putin's envoy met Macron; The Kremlin and Moscowland were silent."
    found = [(m.actor, m.surface) for m in finder.find(text)]
    assert found == [
        ("vladimir-putin", "President Putin"),
        ("emmanuel-macron", "Macron"),
        ("kremlin", "The Kremlin"),
    ]


def test_mentions_fold_accents_and_curly_quotes(registry: ActorRegistry) -> None:
    finder = MentionFinder(registry)
    assert [m.actor for m in finder.find("the Elysee’s view")] == ["elysee"]


def speakers(registry: ActorRegistry, text: str) -> list[tuple[str, str]]:
    result = attribute(text, MentionFinder(registry))
    return [(s.actor, s.cue) for s in result.statements]


def test_reporting_verbs_in_both_orders(registry: ActorRegistry) -> None:
    assert speakers(registry, "Putin warned that NATO was a threat.") == [
        ("vladimir-putin", "reporting verb")
    ]
    assert speakers(registry, '"We want peace," said the Kremlin.') == [
        ("kremlin", "inverted reporting verb")
    ]
    assert speakers(registry, "Talks will go on, according to the Élysée.") == [
        ("elysee", "according to")
    ]


def test_object_of_a_verb_is_not_a_speaker(registry: ActorRegistry) -> None:
    text = "Putin repeated that he was not happy: he told Macron that NATO ignored him."
    assert ("emmanuel-macron", "inverted reporting verb") not in speakers(registry, text)


def test_pronouns_and_open_quotes_carry_over_to_the_last_speaker(registry: ActorRegistry) -> None:
    text = 'Lavrov said talks were pointless. He added that "patience is over. We will act."'
    text += " NATO is watching. It said nothing."
    result = speakers(registry, text)
    assert result[:2] == [("sergei-lavrov", "reporting verb"), ("sergei-lavrov", "carried over")]
    assert ("nato", "carried over") in result


def test_mentions_inside_quotes_do_not_speak(registry: ActorRegistry) -> None:
    text = '"Putin has no offensive intentions," the Élysée said.'
    assert speakers(registry, text) == [("elysee", "reporting verb")]


def test_role_of_actor_and_coordinated_subjects(registry: ActorRegistry) -> None:
    assert speakers(registry, "The representative of France urged restraint.") == [
        ("france", "role of actor")
    ]
    together = speakers(registry, "Macron and Putin agreed to keep talking.")
    assert sorted(together) == [
        ("emmanuel-macron", "reporting verb"),
        ("vladimir-putin", "reporting verb"),
    ]
    assert sorted(speakers(registry, "Macron and Putin, after weeks of silence, met.")) == [
        ("emmanuel-macron", "sentence subject"),
        ("vladimir-putin", "sentence subject"),
    ]


def test_a_mere_mention_late_in_a_sentence_is_not_a_statement(registry: ActorRegistry) -> None:
    assert speakers(registry, "Heavy snow fell for days across the plains near Kyiv.") == []
