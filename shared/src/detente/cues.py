"""Cues: the wording around a name that makes it the actor of its sentence ("X said",
"according to X", "talks between X and Y"), read from the text before and after the name."""

from __future__ import annotations

import re

from detente.party_cues import AGENT_COMPOUND as AGENT_COMPOUND
from detente.party_cues import MEDIATOR as MEDIATOR
from detente.party_cues import PARTY as PARTY
from detente.party_cues import names_a_compound_agent, names_a_mediator, names_a_party
from detente.prefilter import may_end_of_or_for, may_hold

_WORD = re.compile(r"\w+")

REPORTING_VERBS = frozenset(
    """
    accused accuses acknowledged acknowledges added adds admits admitted affirmed
    affirms agreed agrees announced announces appealed appeals argued argues asserted
    asserts assured assures attacked attacks backed backs believed believes blamed
    blames called calls cautioned cautions claimed claims commits committed condemned
    condemns confirmed confirms countered counters criticised criticises criticized
    criticizes declared declares declined declines demanded demands denied denies
    denounced denounces deplored deplores deployed deploys dismissed dismisses
    emphasised emphasises emphasized emphasizes expelled expels explained explains
    expressed expresses hailed hails hoped hopes imposed imposes indicated indicates
    insisted insists launched launches maintained maintains mobilised mobilized noted
    notes observed observes offered offers opposed opposes ordered orders pledged
    pledges pointed points posted praised praises pressed presses promised promises
    proposed proposes reaffirmed reaffirms recalled recalls recognised recognized
    refused refuses regrets regretted reiterated reiterates rejected rejects renewed
    renews repeated repeats replied replies responded responds said sanctioned sanctions
    say says seeks signaled signalled signals slammed slams sought stated states
    stressed stresses strikes struck suggested suggests summoned summons supported
    supports tells thanked thanks threatened threatens told tweeted underlined
    underlines urged urges vetoed vetoes voiced voices vowed vows wanted wants warned
    warns welcomed welcomes writes wrote
    """.split()
)
_AUXILIARIES = frozenset(
    """
    again already also are firmly further had has have is later on once openly publicly
    repeatedly sharply strongly then was were will would both
    """.split()
)
# Verbs that put the speaker after them ("..., said the Kremlin."); transitive ones such as
# "warned" or "told" put their object there instead ("Putin warned Kyiv.").
_INVERTED_VERBS = frozenset(
    """
    said says added adds noted notes wrote writes explained explains stressed stresses
    insisted insists argued argues replied replies continued continues asserted asserts
    declared declares concluded concludes recalled recalls underlined underlines observed
    observes commented comments claimed claims countered counters remarked remarks
    acknowledged acknowledges emphasised emphasises emphasized emphasizes regretted regrets
    announced announces tweeted posted
    """.split()
)
_NEGATIONS = frozenset({"not", "n't", "t", "never", "no", "longer"})
# Finite verbs that make the word before them a clause subject.
_FINITE = frozenset(
    """
    has have had is was were are will would must should could can may might does did do
    """.split()
)
# Deeds count as much as words: what an actor does shows its stance.
ACTION_VERBS = frozenset(
    """
    began begins broke breaks brought built buys bought came comes cut cuts drew draws
    fought fights fired fires froze freezes gave gives held holds hit hits kept keeps
    led leads left leaves lost made makes meets met paid pays ran runs sent sends set
    shot sought spoke speaks stood stands struck strikes took takes threw throws wants
    went withdrew withdraws won wins seized seizes shelled shells invaded invades bombed
    bombs captured captures killed kills released releases signed signs agreed agrees
    continued continues refused refuses rejected rejects remains remained resumed resumes
    saw sees
    """.split()
)
_ROLE_NOUNS = frozenset(
    """
    ambassador army authorities chief defence defense delegate delegation envoy forces
    fighters troops militants militias diplomats negotiators navy lawmakers parliament
    spokesman spokeswoman spokesperson commanders commander leadership regime cabinet
    foreign government head leader leaders military minister ministry mission office
    official officials president prime representative representatives secretary
    spokesman spokesperson spokeswoman
    """.split()
)
# "Cypriot Leaders Resume Talks", "the Greek prime minister said": a state's name right
# before its leader's title names the person who acts, not the state.
_HEAD_TITLE_AFTER = re.compile(
    r"[ \t]+(?:leaders?|president|premier|chancellor|king|emir|prime[ \t]+minister)\b(?![-'’])",
    re.IGNORECASE,
)
_NAME_NEXT = re.compile(r",?[ \t]+[A-Z]")
_OFFICE_NOUNS = frozenset(
    "president prime minister chancellor secretary head leader leaders chief king".split()
)
# "by" is missing on purpose: "attacks by Russia" names the agent.
PREPOSITIONS = frozenset(
    """
    in at to with on against from into toward towards between over about under among across
    near inside within upon for of like
    """.split()
)


