from __future__ import annotations

from datetime import date

from detente.attribution import (
    MENTIONED_ONLY,
    THE_TWO,
    Attribution,
    Mention,
    MentionFinder,
    attribute,
    mask_mentions,
    split_sentences,
)
from detente.registry import ActorRegistry


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
    """Who acts in `text`, leaving out the fallback for actors who are only named."""
    result = attribute(text, MentionFinder(registry))
    return [(s.actor, s.cue) for s in result.statements if s.cue != MENTIONED_ONLY]


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
        ("emmanuel-macron", "subject with appositive"),
        ("vladimir-putin", "subject with appositive"),
    ]


def test_a_mere_mention_late_in_a_sentence_is_not_a_statement(registry: ActorRegistry) -> None:
    assert speakers(registry, "Heavy snow fell for days across the plains near Kyiv.") == []


def test_demonyms_name_an_actor_only_before_a_role_noun(registry: ActorRegistry) -> None:
    finder = MentionFinder(registry)
    assert [m.actor for m in finder.find("Russian officials said talks were over.")] == ["russia"]
    assert finder.find("Russian novels and Ukrainian songs were played.") == []
    assert speakers(registry, "Ukrainian troops shelled the bridge overnight.") == [
        ("ukraine", "sentence subject")
    ]
    assert speakers(registry, "In Geneva, Russian diplomats rejected the plan.") == [
        ("russia", "reporting verb")
    ]


def test_deeds_after_an_introductory_phrase_are_attributed(registry: ActorRegistry) -> None:
    text = "After weeks of quiet along the border, on Tuesday morning, NATO deployed jets."
    assert speakers(registry, text) == [("nato", "reporting verb")]
    text = "For the first time in a decade of talks over the dam, Ukraine has walked out."
    assert speakers(registry, text) == [("ukraine", "clause subject")]


def test_demonym_clashing_with_an_alias_is_refused() -> None:
    import pytest

    from detente.registry import RegistryError

    toml = (
        '[[actor]]\nid="a"\nname="Chad"\nkind="state"\n'
        '[[actor]]\nid="b"\nname="B"\nkind="state"\ndemonyms=["Chad"]\n'
    )
    with pytest.raises(RegistryError, match="demonym"):
        ActorRegistry.from_toml(toml)


def test_agents_deeds_appositives_and_statement_authors(registry: ActorRegistry) -> None:
    assert speakers(
        registry, "The Council condemned the shelling of the port by Russian forces."
    ) == [("russia", "agent (by)")]
    assert speakers(registry, "Observers counted three NATO air strikes before dawn.") == [
        ("nato", "deed")
    ]
    text = "Sergei Lavrov, the veteran minister, rejected the offer."
    assert speakers(registry, text) == [("sergei-lavrov", "subject with appositive")]
    text = "The following is a statement by President Macron.\n\nWe will keep talking."
    assert speakers(registry, text) == [
        ("emmanuel-macron", "statement by"),
        ("emmanuel-macron", "first person of the statement's author"),
    ]


def test_actors_only_named_fall_back_to_the_sentences_that_name_them(
    registry: ActorRegistry,
) -> None:
    text = "Putin warned Kyiv. Heavy snow fell near Kyiv again. Nobody spoke after that."
    result = attribute(text, MentionFinder(registry))
    fallback = [(s.actor, s.sentence.index) for s in result.statements if s.cue == MENTIONED_ONLY]
    assert fallback == [("ukraine", 0), ("ukraine", 1)]
    assert ("vladimir-putin", "reporting verb") in [(s.actor, s.cue) for s in result.statements]


def test_a_name_inside_a_longer_name_is_no_mention(registry: ActorRegistry) -> None:
    finder = MentionFinder(registry)
    assert finder.find("Nkosazana Dlamini-Putin said the union would act.") == []
    assert finder.find("The Grand Moscow Council met.") == []  # part of an unknown body's name
    # Titles, sentence starts and actor pairs are no longer names.
    found = [m.actor for m in finder.find("Talks with President Putin. Moscow-Paris ties warmed.")]
    assert found == ["vladimir-putin", "russia", "france"]


