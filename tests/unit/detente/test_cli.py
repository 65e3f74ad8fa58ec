from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from detente.cli import _read_articles, main

STATEMENTS = Path(__file__).resolve().parents[3] / "data/training/statements"
GOOD = {
    "schema_version": 1, "id": "x-1", "published_at": "2026-03-01T10:00:00Z", "source": "test",
    "url": "", "title": "T", "text": "Body.", "language": "en",
}  # fmt: skip


def test_an_invalid_article_is_reported_with_its_line_and_field() -> None:
    lines = [
        json.dumps(GOOD),
        json.dumps({**GOOD, "id": "x-2", "title": 7}),
        "{not json",
        json.dumps({**GOOD, "id": "x-4", "published_at": "someday"}),
    ]
    read = list(_read_articles(io.StringIO("\n".join(lines)), "in.jsonl"))
    assert [number for number, _ in read] == [1, 2, 3, 4]
    assert read[1][1] == "in.jsonl:2: invalid article: title: Input should be a valid string"
    assert read[2][1] == "in.jsonl:3: invalid article: not valid JSON"
    assert str(read[3][1]).startswith("in.jsonl:4: invalid article: published_at: ")


def test_null_in_an_optional_field_reads_as_absent() -> None:
    event = {**GOOD, "url": None, "title": None, "language": None}
    ((_, article),) = _read_articles(io.StringIO(json.dumps(event)), "in.jsonl")
    assert not isinstance(article, str)
    assert (article.url, article.title, article.language) == ("", "", "en")
    required = {**GOOD, "text": None}
    ((_, refused),) = _read_articles(io.StringIO(json.dumps(required)), "in.jsonl")
    assert refused == "in.jsonl:1: invalid article: text: Input should be a valid string"


def test_evaluate_can_score_at_another_stance_cut(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    news = tmp_path / "news.jsonl"
    item = {
        "id": "n1", "published": "2026-03-02", "title": "Moscow warns",
        "text": "Russia warned NATO that it would answer any deployment. Delegates met in Paris.",
        "labels": [{"actor": "Russia", "stance": "hardline"}],
        "none": [{"actor": "NATO", "why": "warned"}, {"actor": "France", "why": "venue"}],
    }  # fmt: skip
    news.write_text(json.dumps(item) + "\n", encoding="utf-8")

    def given_a_stance(*extra: str) -> tuple[int, dict[str, object]]:
        argv = ["evaluate", "--statements", str(STATEMENTS), "--news", str(news), *extra]
        assert main(argv) == 0
        report = json.loads(capsys.readouterr().out)
        return report["news_dev"]["given_a_stance"], report

    shipped, report = given_a_stance()
    assert "stance_threshold" not in report
    everyone, report = given_a_stance("--stance-threshold", "0")
    assert report["stance_threshold"] == 0.0
    # At a cut of 0 every named actor takes a stance: NATO and France join Russia.
    assert everyone == 3 > shipped >= 1


@pytest.mark.parametrize("cut", ["0", "1.5", "-0.2"])
def test_train_refuses_a_stance_cut_outside_zero_to_one_before_any_work(
    cut: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "model.skops"
    assert main(["train", "--stance-threshold", cut, "--out", str(out)]) == 2
    assert "--stance-threshold" in capsys.readouterr().err
    assert not out.exists()
