"""`make bench`: throughput of the stance engine, written to bench/results.json.

Speed targets live here, never in pass/fail tests: the machine is shared and noisy, so
every figure is the median of several runs, and every speed-up is quoted as a ratio to a
baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from baseline import BASELINE_COMMIT, BaselineEngine, BaselineUnavailable, output_digest

from detente import heap
from detente.events import Article
from detente.model import StanceModel
from detente.registry import ActorRegistry
from detente.stances import StanceEngine

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample" / "articles.jsonl"


def machine() -> dict[str, object]:
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {"cpus": os.cpu_count(), "cpu": cpu, "python": platform.python_version()}


def timed(function, runs: int, cpu: list[float] | None = None) -> list[float]:  # type: ignore[no-untyped-def]
    """Wall-clock seconds of each run; the process's CPU seconds appended to `cpu`."""
    seconds = []
    for _ in range(runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        function()
        seconds.append(time.perf_counter() - started)
        if cpu is not None:
            cpu.append(time.process_time() - cpu_started)
    return seconds


def start_baseline(corpus: Path) -> BaselineEngine | str:
    """Issue #17's engine before the change (bench/baseline.py), or why it cannot run."""
    try:
        return BaselineEngine(corpus)
    except (BaselineUnavailable, OSError, ValueError) as exc:
        return str(exc)


class CeilingProbe:
    """One more measurement of the classify ceiling, on demand: the pipeline part takes one
    before every worker run, so that its ratios are to a ceiling measured across the same
    stretch of time as the workers, not in the single minute before them (the shared
    machine's speed drifts by a quarter or more within a bench)."""

    def __init__(self, engine: StanceEngine, articles: list[Article]) -> None:
        self.engine, self.articles = engine, articles

    def batched(self) -> None:
        for start in range(0, len(self.articles), 64):
            self.engine.classify_many(self.articles[start : start + 64])

    def __call__(self) -> tuple[float, float]:
        """Articles per second and CPU milliseconds per article, of one pass."""
        cpu: list[float] = []
        (seconds,) = timed(self.batched, 1, cpu)
        return len(self.articles) / seconds, 1000 * cpu[0] / len(self.articles)


def bench_classify(
    articles: list[Article], runs: int, corpus: Path
) -> tuple[dict[str, object], CeilingProbe]:
    """`corpus` holds `articles` as JSON Lines, for the baseline engine's process."""
    load_started = time.perf_counter()
    engine = StanceEngine.create(ActorRegistry.load(), StanceModel.load())
    load_seconds = time.perf_counter() - load_started
    heap.settle()  # as the worker, its classifying process and `detente classify` do
    # Issue #17's baseline: the same engine with scikit-learn's own TF-IDF transform, as it
    # scored before detente.vectorise (the same stances, tests/unit/detente/test_vectorise.py).
    reference = replace(engine, model=replace(engine.model, fast_features=False))

    probe = CeilingProbe(engine, articles)
    batched = probe.batched

    def one_by_one() -> None:
        for article in articles:
            engine.classify(article)

    def reference_batched() -> None:
        for start in range(0, len(articles), 64):
            reference.classify_many(articles[start : start + 64])

    one_by_one()  # warm caches before measuring either
    load_before = os.getloadavg()[0]
    per_article = timed(one_by_one, runs)
    baseline = start_baseline(corpus)
    batch_cpu: list[float] = []
    per_batch: list[float] = []
    per_reference_batch: list[float] = []
    per_baseline: list[float] = []
    for _ in range(runs):  # interleaved, so a busy spell slows all alike
        per_batch += timed(batched, 1, batch_cpu)
        per_reference_batch += timed(reference_batched, 1)
        if isinstance(baseline, BaselineEngine):
            try:
                per_baseline.append(baseline.round())
            except (BaselineUnavailable, OSError, ValueError) as exc:
                baseline.close()
                baseline, per_baseline = f"stopped during the rounds: {exc}", []
    median_batched = statistics.median(per_batch)
    median_single = statistics.median(per_article)
    median_reference = statistics.median(per_reference_batch)
    # The machine is shared: how busy it was says how far the wall-clock figures carry.
    figures: dict[str, object] = {
        "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "baseline_engine_commit": BASELINE_COMMIT,
    }
    if isinstance(baseline, BaselineEngine):
        answers = []
        for start in range(0, len(articles), 64):
            answers.extend(engine.classify_many(articles[start : start + 64]))
        median_baseline = statistics.median(per_baseline)
        figures |= {
            "baseline_engine_articles_per_second": round(len(articles) / median_baseline, 1),
            "speedup_over_baseline_engine": round(median_baseline / median_batched, 2),
            # The same model, so the same answers: the change is a speed-up only.
            "baseline_engine_same_answers": baseline.digest == output_digest(answers),
            "baseline_engine_seconds": [round(s, 4) for s in per_baseline],
        }
        baseline.close()
    else:
        figures["baseline_engine_skipped"] = baseline
    return {
        "articles": len(articles),
        "runs": runs,
        "model_and_registry_load_seconds": round(load_seconds, 3),
        "batched_articles_per_second": round(len(articles) / median_batched, 1),
        "one_by_one_articles_per_second": round(len(articles) / median_single, 1),
        "batching_speedup": round(median_single / median_batched, 2),
        "batched_cpu_ms_per_article": round(1000 * statistics.median(batch_cpu) / len(articles), 3),
        "reference_features_articles_per_second": round(len(articles) / median_reference, 1),
        "speedup_over_reference_features": round(median_reference / median_batched, 2),
        "batched_seconds": [round(s, 4) for s in per_batch],
        "one_by_one_seconds": [round(s, 4) for s in per_article],
        "reference_features_seconds": [round(s, 4) for s in per_reference_batch],
        **figures,
    }, probe


def bench_cli(corpus: Path, runs: int) -> dict[str, object]:
    """`detente classify` end to end: process start, model load, then the whole file."""
    command = [str(Path(sys.executable).parent / "detente"), "classify", str(corpus)]
    seconds = timed(lambda: subprocess.run(command, check=True, stdout=subprocess.DEVNULL), runs)
    count = sum(1 for line in corpus.read_text().splitlines() if line.strip())
    return {
        "articles": count,
        "runs": runs,
        "median_seconds": round(statistics.median(seconds), 3),
        "articles_per_second_including_start": round(count / statistics.median(seconds), 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.json")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=10, help="copies of the sample corpus")
    parser.add_argument("--pipeline-articles", type=int, default=3000)
    parser.add_argument("--pipeline-runs", type=int, default=3)
    parser.add_argument("--no-pipeline", action="store_true", help="skip the Kafka pipeline")
    parser.add_argument("--no-api", action="store_true", help="skip the API load test")
    parser.add_argument("--no-growth", action="store_true", help="skip the engine growth curves")
    parser.add_argument(
        "--memory-articles", type=int, default=1_000_000,
        help="articles for the worker-memory run (about 70 min at 1,000,000 here; 0 skips it)",
    )  # fmt: skip
    args = parser.parse_args()

    sample = [Article.model_validate_json(line) for line in SAMPLE.read_text().splitlines()]
    articles = sample * args.repeat
    corpus = args.out.parent / "classify-corpus.jsonl.tmp"
    corpus.write_text("".join(a.model_dump_json() + "\n" for a in articles))
    classify, probe = bench_classify(articles, args.runs, corpus)
    results = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "classify": classify,
        "classify_cli": bench_cli(corpus, max(3, args.runs // 2)),
    }
    corpus.unlink()
    if not args.no_growth:
        from growth import run as run_growth

        results["growth"] = run_growth()
    if not args.no_pipeline:
        from pipeline import run as run_pipeline

        pipeline = run_pipeline(args.pipeline_runs, args.pipeline_articles, probe)
        # Ratios are to the ceiling measured between the worker runs (CeilingProbe).
        ceiling = pipeline["classify_ceiling_between_runs"]["median_articles_per_second"]
        ceiling_cpu = pipeline["classify_ceiling_between_runs"]["median_cpu_ms_per_article"]
        for key in ("1_worker_one_record_at_a_time", "1_worker_unbundled", "1_worker",
                    "1_worker_classify_thread", "1_worker_whole_pieces", "2_worker",
                    "2_worker_classify_thread", "1_worker_window_10_ms"):  # fmt: skip
            pipeline[key]["ratio_to_classify_ceiling"] = round(
                pipeline[key]["median_articles_per_second"] / ceiling, 3
            )
            # What one article costs the ceiling against what it costs the workers, in CPU:
            # the same ratio for one GIL-bound worker on an idle machine, steadier on a busy one.
            pipeline[key]["cpu_ratio_to_classify_ceiling"] = round(
                ceiling_cpu / pipeline[key]["median_worker_cpu_ms_per_article"], 3
            )
        results["pipeline"] = pipeline
    if not args.no_api:
        from api_load import bench_api

        results["api"] = bench_api()
    if args.memory_articles:
        from memory import run as run_memory

        results["memory"] = run_memory(args.memory_articles)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
