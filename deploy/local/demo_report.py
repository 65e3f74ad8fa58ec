"""Wait until the API shows the demo articles, then print actors and their indices."""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from detente.model import model_version
from detente.training import MODEL_NAME


def get(url: str) -> tuple[int, object]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, None
    except (urllib.error.URLError, OSError):
        return 0, None


def article_ids(sample: Path, seed: Path | None) -> list[str]:
    ids = [json.loads(line)["id"] for line in sample.read_text().splitlines() if line.strip()]
    if seed:
        for path in sorted(seed.glob("*.txt")):
            ids.append("txt-" + hashlib.sha256(path.read_bytes()).hexdigest()[:16])
    return ids


def current_model_version(checksum: Path) -> str | None:
    """The version the shipped model stamps on its stances, None without a checksum file."""
    if not checksum.exists():
        return None
    return model_version(MODEL_NAME, checksum.read_text().split()[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--api", default="http://127.0.0.1:8000")
    parser.add_argument("--sample", type=Path, required=True)
    parser.add_argument("--seed", type=Path)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument(
        "--model-checksum", type=Path, default=Path("models/stance.skops.sha256"),
        help="the shipped model's checksum file, to tell stances of an earlier model",
    )  # fmt: skip
    args = parser.parse_args()

    wanted = article_ids(args.sample, args.seed)
    deadline = time.monotonic() + args.timeout
    missing = wanted
    versions: dict[str, str] = {}  # article id -> the model version that classified it
    while missing and time.monotonic() < deadline:
        for article_id in missing:
            status, article = get(f"{args.api}/v1/articles/{article_id}")
            if status == 200 and isinstance(article, dict):
                versions[article_id] = str(article.get("model_version", ""))
        missing = [i for i in missing if i not in versions]
        if missing:
            time.sleep(1)
    shown = len(wanted) - len(missing)
    print(f"\nThe API shows {shown} of {len(wanted)} demo articles.")
    current = current_model_version(args.model_checksum)
    older = sorted({v for v in versions.values() if current and v != current})
    if older:
        count = sum(v in older for v in versions.values())
        print(
            f"Note: {count} of them were classified earlier by {', '.join(older)}, not by the "
            f"current model {current}: the stack handles each article once, and it had seen "
            "these. `make reset demo` starts it empty and classifies them again."
        )
    # Articles with no recognised actor have no stances, hence no page: not an error.
    _, payload = get(f"{args.api}/v1/actors?limit=25")
    actors = payload.get("items", payload) if isinstance(payload, dict) else payload or []
    print(f"\n{'actor':<28}{'kind':<14}{'24h':>7}{'7d':>7}{'ewma':>7}{'statements':>12}")
    for actor in actors:
        windows = actor.get("windows", {})

        def fmt(value: object) -> str:
            return f"{value:.1f}" if isinstance(value, (int, float)) else "-"

        print(
            f"{actor['name'][:27]:<28}{actor['kind']:<14}"
            f"{fmt(windows.get('24h', {}).get('index')):>7}"
            f"{fmt(windows.get('7d', {}).get('index')):>7}"
            f"{fmt(actor.get('ewma')):>7}{actor.get('statements', 0):>12}"
        )
    if args.seed:
        seed_id = wanted[-1]
        status, article = get(f"{args.api}/v1/articles/{seed_id}")
        if status == 200 and isinstance(article, dict):
            print(f"\nSeed article {seed_id}:")
            for actor in article["actors"]:
                print(
                    f"  {actor['name']:<26} {actor['stance']:<13} "
                    f"p_hardline={actor['p_hardline']:.2f}  p_stance={actor.get('p_stance', 1):.2f}"
                )
            named = [m["name"] for m in article.get("mentioned", [])]
            if named:
                print(f"  only named, no stance of their own: {', '.join(named)}")
    print(f"\nAPI: {args.api}  (docs {args.api}/docs, metrics {args.api}/metrics)")
    print("Stop everything with: make down")
    return 0 if shown else 1


if __name__ == "__main__":
    sys.exit(main())