def _words_between(text: str) -> list[str]:
    # Lowercasing first is the same on ASCII, and cheaper; elsewhere a character's lowercase
    # may not be a word character ("İ"), so each word is lowercased as found.
    if text.isascii():
        return _WORD.findall(text.lower())
    return [w.lower() for w in _WORD.findall(text)]


_DAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan\.|Feb\.|Aug\.|Sept?\.|Oct\.|Nov\.|Dec\.)"
)
# When, between a subject and its verb, as wire copy writes it: "Serbia on Tuesday demanded",
# "the US last week rejected", "Ankara earlier this month warned".
_TIME_BEFORE_VERB = re.compile(
    rf"^\s*,?\s*(?:(?:late\s+|early\s+)?on\s+(?:{_DAY}(?:\s+(?:morning|afternoon|evening|night))?"
    rf"|\d{{1,2}}\s+{_MONTH}|{_MONTH}\s+\d{{1,2}})"
    rf"|last\s+(?:week|month|year|night|weekend|{_DAY})"
    r"|earlier\s+(?:today|this\s+(?:week|month|year))"
    r"|this\s+(?:week|month|morning|afternoon|evening)|yesterday|today|overnight)"
    r"\s*,?(?=\s)"
)


def without_time(rest: str) -> str:
    """`rest` (the text after a mention) without a time phrase that opens it."""
    found = _TIME_BEFORE_VERB.match(rest)
    return rest[found.end() :] if found is not None else rest


def _speaks_after(rest: str) -> bool:
    """Does `rest` (the text after a mention) open with auxiliaries then a reporting verb?
    Not a passive one: "Armenia was attacked", "Iran has been urged" name the patient."""
    rest = without_time(rest)
    return _verb_after(rest, REPORTING_VERBS) and not passive_after(rest)


def acts_after(rest: str) -> bool:
    """Is the mention the subject of a finite verb: "Hamas fired", "Russian officials have"?
    Not of a passive one: "Cyprus has been divided", "Kyiv was shelled" name the patient;
    nor of a state it is in: "Rwanda remains in the shadows"."""
    rest = without_time(rest)
    return (
        _verb_after(rest, REPORTING_VERBS | ACTION_VERBS, finite_ok=True)
        and not passive_after(rest)
        and not procedural_after(rest)
        and not stative_after(rest)
    )


# "remains in the shadows", "stayed under sanctions": where the subject is, not what it does
# ("Russia remains committed" is a position, and stays an act). "Crimea is an integral part
# of Ukraine": a territory claimed in someone's statement.
_STATIVE = re.compile(
    r"^\s+(?:(?:still|has|have|had|will|would|also|always)\s+){0,2}"
    r"(?:(?:remain|remains|remained|stay|stays|stayed|lies|lay|sits|sat)\s+"
    r"(?:in|under|on|at|outside|within|inside|behind|among|between)"
    r"|(?:is|are|was|were|be|been|remains?)\s+(?:an?\s+)?"
    r"(?:(?:integral|inalienable|inseparable|indivisible)\s+)?part\s+of)\b",
    re.IGNORECASE,
)


def stative_after(rest: str) -> bool:
    """Is the mention the subject of a verb of being somewhere ("Rwanda Remains in Shadows")?"""
    return _STATIVE.match(rest) is not None


