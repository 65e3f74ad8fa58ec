"""The stance classifier: a scikit-learn pipeline persisted with skops, never with pickle."""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from detente.vectorise import CachedDictPipeline, CachedTextPipeline

DEFAULT_MODEL_PATH = Path(__file__).resolve().parents[3] / "models" / "stance.skops"

# Every type the shipped artifact names, and nothing else: a file naming any other type
# (a function such as builtins.exec or os.system above all) is refused before skops builds
# anything. Reviewed by hand: data containers, numpy arrays, and the fitted scikit-learn
# classes `detente.training` uses; no function, no generic "any class of a package". A
# retrained model that needs a new type is refused until that type is reviewed and added.
TRUSTED_TYPES = frozenset(
    {
        "builtins.dict",
        "builtins.list",
        "builtins.str",
        "builtins.tuple",
        "numpy.float64",
        "numpy.ndarray",
        "sklearn.calibration.CalibratedClassifierCV",
        "sklearn.calibration._CalibratedClassifier",
        "sklearn.calibration._SigmoidCalibration",
        "sklearn.feature_extraction._dict_vectorizer.DictVectorizer",
        "sklearn.feature_extraction.text.TfidfTransformer",
        "sklearn.feature_extraction.text.TfidfVectorizer",
        "sklearn.linear_model._logistic.LogisticRegression",
        "sklearn.pipeline.FeatureUnion",
        "sklearn.pipeline.Pipeline",
    }
)
_SHA256 = re.compile(r"[0-9a-f]{64}")


class ModelError(RuntimeError):
    pass


def checksum_path(path: Path) -> Path:
    """Where an artifact's SHA-256 is recorded: beside it, `stance.skops.sha256`."""
    return path.with_name(path.name + ".sha256")


def write_checksum(path: Path) -> str:
    """Record the artifact's SHA-256 beside it, in `sha256sum` format (`sha256sum -c` checks
    it from the artifact's folder). Returns the digest."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    checksum_path(path).write_text(f"{digest}  {path.name}\n", encoding="ascii")
    return digest


def read_checksum(path: Path) -> str:
    """The SHA-256 recorded beside the artifact; ModelError when there is none."""
    recorded = checksum_path(path)
    if not recorded.is_file():
        raise ModelError(
            f"no checksum for {path}: expected {recorded.name} beside it (`detente train` "
            f"writes it). To trust this file, record its digest there (`sha256sum "
            f"{path.name} > {recorded.name}` in its folder), pass the expected SHA-256 "
            "(DETENTE_MODEL_SHA256, `detente --model-sha256`), or turn the check off "
            "(DETENTE_MODEL_VERIFY=false, `detente --no-model-verify`)"
        )
    fields = recorded.read_text(encoding="ascii", errors="replace").split()
    digest = fields[0].lower() if fields else ""
    if not _SHA256.fullmatch(digest):
        raise ModelError(f"{recorded} does not start with a SHA-256 (64 hex digits)")
    return digest


def _verify(path: Path, actual: str, given: str | None) -> None:
    if given is not None and not _SHA256.fullmatch(given.lower()):
        raise ModelError(f"the expected SHA-256 for {path} is not 64 hex digits: {given!r}")
    source = "given" if given else f"recorded in {checksum_path(path).name}"
    expected = given.lower() if given else read_checksum(path)
    if actual != expected:
        raise ModelError(
            f"refusing to load {path}: its SHA-256 is {actual}, but {expected} is {source}; "
            "the file is not the artifact that was recorded (see models/README.md)"
        )


def _named_types(node: object) -> Iterator[str]:
    """Every `module.class` a skops schema names: skops imports types only from these."""
    if isinstance(node, dict):
        if isinstance(node.get("__module__"), str) and isinstance(node.get("__class__"), str):
            yield f"{node['__module__']}.{node['__class__']}"
        for value in node.values():
            yield from _named_types(value)
    elif isinstance(node, list):
        for value in node:
            yield from _named_types(value)


def refused_types(data: bytes) -> list[str]:
    """The types a skops archive names outside TRUSTED_TYPES. Reads its schema only: nothing
    is imported or built. Both our own walk and skops's audit must find nothing."""
    import skops.io as sio

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            schema = json.loads(archive.read("schema.json"))
        named = set(_named_types(schema)) | set(sio.get_untrusted_types(data=data))
    except (zipfile.BadZipFile, KeyError, ValueError, RecursionError) as exc:
        raise ModelError(f"not a skops archive: {exc}") from exc
    return sorted(named - TRUSTED_TYPES)


def model_version(name: str, sha256: str) -> str:
    """What a model stamps on its stances: its name and its artifact's first 12 hex digits."""
    return f"{name}-{sha256[:12]}"