def test_offices_resolve_by_the_articles_date_and_yield_to_a_following_name(
    offices: ActorRegistry,
) -> None:
    finder = MentionFinder(offices)
    text = "The Secretary-General urged restraint."
    assert [m.actor for m in finder.find(text, date(2010, 5, 1))] == ["ban-ki-moon"]
    assert [m.actor for m in finder.find(text, date(2020, 5, 1))] == ["antonio-guterres"]
    assert finder.find(text, date(1990, 5, 1)) == []
    # The name given with the title decides; a former holder is not today's.
    named = finder.find("The UN chief, Guterres, spoke.", date(2010, 5, 1))
    assert [m.actor for m in named] == ["antonio-guterres"]
    assert finder.find("The former UN chief spoke.", date(2020, 5, 1)) == []


def test_of_two_overlapping_names_the_one_reaching_further_wins() -> None:
    registry = ActorRegistry.from_toml(
        '[[actor]]\nid = "a"\nname = "Gustavo Petro"\nkind = "person"\n'
        'aliases = ["President Petro"]\n'
        '[[actor]]\nid = "b"\nname = "Petro Poroshenko"\nkind = "person"\n'
    )
    finder = MentionFinder(registry)
    assert [m.actor for m in finder.find("President Petro Poroshenko spoke.")] == ["b"]
    assert [m.actor for m in finder.find("President Petro spoke.")] == ["a"]


def test_a_place_used_as_a_surname_is_no_mention(registry: ActorRegistry) -> None:
    finder = MentionFinder(registry)
    assert finder.find("The question came from reporter Ukraine and Mr Paris.") == []
    assert [m.actor for m in finder.find("Ukraine and Paris agreed.")] == ["ukraine", "france"]


def test_a_bracketed_name_echoes_the_one_before_it(registry: ActorRegistry) -> None:
    text = "The head of the monitoring mission in Kyiv (Ukraine), said talks were over."
    result = attribute(text, MentionFinder(registry))
    assert [(s.actor, s.cue) for s in result.statements] == [("ukraine", "mentioned only")]


def test_parties_to_an_agreement_act_and_sides_of_a_conflict_do_not(
    registry: ActorRegistry,
) -> None:
    finder = MentionFinder(registry)
    deal = attribute("They hailed the agreement between Moscow and Kyiv on grain.", finder)
    assert [(s.actor, s.cue) for s in deal.statements] == [
        ("russia", "party to an agreement or talks"),
        ("ukraine", "party to an agreement or talks"),
    ]
    war = attribute("The conflict between Moscow and Kyiv raged on.", finder)
    assert {s.cue for s in war.statements} == {"mentioned only"}


def test_named_mediators_act_in_lists_compounds_and_possessives(registry: ActorRegistry) -> None:
    text = "He commended the mediators — France, Ukraine and NATO — for the deal."
    assert speakers(registry, text) == [
        ("france", "mediator"), ("ukraine", "mediator"), ("nato", "mediator")
    ]  # fmt: skip
    text = "Praise went to the mediators from France, from Ukraine and from NATO."
    assert [actor for actor, _ in speakers(registry, text)] == ["france", "ukraine", "nato"]
    assert speakers(registry, "The France-brokered truce held overnight.") == [
        ("france", "agent (compound)")
    ]
    text = "At France's initiative, the talks resumed; in response to Russia's offensive."
    assert [actor for actor, _ in speakers(registry, text)] == ["france", "russia"]
    # A venue or a target after a preposition still does not act.
    assert speakers(registry, "Delegates met in Paris to discuss attacks on Ukraine.") == []


