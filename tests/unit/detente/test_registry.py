from __future__ import annotations

from datetime import date

import pytest

from detente.registry import FOLD, ActorRegistry, RegistryError, fold


def test_lineage_rolls_people_up_to_their_state(registry: ActorRegistry) -> None:
    assert registry.lineage("vladimir-putin") == ["vladimir-putin", "russia"]
    assert registry.principal("kremlin") == "russia"
    assert registry.principal("nato") == "nato"


def test_lookup_by_name_alias_and_id(registry: ActorRegistry) -> None:
    assert registry.lookup("Vladimir Putin").id == "vladimir-putin"
    assert registry.lookup("Moscow").id == "russia"
    assert registry.lookup("Elysee").id == "elysee"  # accents fold
    assert registry.lookup("france").id == "france"
    assert registry.lookup("Atlantis") is None


@pytest.mark.parametrize(
    ("toml", "problem"),
    [
        (
            '[[actor]]\nid="a"\nname="A"\nkind="state"\naliases=["X"]\n'
            '[[actor]]\nid="b"\nname="B"\nkind="state"\naliases=["x"]\n',
            "ambiguous",
        ),
        ('[[actor]]\nid="a"\nname="A"\nkind="state"\naffiliation="zz"\n', "unknown affiliation"),
        ('[[actor]]\nid="a"\nname="A"\nkind="planet"\n', "unknown kind"),
        ('[[actor]]\nid="A B"\nname="A"\nkind="state"\n', "lowercase slug"),
        (
            '[[actor]]\nid="a"\nname="A"\nkind="state"\naffiliation="b"\n'
            '[[actor]]\nid="b"\nname="B"\nkind="state"\naffiliation="a"\n',
            "cycle",
        ),
        (
            '[[actor]]\nid="a"\nname="A"\nkind="state"\n[[actor]]\nid="a"\nname="C"\nkind="state"\n',
            "duplicate",
        ),
    ],
)
def test_invalid_registries_are_refused(toml: str, problem: str) -> None:
    with pytest.raises(RegistryError, match=problem):
        ActorRegistry.from_toml(toml)


def test_shipped_registry_loads_and_is_large() -> None:
    shipped = ActorRegistry.load()
    assert len(shipped) >= 300
    kinds = {actor.kind for actor in shipped}
    assert kinds == {"person", "state", "organisation", "group"}
    assert shipped.principal(shipped.lookup("Vladimir Putin").id) == shipped.lookup("Russia").id


def test_an_office_names_its_holder_on_the_date(offices: ActorRegistry) -> None:
    assert offices.lookup("the Secretary-General", date(2008, 8, 8)).id == "ban-ki-moon"
    assert offices.lookup("UN chief", date(2017, 1, 1)).id == "antonio-guterres"
    assert offices.lookup("The Secretary-General", None).id == "antonio-guterres"  # today's
    assert offices.lookup("UN chief", date(1990, 1, 1)) is None  # nobody we know: no link


@pytest.mark.parametrize(
    ("holders", "problem"),
    [
        ('{ actor = "nobody", from = 2007-01-01 }', "unknown holder"),
        (
            '{ actor = "ban-ki-moon", from = 2007-01-01, to = 2017-06-30 },'
            ' { actor = "antonio-guterres", from = 2017-01-01 }',
            "overlap",
        ),
        ('{ actor = "ban-ki-moon", from = "last year" }', "bad holder"),
    ],
)
def test_inconsistent_offices_are_refused(offices_toml: str, holders: str, problem: str) -> None:
    toml = offices_toml.split("[[office]]")[0] + (
        f'[[office]]\nid = "sg"\nname = "SG"\naliases = ["the SG"]\nholders = [{holders}]\n'
    )
    with pytest.raises(RegistryError, match=problem):
        ActorRegistry.from_toml(toml)


def test_an_office_alias_may_not_be_an_actor_alias(offices_toml: str) -> None:
    toml = offices_toml.replace(
        'aliases = ["the Secretary-General", "UN chief"]', 'aliases = ["Guterres"]'
    )
    with pytest.raises(RegistryError, match="clashes"):
        ActorRegistry.from_toml(toml)


def test_shipped_offices_resolve_by_date() -> None:
    shipped = ActorRegistry.load()
    assert shipped.lookup("the Secretary-General", date(2008, 8, 8)).name == "Ban Ki-moon"
    assert shipped.lookup("the US president", date(2014, 3, 1)).name == "Barack Obama"
    assert shipped.lookup("the Russian president", date(2010, 1, 1)).name == "Dmitry Medvedev"
    assert shipped.lookup("NATO Secretary General", date(2012, 5, 1)).name == (
        "Anders Fogh Rasmussen"
    )


def test_shipped_heads_of_smaller_states_resolve_by_date_and_title() -> None:
    shipped = ActorRegistry.load()
    assert shipped.lookup("the Cypriot president", date(2009, 6, 1)).name == (
        "Demetris Christofias"
    )
    assert shipped.lookup("the Cypriot president", date(2016, 6, 1)).name == "Nicos Anastasiades"
    assert shipped.lookup("the Turkish Cypriot leader", date(2017, 1, 1)).name == ("Mustafa Akıncı")
    assert shipped.lookup("the Zimbabwean president", date(2010, 1, 1)).name == "Robert Mugabe"
    assert shipped.lookup("the Djiboutian president").name == "Ismaïl Omar Guelleh"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "plain ASCII, left as it is: \"quoted\" and 'quoted'",
        "“Élysée” and ‘Šefčovič’ said «non»",
        "Kyiv’s envoy — in Zürich — 東京 and İstanbul, ñ at the end: ñ",
        "’",
    ],
)
def test_fold_is_translate_with_the_table_character_for_character(text: str) -> None:
    folded = fold(text)
    assert folded == text.translate(FOLD)
    assert len(folded) == len(text)


def test_fold_leaves_ascii_and_unmapped_characters_alone() -> None:
    assert fold("Elysee \"x\" 'y'") == "Elysee \"x\" 'y'"
    assert fold("Élysée — 東京") == "Elysee — 東京"