_CONVENES = frozenset("convened convenes convene hears heard hear".split())
_HOLDS = frozenset("held holds hold".split())
_SITTINGS = frozenset("meeting meetings session sessions debate briefing briefings hearing".split())
_ADVERBS = frozenset("today also then again later first yesterday".split())
# "Security Council speakers voiced ...": the speakers act, not the body they sit in.
_SITTERS = frozenset("speakers delegates delegations".split())


def procedural_after(rest: str) -> bool:
    """Is the mention the subject of a procedural act ("the Council convened", "Council
    Hears Briefing", "held an emergency meeting"), or of "speakers" who act in its place?
    Holding a meeting "with" someone is no procedure: it is a meeting between two sides."""
    words = _words_between(rest[:80])
    if words and words[0] in _SITTERS:
        return True
    while words and (words[0] in _ADVERBS or words[0] in _AUXILIARIES):
        words.pop(0)
    if not words:
        return False
    if words[0] in _CONVENES:
        return True
    if words[0] in _HOLDS:
        following = words[1:6]
        sitting = next((i for i, w in enumerate(following) if w in _SITTINGS), None)
        return sitting is not None and "with" not in following[sitting:]
    return False


_BE = frozenset("is are was were be been being".split())
_PASSIVE_SKIP = frozenset(
    "has have had will would may might must could can not also again only never still".split()
)
# Participles after "to be" that state the subject's own position, not what befell it:
# "Iran is prepared to talk", "Russia is opposed to", "NATO was determined".
_OWN_POSITION = frozenset(
    """
    prepared determined committed opposed concerned convinced resolved interested
    disappointed pleased alarmed worried dismayed satisfied engaged dedicated inclined
    united agreed ready willing
    """.split()
)
_IRREGULAR_PARTICIPLES = frozenset(
    """
    split hit shot struck taken seen given held kept told left made built sent caught beaten
    known shown thrown driven drawn cut put brought bought fought won lost overrun overthrown
    overcome led met paid sought bound found set hurt upheld withheld laid dealt heard
    """.split()
)


def passive_after(rest: str) -> bool:
    """Is the mention the subject of a passive verb ("has been split", "was attacked by")?"""
    words = _words_between(rest[:60])
    if words and words[0] == "s":
        return False
    index = 0
    while index < len(words) and words[index] in _PASSIVE_SKIP:
        index += 1
    if index == len(words) or words[index] not in _BE:
        return False
    while index < len(words) and words[index] in _BE | _PASSIVE_SKIP:
        index += 1
    if index == len(words):
        return False
    word = words[index]
    if word in _OWN_POSITION:
        return False
    return word in _IRREGULAR_PARTICIPLES or (len(word) > 4 and word.endswith(("ed", "en")))


def _verb_after(rest: str, verbs: frozenset[str], finite_ok: bool = False) -> bool:
    if rest[:1] in ("-", "‑"):  # "European Union-centred processes": a compound, no verb
        return False
    words = _words_between(rest[:100])
    if words and words[0] == "s":  # possessive: "Russia's foreign minister said" is a role
        return False
    # "Houthi fighters said", "the Taliban government announced": skip a role noun or two.
    skipped = 0
    while skipped < 2 and words[skipped : skipped + 1] and words[skipped] in _ROLE_NOUNS:
        skipped += 1
    for word in words[skipped : skipped + 4]:
        if word in verbs:
            return True
        if finite_ok and (word in _FINITE or (len(word) > 4 and word.endswith("ed"))):
            return True
        if word not in _AUXILIARIES and word not in _NEGATIONS:
            return False
    return False


_CLAUSE_END = re.compile(
    r"^(?:'s)?\s*(?:statement|spokesman|spokeswoman|spokesperson|said)?"
    # "..., said the spokesman in a written statement." / "... on Monday."
    r"(?:\s+(?:in|on|at|during|from|after|before)\b[^,.;:\"]{0,60})?\s*(?:[,.;:!?)\-–—]|$)"
)
# Before the speaker of an inverted cue may stand its title: "said State Department
# Spokesperson Matthew Miller", "warned Hamas spokesman Fawzi Barhoum".
_SPEAKER_TITLE = re.compile(r"(?:\s+(?:[A-Z][\w.'-]*|[a-z]+(?:man|woman|person)))*\s*$")
_AFTER_QUOTE = re.compile(r"[,\"”]\s*$")


