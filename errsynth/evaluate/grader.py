"""LaTeX answer equivalence by HF's `math-verify`, behind errsynth's own bounds.

errsynth's hand-written rules (:func:`errsynth.evaluate.answers.answers_equal`) decide
numbers, fractions, percents, tuples and intervals exactly and fast. For other LaTeX
(matrices, sets, symbolic expressions written differently) they only compare canonical
text or values the bounded evaluator can parse; `math-verify` (SymPy through
latex2sympy2) agrees with a reference grader far more often there. It is used as a second
opinion only when the rules say "not equal", and only within bounds: inputs of at most
`MAX_CHARS` characters each, its own parse and verify time limits of `TIMEOUT_S`
seconds (signal based: active in the main thread; elsewhere the size bound alone
applies), and any exception is "not equal". Without the package installed the rules
alone decide (``grader_available()`` says which).

Measured on the 4,500 MATH test answers (``python benchmarks/answer_grader.py``, see
benchmarks/README.md).
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

from .answers import answers_equal, normalize_answer

MAX_CHARS = 400
TIMEOUT_S = 2

try:  # an optional, well-kept dependency: errsynth works without it
    from math_verify import parse as _mv_parse
    from math_verify import verify as _mv_verify
except ImportError:  # pragma: no cover - exercised only without the package
    _mv_parse = None
    _mv_verify = None


def grader_available() -> bool:
    return _mv_parse is not None


def _wrapped(answer: str) -> str:
    text = answer.strip()
    return text if text.startswith("$") or "\\boxed" in text else f"${text}$"


@lru_cache(maxsize=4096)
def _parsed(answer: str) -> Any:
    timeout = TIMEOUT_S if threading.current_thread() is threading.main_thread() else None
    return _mv_parse(_wrapped(answer), parsing_timeout=timeout)  # type: ignore[misc]


def math_verify_equal(reference: str, candidate: str) -> bool | None:
    """math-verify's verdict on `candidate` against `reference`; None when it cannot judge
    (not installed, an input over the size bound, nothing parsed, an error or a timeout)."""
    if _mv_parse is None or _mv_verify is None:
        return None
    if len(reference) > MAX_CHARS or len(candidate) > MAX_CHARS:
        return None
    timeout = TIMEOUT_S if threading.current_thread() is threading.main_thread() else None
    try:
        gold, pred = _parsed(reference), _parsed(candidate)
        if not gold or not pred:
            return None
        return bool(_mv_verify(gold, pred, timeout_seconds=timeout))
    except Exception:
        return None


def equivalent(reference: str, candidate: str) -> bool:
    """Whether two final answers are the same: errsynth's exact rules first, then
    math-verify for what the rules cannot show equal (bounded, see the module docstring)."""
    if answers_equal(reference, candidate):
        return True
    verdict = math_verify_equal(reference, candidate)
    if verdict is None:
        verdict = math_verify_equal(normalize_answer(reference), normalize_answer(candidate))
    return bool(verdict)
