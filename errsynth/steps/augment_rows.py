"""Augment's unit of work: one clean solution row → validated, rendered retry samples.

`augment_row` (one row, every configured transform) is what the `augment` step
(`steps.augment`) runs per chunk on any engine, and what `augment_table` runs over
a solutions file. Every (row, transform) pair ends up either as a sample or as a
rejection with its reason; `TransformStats` counts them per transform and merges
the counts of chunks (`TransformStats.merge`).
"""

from __future__ import annotations

import hashlib
import json
import traceback
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from json.encoder import encode_basestring_ascii  # type: ignore[attr-defined]
from pathlib import Path
from typing import Any

from errsynth.render import Rendered, StyleConfig, render, render_clean, style_draws
from errsynth.render.config import INLINE_STYLES
from errsynth.render.forms import finish_sample
from errsynth.transforms import Skip, Transform, row_rng
from errsynth.validate import validate_sample


@dataclass
class AugmentSpec:
    transforms: list[Transform]
    style: StyleConfig = field(default_factory=StyleConfig)
    seed: int = 0
    include_clean: bool = False  # also emit each row's clean rendering (kind "clean")
    form: str = "text"  # output form: extra columns (errsynth.render.forms)
    annotations: str = "auto"  # GSM8K <<a=b>> annotations: auto / keep / strip
    prm_prompt: str = "question"  # form prm: the prompt column (render.forms.PRM_PROMPTS)
    # JSON of sample ids and meta per (kind, style, seed), see _SampleJson
    _json: dict[tuple[str, StyleConfig, int], _SampleJson] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )


@dataclass
class TransformStats:
    tried: int = 0
    emitted: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    errors: int = 0  # wrong attempts in emitted samples
    premature: int = 0
    eligible_steps: int = 0
    steps_with_attempt: int = 0
    solution_steps: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "tried": self.tried,
            "emitted": self.emitted,
            "rejected": sum(self.rejected.values()),
            "rejected_by_reason": dict(sorted(self.rejected.items())),
            "errors": self.errors,
            "premature": self.premature,
            "solution_steps": self.solution_steps,
            "eligible_steps": self.eligible_steps,
            "steps_with_attempt": self.steps_with_attempt,
            "realized_rate": round(self.steps_with_attempt / self.eligible_steps, 6)
            if self.eligible_steps
            else None,
            "attempts_per_step": round(self.errors / self.solution_steps, 6)
            if self.solution_steps
            else None,
        }

    SUMMED = (
        "tried",
        "emitted",
        "rejected",
        "errors",
        "premature",
        "eligible_steps",
        "steps_with_attempt",
        "solution_steps",
    )

    @classmethod
    def merge(cls, chunks: Iterable[Mapping[str, Mapping[str, Any]]]) -> dict[str, dict[str, int]]:
        """Per transform, the sums of the `SUMMED` counts of chunks' `as_dict` outputs."""
        per: dict[str, Counter[str]] = {}
        for chunk in chunks:
            for name, st in chunk.items():
                acc = per.setdefault(name, Counter())
                for key in cls.SUMMED:
                    acc[key] += st[key]
        return {k: dict(v) for k, v in per.items()}


def sample_id(
    parent_id: str, kind: str, style: StyleConfig, seed: int, params: Mapping[str, Any]
) -> str:
    h = hashlib.blake2b(digest_size=10)
    h.update(
        json.dumps(
            [parent_id, kind, style.name, style.marker, style.output, seed, params],
            sort_keys=True,
            default=str,
        ).encode()
    )
    return h.hexdigest()


class _SampleJson:
    """The JSON behind the `id` and `meta` of one (kind, params, style, seed)'s samples.

    Both are ``json.dumps`` of a list or dict in which only the parent id and the
    row's format change from sample to sample. The rest is encoded once here, and
    each sample splices its own values in: the same text, without an encoder per
    sample. A parent id that is not a string takes the generic path.
    """

    def __init__(self, kind: str, style: StyleConfig, seed: int, params: Mapping[str, Any]):
        self.kind, self.style, self.seed = kind, style, seed
        self.params = dict(params)
        rest = json.dumps(
            [kind, style.name, style.marker, style.output, seed, self.params],
            sort_keys=True,
            default=str,
        )
        self.id_tail = ", " + rest[1:]  # after "[<parent id>"
        self.meta_by_format: dict[str | None, str] = {}

    def sample_id(self, parent_id: Any) -> str:
        if type(parent_id) is not str:
            return sample_id(parent_id, self.kind, self.style, self.seed, self.params)
        text = "[" + encode_basestring_ascii(parent_id) + self.id_tail
        return hashlib.blake2b(text.encode(), digest_size=10).hexdigest()

    def meta(self, fmt: Any) -> str:
        if fmt is not None and type(fmt) is not str:
            return _meta_json(self.kind, self.params, self.seed, fmt)
        text = self.meta_by_format.get(fmt)
        if text is None:
            text = self.meta_by_format[fmt] = _meta_json(self.kind, self.params, self.seed, fmt)
        return text


def _meta_json(kind: str, params: Mapping[str, Any], seed: int, fmt: Any) -> str:
    return json.dumps(
        {"transform": kind, "params": dict(params), "seed": seed, "format": fmt},
        sort_keys=True,
        default=str,
    )


