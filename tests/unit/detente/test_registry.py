from __future__ import annotations

import pytest

from detente.registry import ActorRegistry, RegistryError


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
