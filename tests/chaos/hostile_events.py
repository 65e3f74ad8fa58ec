"""Hostile records for the `articles` topic, each with the outcome the contract promises.

Every case is built from one seeded `random.Random`, so a failing run replays exactly with
the same seed. An outcome is either `PROCESSED` (a valid article: classified, remembered in
`seen-articles`), `DUPLICATE` (an id read before at another position: skipped and counted
in `detente_worker_duplicate_articles_total`) or the set of dead-letter reasons that may
answer it (docs/events.md)."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from detente.events import MAX_TEXT_CHARS
from detente.registry import ActorRegistry

PROCESSED = "processed"
DUPLICATE = "duplicate"
NOT_JSON = frozenset({"invalid_json"})
SCHEMA = frozenset({"invalid_schema"})
JSON_OR_SCHEMA = frozenset({"invalid_json", "invalid_schema"})


@dataclass(frozen=True)
class Hostile:
    name: str
    key: bytes | None
    value: bytes
    expected: str | frozenset[str]  # PROCESSED, DUPLICATE, or the dead-letter reasons allowed
    article_id: str | None = None  # the id a valid one is processed under

    def allows(self, outcome: str) -> bool:
        if isinstance(self.expected, str):
            return outcome == self.expected
        return outcome in self.expected


def actor_names() -> list[str]:
    return sorted(actor.name for actor in ActorRegistry.load())


class HostileEvents:
    """The cases, in a seeded order; `valid(...)` is the base every variation starts from."""

    def __init__(self, seed: int, now: datetime, duplicate_of: tuple[bytes, bytes]) -> None:
        self.rng = random.Random(seed)
        self.now = now
        self.names = actor_names()
        self.counter = 0
        self.duplicate_of = duplicate_of

    def next_id(self, label: str) -> str:
        self.counter += 1
        return f"fuzz-{self.counter}-{label}"

    def valid(self, article_id: str, **changes: Any) -> dict[str, Any]:
        event: dict[str, Any] = {
            "schema_version": 1,
            "id": article_id,
            "published_at": (self.now - timedelta(minutes=self.rng.randint(1, 600))).isoformat(),
            "source": "fuzz desk",
            "url": "",
            "title": "Talks resume",
            "text": "Russia warned NATO that it would answer any new deployment with force.",
            "language": "en",
        }
        event.update(changes)
        return event

    def many_actors(self, length: int, sentences: bool) -> str:
        """`length` characters naming dozens of actors: one run-on sentence, or many."""
        verbs = ["warned", "threatened", "urged", "welcomed", "rejected", "praised", "said"]
        cast = self.rng.sample(self.names, min(40, len(self.names)))
        words: list[str] = []
        size = 0
        while size < length:
            phrase = f"{self.rng.choice(cast)} {self.rng.choice(verbs)} {self.rng.choice(cast)}"
            phrase += ". " if sentences and self.rng.random() < 0.2 else " and "
            words.append(phrase)
            size += len(phrase)
        return "".join(words)[:length].rstrip() or "x"

    def cases(self) -> list[Hostile]:
        out: list[Hostile] = []

        def add(label: str, event: Any, expected: Any, key: bytes | str | None = "id") -> None:
            article_id = event.get("id") if isinstance(event, dict) else None
            value = event if isinstance(event, bytes) else json.dumps(event).encode()
            if key == "id":
                key = str(article_id).encode() if article_id is not None else None
            valid_id = article_id if expected == PROCESSED else None
            out.append(Hostile(label, key, value, expected, valid_id))  # type: ignore[arg-type]

        # Huge: near and over the text limit, with dozens of actors.
        for label, length, sentences in (
            ("one-sentence-199k-40-actors", MAX_TEXT_CHARS - 1_000, False),
            ("sentences-at-the-limit", MAX_TEXT_CHARS, True),
        ):
            i = self.next_id(label)
            add(label, self.valid(i, text=self.many_actors(length, sentences)), PROCESSED)
        i = self.next_id("limit-in-multibyte-chars")
        add(i, self.valid(i, text=("Russie a menacé l'OTAN. 🕊 " * 8_000)[:MAX_TEXT_CHARS]),
            PROCESSED)  # fmt: skip
        for label, length in (("one-over-the-limit", MAX_TEXT_CHARS + 1), ("12-mb", 12_000_000)):
            i = self.next_id(label)
            add(label, self.valid(i, text="a" * length), frozenset({"text_too_large"}))
        i = self.next_id("title-and-url-too-long")
        add(i, self.valid(i, title="t" * 5_000, url="u" * 50_000), SCHEMA)

        # Deeply nested JSON, in an unknown field and in place of the text.
        for depth in (100, 5_000, 200_000):
            i = self.next_id(f"nested-{depth}")
            nested = "[" * depth + "]" * depth
            raw = json.dumps(self.valid(i))[:-1] + f', "extra": {nested}}}'
            add(i, raw.encode(), JSON_OR_SCHEMA, key=i.encode())
            i = self.next_id(f"nested-text-{depth}")
            raw = json.dumps(self.valid(i, text="PLACEHOLDER")).replace(
                '"PLACEHOLDER"', '{"a": ' * depth + "1" + "}" * depth
            )
            add(i, raw.encode(), JSON_OR_SCHEMA, key=i.encode())

        # Not UTF-8, not JSON, not an object.
        for label, junk in (
            ("invalid-utf8", b"\xff\xfe\xfa"), ("overlong-utf8", b"\xc0\xaf"),
            ("surrogate-utf8", b"\xed\xa0\x80"), ("truncated-utf8", b"\xe2\x82"),
        ):  # fmt: skip
            i = self.next_id(label)
            raw = json.dumps(self.valid(i, text="PLACEHOLDER")).encode()
            add(label, raw.replace(b"PLACEHOLDER", b"Russia " + junk + b" warned"), NOT_JSON,
                key=i.encode())  # fmt: skip
        i = self.next_id("lone-surrogate-escape")
        raw = json.dumps(self.valid(i, text="PLACEHOLDER")).replace("PLACEHOLDER", "a\\ud800b")
        add(i, raw.encode(), NOT_JSON, key=i.encode())
        for label, raw_value in (
            ("empty-value", b""), ("whitespace", b"  \n"), ("binary", bytes(range(256)) * 4),
            ("truncated-json", json.dumps(self.valid("cut")).encode()[:40]),
            ("json-array", b"[1, 2, 3]"), ("json-string", b'"an article"'), ("json-null", b"null"),
            ("json-number", b"1e999"),
            ("two-objects", json.dumps(self.valid("a")).encode() * 2),
            ("xml", b"<article><id>x</id></article>"),
        ):  # fmt: skip
            expected = JSON_OR_SCHEMA
            add(label, raw_value, expected, key=self.next_id(label).encode())

        # Wrong types for every field, each field missing, null everywhere.
        wrong: dict[str, list[Any]] = {
            "schema_version": [2, "1", None, 1.5, True],
            "id": [1, None, [], {"a": 1}, True],
            "published_at": [1_700_000_000, None, "yesterday", [], "2026-13-45T99:99:99Z"],
            "source": [1, None, [], ""],
            "url": [1, [], {"a": 1}],
            "title": [1, [], False],
            "text": [1, None, ["Russia warned NATO."], {"a": 1}, True],
            "language": [1, [], "english", "EN", ""],
        }
        for field, values in wrong.items():
            for value in values:
                i = self.next_id(f"wrong-{field}")
                expected: Any = SCHEMA
                if field == "schema_version":
                    expected = frozenset({"unsupported_schema_version"})
                if field == "text" and value == "":
                    expected = frozenset({"empty_text"})
                add(f"{field}={value!r}"[:60], self.valid(i, **{field: value}), expected,
                    key=i.encode())  # fmt: skip
        for field in ("schema_version", "id", "published_at", "source", "text", "url", "title",
                      "language"):  # fmt: skip
            i = self.next_id(f"missing-{field}")
            event = self.valid(i)
            del event[field]
            optional = field in ("schema_version", "url", "title", "language")
            add(f"missing {field}", event, PROCESSED if optional else SCHEMA, key=i.encode())
        for field in ("url", "title", "language"):
            i = self.next_id(f"null-{field}")
            add(f"null {field}", self.valid(i, **{field: None}), PROCESSED)
        i = self.next_id("nan")
        raw = json.dumps(self.valid(i)).replace('"schema_version": 1', '"schema_version": NaN')
        add("schema_version NaN", raw.encode(), frozenset({"unsupported_schema_version"}),
            key=i.encode())  # fmt: skip
        i = self.next_id("extra-field")
        add("extra field", self.valid(i, extra=1), SCHEMA)
        i = self.next_id("extra-field-case")
        add("Text beside text", self.valid(i, Text="x"), SCHEMA)

        # Ids.
        for odd in ("a b", "a/b", "../../etc/passwd", "é", "a\u0000b", "a\nb", "x" * 201, "",
                    "<script>", "a%2Fb", "🕊"):  # fmt: skip
            add(f"id {odd[:20]!r}", self.valid(odd), SCHEMA, key=odd.encode())
        i = self.next_id("id-200-chars")
        long_id = (i + "-" + "x" * 200)[:200]
        add("id of 200 chars", self.valid(long_id), PROCESSED)

        # Dates.
        for label, stamp, expected in (
            ("year 1", "0001-01-01T00:00:00Z", frozenset({"published_before_floor"})),
            ("year 1 east", "0001-01-01T00:00:00+05:00", frozenset({"published_before_floor"})),
            ("year 9999", "9999-12-31T23:59:59Z", frozenset({"published_in_future"})),
            ("year 9999 west", "9999-12-31T23:59:59-05:00", frozenset({"published_in_future"})),
            ("1900", "1900-01-01T00:00:00Z", frozenset({"published_before_floor"})),
            ("epoch", "1970-01-01T00:00:00Z", frozenset({"published_before_floor"})),
            ("tomorrow", (self.now + timedelta(days=1)).isoformat(),
             frozenset({"published_in_future"})),
            ("no timezone", self.now.replace(tzinfo=None).isoformat(), SCHEMA),
            ("date only", self.now.date().isoformat(), SCHEMA),
            ("leap second", "2016-12-31T23:59:60Z", SCHEMA),
            ("offset +14:00", (self.now - timedelta(hours=1)).isoformat()[:19] + "+14:00",
             PROCESSED),
            ("offset -12:00", (self.now - timedelta(hours=1)).isoformat()[:19] + "-12:00",
             frozenset({"published_in_future"})),
        ):  # fmt: skip
            i = self.next_id("date")
            add(f"published_at {label}", self.valid(i, published_at=stamp), expected)

        # Keys, text and language.
        i = self.next_id("no-key")
        not_id = frozenset({"key_not_id"})  # the key places the state that counts it once
        add("no key", self.valid(i), not_id, key=None)
        i = self.next_id("mismatched-key")
        add("key is another id", self.valid(i), not_id, key=b"another-id")
        i = self.next_id("binary-key")
        add("binary key", self.valid(i), not_id, key=bytes(range(256)))
        for text in ("", "   \n\t  ", "\u200b"):
            i = self.next_id("empty-text")
            expected = SCHEMA if text == "" else frozenset({"empty_text"})
            if text == "\u200b":  # not whitespace to str.strip(): a valid text with no actor
                expected = PROCESSED
            add(f"text {text!r}", self.valid(i, text=text), expected)
        for language in ("fr", "zh-Hans", "ru"):
            i = self.next_id("language")
            add(f"language {language}", self.valid(i, language=language),
                frozenset({"unsupported_language"}))  # fmt: skip
        i = self.next_id("control-chars")
        add("control characters", self.valid(i, text="Russia\u0000 warned\u202e NATO\x1b[2J."),
            PROCESSED)  # fmt: skip
        key, value = self.duplicate_of
        out.append(Hostile("a normal article sent again", key, value, DUPLICATE))
        self.rng.shuffle(out)
        return out
