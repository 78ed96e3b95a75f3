"""Safe exact evaluation of arithmetic in math solutions.

Text is tokenized and parsed by our own bounded parsers (never ``eval`` and never SymPy's
string parsing) into a tuple tree (:mod:`.nodes`), which is evaluated with exact
rationals. Equations with surds and π are compared in an exact canonical form
(:mod:`.surds`); equations with variables are screened at rational points and identities
proved by exact polynomial expansion (:mod:`.identity`, :mod:`.polys`). SymPy, built from
the tree, only judges what those cannot settle. Every input is bounded (length, nesting,
literal and exponent sizes, operations, time), so any string returns or raises
:class:`EvalError` within milliseconds. See ``docs/evaluator.md``.

Public API: :func:`parse`, :func:`evaluate`, :func:`check_equation` (:class:`Verdict`),
:func:`find_equations` (:class:`FoundEquation`), :func:`format_value`,
:func:`parse_number`, :func:`normalize_answer`, :func:`answers_equal`.
"""

from .answers import answers_equal, normalize_answer
from .check import Verdict, check_equation
from .core import Syntax, Value, evaluate, parse
from .errors import REASONS, EvalError, Limits
from .find import find_equations
from .formatting import format_value
from .found import FoundEquation
from .nodes import Node
from .numeric import parse_number

__all__ = [
    "REASONS",
    "EvalError",
    "FoundEquation",
    "Limits",
    "Node",
    "Syntax",
    "Value",
    "Verdict",
    "answers_equal",
    "check_equation",
    "evaluate",
    "find_equations",
    "format_value",
    "normalize_answer",
    "parse",
    "parse_number",
]
