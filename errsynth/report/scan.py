"""One streaming pass over a sample table: the report's statistics and a bounded sample.

The shards of a run can hold millions of rows, so nothing here keeps a row per input
row: every record batch is reduced (with polars) to small counters that are merged as
the batches go by, and lengths are binned (1/8 octave) so that their quantiles can be
read off the merged histogram. The rows shown in the sample browser are a stratified
sample: per (kind, source, style) the rows with the smallest seeded hash of their `id`
(a uniform, deterministic choice that needs only a running bottom-k per stratum).
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

BATCH_ROWS = 16_384
BINS_PER_OCTAVE = 8
FIRST_STEP_CAP = 15  # first-mistake step indices at or above this are counted together
REL_BINS = 10  # deciles of the first mistake's relative position in the completion
HASH_SEED = 0x5EED

# Columns the report reads; only `text` is required (a table without `kind` is one kind).
DISPLAY_COLUMNS = (
    "id",
    "source",
    "kind",
    "style",
    "stream",
    "answer",
    "text",
    "completion",
    "messages",
    "conversations",
    "n_errors",
    "errors",
    "n_tokens",
)
NO_VALUE = "(none)"


class ScanError(ValueError):
    """The table cannot be reported on (no `text` column, unreadable files)."""


@dataclass
class LengthStats:
    """Sum, extremes and a log-binned histogram of one length measure."""

    total: int = 0
    count: int = 0
    low: int | None = None
    high: int | None = None
    bins: Counter[int] = field(default_factory=Counter)

    def add(self, total: int, count: int, low: int, high: int, bins: dict[int, int]) -> None:
        self.total += total
        self.count += count
        self.low = low if self.low is None else min(self.low, low)
        self.high = high if self.high is None else max(self.high, high)
        self.bins.update(bins)

    @property
    def mean(self) -> float:
        return self.total / self.count if self.count else 0.0

    def quantile(self, q: float) -> float:
        """The q-quantile, read from the histogram (within one bin: ±4.4%)."""
        if not self.count:
            return 0.0
        want = q * self.count
        seen = 0
        for b in sorted(self.bins):
            seen += self.bins[b]
            if seen >= want:
                value = bin_center(b)
                return min(max(value, float(self.low or 0)), float(self.high or 0))
        return float(self.high or 0)


def length_bin(values: pl.Expr) -> pl.Expr:
    """The 1/8-octave bin of a positive length (0 and 1 share bin 0)."""
    return (
        (values.clip(lower_bound=1).cast(pl.Float64).log(2) * BINS_PER_OCTAVE)
        .floor()
        .cast(pl.Int32)
    )


def bin_center(b: int) -> float:
    return 2 ** ((b + 0.5) / BINS_PER_OCTAVE)


def bin_edges(b: int) -> tuple[float, float]:
    return 2 ** (b / BINS_PER_OCTAVE), 2 ** ((b + 1) / BINS_PER_OCTAVE)


@dataclass
class KindStats:
    rows: int = 0
    with_errors: int = 0
    errors: int = 0
    tokens: LengthStats = field(default_factory=LengthStats)
    chars: LengthStats = field(default_factory=LengthStats)


@dataclass
class TableStats:
    """Everything the report shows about a sample table, plus the sampled rows."""

    files: list[Path]
    rows: int = 0
    token_measure: str = "n_tokens"
    kinds: dict[str, KindStats] = field(default_factory=dict)
    strata: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    errors_by_kind: Counter[tuple[str, str]] = field(default_factory=Counter)  # (sample, error)
    premature: Counter[tuple[str, str]] = field(default_factory=Counter)
    premature_known: Counter[tuple[str, str]] = field(default_factory=Counter)
    errors_per_sample: Counter[tuple[str, int]] = field(default_factory=Counter)
    first_step: Counter[tuple[str, int]] = field(default_factory=Counter)
    first_rel: Counter[tuple[str, int]] = field(default_factory=Counter)
    first_rel_sum: Counter[str] = field(default_factory=Counter)
    sample: list[dict[str, Any]] = field(default_factory=list)
    chat_column: str | None = None

    def kind(self, name: str) -> KindStats:
        return self.kinds.setdefault(name, KindStats())


def table_files(path: Path) -> list[Path]:
    """The Parquet files of a sample table: a file, a folder of parts, or a run's shards/."""
    if path.is_file():
        return [path]
    if (path / "samples.parquet").is_file():  # an `errsynth augment` output
        return [path / "samples.parquet"]
    folder = path / "shards" if (path / "shards").is_dir() else path
    files = sorted(f for f in folder.glob("*.parquet") if not f.name.startswith("rejects"))
    if not files:
        raise ScanError(f"{path}: no Parquet files (expected shards/*.parquet or *.parquet)")
    return files


