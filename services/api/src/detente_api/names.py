"""Who an actor id is, for the API's answers: the registry first, else the name, kind and
affiliation that stance events gave it (actors found outside the registry)."""

from __future__ import annotations

from collections.abc import Sequence

from detente.events import ActorKind, ActorStance, IndexUpdate
from detente.registry import ActorRegistry

# Names of actors missing from the registry, learnt from stance events; bounded like the rest.
MAX_LEARNT_ACTORS = 10_000


class ActorNames:
    def __init__(self, registry: ActorRegistry | None) -> None:
        self._registry = registry
        self._learnt: dict[str, tuple[str, ActorKind, str | None]] = {}

    def learn(self, stance: ActorStance) -> bool:
        """Keep what a stance event says of an actor outside the registry; True if that
        changed what the API says of it."""
        if self._registry is not None and stance.actor in self._registry:
            return False
        described = (stance.name, stance.kind, stance.affiliation)
        if self._learnt.get(stance.actor) == described:
            return False
        if stance.actor in self._learnt or len(self._learnt) < MAX_LEARNT_ACTORS:
            self._learnt[stance.actor] = described
            return True
        return False

    def knows(self, actor_id: str) -> bool:
        registered = self._registry is not None and actor_id in self._registry
        return registered or actor_id in self._learnt

    def describe(self, actor_id: str) -> tuple[str, ActorKind | None, str | None]:
        """Name, kind and affiliation: the registry first, else what stance events said."""
        if self._registry is not None and actor_id in self._registry:
            known = self._registry.get(actor_id)
            return known.name, known.kind, known.affiliation
        return self._learnt.get(actor_id, (actor_id, None, None))

    def names(self, actors: Sequence[str]) -> list[str]:
        return [self.describe(a)[0] for a in sorted(actors)]

    def subject_name(self, update: IndexUpdate) -> str:
        if update.subject_kind == "global":
            return "Global"
        return " – ".join(self.names(update.actors))
