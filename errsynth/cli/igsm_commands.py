"""``errsynth igsm``: generate our own iGSM-style data and check iGSM files."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import click

from errsynth.cli.ui.progress import counter_progress
from errsynth.cli.ui.safe_output import echo
from errsynth.igsm.checker import check as check_row
from errsynth.igsm.generator import GeneratorConfig, generate_row
from errsynth.igsm.rowio import RowWriter, count_rows, read_rows
from errsynth.igsm.vocab import vocabulary_lookup

__all__ = ["igsm"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def igsm() -> None:
    """iGSM (Physics of Language Models 2.1/2.2) data: generate and check."""


def _op_line(ops: Counter[int]) -> str:
    total = sum(ops.values()) or 1
    return " ".join(f"{k}:{ops[k] / total:.3f}" for k in sorted(ops))


@igsm.command()
@click.option("--n", "n", type=click.IntRange(min=0), required=True, help="Rows to generate.")
@click.option(
    "--max-ops",
    type=click.IntRange(1, 52),
    default=15,
    show_default=True,
    help="Largest op count; P(op=k) follows the paper, (2(max_ops-k)+1)/max_ops^2.",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Stream seed; row i depends only on (seed, i) and the settings.",
)
@click.option(
    "--names",
    type=click.Choice(["full", "short"]),
    default="full",
    show_default=True,
    help="full: multi-word names; short: one-word names (A3's B7) for tiny models.",
)
@click.option(
    "--distractors",
    type=click.IntRange(min=0),
    default=None,
    help="Unneeded sentences per problem (default: every other edge, as the paper).",
)
@click.option("--modulus", type=click.IntRange(min=2), default=23, show_default=True)
@click.option(
    "--start",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Index of the first row (to extend a stream).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Output file, .parquet or .jsonl.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def generate(
    n: int,
    max_ops: int,
    seed: int,
    names: str,
    distractors: int | None,
    modulus: int,
    start: int,
    output: Path,
    quiet: bool,
) -> None:
    """Generate N rows (problem, solution, answer, op, settings) to a file."""
    if output.suffix.lower() not in (".parquet", ".jsonl"):
        raise click.BadParameter("use a .parquet or .jsonl file", param_hint="-o")
    cfg = GeneratorConfig(max_ops=max_ops, names=names, distractors=distractors, modulus=modulus)  # type: ignore[arg-type]
    ops: Counter[int] = Counter()
    with (
        RowWriter(output) as writer,
        counter_progress("generating", "rows", total=n, disable=quiet) as advance,
    ):
        for i in range(start, start + n):
            row = generate_row(seed, i, cfg)
            ops[int(row["op"])] += 1  # type: ignore[call-overload]
            writer.write(row)
            advance(1)
    click.echo(f"wrote {writer.rows} rows to {output}; op distribution {_op_line(ops)}")


@igsm.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--allow-back", is_flag=True, help="Skip 'Define X as BACK.' retry steps.")
@click.option(
    "--no-vocab",
    is_flag=True,
    help="Place categories from the text and solution only, not our vocabulary.",
)
@click.option(
    "--limit", type=click.IntRange(min=1), default=None, help="Check the first rows only."
)
@click.option(
    "--show", type=click.IntRange(min=0), default=20, show_default=True, help="Failures to print."
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def check(
    file: Path, allow_back: bool, no_vocab: bool, limit: int | None, show: int, quiet: bool
) -> None:
    """Check every row of FILE (.parquet/.jsonl with problem, solution, answer)."""
    lookup = None if no_vocab else vocabulary_lookup
    total = count_rows(file)
    if limit is not None and total is not None:
        total = min(total, limit)
    passed = 0
    failures: list[tuple[int, str]] = []
    with counter_progress("checking", "rows", total=total, disable=quiet) as advance:
        for i, row in enumerate(read_rows(file)):
            if limit is not None and i >= limit:
                break
            missing = [k for k in ("problem", "solution", "answer") if k not in row]
            if missing:
                raise click.ClickException(f"row {i} lacks {', '.join(missing)}")
            res = check_row(
                str(row["problem"]),
                str(row["solution"]),
                str(row["answer"]),
                modulus=int(row.get("modulus") or 23),
                lookup=lookup,
                allow_back=allow_back,
            )
            if res.ok:
                passed += 1
            else:
                failures.append((i, res.reason))
            advance(1)
    checked = passed + len(failures)
    for i, reason in failures[:show]:
        echo(f"row {i}: {reason}")
    if len(failures) > show:
        click.echo(f"... and {len(failures) - show} more failures")
    click.echo(f"{passed}/{checked} rows pass")
    if failures:
        sys.exit(1)
