"""How the engine's cost grows, for `make bench` (issue #17, "How it grows"): throughput and
per-article latency against article length (1, 10 and 50 statements) and against the size of
the actor registry (the shipped one, and one grown to 5,000 actors with synthetic people and
bodies), plus what an article's cost is made of.

Engine only, in this process, no Kafka: the pipeline's growth with workers is the pipeline
part of the bench. Articles are written here from templates, each sentence one actor's
statement about another, so that "statements per article" is what the engine scores.
"""

from __future__ import annotations

import cProfile
import pstats
import random
import statistics
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib import resources

from detente.events import Article
from detente.model import StanceModel
from detente.registry import ActorRegistry
from detente.stances import StanceEngine

LENGTHS = (1, 10, 50)  # statements per article
GROWN_REGISTRY = 5_000
ARTICLES_PER_POINT = 240
SENTENCES = (
    "{a} warned {b} that any new deployment would be met with force.",
    "{a} said it was ready to resume talks with {b} without preconditions.",
    "{a} accused {b} of violating the ceasefire agreed last month.",
    "{a} welcomed the proposal from {b} and called for calm on both sides.",
    "Officials in {a} rejected the demands of {b} as unacceptable.",
    "{a} offered to mediate between the parties and urged {b} to return to dialogue.",
)
# Parts of where an article's time goes, by the engine function that does each.
STAGES = {
    "finding names": "mentions.py:find",
    "actors outside the registry": "discovery.py:discover",
    "attribution": "attribution.py:attribute",
    "second-stage features": "stance_taking.py:actor_features",
    "agency windows": "stance_taking.py:agency_windows",
    "statement model": "model.py:scores",
    "agency model": "model.py:p_agent",
    "second stage": "model.py:p_stance",
}


def articles(names: Sequence[str], statements: int, count: int, seed: int) -> list[Article]:
    rng = random.Random(seed)
    made = []
    for n in range(count):
        text = " ".join(
            rng.choice(SENTENCES).format(a=a, b=b)
            for a, b in (rng.sample(names, 2) for _ in range(statements))
        )
        published = datetime(2026, 3, 1, tzinfo=UTC)
        made.append(
            Article(id=f"grow-{statements}-{n}", published_at=published, source="bench", text=text)
        )
    return made


def grown_registry(size: int, seed: int = 11) -> ActorRegistry:
    """The shipped registry plus synthetic people (each of a real state) and bodies, with
    made-up names, up to `size` actors: what matching costs with a registry that large."""
    text = resources.files("detente").joinpath("data/actors.toml").read_text(encoding="utf-8")
    shipped = ActorRegistry.from_toml(text)
    states = [a.id for a in shipped if a.kind == "state"]
    rng = random.Random(seed)
    syllables = ["ka", "ren", "vo", "lis", "tan", "mor", "dei", "sul", "bra", "ne", "quo", "zet"]
    # Distinct made-up words, four syllables each: 20,736 to draw from.
    codes = iter(rng.sample(range(len(syllables) ** 4), 2 * size))

    def word() -> str:
        code = next(codes)
        parts = []
        for _ in range(4):
            code, digit = divmod(code, len(syllables))
            parts.append(syllables[digit])
        return "".join(parts).capitalize()

    extra = []
    for n in range(size - len(list(shipped))):
        if n % 4:
            first, last = word(), word()
            extra.append(
                f'[[actor]]\nid = "synthetic-{n}"\nname = "{first} {last}"\nkind = "person"\n'
                f'affiliation = "{rng.choice(states)}"\naliases = ["{first} {last}", "{last}"]\n'
            )
        else:
            body = word()
            extra.append(
                f'[[actor]]\nid = "synthetic-{n}"\nname = "{body} Council"\n'
                f'kind = "organisation"\naliases = ["{body} Council"]\n'
            )
    return ActorRegistry.from_toml(text + "\n" + "\n".join(extra))


def measure(engine: StanceEngine, batch: list[Article], runs: int = 3) -> dict[str, float]:
    """Articles/s in batches of 64 (median of `runs`), and per-article latency one at a
    time (p50, p99 over the batch's articles)."""
    engine.classify_many(batch[:64])  # warm

    def batched() -> None:
        for start in range(0, len(batch), 64):
            engine.classify_many(batch[start : start + 64])

    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        batched()
        seconds.append(time.perf_counter() - started)
    # Each article's latency is the least of three passes: on a shared machine the least is
    # the best estimate of what the work itself costs.
    passes = []
    for _ in range(3):
        timings = []
        for article in batch:
            started = time.perf_counter()
            engine.classify(article)
            timings.append(time.perf_counter() - started)
        passes.append(timings)
    latencies = [min(each) for each in zip(*passes, strict=True)]
    latencies.sort()
    return {
        "articles_per_second": round(len(batch) / statistics.median(seconds), 1),
        "p50_ms": round(1000 * latencies[len(latencies) // 2], 2),
        "p99_ms": round(1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 2),
    }


def cost_parts(engine: StanceEngine, batch: list[Article]) -> dict[str, float]:
    """Milliseconds per article in each stage (cProfile's cumulative time, so shares are
    inflated alike by the profiler's overhead), and the whole."""
    profile = cProfile.Profile()
    profile.enable()
    for start in range(0, len(batch), 64):
        engine.classify_many(batch[start : start + 64])
    profile.disable()
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    parts: dict[str, float] = {}
    total = 0.0
    for (path, _, function), (_, _, _, cumulative, _) in stats.items():
        if function == "classify_many" and path.endswith("stances.py"):
            total = cumulative
        for stage, where in STAGES.items():
            file, name = where.split(":")
            if function == name and path.endswith(file):
                parts[stage] = parts.get(stage, 0.0) + cumulative
    per_article = {stage: round(1000 * s / len(batch), 3) for stage, s in parts.items()}
    per_article["whole engine"] = round(1000 * total / len(batch), 3)
    return per_article


def run(log: Callable[[str], None] = print) -> dict[str, object]:
    model = StanceModel.load()
    shipped = ActorRegistry.load()
    names = [a.name for a in shipped if a.kind in ("state", "organisation", "person")]
    engine = StanceEngine.create(shipped, model)
    by_length = {}
    for statements in LENGTHS:
        batch = articles(names, statements, max(ARTICLES_PER_POINT // statements, 24), statements)
        by_length[str(statements)] = measure(engine, batch)
        log(f"growth: {statements} statements per article: {by_length[str(statements)]}")
    batch = articles(names, 10, ARTICLES_PER_POINT // 10, 10)
    grown = grown_registry(GROWN_REGISTRY)
    engines = {str(len(list(r))): StanceEngine.create(r, model) for r in (shipped, grown)}
    rounds: dict[str, list[dict[str, float]]] = {size: [] for size in engines}
    for _ in range(3):  # interleaved, so that a noisy minute hits both registries alike
        for size, sized in engines.items():
            rounds[size].append(measure(sized, batch, runs=1))
    by_registry = {
        size: {key: statistics.median(r[key] for r in figures) for key in figures[0]}
        for size, figures in rounds.items()
    }
    for size, figures in by_registry.items():
        log(f"growth: registry of {size} actors (median of 3 interleaved rounds): {figures}")
    return {
        "statements_per_article": by_length,
        "registry_actors": by_registry,
        "cost_per_article_ms_10_statements": cost_parts(engine, batch),
        "articles_per_point": ARTICLES_PER_POINT,
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