def test_a_person_named_at_the_end_of_the_headline_is_its_author(
    registry: ActorRegistry,
) -> None:
    result = attribute(
        "Earlier this week I met our partners in Kyiv.",
        MentionFinder(registry),
        title="Remarks on the summit (President Emmanuel Macron)",
    )
    cues = [(s.actor, s.cue) for s in result.statements if s.cue != MENTIONED_ONLY]
    assert cues == [
        ("emmanuel-macron", "statement by"),
        ("emmanuel-macron", "first person of the statement's author"),
    ]
    # Brackets in mid-headline name no author.
    middle = attribute(
        "Talks went on.", MentionFinder(registry), title="Remarks (President Macron) on Kyiv"
    )
    assert "statement by" not in {s.cue for s in middle.statements}


def test_masking_replaces_only_the_names_inside_the_span(registry: ActorRegistry) -> None:
    text = "Putin warned Kyiv. Macron called Putin and NATO."
    result = attribute(text, MentionFinder(registry))
    second = result.sentences[1]

    def token(mention: Mention) -> str:
        return "SELF" if mention.actor == "vladimir-putin" else "OTHER"

    assert result.masked(second, second.start, second.end, token) == "OTHER called SELF and OTHER."
    # From just inside "Putin" to the end: a name cut by the span stays as it is.
    inside = text.index("Putin and") + 2
    assert result.masked(second, inside, second.end, token) == "tin and OTHER."
    assert mask_mentions("Paris and Kyiv", 100, [], token) == "Paris and Kyiv"


def test_the_subject_of_a_quotation_acts_only_when_it_is_the_speakers_own_side(
    registry: ActorRegistry,
) -> None:
    own = '"Russia will answer any attack," Lavrov said.'
    assert sorted(speakers(registry, own)) == [
        ("russia", "own side in reported speech"),
        ("sergei-lavrov", "reporting verb"),
    ]
    # An accusation inside the quotation leaves its target a bystander.
    other = '"Ukraine shelled our villages again," Lavrov said.'
    assert speakers(registry, other) == [("sergei-lavrov", "reporting verb")]
    # A quotation running on into the next sentence keeps its speaker.
    running = 'Lavrov said: "We are ready. Russia wants talks."'
    assert ("russia", "own side in reported speech") in speakers(registry, running)


def test_both_sides_of_a_meeting_or_call_act_even_with_titles(registry: ActorRegistry) -> None:
    finder = MentionFinder(registry)
    met = attribute(
        "After a long meeting between French leader Macron and Russian leader Putin, aides "
        "were upbeat.",
        finder,
    )
    assert [(s.actor, s.cue) for s in met.statements] == [
        ("emmanuel-macron", "party to an agreement or talks"),
        ("vladimir-putin", "party to an agreement or talks"),
    ]
    # "Russian leader": the demonym names his state, only in his title (no candidate).
    assert "russia" in {m.actor for m in met.mentions}
    called = attribute(
        "The phone call between the Speaker of the Rada, Ivan Petrenko, and President Macron "
        "lasted an hour.",
        finder,
    )
    assert ("emmanuel-macron", "party to an agreement or talks") in [
        (s.actor, s.cue) for s in called.statements
    ]


def test_the_person_a_title_names_is_the_party_not_the_state(registry: ActorRegistry) -> None:
    finder = MentionFinder(registry)
    result = attribute(
        "Aides praised the meeting between the leader of Russia, Putin, and the French "
        "President Macron.",
        finder,
    )
    assert [(s.actor, s.cue) for s in result.statements] == [
        ("vladimir-putin", "party to an agreement or talks"),
        ("emmanuel-macron", "party to an agreement or talks"),
        ("russia", "mentioned only"),
    ]
    # No person named: the states are the parties.
    states = attribute(
        "Aides praised the summit between the leaders of Russia and Ukraine.", finder
    )
    assert {s.actor: s.cue for s in states.statements} == {
        "russia": "party to an agreement or talks",
        "ukraine": "party to an agreement or talks",
    }


