"""The actor registry: who the political actors are, what they are called, whom they belong to.

Loaded from `detente/data/actors.toml` (or a file given by path) and validated at load time:
a registry with a duplicate or ambiguous alias, or a dangling affiliation, refuses to load.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any, get_args

from detente.events import ActorKind

_ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_KINDS: tuple[str, ...] = get_args(ActorKind)


class RegistryError(ValueError):
    """The actor registry is inconsistent; the message lists every problem found."""


@dataclass(frozen=True)
class Actor:
    id: str
    name: str
    kind: ActorKind
    affiliation: str | None
    aliases: tuple[str, ...]
    # Adjectives ("Russian") that name the actor only before a role noun ("Russian officials").
    demonyms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Holder:
    actor: str
    start: date
    end: date | None = None  # still in office


@dataclass(frozen=True)
class Office:
    """A post whose holder changes ("the Secretary-General"): its aliases name whoever held
    it on the article's date, never a fixed person."""

    id: str
    name: str
    aliases: tuple[str, ...]
    holders: tuple[Holder, ...]

    def holder(self, on: date | None) -> str | None:
        """Who held the office on `on` (today's holder when no date is known)."""
        if on is None:
            current = [h for h in self.holders if h.end is None]
            return current[-1].actor if current else None
        for holder in self.holders:
            if holder.start <= on and (holder.end is None or on <= holder.end):
                return holder.actor
        return None


def _fold_table() -> dict[int, str]:
    table = {
        ord("’"): "'",
        ord("‘"): "'",
        ord("“"): '"',
        ord("”"): '"',
        ord("«"): '"',
        ord("»"): '"',
    }
    for code in range(0xC0, 0x180):
        base = unicodedata.normalize("NFD", chr(code))[0]
        if base.isascii() and base.isalpha():
            table[code] = base
    return table


# One character to one character, so offsets in folded text are offsets in the original.
FOLD = _fold_table()
# FOLD changes no ASCII character, so only the runs of other characters need translating:
# `str.translate` looks every character of a non-ASCII text up one by one, which made
# folding each article several times a visible cost.
_FOLDS_ASCII = any(code < 0x80 for code in FOLD)
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def _fold_run(run: re.Match[str]) -> str:
    return run.group().translate(FOLD)


def fold(text: str) -> str:
    """Fold quotes and Latin accents: "Élysée" and "Elysee" match the same alias
    (`text.translate(FOLD)`, character for character)."""
    if _FOLDS_ASCII:
        return text.translate(FOLD)
    if text.isascii():
        return text
    return _NON_ASCII.sub(_fold_run, text)


def alias_key(alias: str) -> str:
    """The form under which two aliases count as the same name (first letter's case ignored)."""
    alias = " ".join(fold(alias).split())
    return alias[:1].lower() + alias[1:]


