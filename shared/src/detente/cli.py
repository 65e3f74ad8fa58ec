"""`detente`: the offline command line (classify, train, evaluate). No Kafka needed."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from pydantic import ValidationError

from detente import heap
from detente.events import Article, first_error
from detente.model import DEFAULT_MODEL_PATH, ModelError, StanceModel
from detente.registry import ActorRegistry
from detente.stance_taking import STANCE_THRESHOLD
from detente.stances import StanceEngine, UnprocessableArticle

BATCH_SIZE = 64


def _read_articles(handle: TextIO, name: str) -> Iterator[tuple[int, Article | str]]:
    for number, line in enumerate(handle, 1):
        if not line.strip():
            continue
        try:
            yield number, Article.model_validate_json(line)
        except ValidationError as exc:
            yield number, f"{name}:{number}: invalid article: {first_error(exc)}"


def _load_model(args: argparse.Namespace) -> StanceModel:
    return StanceModel.load(args.model, sha256=args.model_sha256, verify_checksum=args.model_verify)


def _classify(args: argparse.Namespace) -> int:
    engine = StanceEngine.create(ActorRegistry.load(args.registry), _load_model(args))
    heap.settle()
    handle = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8")  # noqa: SIM115
    failures = 0
    batch: list[Article] = []

    def flush() -> None:
        for result in engine.classify_many(batch):
            payload = result.model_dump(mode="json", include={"id", "actors", "mentioned"})
            payload["model_version"] = result.model_version
            print(json.dumps(payload, ensure_ascii=False))
        batch.clear()

    started = time.perf_counter()
    count = 0
    with handle:
        for _, item in _read_articles(handle, args.file):
            if isinstance(item, str):
                print(item, file=sys.stderr)
                failures += 1
                continue
            try:
                engine.check(item)
            except UnprocessableArticle as exc:
                print(f"{item.id}: {exc.reason}: {exc}", file=sys.stderr)
                failures += 1
                continue
            batch.append(item)
            count += 1
            if len(batch) >= BATCH_SIZE:
                flush()
        flush()
    if args.timing:
        elapsed = time.perf_counter() - started
        print(json.dumps({"articles": count, "seconds": round(elapsed, 4)}), file=sys.stderr)
    return 1 if failures else 0


def _train(args: argparse.Namespace) -> int:
    from detente import corpora, training

    if args.stance_threshold is not None and not 0.0 < args.stance_threshold < 1.0:
        raise ValueError(f"--stance-threshold {args.stance_threshold} is not between 0 and 1")
    registry = ActorRegistry.load(args.registry)
    statements = list(corpora.read_own(args.statements))
    sources = {"own": len(statements)}
    if args.neutral and args.neutral.is_dir():
        extra = list(corpora.read_own(args.neutral, labels=(corpora.NEUTRAL,)))
        statements += extra
        sources["own_neutral"] = len(extra)
    if args.plover:
        extra = list(corpora.read_plover(args.plover))
        statements += extra
        sources["plover"] = len(extra)
    if args.unscon:
        extra = list(corpora.read_unscon(args.unscon))
        statements += extra
        sources["unscon"] = len(extra)
    split = training.split_by_crisis(statements)
    test_crises = sorted(training.TEST_CRISES)
    print(
        f"training on {len(split.train)} statements {sources}; "
        f"holding out {len(split.test)} from crises {test_crises}",
        file=sys.stderr,
    )
    pipeline = training.fit(split.train, registry)
    held_out = training.evaluate_statements(pipeline, split.test, registry)
    metadata = {"model": training.MODEL_NAME, "sources": sources, "held_out_crises": held_out}
    stance_taking = agency = None
    threshold = STANCE_THRESHOLD
    if args.attribution and args.attribution.is_dir():
        classes = tuple(str(c) for c in pipeline.classes_)
        engine = StanceEngine.create(registry, StanceModel(pipeline, "training", classes))
        passages = list(corpora.read_attribution(args.attribution))
        training_passages = [p for p in passages if p.crisis not in training.TEST_CRISES]
        if args.cross_fit:  # each crisis scored by a statement model that never saw it
            train = training.cross_fitted_examples(split.train, training_passages, registry)
        else:
            train = training.stance_taking_examples(training_passages, engine)
        test = training.stance_taking_examples(
            [p for p in passages if p.crisis in training.TEST_CRISES], engine
        )
        print(
            f"second stage: {len(train.labels)} judged actors in training crises; "
            f"holding out {len(test.labels)}",
            file=sys.stderr,
        )
        agency = training.fit_agency(train.windows, train.labels)
        training.add_agency(train, None)  # out of fold
        training.add_agency(test, agency)
        stance_taking = training.fit_stance_taking(train.features, train.labels)
        if args.stance_threshold is not None:  # fixed by the caller (models/README.md)
            threshold = args.stance_threshold
        else:  # chosen on the training crises out of fold; the held-out crises only score it
            threshold = training.choose_threshold(
                training.out_of_fold_p_stance(train), train.labels
            )
        sources["own_attribution_passages"] = len(passages)
        metadata["stance_taking_held_out"] = training.evaluate_stance_taking(
            stance_taking, test.features, test.labels, threshold
        )
    training.save(pipeline, args.out, metadata, stance_taking, agency, threshold)
    print(json.dumps(metadata, indent=2))
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from detente import corpora, evaluation, training

    registry = ActorRegistry.load(args.registry)
    model = _load_model(args)
    report: dict[str, object] = {"model_version": model.version}
    if args.statements:
        own = list(corpora.read_own(args.statements))
        if args.neutral and args.neutral.is_dir():
            own += list(corpora.read_own(args.neutral, labels=(corpora.NEUTRAL,)))
        test = training.split_by_crisis(own).test
        report["held_out_crises"] = training.evaluate_statements(model.pipeline, test, registry)
    engine = StanceEngine.create(registry, model)
    if args.stance_threshold is not None:  # to compare engines at the same cut
        engine = replace(engine, stance_threshold=args.stance_threshold)
        report["stance_threshold"] = args.stance_threshold
    judged_sets = {}
    if args.news:
        judged_sets["news_dev"] = evaluation.read_judged(args.news, registry, args.judgements)
    if args.exhaustive:
        judged_sets["news_dev_exhaustive"] = evaluation.read_judged(args.exhaustive, registry)
    if args.events:
        judged_sets["plover_events"] = evaluation.read_event_records(args.events, registry)
    errors: dict[str, object] = {}
    for name, judged in judged_sets.items():
        scores = evaluation.score(
            judged, engine.classify_many([j.article for j in judged]), registry
        )
        errors[name] = scores.pop("errors")
        report[name] = scores
    if args.ablation and judged_sets:
        report["ablation"] = evaluation.ablation(engine, judged_sets)
    if args.errors:
        args.errors.write_text(json.dumps(errors, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="detente", description=__doc__)
    parser.add_argument("--registry", type=Path, default=None, help="actor registry TOML")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL_PATH, help="skops model file")
    parser.add_argument(
        "--model-sha256", metavar="HEX",
        help="the model's expected SHA-256 (default: the one in the .sha256 file beside it)",
    )  # fmt: skip
    parser.add_argument(
        "--no-model-verify", dest="model_verify", action="store_false",
        help="load the model without checking its SHA-256 (its types are still checked)",
    )  # fmt: skip
    commands = parser.add_subparsers(dest="command", required=True)

    classify = commands.add_parser("classify", help="article events (JSON Lines) → stances")
    classify.add_argument("file", nargs="?", default="-", help="JSON Lines file, or - for stdin")
    classify.add_argument("--timing", action="store_true", help="print throughput to stderr")
    classify.set_defaults(run=_classify)

    train = commands.add_parser("train", help="train the stance model")
    train.add_argument("--statements", type=Path, default=Path("data/training/statements"))
    train.add_argument(
        "--neutral", type=Path, default=None,
        help="add our procedural statements (data/training/neutral) as a third class",
    )  # fmt: skip
    train.add_argument(
        "--attribution", type=Path, default=Path("data/training/attribution"),
        help="judged passages for the second stage (who takes a stance)",
    )  # fmt: skip
    train.add_argument("--plover", type=Path, help="PLOVER_GSR_CAMEO.txt")
    train.add_argument("--unscon", type=Path, help="UNSCon conflict_annotations.csv")
    train.add_argument("--out", type=Path, default=DEFAULT_MODEL_PATH)
    train.add_argument(
        "--stance-threshold", type=float, default=None,
        help="store this p_stance cut instead of choosing it on the training crises",
    )  # fmt: skip
    train.add_argument(
        "--cross-fit", action="store_true",
        help="second stage: read each training crisis's passages with a statement model fit "
        "without that crisis (5 more statement fits; see models/README.md)",
    )  # fmt: skip
    train.set_defaults(run=_train)

    evaluate = commands.add_parser("evaluate", help="scores on held-out crises and real news")
    evaluate.add_argument("--statements", type=Path, default=Path("data/training/statements"))
    evaluate.add_argument("--neutral", type=Path, default=None, help="also score neutral recall")
    evaluate.add_argument("--news", type=Path, help="news-dev.jsonl (actor-level labels)")
    evaluate.add_argument(
        "--judgements", type=Path, help="news-dev-attribution.jsonl: verdicts on further actors"
    )
    evaluate.add_argument(
        "--exhaustive", type=Path, help="news-dev-exhaustive.jsonl: every named actor judged"
    )
    evaluate.add_argument(
        "--events", type=Path,
        help="PLOVER_GSR_CAMEO.txt: sources act, targets are acted upon (its statements are in "
        "the statement model's training data, so its macro-F1 is not held out)",
    )  # fmt: skip
    evaluate.add_argument("--errors", type=Path, help="write each wrong verdict here (JSON)")
    evaluate.add_argument(
        "--ablation", action="store_true", help="also score the engine with each part taken away"
    )
    evaluate.add_argument(
        "--stance-threshold", type=float, default=None,
        help="score at this p_stance cut instead of the model's own",
    )  # fmt: skip
    evaluate.set_defaults(run=_evaluate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except (OSError, ValueError, ModelError) as exc:
        print(f"detente {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