def _speaks_before(before: str, rest: str) -> bool:
    """An inverted cue ends the clause: "..., said the Kremlin." but not "he told Macron that".

    A transitive verb ("warned", "told") counts only right after a quotation or a comma,
    where its subject cannot be missing: '"We will resist," warned Hamas spokesman X.'
    """
    if not _CLAUSE_END.match(rest):
        return False
    title = _SPEAKER_TITLE.search(before)
    head = before[: title.start()] if title is not None else before
    words = _words_between(head[-40:])
    tail = [w for w in words[-3:] if w not in {"the", "also", "further", "then"}]
    if not tail:
        return False
    if tail[-1] in _INVERTED_VERBS:
        return True
    if tail[-1] not in REPORTING_VERBS:
        return False
    verb_at = head.lower().rfind(tail[-1])
    return _AFTER_QUOTE.search(head[:verb_at].rstrip()) is not None


def _role_of(before: str, rest: str) -> str | None:
    """The role noun in "the representative of France said", "Russia's minister told"."""
    words_before = _words_between(before[-60:]) if may_end_of_or_for(before) else []
    if (
        len(words_before) >= 2
        and words_before[-1] in {"of", "for"}
        and words_before[-2] in _ROLE_NOUNS
    ):
        # "called on the Government of Mali": the whole role phrase is an object.
        ahead = [w for w in words_before[:-2] if w not in {"the", "a", "an"}]
        if ahead and (ahead[-1] in PREPOSITIONS or ahead[-2:] == ["called", "on"]):
            return None
        return words_before[-2]
    # The first word is read alone: only "'s" after the name goes on.
    following = _WORD.search(rest, 0, 60)
    if following is not None and following.group().lower() == "s":
        words_after = _words_between(rest[:60])
        # "naming X as Ukraine's defence minister", "talks with Russia's envoy": the role
        # holder is an object there, and so is the state that owns the role.
        if after_preposition(before) or _words_between(before[-12:])[-1:] == ["as"]:
            return None
        return next((w for w in words_after[1:4] if w in _ROLE_NOUNS), None)
    return None


def object_of_verb(before: str) -> bool:
    """ "The statement accused Ethiopia", "Officials warned Kyiv": right after a verb, a name
    is its object, not the sentence's subject."""
    words = _words_between(before[-30:])
    while words and words[-1] in {"the", "a", "an"}:
        words.pop()
    return bool(words) and words[-1] in REPORTING_VERBS | ACTION_VERBS


def after_preposition(before: str) -> bool:
    """ "talks in Moscow", "a summit with France": a prepositional object is no subject."""
    words = _words_between(before[-30:])
    while words and words[-1] in {"the", "a", "an"}:
        words.pop()
    return bool(words) and words[-1] in PREPOSITIONS


_DEED_NOUNS = (
    "attacks?|offensives?|strikes?|air ?strikes?|shelling|bombardments?|bombings?|assaults?|"
    "barrages?|raids?|"
    "incursions?|invasion|aggression|advances?|provocations?|threats?|demands?|ultimatums?|"
    "sanctions|violations|crackdown|repression|suppression|build-?up|mobili[sz]ation|"
    "occupation|annexation|blockade|efforts?|proposals?|offers?|initiatives?|mediation|"
    "commitments?|pledges?|assistance|cooperation|engagement|restraint|withdrawal"
)
_DEED_AFTER = re.compile(rf"^(?:['’]s?)?\s+((?:[a-z][\w-]*\s+){{0,3}})(?:{_DEED_NOUNS})\b")
# Not after a verb that takes "by" as its object's preposition: "abide by the United
# Nations arms embargo", "stood by Ukraine" name no agent.
_AGENT_BEFORE = re.compile(
    r"(?<!abide )(?<!abides )(?<!abided )(?<!abiding )(?<!stand )(?<!stands )(?<!stood )"
    r"(?<!standing )\bby\s+(?:the\s+)?(?:(?:[\w-]+\s+){0,3}(?:of|for)\s+(?:the\s+)?)?$",
    re.IGNORECASE,
)
# Where a clause of its own opens: after a comma, a conjunction, or a subordinator of fact
# ("That is why the United States is providing", "because Russia refused"); not "if" or
# "unless" (a condition is no act) nor "that" (a reported clause is the reporter's).
_CLAUSE_BEFORE = re.compile(
    r"(?:[,;]|\b(?:and|but|while|whereas|because|why|since|although|though|when|after)\b)"
    # "..., many of its members saw": a body's own members, or some of them.
    r"\s*(?:the\s+|(?:(?:many|most|some|several|all)\s+of\s+)?(?:its|their)\s+)?$",
    re.IGNORECASE,  # "While Pristina viewed ...": a sentence may open with the conjunction
)
# The nouns `_STATEMENT_BEFORE` cannot match without (so `may_hold` can rule it out first).
_STATEMENT_NOUNS = ("remarks", "statement", "address", "speech", "message", "readout", "letter",
                    "op-ed")  # fmt: skip