class ActorRegistry:
    def __init__(self, actors: Iterable[Actor], offices: Iterable[Office] = ()) -> None:
        self._actors: dict[str, Actor] = {}
        self._by_alias: dict[str, str] = {}
        self._surfaces: dict[str, str] = {}
        problems: list[str] = []
        for actor in actors:
            if actor.id in self._actors:
                problems.append(f"duplicate actor id {actor.id!r}")
            self._actors[actor.id] = actor
        lowered: dict[str, str] = {}
        for actor in self._actors.values():
            if not _ID_PATTERN.match(actor.id):
                problems.append(f"actor id {actor.id!r} is not a lowercase slug")
            if actor.kind not in _KINDS:
                problems.append(f"actor {actor.id!r} has unknown kind {actor.kind!r}")
            if actor.affiliation is not None and actor.affiliation not in self._actors:
                problems.append(f"actor {actor.id!r} has unknown affiliation {actor.affiliation!r}")
            for surface in {" ".join(fold(a).split()) for a in (actor.name, *actor.aliases)}:
                alias = alias_key(surface)
                if not alias.strip():
                    problems.append(f"actor {actor.id!r} has an empty alias")
                    continue
                other = lowered.get(alias.lower())
                if other is not None and other != actor.id:
                    problems.append(f"alias {alias!r} is ambiguous: {other!r} and {actor.id!r}")
                    continue
                lowered[alias.lower()] = actor.id
                self._by_alias[alias] = actor.id
                self._surfaces[surface] = actor.id
        self._demonyms: dict[str, str] = {}
        for actor in self._actors.values():
            for demonym in (" ".join(fold(d).split()) for d in actor.demonyms):
                owner = lowered.get(demonym.lower()) or self._demonyms.get(demonym)
                if owner is not None and owner != actor.id:
                    problems.append(f"demonym {demonym!r} of {actor.id!r} clashes with {owner!r}")
                self._demonyms[demonym] = actor.id
        self._offices: dict[str, Office] = {}
        self._office_surfaces: dict[str, str] = {}
        self._office_by_alias: dict[str, str] = {}
        for office in offices:
            if office.id in self._offices or office.id in self._actors:
                problems.append(f"office id {office.id!r} is not unique")
            self._offices[office.id] = office
            for holder in office.holders:
                if holder.actor not in self._actors:
                    problems.append(f"office {office.id!r} names unknown holder {holder.actor!r}")
            for earlier, later in zip(office.holders, office.holders[1:], strict=False):
                if earlier.end is None or earlier.end >= later.start:
                    problems.append(f"office {office.id!r}: terms overlap or are out of order")
            for surface in {" ".join(fold(a).split()) for a in office.aliases}:
                other = lowered.get(alias_key(surface).lower())
                if other is not None and other != office.id:
                    problems.append(f"office alias {surface!r} clashes with {other!r}")
                    continue
                lowered[alias_key(surface).lower()] = office.id
                self._office_surfaces[surface] = office.id
                self._office_by_alias[alias_key(surface)] = office.id
        for actor in self._actors.values():
            seen = {actor.id}
            parent = actor.affiliation
            while parent is not None and parent in self._actors:
                if parent in seen:
                    problems.append(f"affiliation cycle through {actor.id!r}")
                    break
                seen.add(parent)
                parent = self._actors[parent].affiliation
        if problems:
            raise RegistryError("invalid actor registry:\n  " + "\n  ".join(sorted(problems)))

    @classmethod
    def from_toml(cls, text: str) -> ActorRegistry:
        try:
            data: dict[str, Any] = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise RegistryError(f"actor registry is not valid TOML: {exc}") from exc
        offices = []
        for i, row in enumerate(data.get("office", [])):
            if set(row) != {"id", "name", "aliases", "holders"}:
                raise RegistryError(f"office entry {i} ({row.get('id')!r}) has bad fields")
            try:
                holders = tuple(
                    Holder(h["actor"], _date(h["from"]), _date(h["to"]) if "to" in h else None)
                    for h in row["holders"]
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise RegistryError(f"office {row['id']!r} has a bad holder: {exc}") from exc
            offices.append(Office(row["id"], row["name"], tuple(row["aliases"]), holders))
        actors = []
        for i, row in enumerate(data.get("actor", [])):
            unknown = set(row) - {"id", "name", "kind", "affiliation", "aliases", "demonyms"}
            if unknown or not {"id", "name", "kind"} <= set(row):
                raise RegistryError(f"actor entry {i} ({row.get('id')!r}) has bad fields")
            actors.append(
                Actor(
                    id=row["id"],
                    name=row["name"],
                    kind=row["kind"],
                    affiliation=row.get("affiliation"),
                    aliases=tuple(row.get("aliases", ())),
                    demonyms=tuple(row.get("demonyms", ())),
                )
            )
        return cls(actors, offices)

    @classmethod
    def load(cls, path: Path | None = None) -> ActorRegistry:
        """The registry shipped with the package, or the one at `path`."""
        if path is not None:
            return cls.from_toml(path.read_text(encoding="utf-8"))
        text = resources.files("detente").joinpath("data/actors.toml").read_text(encoding="utf-8")
        return cls.from_toml(text)

    def __len__(self) -> int:
        return len(self._actors)

    def __iter__(self) -> Iterator[Actor]:
        return iter(self._actors.values())

    def __contains__(self, actor_id: object) -> bool:
        return actor_id in self._actors

    def get(self, actor_id: str) -> Actor:
        return self._actors[actor_id]

    def aliases(self) -> dict[str, str]:
        """Every alias as written (accents folded, spaces collapsed) → actor id."""
        return dict(self._surfaces)

    def office_aliases(self) -> dict[str, str]:
        """Every office alias as written → office id."""
        return dict(self._office_surfaces)

    def office(self, office_id: str) -> Office:
        return self._offices[office_id]

    def demonyms(self) -> dict[str, str]:
        """Demonym as written → actor id."""
        return dict(self._demonyms)

    def lookup(self, name: str, on: date | None = None) -> Actor | None:
        """The actor that a display name, alias or id refers to, if any; an office's alias
        ("the Secretary-General") names its holder on `on`."""
        if name in self._actors:
            return self._actors[name]
        actor_id = self._by_alias.get(alias_key(name))
        if actor_id is None:
            office_id = self._office_by_alias.get(alias_key(name))
            actor_id = self._offices[office_id].holder(on) if office_id else None
        return self._actors[actor_id] if actor_id else None

    def lineage(self, actor_id: str) -> list[str]:
        """The actor and everything it rolls up to: Putin → [vladimir-putin, russia]."""
        chain = [actor_id]
        parent = self._actors[actor_id].affiliation
        while parent is not None:
            chain.append(parent)
            parent = self._actors[parent].affiliation
        return chain

    def principal(self, actor_id: str) -> str:
        """The top of an actor's lineage: the state or organisation it speaks for."""
        return self.lineage(actor_id)[-1]

    def lineage_of(self, actor_id: str, affiliation: str | None) -> list[str]:
        """`lineage` for any actor: one found outside the registry rolls up through the
        registered affiliation its title gave it (an army spokesman → the army → the state),
        or stands alone."""
        if actor_id in self._actors:
            return self.lineage(actor_id)
        if affiliation is None or affiliation not in self._actors:
            return [actor_id]
        return [actor_id, *self.lineage(affiliation)]


def _date(value: object) -> date:
    """TOML gives a bare date (1997-01-01) as a date; a quoted one as a string."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))