class _Sampler:
    """Per stratum, the `per_stratum` rows with the smallest hash seen so far."""

    def __init__(self, per_stratum: int) -> None:
        self.per_stratum = per_stratum
        self.heaps: dict[tuple[str, str, str], list[tuple[int, int, dict[str, Any]]]] = {}
        self.order = 0

    def threshold(self, stratum: tuple[str, str, str]) -> int | None:
        heap = self.heaps.get(stratum)
        if heap is None or len(heap) < self.per_stratum:
            return None
        return -heap[0][0]

    def offer(self, stratum: tuple[str, str, str], key: int, row: dict[str, Any]) -> None:
        heap = self.heaps.setdefault(stratum, [])
        self.order += 1
        item = (-key, -self.order, row)
        if len(heap) < self.per_stratum:
            heapq.heappush(heap, item)
        elif key < -heap[0][0]:
            heapq.heapreplace(heap, item)

    def rows(self) -> list[dict[str, Any]]:
        out = []
        for stratum in sorted(self.heaps):
            out.extend(r for _, _, r in sorted(self.heaps[stratum], key=lambda t: (-t[0], -t[1])))
        return out


def _batches(files: Sequence[Path]) -> Iterator[tuple[pa.RecordBatch, list[str]]]:
    """Record batches of every file, one row group at a time (memory stays that of one
    row group, whatever the number of files or rows)."""
    for path in files:
        try:
            parquet = pq.ParquetFile(path)
        except (pa.ArrowInvalid, OSError) as exc:
            raise ScanError(f"{path}: cannot read it as Parquet: {exc}") from exc
        names = parquet.schema_arrow.names
        if "text" not in names:
            raise ScanError(
                f"{path}: no `text` column; the report reads sample tables "
                "(run shards, augment samples.parquet, harvest output)"
            )
        columns = [c for c in DISPLAY_COLUMNS if c in names]
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS, columns=columns):
            yield batch, columns


def _with_defaults(df: pl.DataFrame) -> pl.DataFrame:
    """Fill the optional columns a non-errsynth table may lack."""
    fills: list[pl.Expr] = []
    for name in ("id", "source", "kind", "style"):
        if name not in df.columns:
            fills.append(pl.lit(NO_VALUE).alias(name))
    if "n_errors" not in df.columns:
        fills.append(
            (pl.col("errors").list.len() if "errors" in df.columns else pl.lit(0)).alias("n_errors")
        )
    if fills:
        df = df.with_columns(fills)
    if "id" not in df.columns:
        df = df.with_row_index("id")
    return df.with_columns(
        pl.col("source").cast(pl.String).fill_null(NO_VALUE),
        pl.col("kind").cast(pl.String).fill_null(NO_VALUE),
        pl.col("style").cast(pl.String).fill_null(NO_VALUE),
        pl.col("n_errors").fill_null(0).cast(pl.Int64),
        pl.col("id").cast(pl.String),
    )