_STATEMENT_BEFORE = re.compile(
    rf"\b(?:{'|'.join(map(re.escape, _STATEMENT_NOUNS))})\s+"
    r"(?:[\w.-]+\s+){0,2}(?:by|of|from)\s+(?:the\s+)?(?:[\w.-]+\s+){0,4}$",
    re.IGNORECASE,
)
# "A statement posted on the Kremlin website", "a message published on the ministry's Telegram
# channel": the owner of the site or account is the author.
_POSTED_ON = re.compile(
    r"\b(?:statement|message|post|notice|communiqu[eé])\s+(?:was\s+)?"
    r"(?:posted|published|issued|released|carried)\s+on\s+(?:the\s+)?(?:[\w.-]+\s+){0,3}$",
    re.IGNORECASE,
)
_SITE_AFTER = re.compile(
    r"(?:['’]s)?\s+(?:official\s+)?(?:[A-Z]\w+\s+)?"
    r"(?:website|web\s?site|site|page|account|channel|feed)\b"
)
# A headline ending "(Secretary Antony J. Blinken)" or "| Minister Wang Yi" names its author.
_TITLE_BYLINE = re.compile(r"[(|]\s*(?:[A-Z][\w.'-]*\s+){0,4}$")
_BYLINE_END = re.compile(r"^[^()|]{0,12}\)?\s*$")
_RELATIVE = re.compile(r"^\s*,\s*who\s+")
_APPOSITIVE = re.compile(r"^\s*,\s*[^,;:\"]{2,160}?,\s*")
# "X, Under-Secretary-General, reporting that attacks had tripled, said ...": a participle
# clause may stand between the appositive and the verb.
_PARTICIPLE_CLAUSE = re.compile(r"[a-z]+ing\b[^;:\"]{0,240}?,\s*")


_ACCORDING_TO = re.compile(r"according to (?:the )?$", re.IGNORECASE)
# "efforts by Russia and Turkey", "a proposal by X": the agent of a deed the sentence names.
AGENT_BY = "agent (by)"
# "Houthi drone attacks", "Russia's offensive": the possessor of a deed.
DEED = "deed"
LIST_CUES = frozenset({AGENT_BY, "according to", "statement by", PARTY, MEDIATOR})
# Named only in a title that another holds ("the President of Serbia said", "the Special
# Representative of the Secretary-General said"): a weak cue (detente.titles).
OFFICE = "office of actor"
_BETWEEN_OPEN = re.compile(r"\bbetween\b[^,;:.]*$", re.IGNORECASE)
# "meetings held in Pristina and Belgrade on Monday will ...": a name joined by "and" to a
# prepositional object is one too. Not after "of" ("the leaders of Serbia and Kosovo
# accepted": the leaders of both act) nor "with" ("together with Egypt and the United States").
_AND_AFTER_OBJECT = re.compile(
    r"\b(?:in|at|to|on|against|from|into|toward|towards|over|among|across|near)"
    r"\s+(?:the\s+)?(?:[A-Z][\w'’.-]*\s+){1,4}and\s+(?:the\s+)?$"
)
SUBJECT_CUES = frozenset(
    {"reporting verb", "sentence subject", "subject with appositive", "clause subject"}
)