def test_a_speaker_credits_mediators_and_parties_inside_a_quotation(
    registry: ActorRegistry,
) -> None:
    finder = MentionFinder(registry)
    result = attribute(
        '"The work of the mediators from Paris, from Moscow, made this possible," Macron '
        'said. "Kyiv is shelling us," he added.',
        finder,
    )
    cues = [(s.actor, s.cue) for s in result.statements]
    assert ("france", "mediator") in cues
    assert ("russia", "mediator") in cues
    # What a speaker says another did is no stance of its own; and the speaker still speaks.
    assert ("ukraine", "mentioned only") in cues
    assert ("emmanuel-macron", "carried over") in cues


def test_the_subject_of_a_passive_verb_or_a_possessor_does_not_act(
    registry: ActorRegistry,
) -> None:
    finder = MentionFinder(registry)
    passive = attribute("Ukraine has been divided since the war. Kyiv was shelled again.", finder)
    assert {s.cue for s in passive.statements} == {"mentioned only"}
    possessor = attribute("Ukraine's economy is a worry for everyone.", finder)
    assert [s.cue for s in possessor.statements] == ["mentioned only"]
    # A participle that states the subject's own position is no passive.
    ready = attribute("Kyiv is prepared to talk. Moscow was opposed to any truce.", finder)
    assert {s.actor: s.cue for s in ready.statements} == {
        "ukraine": "sentence subject",
        "russia": "reporting verb",
    }


def test_passive_after_reads_the_verb_phrase_after_a_name() -> None:
    from detente.cues import passive_after

    assert passive_after(" has been split since 1974")
    assert passive_after(" was attacked by drones")
    assert passive_after(" were also hit")
    assert passive_after(" Can Only Be Overcome by Compromise")
    assert not passive_after(" is determined to resist")
    assert not passive_after(" has rejected the offer")
    assert not passive_after("'s forces were shelled")


def test_the_two_countries_or_leaders_are_the_pair_named_before(registry: ActorRegistry) -> None:
    finder = MentionFinder(registry)
    countries = attribute(
        "Shelling along the border between Russia and Ukraine went on, as the two countries "
        "agreed to talk.",
        finder,
    )
    assert {s.actor: s.cue for s in countries.statements} == {
        "russia": THE_TWO,
        "ukraine": THE_TWO,
    }
    leaders = attribute("Putin and Macron spoke by phone. The two leaders discussed Kyiv.", finder)
    cues = [(s.actor, s.cue) for s in leaders.statements]
    assert ("vladimir-putin", THE_TWO) in cues
    assert ("emmanuel-macron", THE_TWO) in cues
    assert ("ukraine", "mentioned only") in cues
    # "leaders" are people: a pair of states is not theirs; and an object is no subject.
    none = attribute(
        "Russia and Ukraine traded blame. Diplomats urged the two leaders to meet.", finder
    )
    assert ("russia", THE_TWO) not in [(s.actor, s.cue) for s in none.statements]
    # The people of a pair are the pair, not the state in the second one's title.
    titled = attribute(
        "Talks between President Macron and Russian Foreign Minister Sergey Lavrov ran late. "
        "The two sides agreed to meet again in May.",
        finder,
    )
    later = {s.actor: s.cue for s in titled.statements if s.sentence.index == 1}
    assert later == {"emmanuel-macron": THE_TWO, "sergei-lavrov": THE_TWO}


def test_an_office_reporting_its_own_principal_only_relays(registry: ActorRegistry) -> None:
    finder = MentionFinder(registry)
    relayed = attribute("The Kremlin said Putin expressed deep concern.", finder)
    assert {s.actor: s.cue for s in relayed.statements} == {
        "vladimir-putin": "reporting verb",
        "kremlin": "mentioned only",
    }
    # About someone else's person, the office speaks for itself.
    own = attribute("The Kremlin said Macron had misled the public.", finder)
    assert ("kremlin", "reporting verb") in [(s.actor, s.cue) for s in own.statements]