class Classifier(Protocol):
    def predict_proba(self, texts: Sequence[str]) -> Any: ...


class ActorClassifier(Protocol):
    def predict_proba(self, features: Sequence[dict[str, float]]) -> Any: ...


@dataclass(frozen=True)
class StanceModel:
    """Scores masked statements; `version` identifies the artifact.

    A model may know a third class, neutral (procedural or descriptive statements).
    `p_hardline` is then the share of hardline among the two stance classes, and the
    statement's weight is how likely it shows a stance at all.
    """

    pipeline: Classifier
    version: str
    classes: tuple[str, ...]
    # Second stage: actor features (`detente.stance_taking`) → P(takes a stance). Artifacts
    # without one fall back to the fixed cue priors.
    stance_taking: ActorClassifier | None = None
    # Masked words around a name → P(the name is an agent there); feeds the second stage.
    agency: Classifier | None = None
    # Below this p_stance an actor is only mentioned: chosen at training time on held-out
    # crises (models/README.md).
    stance_threshold: float = 0.5
    # False scores through scikit-learn's own TF-IDF transform, the path before
    # detente.vectorise: the same numbers, slower; `make bench` times it as its baseline.
    fast_features: bool = field(default=True, compare=False)
    # The same models with faster TF-IDF features (detente.vectorise), when their shape allows.
    _statements: Classifier = field(init=False, repr=False, compare=False)
    _agency: Classifier | None = field(init=False, repr=False, compare=False)
    _stance_taking: ActorClassifier | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        statements = self._fast(self.pipeline) or self.pipeline
        agency = self._fast(self.agency) or self.agency
        object.__setattr__(self, "_statements", statements)
        object.__setattr__(self, "_agency", agency)
        stance_taking = (
            CachedDictPipeline.of(self.stance_taking) if self.fast_features else None
        ) or self.stance_taking
        object.__setattr__(self, "_stance_taking", stance_taking)

    def _fast(self, pipeline: object) -> CachedTextPipeline | None:
        return CachedTextPipeline.of(pipeline) if self.fast_features else None

    def scores(self, texts: Sequence[str]) -> list[tuple[float, float]]:
        """(p_hardline, weight) per statement."""
        if not texts:
            return []
        proba = np.asarray(self._statements.predict_proba(list(texts)))
        hard = proba[:, self.classes.index("hardline")]
        soft = proba[:, self.classes.index("conciliatory")]
        stance = hard + soft
        p_hardline = np.divide(hard, stance, out=np.full_like(hard, 0.5), where=stance > 0)
        return [(float(p), float(w)) for p, w in zip(p_hardline, stance, strict=True)]

    def p_agent(self, windows: Sequence[str]) -> list[float]:
        """P(agent) per agency window; empty without an agency model."""
        if not windows or self._agency is None:
            return []
        return [float(p) for p in np.asarray(self._agency.predict_proba(list(windows)))[:, 1]]

    def p_stance(self, features: Sequence[dict[str, float]]) -> list[float]:
        """P(the actor takes a stance of its own) per actor feature dict."""
        if not features:
            return []
        if self._stance_taking is None:
            return [f["prior"] for f in features]
        proba = np.asarray(self._stance_taking.predict_proba(list(features)))
        return [float(p) for p in proba[:, 1]]

    @classmethod
    def load(
        cls, path: Path | None = None, *, sha256: str | None = None, verify_checksum: bool = True
    ) -> StanceModel:
        """Load a skops artifact, refusing it before anything is built when its SHA-256 is
        not the one given (`sha256`) or recorded beside it (`checksum_path`), or when it
        names a type outside TRUSTED_TYPES. `verify_checksum=False` skips the digest only."""
        import skops.io as sio

        path = path or DEFAULT_MODEL_PATH
        if not path.exists():
            raise ModelError(
                f"no stance model at {path}: run `detente train` (see models/README.md)"
            )
        # Read once: the bytes checked are the bytes loaded.
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if verify_checksum:
            _verify(path, digest, sha256)
        refused = refused_types(data)
        if refused:
            raise ModelError(
                f"refusing to load {path}: it names types outside the reviewed list "
                f"(detente.model.TRUSTED_TYPES): {', '.join(refused)}"
            )
        bundle = sio.loads(data, trusted=sorted(TRUSTED_TYPES))
        pipeline = bundle["pipeline"]
        classes = tuple(str(c) for c in pipeline.classes_)
        if not {"hardline", "conciliatory"} <= set(classes):
            raise ModelError(f"model at {path} has classes {classes}, expected both stances")
        return cls(
            pipeline,
            model_version(str(bundle["name"]), digest),
            classes,
            bundle.get("stance_taking"),
            bundle.get("agency"),
            float(bundle.get("stance_threshold", 0.5)),
        )