def cue_for(before: str, rest: str, person: bool = False, headline: bool = False) -> str | None:
    """Why the mention between `before` and `rest` is the actor of its sentence, if it is;
    `person` when the mention names a person rather than a body, `headline` when the
    sentence is the article's title."""
    # "Remarks on Korea (President Donald J. Trump)": the headline names the text's author.
    if headline and person and _TITLE_BYLINE.search(before) and _BYLINE_END.match(rest):
        return "statement by"
    # "... Mission in Kosovo (UNMIK), said": a bracketed name echoes the one before.
    if before.endswith("(") and rest.startswith(")"):
        return None
    if _ACCORDING_TO.search(before[-25:]):
        return "according to"
    if may_hold(before[-80:], _STATEMENT_NOUNS) and _STATEMENT_BEFORE.search(before[-80:]):
        return "statement by"
    if _SITE_AFTER.match(rest) and _POSTED_ON.search(before[-80:]):
        return "statement by"
    role = _role_of(before, rest)
    if role is not None:
        # A delegate, ministry or army speaks for its state; a president or minister speaks
        # for himself, so the state is only named ("the President of Serbia blamed ..."); and
        # a person's envoy ("the Special Representative of the Secretary-General") speaks in
        # the envoy's voice, not the person's.
        return OFFICE if person or role in _OFFICE_NOUNS else "role of actor"
    # With the leader's name after the title ("Russian leader Putin"), the name is the one
    # that acts; a headline capitalises every word, so there the title alone decides.
    head = _HEAD_TITLE_AFTER.match(rest)
    if head and not person and (headline or not _NAME_NEXT.match(rest, head.end())):
        return OFFICE
    if "between" in before[-200:].lower() and names_a_party(before, rest):
        return PARTY
    if names_a_mediator(before):
        return MEDIATOR
    if names_a_compound_agent(rest):
        return AGENT_COMPOUND
    # "talks with Lavrov, who warned", even after a preposition: a relative clause subject.
    relative = _RELATIVE.match(rest)
    if relative and acts_after(rest[relative.end() :]):
        return "clause subject"
    if after_preposition(before):
        if may_hold(before[-60:], ("by",)) and _AGENT_BEFORE.search(before[-60:]):
            return AGENT_BY
        # "At Germany's initiative", "in response to Russia's offensive": the possessor acts.
        return DEED if _possessive_deed(rest) else None
    if _speaks_after(rest):
        return "reporting verb"
    if _speaks_before(before, rest):
        return "inverted reporting verb"
    appositive = _APPOSITIVE.match(rest)
    if appositive:
        after = rest[appositive.end() :]
        participle = _PARTICIPLE_CLAUSE.match(after)
        if acts_after(after) or (participle and acts_after(after[participle.end() :])):
            return "subject with appositive"
    if may_hold(before[-60:], ("by",)) and _AGENT_BEFORE.search(before[-60:]):
        return AGENT_BY
    # "Houthi drone attacks", "Russia's offensive"; but not "NATO was a threat".
    if _deed_after(rest):
        return DEED
    # "... and Hezbollah raged": not when the "and" joins the two sides after "between".
    if (
        _CLAUSE_BEFORE.search(before[-30:])
        and acts_after(rest)
        and not _BETWEEN_OPEN.search(before[-80:])
        and not _AND_AFTER_OBJECT.search(before[-80:])
    ):
        return "clause subject"
    return None


# Words that cannot stand between an agent and its deed: "pressing X to maintain their
# commitment" (the deed of an infinitive is asked for), "X and the attacks"; nor can a verb
# ("X sees no threat": "threat" is its object, no deed of X's). A possessive
# after "in" stays: "support for the envoy in his efforts" are the envoy's efforts.
_NOT_A_QUALIFIER = frozenset(
    "to the a an of on at with from by and or but that which who whose this these those".split()
)


def _deed_after(rest: str) -> bool:
    deed = _DEED_AFTER.match(rest)
    if deed is None:
        return False
    words = set(deed.group(1).split())
    return not words & (_FINITE | _AUXILIARIES | REPORTING_VERBS | ACTION_VERBS | _NOT_A_QUALIFIER)


def _possessive_deed(rest: str) -> bool:
    return rest[:1] in ("'", "’") and _deed_after(rest)