def test_procedural_acts_are_no_stance_but_meetings_with_someone_are(
    registry: ActorRegistry,
) -> None:
    from detente.cues import procedural_after

    assert procedural_after(" today convened an emergency meeting on Kyiv")
    assert procedural_after(" Hears Briefing on the Crisis")
    assert procedural_after(" held its third emergency session")
    assert procedural_after(" speakers voiced concern")
    assert not procedural_after(" held a meeting with the Russian envoy")
    assert not procedural_after(" held talks in Geneva")
    assert not procedural_after(" warned Kyiv")
    finder = MentionFinder(registry)
    convened = attribute("NATO Holds Emergency Meeting. Then NATO convened its envoys.", finder)
    assert {s.cue for s in convened.statements} == {"mentioned only"}
    met = attribute("NATO held a meeting with Kyiv on Monday.", finder)
    assert ("nato", "sentence subject") in [(s.actor, s.cue) for s in met.statements]


def test_the_subject_of_a_relative_clause_acts(registry: ActorRegistry) -> None:
    finder = MentionFinder(registry)
    result = attribute("Talks resumed with Lavrov, who warned against any delay.", finder)
    assert [(s.actor, s.cue) for s in result.statements] == [("sergei-lavrov", "clause subject")]
    object_of = attribute("Talks resumed with Lavrov, whom nobody trusted.", finder)
    assert [s.cue for s in object_of.statements] == ["mentioned only"]


def test_an_honorific_does_not_break_a_coordinated_subject(registry: ActorRegistry) -> None:
    finder = MentionFinder(registry)
    result = attribute("Mr Putin and Mr Macron exchanged views on Kyiv.", finder)
    assert {s.actor: s.cue for s in result.statements} == {
        "vladimir-putin": "sentence subject",
        "emmanuel-macron": "sentence subject",
        "ukraine": "mentioned only",
    }


def test_a_subject_does_not_spread_back_to_a_prepositional_object(
    registry: ActorRegistry,
) -> None:
    """A comma before the subject reads like a list ("Russia, France and NATO said"), but a
    name after a preposition is where or about what, not one more subject."""
    text = "Amid the fighting in Ukraine, NATO today adopted new plans."
    assert speakers(registry, text) == [("nato", "clause subject")]
    assert {a for a, _ in speakers(registry, "Russia, France and NATO said they would stay.")} == {
        "russia", "france", "nato",
    }  # fmt: skip


def test_a_sentence_set_years_before_the_article_is_background(registry: ActorRegistry) -> None:
    finder = MentionFinder(registry)
    text = "In the treaty of 1997, Russia and Ukraine agreed on borders. Today Kyiv warned Moscow."
    recalled = attribute(text, finder, on=date(2022, 3, 1))
    assert [(s.actor, s.cue, s.sentence.index) for s in recalled.statements] == [
        ("ukraine", "reporting verb", 1),
        ("russia", "mentioned only", 0),
        ("russia", "mentioned only", 1),
    ]
    # Written in the year itself, the same sentence is news.
    current = attribute(text, finder, on=date(1997, 6, 1))
    assert ("russia", "reporting verb") in [(s.actor, s.cue) for s in current.statements]


def test_their_governments_are_the_states_of_the_pair_named_before(
    registry: ActorRegistry,
) -> None:
    finder = MentionFinder(registry)
    result = attribute(
        "I spoke with President Putin and Kyiv, and their governments have accepted the plan.",
        finder,
    )
    assert {s.actor: s.cue for s in result.statements} == {
        "russia": THE_TWO,  # President Putin stands for his state here
        "ukraine": THE_TWO,
        "vladimir-putin": "mentioned only",
    }


def test_a_party_named_later_leaves_the_sentence_subject_to_be_found(
    registry: ActorRegistry,
) -> None:
    finder = MentionFinder(registry)
    result = attribute("Paris saw a good sign before a meeting between Putin and Macron.", finder)
    assert {s.actor: s.cue for s in result.statements} == {
        "france": "sentence subject",
        "vladimir-putin": "party to an agreement or talks",
        "emmanuel-macron": "party to an agreement or talks",
    }


