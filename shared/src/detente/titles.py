"""Titles whose holder acts: the act is the holder's, not the title's owner's.

Attribution gives a weak cue ("office of actor") to whoever a title names: Serbia in "the
President of Serbia said", the Secretary-General in "the Special Representative of the
Secretary-General said". Once the article names the person who acts under that title, the
cue has done its work and would only make the title's owner a speaker beside its holder.
So too "by Russia's President Putin" (the agent is Putin) and a state the article names
only in its people's titles ("Russia's Sergei Lavrov was also present"): no candidate.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from itertools import pairwise
from typing import TYPE_CHECKING

from detente.cues import AGENT_BY, OFFICE
from detente.mentions import Mention, MentionFinder

if TYPE_CHECKING:  # attribution imports this module
    from detente.attribution import Statement

# Between an envoy's name and the title that names whom the envoy serves: an appositive
# ("Zahir Tanin, Special Representative of the"), not another clause ("..., and").
_APPOSED = re.compile(r"^[^.;:]{0,80}$")
_ANOTHER_CLAUSE = re.compile(r"\b(?:and|but|while|who|which|said|says)\b")


def without_titles_of_people_who_act(
    statements: list[Statement],
    mentions_within: Callable[[int, int], list[Mention]],
    finder: MentionFinder,
) -> list[Statement]:
    """`statements` less the title cues whose holder acts in the article.

    A state named only in its leader's title ("Serbian President Blames ...", "the
    President of Serbia said") does not act itself: where the article names a person of
    that state who acts, the act is the person's (bodies and armed groups, whose leaders
    speak for them, keep their cue). A person named only in the title of an envoy who is
    named beside it and acts ("Zahir Tanin, Special Representative of the
    Secretary-General, said") does not act either."""
    if not any(s.cue == OFFICE for s in statements):  # most articles: nothing to look up
        return statements
    acting = [s for s in statements if s.cue != OFFICE and finder.is_person(s.actor)]
    if not acting:
        return statements
    sides = {finder.principal(s.actor) for s in acting}
    acting_in: dict[int, set[str]] = defaultdict(set)
    for statement in acting:
        acting_in[statement.sentence.index].add(statement.actor)

    def beside_an_envoy(statement: Statement) -> bool:
        sentence = statement.sentence
        within = mentions_within(sentence.start, sentence.end)
        titles = [m for m in within if m.actor == statement.actor]
        envoys = [m for m in within if m.actor in acting_in[sentence.index]]
        for title in titles:
            for envoy in envoys:
                first, second = (envoy, title) if envoy.start < title.start else (title, envoy)
                gap = sentence.text[first.end - sentence.start : second.start - sentence.start]
                if _APPOSED.match(gap) and not _ANOTHER_CLAUSE.search(gap):
                    return True
        return False

    def kept(statement: Statement) -> bool:
        if statement.cue != OFFICE:
            return True
        if finder.is_person(statement.actor):
            return not beside_an_envoy(statement)
        return not (finder.is_state(statement.actor) and statement.actor in sides)

    return [statement for statement in statements if kept(statement)]


# Between a state and the person its title names: "United States' President ", "Russian
# Foreign Minister ", "Iran's president ", or only "'s " where the person's mention holds
# the title: title words only.
_LONGEST_TITLE_GAP = 60  # four words and a possessive; not worth copying a longer gap
_TITLE_GAP = re.compile(r"^(?:['’]s? (?:[A-Za-z][\w-]* ){0,4}| (?:[A-Za-z][\w-]* ){1,4})$")


def _titles_its_person(state: Mention, person: Mention, text: str, finder: MentionFinder) -> bool:
    """Whether `state` is the title of `person`, one of its own, named right after it."""
    return (
        finder.is_person(person.actor)
        and finder.principal(person.actor) == state.actor
        and person.start - state.end <= _LONGEST_TITLE_GAP
        and _TITLE_GAP.match(text[state.end : person.start]) is not None
    )


def states_named_only_in_titles(
    mentions: list[Mention], text: str, finder: MentionFinder
) -> set[str]:
    """The states every mention of which is the title of a person of theirs named right
    after it ("a proposal by United States' President Donald Trump"): the person is the one
    who acts, and the state is no candidate for a stance of its own."""
    only_titles: dict[str, bool] = {}
    for state, following in pairwise([*mentions, None]):
        if state is not None and finder.is_state(state.actor):
            titled = following is not None and _titles_its_person(state, following, text, finder)
            only_titles[state.actor] = only_titles.get(state.actor, True) and titled
    return {actor for actor, titled in only_titles.items() if titled}


_BY = re.compile(r"\bby\s+(?:the\s+)?$")


def person_acts_for_the_title(
    speakers: dict[str, str], mentions: list[Mention], text: str, finder: MentionFinder
) -> None:
    """ "a proposal by United States' President Donald Trump": the agent is the person, not
    the state in the title (whether the title gave the state a cue of its own or not).
    `mentions` are a sentence's, in order, in `text`. Other cues of a state before its
    person's title stay: "Russia's ambassador X said" is Russia's voice (a role), and "the
    President of Serbia said" is the title cue `without_titles_of_people_who_act` settles."""
    for state, person in pairwise(mentions):
        if (
            speakers.get(state.actor) in (AGENT_BY, OFFICE)
            and _BY.search(text[max(0, state.start - 12) : state.start])
            and finder.is_state(state.actor)
            and _titles_its_person(state, person, text, finder)
        ):
            speakers.setdefault(person.actor, AGENT_BY)
            del speakers[state.actor]
