"""GSM8K calculator annotations (``<<48/2=24>>``) kept or stripped, and the glue before a notice.

Most users strip the annotations before training: they are the original annotators'
calculator calls, not text a model should learn to write. Rendering keeps them (the
transforms and the validator work on them); :func:`strip_rendered` removes them from a
rendered sample afterwards and moves every span so that it still covers the same text.
The default (``annotations: auto``) strips them for the natural-language styles
(natural, lema, cac) and keeps them for back and igsm.

:func:`glue_for` is what goes between a wrong attempt and the notice that retracts it:
one space, with a full stop first when the notice is a sentence (starts with a capital
letter) and the attempt does not end a sentence ("…3 bolts of fabric. Wait, …").
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from typing import Any

from errsynth.render.config import GLUE

ANNOTATIONS: tuple[str, ...] = ("auto", "keep", "strip")
STRIPPING_STYLES: tuple[str, ...] = ("natural", "lema", "cac")
_ANNOTATION = re.compile(r"<<[^<>\n]*>>")
_SENTENCE_END = re.compile(r"[.!?:;]['\")\]]*$")


def strips(annotations: str, style: str) -> bool:
    """Whether `annotations` (auto / keep / strip) removes them in `style`."""
    if annotations not in ANNOTATIONS:
        raise ValueError(
            f"annotations must be one of {', '.join(ANNOTATIONS)}; got {annotations!r}"
        )
    if annotations == "auto":
        return style in STRIPPING_STYLES
    return annotations == "strip"


def glue_for(attempt_text: str, marker: str, style: str) -> str:
    """The text between an attempt and its marker (see the module docstring). Only the
    natural style writes sentences as notices; back and igsm keep their exact forms."""
    if (
        style == "natural"
        and marker[:1].isupper()
        and not _SENTENCE_END.search(attempt_text.rstrip())
    ):
        return "." + GLUE
    return GLUE


def strip_text(text: str) -> str:
    return _ANNOTATION.sub("", text) if "<<" in text else text


class OffsetMap:
    """Where each offset of a text lands once its annotations are removed."""

    def __init__(self, text: str) -> None:
        self.cuts: list[tuple[int, int]] = [m.span() for m in _ANNOTATION.finditer(text)]
        self.starts = [a for a, _ in self.cuts]
        self.removed_before: list[int] = []
        total = 0
        for a, b in self.cuts:
            total += b - a
            self.removed_before.append(total)

    def __call__(self, pos: int) -> int:
        k = bisect.bisect_right(self.starts, pos) - 1
        if k < 0:
            return pos
        a, b = self.cuts[k]
        before = self.removed_before[k - 1] if k else 0
        if pos < b:  # inside an annotation: its start
            return a - before
        return pos - self.removed_before[k]


_ERROR_SPANS = ("start", "end", "attempt_start", "attempt_end", "marker_start", "marker_end")


def strip_rendered_columns(columns: dict[str, Any]) -> dict[str, Any]:
    """Sample columns (text, prompt, completion, messages, errors, mask_spans) with the
    annotations removed and every span moved; `wrong_text` is re-read from the text."""
    text = columns["text"]
    if "<<" not in text:
        return columns
    moved = OffsetMap(text)
    new_text = strip_text(text)
    out = dict(columns)
    out["text"] = new_text
    cut = moved(len(columns["prompt"]))
    out["prompt"], out["completion"] = new_text[:cut], new_text[cut:]
    if columns.get("messages"):
        out["messages"] = [{**m, "content": strip_text(m["content"])} for m in columns["messages"]]
    errors = []
    for e in columns["errors"]:
        e = dict(e)
        for key in _ERROR_SPANS:
            e[key] = moved(e[key])
        e["wrong_text"] = new_text[e["start"] : e["end"]]
        errors.append(e)
    out["errors"] = errors
    out["mask_spans"] = [
        {**s, "start": moved(s["start"]), "end": moved(s["end"])} for s in columns["mask_spans"]
    ]
    return out


def strip_steps(steps: Sequence[str]) -> list[str]:
    return [strip_text(s) for s in steps]