def test_coordinated_subjects_with_appositives_and_a_floating_both(
    registry: ActorRegistry,
) -> None:
    text = "Sergey Lavrov, and Macron, the French president, both said the meeting had been useful."
    assert dict(speakers(registry, text)) == {
        "sergei-lavrov": "subject with appositive",
        "emmanuel-macron": "subject with appositive",
    }


def test_a_name_in_a_clause_after_that_is_no_sentence_subject(registry: ActorRegistry) -> None:
    assert speakers(registry, "Claims that Moscow armed the rebels slowed the talks.") == []
    assert speakers(registry, "Moscow armed the rebels, officials said.") == [
        ("russia", "sentence subject")
    ]


def test_talks_asked_for_or_put_ahead_by_a_modal_are_no_act_of_the_parties(
    registry: ActorRegistry,
) -> None:
    held = "Macron said talks between Moscow and Kyiv resumed."
    assert ("russia", "party to an agreement or talks") in speakers(registry, held)
    for asked in (
        "Macron urged talks between Moscow and Kyiv.",
        "Macron said the dispute should be settled in talks between Moscow and Kyiv.",
        # Offered, proposed or invited to: not held yet either.
        "Macron offered to host talks between Moscow and Kyiv.",
        "Macron renewed his offer to host direct talks between Moscow and Kyiv in Paris.",
        "Macron put forward a proposal for a truce between Moscow and Kyiv.",
        "Macron invited Moscow and Kyiv to talks between Moscow and Kyiv in Paris.",
        "Macron said he was ready to host talks between Moscow and Kyiv.",
        # Still ahead, by what follows the parties.
        "Macron said talks between Moscow and Kyiv were expected to resume on Monday.",
        "Macron said a meeting between Moscow and Kyiv would be held in Paris.",
        "Macron said the summit between Moscow and Kyiv scheduled for May was off.",
    ):
        assert [a for a, _ in speakers(registry, asked)] == ["emmanuel-macron"]


def test_a_pronoun_that_reports_at_the_end_speaks_when_no_name_acts(
    registry: ActorRegistry,
) -> None:
    text = 'Macron spoke in Paris. The fight "will continue" in the Sahel, he said.'
    assert speakers(registry, text) == [
        ("emmanuel-macron", "sentence subject"),
        ("emmanuel-macron", "carried over"),
    ]
    # Not when a person named before the pronoun may be the one it stands for.
    text = "Macron spoke in Paris. Lavrov's plan would fail, he said."
    assert ("emmanuel-macron", "carried over") not in speakers(registry, text)


def test_a_name_joined_to_a_prepositional_object_is_one_too(registry: ActorRegistry) -> None:
    text = "The meetings held in Moscow and Kyiv on Monday will resume the dialogue."
    assert speakers(registry, text) == []
    # After "of", both act through the leaders named.
    text = "The leaders of Russia and Ukraine accepted the plan."
    assert ("ukraine", "clause subject") in speakers(registry, text)


def test_a_quotation_that_goes_on_is_the_speaker_s_not_the_sides_reported_on(
    registry: ActorRegistry,
) -> None:
    text = (
        "Lavrov met Macron. He said talks between Moscow and Kyiv had resumed. "
        '"Dialogue is the only path. We will go on."'
    )
    result = attribute(text, MentionFinder(registry))
    by_sentence = [
        [(s.actor, s.cue) for s in result.statements if s.sentence.index == index]
        for index in range(4)
    ]
    # The pair acts in the sentence that reports on it, and the pronoun's speaker speaks.
    assert by_sentence[1] == [
        ("russia", "party to an agreement or talks"),
        ("ukraine", "party to an agreement or talks"),
        ("sergei-lavrov", "carried over"),
    ]
    assert by_sentence[2] == by_sentence[3] == [("sergei-lavrov", "carried over")]


def test_the_state_owning_a_role_held_by_an_object_does_not_act(registry: ActorRegistry) -> None:
    assert speakers(registry, "Paris named Lavrov as Russia's new envoy.") == [
        ("france", "sentence subject")
    ]
    assert ("russia", "role of actor") in speakers(registry, "Russia's envoy refused.")


