"""The root `errsynth` command group (its commands are added in :mod:`errsynth.cli`)."""

from __future__ import annotations

import click

import errsynth


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(errsynth.__version__, prog_name="errsynth")
def main() -> None:
    """errsynth: synthesize fake-error (retry) data for language-model training.

    \b
    Typical flow:
      errsynth igsm generate --n 1000 --max-ops 6 -o data/igsm.parquet
      errsynth ingest data/igsm.parquet -o out/ingest
      errsynth inspect out/ingest -n 3
    """
