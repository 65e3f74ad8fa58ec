"""The stance classifier: a scikit-learn pipeline persisted with skops, never with pickle."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from detente.vectorise import CachedTextPipeline

DEFAULT_MODEL_PATH = Path(__file__).resolve().parents[3] / "models" / "stance.skops"

# skops refuses to load any type not listed here, so a tampered artifact cannot run code.
_TRUSTED_PREFIXES = ("sklearn.", "numpy.", "scipy.", "builtins.", "collections.")


class ModelError(RuntimeError):
    pass


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
    # The same models with faster TF-IDF features (detente.vectorise), when their shape allows.
    _statements: Classifier = field(init=False, repr=False, compare=False)
    _agency: Classifier | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        statements = CachedTextPipeline.of(self.pipeline) or self.pipeline
        agency = CachedTextPipeline.of(self.agency) or self.agency
        object.__setattr__(self, "_statements", statements)
        object.__setattr__(self, "_agency", agency)

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
        if self.stance_taking is None:
            return [f["prior"] for f in features]
        proba = np.asarray(self.stance_taking.predict_proba(list(features)))
        return [float(p) for p in proba[:, 1]]

    @classmethod
    def load(cls, path: Path | None = None) -> StanceModel:
        import skops.io as sio

        path = path or DEFAULT_MODEL_PATH
        if not path.exists():
            raise ModelError(
                f"no stance model at {path}: run `detente train` (see models/README.md)"
            )
        untrusted = sio.get_untrusted_types(file=path)
        refused = [t for t in untrusted if not t.startswith(_TRUSTED_PREFIXES)]
        if refused:
            raise ModelError(f"refusing to load {path}: untrusted types {refused}")
        bundle = sio.load(path, trusted=untrusted)
        pipeline = bundle["pipeline"]
        classes = tuple(str(c) for c in pipeline.classes_)
        if not {"hardline", "conciliatory"} <= set(classes):
            raise ModelError(f"model at {path} has classes {classes}, expected both stances")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        return cls(
            pipeline,
            f"{bundle['name']}-{digest}",
            classes,
            bundle.get("stance_taking"),
            bundle.get("agency"),
            float(bundle.get("stance_threshold", 0.5)),
        )
