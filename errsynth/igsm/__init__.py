"""iGSM (Physics of Language Models 2.1/2.2): exact text parsing, checking and generation.

* :mod:`errsynth.igsm.text`      parse problems and solutions, replay arithmetic, dependencies
* :mod:`errsynth.igsm.checker`   independent exact check of a (problem, solution, answer) row
* :mod:`errsynth.igsm.generator` our own iGSM-style generator
* :mod:`errsynth.igsm.context`   what a step can compute (the retry rules, their validator)

The commands ``errsynth igsm generate`` / ``errsynth igsm check`` are in
:mod:`errsynth.cli.igsm_commands`.
"""

from __future__ import annotations

from errsynth.igsm.checker import CheckResult, check
from errsynth.igsm.generator import GeneratorConfig, generate, generate_row
from errsynth.igsm.text import (
    DependencyGraph,
    IgsmArithmeticError,
    IgsmParseError,
    Op,
    ParamDef,
    Problem,
    Step,
    computable_at,
    dependency_graph,
    parse_problem,
    parse_solution,
    recompute,
    split_steps,
)

__all__ = [
    "CheckResult",
    "DependencyGraph",
    "GeneratorConfig",
    "IgsmArithmeticError",
    "IgsmParseError",
    "Op",
    "ParamDef",
    "Problem",
    "Step",
    "check",
    "computable_at",
    "dependency_graph",
    "generate",
    "generate_row",
    "parse_problem",
    "parse_solution",
    "recompute",
    "split_steps",
]