def test_a_name_right_after_a_verb_is_its_object_not_the_sentence_subject(
    registry: ActorRegistry,
) -> None:
    # Carried over from the last speaker instead: "The statement" is the Kremlin's.
    text = "The Kremlin issued a statement. The statement accused Kyiv of stalling."
    assert speakers(registry, text) == [
        ("kremlin", "sentence subject"),
        ("kremlin", "carried over"),
    ]
    assert speakers(registry, "Officials warned Paris on Monday.") == []
    assert speakers(registry, "Yesterday Paris warned Kyiv.") == [("france", "reporting verb")]


def test_a_statement_posted_on_a_site_is_its_owner_s(registry: ActorRegistry) -> None:
    assert speakers(registry, "A statement posted on the Kremlin website rejected the plan.") == [
        ("kremlin", "statement by")
    ]
    assert speakers(registry, "A message published on the Elysee's Telegram channel said no.") == [
        ("elysee", "statement by")
    ]
    # What a statement is about is not its author.
    assert speakers(registry, "A statement published on Ukraine drew wide criticism.") == []


def test_missile_barrages_and_raids_are_deeds(registry: ActorRegistry) -> None:
    assert speakers(registry, "Residents fled after Moscow's missile barrages hit the city.") == [
        ("russia", "deed")
    ]


def test_a_subject_that_only_remains_somewhere_does_not_act(registry: ActorRegistry) -> None:
    assert speakers(registry, "Kyiv Remains in the Dark as Talks Open") == []
    assert speakers(registry, "Meanwhile, Ukraine remained under curfew.") == []
    # A position the subject keeps is an act of its own.
    assert speakers(registry, "Moscow remains committed to the talks.") == [
        ("russia", "sentence subject")
    ]


def test_a_former_holder_s_act_dated_years_back_is_background() -> None:
    finder = MentionFinder(ActorRegistry.load())

    def acting(text: str) -> list[str]:
        found = attribute(text, finder, on=date(2018, 1, 30)).statements
        return [s.actor for s in found if s.cue != MENTIONED_ONLY]

    assert acting("Former Secretary-General Ban Ki-moon proposed a plan on 15 December 2016.") == []
    # A former holder speaking now, or today's holder recalling a date, act.
    assert acting("Former Secretary-General Ban Ki-moon said on Monday the plan failed.") == [
        "ban-ki-moon"
    ]
    assert acting("Macron said on Monday that the 2015 accord held.") == ["emmanuel-macron"]
    assert acting("Macron recalled the pact signed in May 2015.") == ["emmanuel-macron"]


def test_he_or_she_carries_over_to_the_last_person_who_spoke(registry: ActorRegistry) -> None:
    text = (
        "Macron, President of the French Republic and co-chair of the contact group of "
        "European and African states on the crisis in the Sahel region, said talks would go on. "
        "The plan was drafted by NATO. He said France had sent more envoys. "
        '"We will not give up," he added.'
    )
    found = [(s.actor, s.cue, s.sentence.index) for s in attribute(text, MentionFinder(registry))
             .statements if s.cue != MENTIONED_ONLY]  # fmt: skip
    assert found == [
        ("emmanuel-macron", "subject with appositive", 0),
        ("nato", "agent (by)", 1),
        # "He" is Macron, not NATO, and France is Macron's own side.
        ("emmanuel-macron", "carried over", 2),
        ("france", "own side in reported speech", 2),
        ("emmanuel-macron", "carried over", 3),
    ]


def test_a_name_joined_to_a_participle_by_a_hyphen_is_no_subject(registry: ActorRegistry) -> None:
    assert speakers(registry, "Both welcomed the plan, and NATO-centred processes began.") == []
    assert speakers(registry, "Both welcomed the plan, and NATO began.") == [
        ("nato", "clause subject")
    ]