def _add_lengths(stats: TableStats, df: pl.DataFrame) -> None:
    for measure, column in (("tokens", "tok"), ("chars", "chars")):
        agg = df.group_by("kind").agg(
            pl.col(column).sum().alias("total"),
            pl.len().alias("count"),
            pl.col(column).min().alias("low"),
            pl.col(column).max().alias("high"),
        )
        hist = df.group_by("kind", length_bin(pl.col(column)).alias("bin")).len()
        per_kind: dict[str, dict[int, int]] = {}
        for kind, b, n in hist.iter_rows():
            per_kind.setdefault(kind, {})[b] = n
        for kind, total, count, low, high in agg.iter_rows():
            target = getattr(stats.kind(kind), measure)
            target.add(int(total), int(count), int(low), int(high), per_kind.get(kind, {}))


def _add_mistakes(stats: TableStats, df: pl.DataFrame) -> None:
    for kind, n_errors, n in df.group_by("kind", "n_errors").len().iter_rows():
        stats.errors_per_sample[(kind, n_errors)] += n
        ks = stats.kind(kind)
        ks.rows += n
        ks.errors += n * n_errors
        if n_errors:
            ks.with_errors += n
    if "errors" not in df.columns:
        return
    flat = (
        df.select("kind", "errors")
        .explode("errors")
        .drop_nulls("errors")
        .select("kind", pl.col("errors").struct.field("kind").alias("error_kind"), "errors")
    )
    if flat.height == 0:
        return
    has_premature = "premature" in [f.name for f in df.schema["errors"].inner.fields]  # type: ignore[attr-defined]
    prem = pl.col("errors").struct.field("premature") if has_premature else pl.lit(None)
    grouped = flat.group_by("kind", "error_kind").agg(
        pl.len().alias("n"),
        prem.cast(pl.Int64).sum().alias("premature"),
        prem.is_not_null().sum().alias("known"),
    )
    for kind, ekind, n, premature, known in grouped.iter_rows():
        stats.errors_by_kind[(kind, ekind)] += n
        stats.premature[(kind, ekind)] += premature or 0
        stats.premature_known[(kind, ekind)] += known or 0
    first = df.filter(pl.col("errors").list.len() > 0).select(
        "kind",
        pl.col("errors").list.first().struct.field("step").alias("step"),
        pl.col("errors").list.first().struct.field("attempt_start").alias("at"),
        "chars",
        "comp",
    )
    first = first.with_columns(
        pl.col("step").clip(upper_bound=FIRST_STEP_CAP).alias("step"),
        ((pl.col("at") - (pl.col("chars") - pl.col("comp"))) / pl.col("comp").clip(lower_bound=1))
        .clip(0.0, 1.0)
        .alias("rel"),
    )
    for kind, step, n in first.group_by("kind", "step").len().iter_rows():
        stats.first_step[(kind, step)] += n
    deciles = first.with_columns(
        (pl.col("rel") * REL_BINS).floor().clip(upper_bound=REL_BINS - 1).cast(pl.Int32).alias("d")
    )
    for kind, d, n, rel in (
        deciles.group_by("kind", "d").agg(pl.len(), pl.col("rel").sum()).iter_rows()
    ):
        stats.first_rel[(kind, d)] += n
        stats.first_rel_sum[kind] += rel


def _offer_samples(sampler: _Sampler, df: pl.DataFrame, columns: list[str]) -> None:
    keyed = df.with_columns(pl.col("id").hash(HASH_SEED).alias("_h"))
    # Prefilter in bulk: only rows under their stratum's current threshold can enter.
    limits = {
        s: sampler.threshold(s)
        for s in keyed.select("kind", "source", "style").unique().iter_rows()
    }
    full = {s for s, t in limits.items() if t is not None}
    if full:
        bounds = pl.DataFrame(
            {
                "kind": [s[0] for s in full],
                "source": [s[1] for s in full],
                "style": [s[2] for s in full],
                "_t": [limits[s] for s in full],
            },
            schema={"kind": pl.String, "source": pl.String, "style": pl.String, "_t": pl.UInt64},
        )
        keyed = keyed.join(bounds, on=["kind", "source", "style"], how="left").filter(
            pl.col("_t").is_null() | (pl.col("_h") < pl.col("_t"))
        )
    keep = [
        c for c in (*columns, "id", "source", "kind", "style", "n_errors") if c in keyed.columns
    ]
    keep = list(dict.fromkeys(keep))
    for row in keyed.select(*keep, "_h").iter_rows(named=True):
        key = row.pop("_h")
        sampler.offer((row["kind"], row["source"], row["style"]), key, row)


