from __future__ import annotations

import pytest

from detente.registry import ActorRegistry

SMALL_REGISTRY = """
[[actor]]
id = "russia"
name = "Russia"
kind = "state"
aliases = ["Moscow", "Russian Federation", "the Russian Federation"]
demonyms = ["Russian"]

[[actor]]
id = "kremlin"
name = "the Kremlin"
kind = "organisation"
affiliation = "russia"

[[actor]]
id = "vladimir-putin"
name = "Vladimir Putin"
kind = "person"
affiliation = "russia"
aliases = ["Putin", "President Putin"]

[[actor]]
id = "sergei-lavrov"
name = "Sergei Lavrov"
kind = "person"
affiliation = "russia"
aliases = ["Lavrov", "Sergey Lavrov"]

[[actor]]
id = "france"
name = "France"
kind = "state"
aliases = ["Paris"]

[[actor]]
id = "elysee"
name = "Élysée"
kind = "organisation"
affiliation = "france"
aliases = ["the Élysée"]

[[actor]]
id = "emmanuel-macron"
name = "Emmanuel Macron"
kind = "person"
affiliation = "france"
aliases = ["Macron", "President Macron"]

[[actor]]
id = "nato"
name = "NATO"
kind = "organisation"

[[actor]]
id = "ukraine"
name = "Ukraine"
kind = "state"
aliases = ["Kyiv", "Kiev"]
demonyms = ["Ukrainian"]
"""


# Two holders of one office, for date-aware linking.
OFFICES_REGISTRY = """
[[actor]]
id = "ban-ki-moon"
name = "Ban Ki-moon"
kind = "person"

[[actor]]
id = "antonio-guterres"
name = "António Guterres"
kind = "person"
aliases = ["Guterres"]

[[office]]
id = "un-secretary-general"
name = "UN Secretary-General"
aliases = ["the Secretary-General", "UN chief"]
holders = [
  { actor = "ban-ki-moon", from = 2007-01-01, to = 2016-12-31 },
  { actor = "antonio-guterres", from = 2017-01-01 },
]
"""


@pytest.fixture(scope="session")
def registry() -> ActorRegistry:
    return ActorRegistry.from_toml(SMALL_REGISTRY)


@pytest.fixture(scope="session")
def offices_toml() -> str:
    return OFFICES_REGISTRY


@pytest.fixture(scope="session")
def offices() -> ActorRegistry:
    return ActorRegistry.from_toml(OFFICES_REGISTRY)
