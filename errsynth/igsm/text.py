"""Exact parser of iGSM text: one import point for problems, solutions and their replay.

The pieces live in small modules (:mod:`~errsynth.igsm.step_parser` for solutions,
:mod:`~errsynth.igsm.sentences` for problems, :mod:`~errsynth.igsm.replay` for arithmetic,
:mod:`~errsynth.igsm.graph` for dependencies); this module re-exports them under the names
the rest of errsynth uses.
"""

from __future__ import annotations

from errsynth.igsm.errors import IgsmArithmeticError, IgsmParseError
from errsynth.igsm.graph import DependencyGraph, computable_at, dependency_graph
from errsynth.igsm.replay import DEFAULT_MODULUS, recompute
from errsynth.igsm.sentences import (
    KINDS,
    Kind,
    ParamDef,
    Problem,
    parse_problem,
    parse_sentence,
    render_question,
    render_sentence,
    split_sentences,
)
from errsynth.igsm.step_parser import Op, Step, parse_op, parse_solution, parse_step, split_steps

__all__ = [
    "DEFAULT_MODULUS",
    "KINDS",
    "DependencyGraph",
    "IgsmArithmeticError",
    "IgsmParseError",
    "Kind",
    "Op",
    "ParamDef",
    "Problem",
    "Step",
    "computable_at",
    "dependency_graph",
    "parse_op",
    "parse_problem",
    "parse_sentence",
    "parse_solution",
    "parse_step",
    "recompute",
    "render_question",
    "render_sentence",
    "split_sentences",
    "split_steps",
]