def test_a_state_s_adjective_before_its_leader_s_title_names_the_person_acting(
    registry: ActorRegistry,
) -> None:
    headline = attribute("Aides were upbeat.", MentionFinder(registry),
                         title="Ukrainian Leaders Resume Talks in Geneva")  # fmt: skip
    assert [(s.actor, s.cue) for s in headline.statements] == [("ukraine", "office of actor")]
    assert speakers(registry, "The Ukrainian leaders resumed talks.") == [
        ("ukraine", "office of actor")
    ]
    # With the leader named, the person is the one who acts.
    assert speakers(registry, "Russian leader Putin said no.") == [
        ("vladimir-putin", "reporting verb")
    ]
    assert speakers(registry, "The Russian president said no.") == [("russia", "office of actor")]
    # Officials, troops and ministries are the state acting.
    assert speakers(registry, "Russian officials said no.") == [("russia", "reporting verb")]


def test_the_subject_of_a_clause_of_fact_acts_but_not_of_a_condition(
    registry: ActorRegistry,
) -> None:
    assert speakers(registry, "That is why the Kremlin is sending more envoys.") == [
        ("kremlin", "clause subject")
    ]
    assert speakers(registry, "Talks stalled because Kyiv withdrew its troops.") == [
        ("ukraine", "clause subject")
    ]
    assert speakers(registry, "Talks will stall if Kyiv withdraws its troops.") == []
    assert speakers(registry, "Aides doubt that Kyiv withdrew its troops.") == []


def test_mentions_within_leave_out_names_that_run_past_the_end() -> None:
    in_order = Attribution(
        sentences=[],
        mentions=[Mention("a", 0, 5, "A"), Mention("b", 6, 10, "B"), Mention("c", 11, 20, "C")],
    )
    assert [m.actor for m in in_order.mentions_within(0, 15)] == ["a", "b"]
    assert [m.actor for m in in_order.mentions_within(0, 20)] == ["a", "b", "c"]
    assert in_order.mentions_within(6, 6) == []
    # A name inside a longer one: ends out of order, each one is checked.
    nested = Attribution(
        sentences=[], mentions=[Mention("a", 0, 20, "A"), Mention("b", 5, 10, "B")]
    )
    assert [m.actor for m in nested.mentions_within(0, 12)] == ["b"]
    assert [m.actor for m in nested.mentions_within(0, 20)] == ["a", "b"]


def test_a_dated_lead_without_a_comma_sets_the_sentence_in_the_past(
    registry: ActorRegistry,
) -> None:
    finder = MentionFinder(registry)

    def acting(text: str, on: date) -> list[str]:
        return [
            s.actor for s in attribute(text, finder, on=on).statements if s.cue != MENTIONED_ONLY
        ]

    text = "In February 2023 the Kremlin accused Kyiv of stalling."
    assert acting(text, date(2026, 1, 1)) == []
    assert acting(text, date(2023, 3, 1)) == ["kremlin"]


def test_the_subject_of_a_that_clause_with_an_article_is_no_sentence_subject() -> None:
    finder = MentionFinder(ActorRegistry.load())

    def acting(text: str) -> list[str]:
        return [s.actor for s in attribute(text, finder).statements if s.cue != MENTIONED_ONLY]

    assert acting("Noting that the OPCW had begun an inquiry, he voiced concern.") == []
    assert acting("The OPCW had begun an inquiry, officials said.") == ["opcw"]


def test_a_territory_called_part_of_a_state_does_not_act(registry: ActorRegistry) -> None:
    assert speakers(registry, "Ukraine is part of Europe.") == []
    assert speakers(registry, "Kyiv has always been an inalienable part of Ukraine.") == []
    assert speakers(registry, "Ukraine is ready for talks.") == [("ukraine", "sentence subject")]


def test_abide_by_and_stand_by_name_no_agent(registry: ActorRegistry) -> None:
    assert speakers(registry, "Members must abide by the Russian Federation's embargo.") == []
    assert speakers(registry, "Paris would stand by Kyiv.") == [("france", "sentence subject")]
    assert speakers(registry, "The raid was ordered by Moscow.") == [("russia", "agent (by)")]