def table_rows(path: Path) -> int:
    """Rows of the table, from the Parquet footers (for a progress bar)."""
    return sum(pq.ParquetFile(f).metadata.num_rows for f in table_files(path))


def scan_table(
    path: Path,
    sample_rows: int = 400,
    max_strata: int = 60,
    on_batch: Callable[[int], None] | None = None,
) -> TableStats:
    """Read the table once: statistics of every row, and a stratified sample of about
    `sample_rows` rows (at least 2 per stratum, for at most `max_strata` strata)."""
    files = table_files(path)
    stats = TableStats(files=files)
    sampler: _Sampler | None = None
    pending: list[pl.DataFrame] = []
    for batch, columns in _batches(files):
        df = _with_defaults(pl.from_arrow(batch))  # type: ignore[arg-type]
        if stats.chat_column is None:
            stats.chat_column = next(
                (c for c in ("messages", "conversations") if c in columns), None
            )
        if "n_tokens" in df.columns:
            tok = pl.col("n_tokens").fill_null(0).cast(pl.Int64)
        else:
            stats.token_measure = "whitespace words"
            tok = pl.col("text").str.count_matches(r"\S+").cast(pl.Int64)
        comp = (
            pl.col("completion").str.len_chars()
            if "completion" in df.columns
            else pl.col("text").str.len_chars()
        )
        df = df.with_columns(
            tok.alias("tok"),
            pl.col("text").str.len_chars().cast(pl.Int64).alias("chars"),
            comp.cast(pl.Int64).alias("comp"),
        )
        stats.rows += df.height
        if on_batch is not None:
            on_batch(df.height)
        for kind, source, style, n in df.group_by("kind", "source", "style").len().iter_rows():
            stats.strata[(kind, source, style)] += n
        _add_lengths(stats, df)
        _add_mistakes(stats, df)
        if sampler is None:
            # The number of strata is known only at the end; hold the first batch's rows
            # back until a per-stratum quota can be set from what has been seen.
            pending.append(df)
            if sum(p.height for p in pending) < BATCH_ROWS:
                continue
            sampler = _Sampler(_quota(stats, sample_rows, max_strata))
            for p in pending:
                _offer_samples(sampler, p, columns)
            pending.clear()
        else:
            _offer_samples(sampler, df, columns)
    if sampler is None:
        sampler = _Sampler(_quota(stats, sample_rows, max_strata))
        for p in pending:
            _offer_samples(sampler, p, list(p.columns))
    stats.sample = _trim(sampler.rows(), stats, sample_rows, max_strata)
    return stats


def _quota(stats: TableStats, sample_rows: int, max_strata: int) -> int:
    n = max(1, min(len(stats.strata), max_strata))
    return max(2, math.ceil(sample_rows / n))


def _trim(
    rows: list[dict[str, Any]], stats: TableStats, sample_rows: int, max_strata: int
) -> list[dict[str, Any]]:
    """Keep the largest strata when there are more than `max_strata`, and the quota that
    their final number allows (the quota was set from the strata seen early on)."""
    biggest = {s for s, _ in stats.strata.most_common(max_strata)}
    quota = _quota(stats, sample_rows, max_strata)
    taken: Counter[tuple[str, str, str]] = Counter()
    out = []
    for row in rows:
        s = (row["kind"], row["source"], row["style"])
        if s in biggest and taken[s] < quota:
            taken[s] += 1
            out.append(row)
    return out
