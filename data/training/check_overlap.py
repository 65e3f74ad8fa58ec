"""No third-party text in our training data: list every 8-word run that a training file
shares with the team folder (../shared), which must stay out of the project.

    .venv/bin/python data/training/check_overlap.py ../shared data/training/statements/forms-*.jsonl

Words are lower-cased runs of letters, digits and apostrophes; JSON-escaped quotes and line
breaks in the team folder's files are read as plain text. Prints each shared run with the
id of the item it is in, and exits 1 if there is any.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path

RUN = 8
_WORD = re.compile(r"[\w']+")


def runs(text: str) -> Iterator[str]:
    words = [w.lower() for w in _WORD.findall(text)]
    for i in range(len(words) - RUN + 1):
        yield " ".join(words[i : i + RUN])


def team_runs(folder: Path) -> set[str]:
    found: set[str] = set()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        text = path.read_text(encoding="utf-8", errors="ignore")
        found.update(runs(text.replace('\\"', '"').replace("\\n", " ")))
    return found


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    shared = team_runs(Path(argv[0]))
    hits = 0
    for name in argv[1:]:
        for line in Path(name).read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            for run in runs(row.get("text", "")):
                if run in shared:
                    print(f"{row.get('id', name)}: {run}")
                    hits += 1
    print(f"{hits} shared {RUN}-word runs", file=sys.stderr)
    return 1 if hits else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
