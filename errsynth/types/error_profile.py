"""A model's error profile: which kinds of first mistakes it makes, and where.

``errsynth harvest … --profile`` measures it (every wrong solution whose first wrong
step could be located gives one :class:`FirstError`); the transforms ``arith``,
``reorder`` and ``distractor`` read it back (``profile: PATH``) and place their fake
mistakes with the measured kinds and positions.

The file is JSON (``profile.json``; :func:`load_profile` also accepts the folder that
holds it). Positions are kept twice: by absolute step index (0-based, capped at
``MAX_STEP_INDEX``; larger indexes count in the last bin) and by relative position
``index / n_steps`` in ``N_BINS`` equal bins, overall and per kind, so that a profile
measured on 4-step solutions can place mistakes in 12-step ones.

Kinds (``KINDS``) are the first-error kinds a locator can tell apart:

* ``arith_slip``: a step's own computation is wrong (its ``subkind`` names the
  perturbation, the ``arith`` transform's names where one fits: offset, digit,
  transpose, operator, decimal, rounding; else ``other``);
* ``premature``: a step uses a value that no earlier step computed yet (what
  ``reorder`` imitates: a later step moved early);
* ``wrong_quantity``: a right computation on a wrong quantity of the problem (what
  ``distractor`` imitates);
* ``copy_error``: a value carried from an earlier step or the problem, copied wrong;
* ``wrong_formula``: the right inputs combined by a wrong operation or formula;
* ``other``: located, but none of the above (the locator's reason is kept upstream).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

VERSION = 1
N_BINS = 10
MAX_STEP_INDEX = 63
PROFILE_FILE = "profile.json"

KINDS: tuple[str, ...] = (
    "arith_slip",
    "premature",
    "wrong_quantity",
    "copy_error",
    "wrong_formula",
    "other",
)

# Which profile kind each fake-error transform imitates.
TRANSFORM_KIND: dict[str, str] = {
    "arith": "arith_slip",
    "reorder": "premature",
    "distractor": "wrong_quantity",
}


class ProfileError(ValueError):
    """A profile file that is missing, unreadable or not a profile."""


@dataclass(frozen=True)
class FirstError:
    """One located first mistake: its kind, subkind and position in its solution."""

    kind: str
    step_index: int
    n_steps: int
    subkind: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown first-error kind {self.kind!r}; one of {', '.join(KINDS)}")
        if self.n_steps < 1 or not 0 <= self.step_index < self.n_steps:
            raise ValueError(
                f"step_index {self.step_index} outside a solution of {self.n_steps} steps"
            )

    @property
    def relative_bin(self) -> int:
        return min(N_BINS - 1, int(self.step_index / self.n_steps * N_BINS))


def _zeros() -> list[int]:
    return [0] * N_BINS


@dataclass
class ErrorProfile:
    """Counts of first errors by kind, subkind and position (see the module doc)."""

    kinds: Counter[str] = field(default_factory=Counter)
    subkinds: dict[str, Counter[str]] = field(default_factory=dict)
    step_index: Counter[int] = field(default_factory=Counter)
    relative: list[int] = field(default_factory=_zeros)
    relative_by_kind: dict[str, list[int]] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    # -- building ---------------------------------------------------------------

    def add(self, error: FirstError) -> None:
        self.kinds[error.kind] += 1
        if error.subkind:
            self.subkinds.setdefault(error.kind, Counter())[error.subkind] += 1
        self.step_index[min(error.step_index, MAX_STEP_INDEX)] += 1
        b = error.relative_bin
        self.relative[b] += 1
        self.relative_by_kind.setdefault(error.kind, _zeros())[b] += 1

    @classmethod
    def from_errors(
        cls, errors: Iterable[FirstError], meta: Mapping[str, Any] | None = None
    ) -> ErrorProfile:
        prof = cls(meta=dict(meta or {}))
        for e in errors:
            prof.add(e)
        return prof

    @property
    def n(self) -> int:
        return sum(self.kinds.values())

    # -- reading ----------------------------------------------------------------

    def kind_shares(self) -> dict[str, float]:
        """Share of each kind among located first errors (all ``KINDS``, zeros kept)."""
        n = self.n
        return {k: (self.kinds[k] / n if n else 0.0) for k in KINDS}

    def subkind_weights(self, kind: str) -> dict[str, float]:
        """Shares of the subkinds measured for ``kind`` (empty when none were)."""
        c = self.subkinds.get(kind, Counter())
        total = sum(c.values())
        return {s: v / total for s, v in sorted(c.items())} if total else {}

    def position_weights(
        self, n_steps: int, kind: str | None = None, smoothing: float = 0.5
    ) -> list[float]:
        """Per-step weights (mean 1) for a solution of ``n_steps`` steps.

        Step ``i`` gets the (add-``smoothing``) share of the relative bin it falls in,
        spread over the steps that share that bin, normalized to mean 1. With no
        measurements (for ``kind``, or at all) every step weighs 1.
        """
        if n_steps < 1:
            return []
        hist = self.relative if kind is None else self.relative_by_kind.get(kind, _zeros())
        if not sum(hist):
            return [1.0] * n_steps
        bins = [min(N_BINS - 1, int(i / n_steps * N_BINS)) for i in range(n_steps)]
        per_bin = Counter(bins)
        raw = [(hist[b] + smoothing) / per_bin[b] for b in bins]
        mean = sum(raw) / n_steps
        return [w / mean for w in raw]

    # -- file -------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "n_located": self.n,
            "kinds": {k: self.kinds[k] for k in KINDS if self.kinds[k]},
            "kind_shares": self.kind_shares(),
            "subkinds": {k: dict(sorted(v.items())) for k, v in sorted(self.subkinds.items())},
            "step_index": {str(i): c for i, c in sorted(self.step_index.items())},
            "relative_bins": N_BINS,
            "relative": list(self.relative),
            "relative_by_kind": {k: list(v) for k, v in sorted(self.relative_by_kind.items())},
            "meta": self.meta,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "profile") -> ErrorProfile:
        def bad(why: str) -> ProfileError:
            return ProfileError(f"{source}: not an errsynth error profile: {why}")

        if not isinstance(data, Mapping):
            raise bad("the top level is not an object")
        if data.get("version") != VERSION:
            raise bad(f"version {data.get('version')!r}, expected {VERSION}")
        if data.get("relative_bins") != N_BINS:
            raise bad(f"relative_bins {data.get('relative_bins')!r}, expected {N_BINS}")
        try:
            kinds = Counter({str(k): int(v) for k, v in data.get("kinds", {}).items()})
            unknown = set(kinds) - set(KINDS)
            if unknown:
                raise bad(f"unknown kinds {sorted(unknown)}")
            subkinds = {
                str(k): Counter({str(s): int(c) for s, c in v.items()})
                for k, v in data.get("subkinds", {}).items()
            }
            steps = Counter({int(i): int(c) for i, c in data.get("step_index", {}).items()})
            relative = [int(c) for c in data.get("relative", _zeros())]
            by_kind = {
                str(k): [int(c) for c in v] for k, v in data.get("relative_by_kind", {}).items()
            }
        except (TypeError, ValueError, AttributeError) as exc:
            raise bad(f"a count is not an integer ({exc})") from exc
        if len(relative) != N_BINS or any(len(v) != N_BINS for v in by_kind.values()):
            raise bad(f"position histograms must have {N_BINS} bins")
        counts = [*kinds.values(), *steps.values(), *relative]
        counts += [c for v in by_kind.values() for c in v]
        if any(c < 0 or not math.isfinite(c) for c in counts):
            raise bad("negative counts")
        meta = data.get("meta", {})
        return cls(
            kinds,
            subkinds,
            steps,
            relative,
            by_kind,
            dict(meta) if isinstance(meta, Mapping) else {},
        )

    def write(self, path: str | Path) -> Path:
        """Write ``profile.json`` (``path`` is the file or the folder to hold it)."""
        p = Path(path)
        if p.suffix != ".json":
            p = p / PROFILE_FILE
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_name(p.name + ".tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=2, sort_keys=False) + "\n")
        tmp.replace(p)
        return p


def load_profile(path: str | Path) -> ErrorProfile:
    """Read a profile from ``profile.json`` or from the folder that holds one."""
    p = Path(path)
    if p.is_dir():
        p = p / PROFILE_FILE
    if not p.is_file():
        raise ProfileError(
            f"{path}: no error profile here (expected a profile.json written by "
            "`errsynth harvest ... --profile`)"
        )
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProfileError(f"{p}: cannot read the error profile: {exc}") from exc
    return ErrorProfile.from_dict(data, source=str(p))
