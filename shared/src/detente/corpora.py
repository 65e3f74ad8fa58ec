"""Labelled statements for training and evaluation, read from files given by path.

Our own corpus lives in the project (data/training/statements/*.jsonl). Public corpora stay
in the team folder and are read from there: PLOVER gold-standard sentences, mapped to the two
classes by PLOVER's own cooperation/conflict grouping, and UNSCon segments joined into
sentences with their conflict label.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from detente.events import Stance

# Procedural or descriptive statements ("the ministers met on Monday") show no stance; the
# model learns them as a third class so they neither dilute nor tilt an actor's stance.
NEUTRAL = "neutral"
Label = Literal["hardline", "conciliatory", "neutral"]

PLOVER_COOPERATION = frozenset(
    {"AGREE", "CONSULT", "SUPPORT", "CONCEDE", "COOPERATE", "AID", "RETREAT", "INVESTIGATE"}
)
PLOVER_CONFLICT = frozenset(
    {"DEMAND", "DISAPPROVE", "REJECT", "THREATEN", "SANCTION", "PROTEST", "MOBILIZE", "COERCE",
     "ASSAULT", "FIGHT"}
)  # fmt: skip


@dataclass(frozen=True)
class LabelledStatement:
    text: str
    label: Label
    speaker: str
    crisis: str
    source: str  # which corpus: "own", "plover", "unscon"
    weight: float = 1.0


def _rows(folder: Path, what: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each JSON object of the folder's *.jsonl files, with "file:line" for errors."""
    files = sorted(folder.glob("*.jsonl"))
    if not files:
        raise FileNotFoundError(f"no *.jsonl {what} files in {folder}")
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                yield f"{path}:{number}", json.loads(line)


def read_own(
    folder: Path, labels: tuple[str, ...] = ("hardline", "conciliatory")
) -> Iterator[LabelledStatement]:
    for where, row in _rows(folder, "statement"):
        if row["label"] not in labels or not row.get("provenance"):
            raise ValueError(f"{where}: label not in {labels} or missing provenance")
        yield LabelledStatement(row["text"], row["label"], row["speaker"], row["crisis"], "own")


def plover_stance(record: dict[str, Any]) -> Stance | None:
    """The stance of a PLOVER record's event (cooperation conciliatory, conflict hardline),
    None for a record without text or with another kind of event."""
    event = record.get("event")
    if not record.get("text") or event not in PLOVER_COOPERATION | PLOVER_CONFLICT:
        return None
    return "conciliatory" if event in PLOVER_COOPERATION else "hardline"


def read_plover(path: Path) -> Iterator[LabelledStatement]:
    for record in json.loads(path.read_text(encoding="utf-8")):
        label = plover_stance(record)
        if label is None:
            continue
        sources = record.get("source") or [{}]
        speaker = sources[0].get("actorText", "") if isinstance(sources, list) else ""
        yield LabelledStatement(record["text"], label, speaker, "plover-gsr", "plover")


def read_unscon(path: Path, weight: float = 0.5) -> Iterator[LabelledStatement]:
    """UNSCon labels conflict (negative evaluation, challenge, correction) per discourse unit.

    Units are joined back into sentences; a sentence with any conflict unit is hardline.
    Conflict-free speech is mostly procedural rather than conciliatory, so those sentences
    get a lower weight: they teach the model what is *not* hardline.
    """
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    sentence: list[str] = []
    conflict = False
    current_file = None
    end_marker = {"file_id": None, "EDU_text": "", "Binary_Conflict_score": "0"}
    for row in [*rows, end_marker]:
        if row["file_id"] != current_file or (
            sentence and sentence[-1].rstrip().endswith((".", "?", "!"))
        ):
            if sentence and current_file:
                text = " ".join(sentence).replace(" ,", ",").replace(" .", ".").strip()
                speaker = current_file.split("_spch", 1)[-1].split("_", 1)[-1].rsplit("_", 2)[0]
                if len(text.split()) >= 5:
                    label: Stance = "hardline" if conflict else "conciliatory"
                    yield LabelledStatement(
                        text,
                        label,
                        speaker.replace("_", " "),
                        "unscon-ukraine-2014",
                        "unscon",
                        1.0 if conflict else weight,
                    )
            sentence, conflict = [], False
            current_file = row["file_id"]
        if row["EDU_text"]:
            sentence.append(row["EDU_text"])
            conflict = conflict or row["Binary_Conflict_score"] == "1"


VERDICTS = frozenset({"hardline", "conciliatory", "mixed", "none"})


@dataclass(frozen=True)
class JudgedPassage:
    """A team-written passage with every registry actor it names judged: does the text show
    a stance of that actor's own (hardline, conciliatory, mixed), or none?"""

    id: str
    crisis: str
    register: str
    published_at: str
    title: str
    text: str
    verdicts: tuple[tuple[str, str], ...]  # (actor name as judged, verdict)


def read_attribution(folder: Path) -> Iterator[JudgedPassage]:
    """Our judged passages (data/training/attribution/*.jsonl), for the second stage."""
    for where, row in _rows(folder, "passage"):
        verdicts = tuple((j["actor"], j["stance"]) for j in row["judged"])
        if not row.get("provenance") or any(v not in VERDICTS for _, v in verdicts):
            raise ValueError(f"{where}: unknown verdict or missing provenance")
        yield JudgedPassage(
            row["id"], row["crisis"], row["register"], row["published_at"],
            row["title"], row["text"], verdicts,
        )  # fmt: skip
