"""The rendered sample, and the ERROR / MASK_SPAN dicts built from tagged spans."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]
from typing import Any

from errsynth.render.segments import Flat, Tag
from errsynth.types.candidates import WrongAttempt


@dataclass(frozen=True)
class Rendered:
    """A training sample. All spans index `text`; ``text == prompt + completion``.

    `errors` are shaped like :data:`errsynth.schema.ERROR`, `mask_spans` like
    :data:`errsynth.schema.MASK_SPAN`, both in text order. `corrections` has one
    ``{"start", "end"}`` per error: the correct step written after that attempt
    (for lema and cac, the step inside the final correct solution); it is not a
    schema column, and :func:`errsynth.render.highlight.highlight` uses it when present.
    """

    text: str
    prompt: str
    completion: str
    messages: list[dict[str, str]] | None
    errors: list[dict[str, Any]]
    mask_spans: list[dict[str, Any]]
    style: str = "back"
    corrections: list[dict[str, int]] = field(default_factory=list)

    @property
    def n_errors(self) -> int:
        return len(self.errors)

    def columns(self) -> dict[str, Any]:
        """The SAMPLE_SCHEMA columns this sample fills."""
        return {
            "style": self.style,
            "text": self.text,
            "prompt": self.prompt,
            "completion": self.completion,
            "messages": self.messages,
            "n_errors": self.n_errors,
            "errors": self.errors,
            "mask_spans": self.mask_spans,
        }


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return dict(obj)
    if isinstance(obj, set | frozenset):
        return sorted(obj, key=repr)
    raise TypeError(f"detail value of type {type(obj).__name__} is not JSON-able")


def _detail_encoder() -> Callable[[Any], str]:
    """``json.dumps(obj, sort_keys=True, default=_jsonable)`` as one reusable encoder.

    `json.dumps` with options builds a new encoder per call, which costs more than
    encoding a small detail dict. The C encoder is kept instead (same output); it
    skips the circular-reference check, which JSON-able details never need.
    """
    if c_make_encoder is None:  # no C accelerator: the pure-Python encoder, reused
        return json.JSONEncoder(sort_keys=True, default=_jsonable).encode
    encode = c_make_encoder(
        None, _jsonable, encode_basestring_ascii, None, ": ", ", ", True, False, True
    )
    return lambda obj: "".join(encode(obj, 0))


_encode_detail = _detail_encoder()


def detail_json(detail: Mapping[str, Any]) -> str:
    """The error's `detail` column: the attempt's evidence as sorted-key JSON."""
    return _encode_detail(detail if type(detail) is dict else dict(detail))


def premature_flag(detail: Mapping[str, Any]) -> bool | None:
    value = detail.get("premature")
    return None if value is None else bool(value)


def error_dict(
    attempt: WrongAttempt, wrong_text: str, spans: Mapping[Tag, Sequence[int]], n: int
) -> dict[str, Any]:
    """The ERROR struct of attempt number `n` (its tags are ``(what, n)``)."""
    start, end = spans[("wrong", n)]
    attempt_start, attempt_end = spans[("attempt", n)]
    marker_start, marker_end = spans[("marker", n)]
    return {
        "step": attempt.at,
        "kind": attempt.kind,
        "wrong_text": wrong_text,
        "start": start,
        "end": end,
        "attempt_start": attempt_start,
        "attempt_end": attempt_end,
        "marker_start": marker_start,
        "marker_end": marker_end,
        "premature": premature_flag(attempt.detail),
        "finding": attempt.finding,
        "detail": detail_json(attempt.detail),
    }


def mask_spans_of(errors: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per error, the wrong part (mode wrong) and the whole attempt (mode attempt).

    The marker is never masked: the model has to learn to write it.
    """
    out: list[dict[str, Any]] = []
    for e in errors:
        out.append({"mode": "wrong", "start": e["start"], "end": e["end"]})
        out.append({"mode": "attempt", "start": e["attempt_start"], "end": e["attempt_end"]})
    return out


def assemble(flat: Flat, style: str, placed: Sequence[tuple[WrongAttempt, str]]) -> Rendered:
    """A Rendered from a flattened layout and the attempts placed in it (with wrong texts)."""
    spans = flat.spans
    errors = [error_dict(a, wrong, spans, n) for n, (a, wrong) in enumerate(placed)]
    corrections = []
    for n in range(len(placed)):
        start, end = spans[("fix", n)]
        corrections.append({"start": start, "end": end})
    text, cut = flat.text, flat.prompt_len
    return _new_rendered(
        text=text,
        prompt=text[:cut],
        completion=text[cut:],
        messages=flat.messages,
        errors=errors,
        mask_spans=mask_spans_of(errors),
        style=style,
        corrections=corrections,
    )


def _new_rendered(**fields: Any) -> Rendered:
    """``Rendered(**fields)`` for every field, without the frozen dataclass's ``__init__``.

    A frozen ``__init__`` sets each field through ``object.__setattr__``; a sample is
    rendered per candidate (and once more, clean, per row), so this fills the
    instance dict in one call instead. Same fields, same object.
    """
    rendered = object.__new__(Rendered)
    rendered.__dict__.update(fields)
    return rendered