def _sample_json(spec: AugmentSpec, kind: str, params: Mapping[str, Any]) -> _SampleJson:
    """The spec's cached _SampleJson for `kind`, rebuilt if the params are not the cached ones."""
    key = (kind, spec.style, spec.seed)
    cached = spec._json.get(key)
    if cached is None or not (
        _same_objects(cached.params, params) or _same_json(cached.params, params)
    ):
        cached = spec._json[key] = _SampleJson(kind, spec.style, spec.seed, params)
    return cached


def _same_objects(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Whether `b` holds the very objects `a` holds, under the same keys (the usual case:
    every candidate of a transform carries a copy of the same parameter dict)."""
    if len(a) != len(b):
        return False
    for k, v in b.items():  # noqa: SIM110 (a plain loop: runs per sample)
        if a.get(k, a) is not v:
            return False
    return True


def _same_json(a: Any, b: Any) -> bool:
    """Whether `a` and `b` are equal and of the same types throughout, so that they encode
    to the same JSON (``1 == 1.0 == True``, but each encodes differently)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same_json(v, b[k]) for k, v in a.items())
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(map(_same_json, a, b))
    if isinstance(a, str | int | float) or a is None:
        return bool(a == b)
    return a is b  # encoded with str(): equal objects may print differently (sets)


def _sample_row(
    row: Mapping[str, Any],
    kind: str,
    rendered: Any,
    style: StyleConfig,
    seed: int,
    params: Mapping[str, Any],
    keys: _SampleJson | None = None,
) -> dict[str, Any]:
    if keys is None:
        keys = _SampleJson(kind, style, seed, params)
    return {
        "id": keys.sample_id(row["id"]),
        "parent_id": row["id"],
        "source": row["source"],
        "kind": kind,
        "style": style.name,
        "question": row["question"],
        "text": rendered.text,
        "prompt": rendered.prompt,
        "completion": rendered.completion,
        "messages": rendered.messages,
        "answer": row["answer"],
        "n_errors": len(rendered.errors),
        "errors": rendered.errors,
        "mask_spans": rendered.mask_spans,
        "meta": keys.meta(row.get("format")),
    }


def _reject(row: Mapping[str, Any], transform: str, reason: str, detail: str) -> dict[str, Any]:
    return {
        "parent_id": row["id"],
        "source": row["source"],
        "transform": transform,
        "reason": reason,
        "detail": detail[:2000],
    }


def augment_row(
    row: Mapping[str, Any], spec: AugmentSpec, stats: dict[str, TransformStats] | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Samples and rejections for one clean row under every configured transform."""
    samples: list[dict[str, Any]] = []
    rejects: list[dict[str, Any]] = []
    style = spec.style
    # The clean rendering is the same for every transform of the row: the round trip of
    # the inline styles compares each candidate with it, so it is rendered once here.
    clean: Rendered | None = None
    if spec.include_clean:
        clean = render_clean(row, style)
        keys = _sample_json(spec, "clean", {})
        sample = _sample_row(row, "clean", clean, style, spec.seed, {}, keys)
        samples.append(
            finish_sample(sample, row, None, spec.form, spec.annotations, spec.prm_prompt)
        )
    needs_clean = clean is None and style.name in INLINE_STYLES
    draws = style_draws(style)
    for t in spec.transforms:
        st = stats[t.name] if stats is not None else TransformStats()
        st.tried += 1
        try:
            candidate = t.apply(row, row_rng(spec.seed, row["id"], t.name))
            render_rng = row_rng(spec.seed, row["id"], t.name + "/render") if draws else None
            rendered = render(candidate, style, render_rng)
            if needs_clean:
                clean = _clean_or_none(row, style)
                needs_clean = False
            problems = validate_sample(candidate, rendered, style, clean)
        except Skip as skip:
            st.rejected[skip.reason] += 1
            rejects.append(_reject(row, t.name, skip.reason, skip.detail))
            continue
        except Exception as exc:  # a transform bug must not lose the row or stop the run
            where = traceback.extract_tb(exc.__traceback__)[-1]
            detail = f"{type(exc).__name__}: {exc} (at {Path(where.filename).name}:{where.lineno})"
            st.rejected["transform_error"] += 1
            rejects.append(_reject(row, t.name, "transform_error", detail))
            continue
        if problems:
            st.rejected["invalid"] += 1
            rejects.append(_reject(row, t.name, "invalid", "; ".join(problems)))
            continue
        attempts = candidate.attempts
        st.emitted += 1
        st.errors += len(attempts)
        st.premature += sum(1 for a in attempts if a.detail.get("premature"))
        st.solution_steps += len(row["steps"])
        st.eligible_steps += len(candidate.eligible)
        st.steps_with_attempt += len({a.at for a in attempts})
        keys = _sample_json(spec, t.name, candidate.params)
        sample = _sample_row(row, t.name, rendered, style, spec.seed, candidate.params, keys)
        samples.append(
            finish_sample(sample, row, candidate, spec.form, spec.annotations, spec.prm_prompt)
        )
    return samples, rejects


def _clean_or_none(row: Mapping[str, Any], style: StyleConfig) -> Rendered | None:
    """The row's clean rendering, or None to let the round trip render (and report) it."""
    try:
        return render_clean(row, style)
    except ValueError:
        return None
