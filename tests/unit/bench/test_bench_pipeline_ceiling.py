"""bench/pipeline.py: the classify ceiling is measured before every worker run and once
after the last, and the medians are what the ratios use; an unmeasured run warms the broker
first, and each round starts one step further down the list of configurations."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]


def test_the_ceiling_is_probed_between_every_run(monkeypatch: pytest.MonkeyPatch) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        spec = importlib.util.spec_from_file_location(
            "bench_pipeline", ROOT / "bench" / "pipeline.py"
        )
        assert spec and spec.loader
        pipeline = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(pipeline)
    finally:
        sys.path.remove(str(ROOT / "bench"))
    order: list[str] = []
    speeds = iter([400.0, 300.0, 500.0, 350.0, 450.0])

    def probe() -> tuple[float, float]:
        order.append("ceiling")
        speed = next(speeds)
        return speed, 1000 / speed

    def throughput(workers: int, count: int, log_dir: Path, env: Any) -> dict[str, Any]:
        order.append(f"{workers} worker" if count == 10 else f"warm-up of {count}")
        return {"articles_per_second": 100.0 * workers, "worker_cpu_ms_per_article": 3.0}

    monkeypatch.setattr(pipeline, "throughput", throughput)
    configs = {"one": (1, {}), "two": (2, {})}
    figures = pipeline.sustained(configs, 2, 10, Path("/nonexistent"), probe)
    assert order == [
        "warm-up of 10000",
        *["ceiling", "1 worker", "ceiling", "2 worker"],
        *["ceiling", "2 worker", "ceiling", "1 worker"],
        "ceiling",
    ]
    assert pipeline.paired(figures, "two", "one") == 2.0
    ceiling = figures["classify_ceiling_between_runs"]
    assert ceiling["articles_per_second"] == [400.0, 300.0, 500.0, 350.0, 450.0]
    assert ceiling["median_articles_per_second"] == 400.0
    assert ceiling["median_cpu_ms_per_article"] == 2.5
    assert figures["two"]["median_articles_per_second"] == 200.0
