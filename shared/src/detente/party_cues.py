"""Cues for acts credited to actors named later in a sentence than its subject: the parties
to an agreement, talks or a meeting ("talks between X and Y"), mediators ("mediators from
X"), and the agent of a compound ("the Qatar-brokered truce")."""

from __future__ import annotations

import re

from detente.prefilter import may_hold

# "the agreement between Armenia and Azerbaijan", "talks between Kyiv and Moscow": the
# parties to a deal or to talks act; "the conflict between ..." names no act of theirs.
PARTY = "party to an agreement or talks"
# A meeting or a call between two sides is an act of both: "a meeting between Greek Cypriot
# leader X and Turkish Cypriot leader Y", "the phone call between the two presidents".
_PARTY_NOUNS = (
    r"(?:agreements?|deals?|accords?|ceasefire|truce|talks|negotiations|dialogue|summits?|"
    r"treaty|memorandum|pact|exchange|swap|meetings?|conversations?|(?:tele)?phone\s+calls?)"
)
# The title a party may be named with after "between" or "and": "the leaders of",
# "Greek Cypriot leader", "the Speaker of the House of Representatives,".
_PARTY_TITLE = (
    r"(?:(?:leaders?|governments?|delegations?|representatives?)\s+of\s+(?:the\s+)?|"
    r"(?:[\w.'’-]+\s+){0,3}(?:leader|president|prime\s+minister|premier|chancellor|minister|"
    r"king|emir|speaker|chairman|chairwoman|chairperson|head|envoy|secretary)"
    r"(?:\s+of\s+(?:the\s+)?[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*){0,4})?,?\s+(?:[a-z]+\s+)?)?"
)
_PARTY_BEFORE = re.compile(
    rf"\b{_PARTY_NOUNS}\s+(?:[\w-]+\s+){{0,2}}between\s+(?:the\s+)?{_PARTY_TITLE}$",
    re.IGNORECASE,
)
# The second party, after "and": "between X and Turkish Cypriot leader Y" (a plain "and Y"
# is coordinated with the first party already).
_PARTY_SECOND = re.compile(
    rf"\b{_PARTY_NOUNS}\s+(?:[\w-]+\s+){{0,2}}between\s+(?:(?!\band\b)[^;:.!?\"“”]){{2,120}}"
    rf"\s+and\s+(?:the\s+)?(?:{_PARTY_TITLE}|(?:[\w.'’-]+\s+){{1,3}})$",
    re.IGNORECASE,
)
# "the mediators — Egypt, Qatar and the United States", "mediators from Kenya": a named
# mediator's act is the mediation.
MEDIATOR = "mediator"
# What `_MEDIATOR_BEFORE` cannot match without ("co-chair" holds "chair").
_MEDIATOR_NOUNS = ("mediator", "facilitator", "guarantor", "chair", "broker")
_MEDIATOR_BEFORE = re.compile(
    r"\b(?:mediators?|facilitators?|guarantors?|co-?chairs?|brokers?)\s*"
    r"(?:[—–:(,-]\s*|\s(?:from|of|in)\s+|,?\s*namely\s+)(?:the\s+)?$",
    re.IGNORECASE,
)
# "the Qatar-brokered truce", "US-led talks", "a Russian-backed offensive".
AGENT_COMPOUND = "agent (compound)"
_AGENT_COMPOUND = re.compile(
    r"^-(?:brokered|mediated|led|facilitated|sponsored|hosted|backed|drafted|proposed|"
    r"initiated|imposed|ordered)\b",
    re.IGNORECASE,
)


# Talks someone asks for, offers or proposes, or a modal puts ahead, are no act of the
# parties yet: "urged dialogue between X and Y", "should be worked out in talks between X
# and Y", "offered to host talks between X and Y", "a proposal for a truce between X and Y".
_NOT_YET = re.compile(
    r"\b(?:should|must|ought|would|could|urg(?:e|es|ed|ing)|call(?:s|ed|ing)?\s+for|"
    r"encourag(?:e|es|ed|ing)|press(?:es|ed|ing)?\s+for|need\s+for|"
    r"offer(?:s|ed|ing)?|propos(?:e|es|ed|ing|als?)|invit(?:e|es|ed|ing|ations?)|"
    r"(?:ready|willing|prepared)\s+to)\b"
    r"[^,;:.!?\"“”]*$"
    # "space for dialogue between", "hopes for direct talks between": talks that are a
    # purpose, not yet held.
    r"|\bfor\s+(?:[a-z-]+\s+){0,2}$",
    re.IGNORECASE,
)


# The same after the parties: "the summit between X and Y expected to take place", "talks
# between X and Y are scheduled for Monday", "a meeting between X and Y will be held".
_NOT_YET_AFTER = re.compile(
    r"[^,;:.!?\"“”]{0,100}?\b(?:(?:is|are|was|were|being)\s+)?(?:"
    r"(?:expected|planned|scheduled|due|set|slated)\s+(?:to|for)\b|"
    r"(?:will|would|shall|could|might|may)\s+(?:(?:not|also|now|soon|then)\s+)?"
    r"(?:take\s+place|be\s+held|resume|begin|start|open|convene)\b)",
    re.IGNORECASE,
)


def names_a_party(before: str, rest: str = "") -> bool:
    """Does `before` end where a party to an agreement, talks or a meeting is named, talks
    that are held rather than asked for or still ahead (`rest`: what follows the name)?"""
    tail = before[-200:]
    found = _PARTY_BEFORE.search(tail, max(0, len(tail) - 80)) or _PARTY_SECOND.search(tail)
    if found is None:
        return False
    at = found.start()
    if _NOT_YET.search(tail[max(0, at - 80) : at]) is not None:
        return False
    return _NOT_YET_AFTER.match(rest) is None


def names_a_mediator(before: str) -> bool:
    """Does `before` end where a mediator is named ("the mediators from")?"""
    tail = before[-40:]
    return may_hold(tail, _MEDIATOR_NOUNS) and _MEDIATOR_BEFORE.search(tail) is not None


def names_a_compound_agent(rest: str) -> bool:
    """Does `rest` open with the participle of a compound agent ("-brokered", "-led")?"""
    return _AGENT_COMPOUND.match(rest) is not None
