"""The `augment` step: solution rows → retry samples (and the clean ones), any engine.

A row step (`steps.base.RowStep`): its preparation phase gives each transform a
look at every row first (`Transform.prepare`: the distractor pool; other
transforms ignore it, and the rows are read only when one does), then each chunk
is `augment_row` over its rows. Rejects are candidates (a row can make several),
so they do not count against the source's rows; the per-transform counts of the
chunks are merged by `TransformStats.merge`.

`augment_table` is the same work over one solutions file, outside a run (the
`errsynth augment` command): samples.parquet, rejects.parquet, manifest.json.
"""

from __future__ import annotations

import gc
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

import errsynth
from errsynth.core.atomic import write_json_atomic
from errsynth.core.chunks import ORDER, Chunk
from errsynth.core.context import RunContext
from errsynth.core.jsonschema import dataclass_schema
from errsynth.core.params import ParamError
from errsynth.core.sink import ParquetSink
from errsynth.render import StyleConfig
from errsynth.render.annotations import strips
from errsynth.render.forms import FORMS, PRM_PROMPTS, check_form, check_prm_prompt, style_output_for
from errsynth.schema import CANDIDATE_REJECT_SCHEMA, SAMPLE_SCHEMA
from errsynth.steps.augment_rows import AugmentSpec, TransformStats, augment_row
from errsynth.steps.base import SAMPLES, SOLUTIONS, Processed, RowStep
from errsynth.transforms import TRANSFORMS, ensure_registered, make_transform

SOLUTION_COLUMNS = {"id", "source", "question", "steps", "answer", "equations", "uses", "produces"}
POOL_COLUMNS = ["id", "source", "steps"]


@dataclass(frozen=True)
class AugmentParams:
    """Turn solutions into retry samples: transforms, a rendering style, and the clean rows."""

    transforms: tuple[Mapping[str, Mapping[str, Any]], ...] = ()
    style: Mapping[str, Any] = field(default_factory=dict)
    include_clean: bool = True
    form: str | None = None  # output form (errsynth.render.forms); default: output.form, text
    annotations: str = "auto"  # GSM8K <<a=b>> annotations: auto / keep / strip
    prm_prompt: str = "question"  # form prm: the problem (question) or the style's prompt


class Augment(RowStep):
    name = "augment"
    Params = AugmentParams
    reads = frozenset({SOLUTIONS})
    writes = SAMPLES
    candidate_rejects = True
    reject_schema = CANDIDATE_REJECT_SCHEMA

    def __init__(self, params: Mapping[str, Any]) -> None:
        super().__init__(params)
        self.transforms = []
        for k, entry in enumerate(self.params.transforms):
            if not isinstance(entry, Mapping) or len(entry) != 1:
                raise ParamError(
                    f"augment.transforms[{k}]: expected one {{name: {{params}}}} entry"
                )
            ((tname, tparams),) = entry.items()
            self.transforms.append(make_transform(tname, **dict(tparams or {})))
        if not self.transforms and not self.params.include_clean:
            raise ParamError("augment: name at least one transform, or set include_clean: true")
        self.form = self.params.form or "text"
        style = dict(self.params.style)
        style.setdefault("output", style_output_for(self.form))
        self.style = StyleConfig(**style)
        check_form(self.form, self.style.name)
        strips(self.params.annotations, "back")  # a clear error for an unknown choice
        try:
            check_prm_prompt(self.params.prm_prompt)
        except ValueError as exc:
            raise ParamError(f"augment.{exc}") from None
        self.seed = 0

    @classmethod
    def params_schema(cls) -> dict[str, Any]:
        """The transforms (each registered transform's parameters) and the style."""
        ensure_registered()
        transform_items = [
            {
                "type": "object",
                "properties": {t: {"anyOf": [dataclass_schema(tc.Params), {"type": "null"}]}},
                "required": [t],
                "additionalProperties": False,
                "description": tc.description,
            }
            for t, tc in sorted(TRANSFORMS.items())
        ]
        return {
            "type": "object",
            "description": cls.Params.__doc__,
            "properties": {
                "transforms": {"type": "array", "items": {"oneOf": transform_items}},
                "style": dataclass_schema(StyleConfig),
                "include_clean": {"type": "boolean", "default": True},
                "form": {
                    "anyOf": [{"type": "string", "enum": list(FORMS)}, {"type": "null"}],
                    "default": None,
                    "description": "output form (default: the recipe's output.form, or text)",
                },
                "annotations": {
                    "type": "string",
                    "enum": ["auto", "keep", "strip"],
                    "default": "auto",
                    "description": "GSM8K <<a=b>> calculator annotations in the rendered text",
                },
                "prm_prompt": {
                    "type": "string",
                    "enum": list(PRM_PROMPTS),
                    "default": "question",
                    "description": "form prm: the prompt column is the problem as asked "
                    "(question) or the style's templated prompt (style)",
                },
            },
            "additionalProperties": False,
        }

    def prepare(self, ctx: RunContext, chunks: Sequence[Chunk]) -> None:
        """The run's seed, and every row shown to the transforms (read lazily: only a
        transform that keeps a pool, such as distractor, reads it)."""
        self.seed = ctx.seed
        rows = (r for c in chunks for r in c.select(POOL_COLUMNS).to_pylist())
        for t in self.transforms:
            t.prepare(rows, ctx.seed)

    def process(self, table: pa.Table, stage: str) -> Processed:
        spec = AugmentSpec(
            transforms=self.transforms,
            style=self.style,
            seed=self.seed,
            include_clean=self.params.include_clean,
            form=self.form,
            annotations=self.params.annotations,
            prm_prompt=self.params.prm_prompt,
        )
        stats = {t.name: TransformStats() for t in self.transforms}
        samples: list[dict[str, Any]] = []
        rejects: list[dict[str, Any]] = []
        orders = table.column(ORDER).to_pylist()
        for row, order in zip(table.drop_columns([ORDER]).to_pylist(), orders, strict=True):
            made, rejected = augment_row(row, spec, stats)
            for s in made:
                s[ORDER] = order
            samples.extend(made)
            rejects.extend(rejected)
        schema = SAMPLE_SCHEMA.append(pa.field(ORDER, pa.int64(), nullable=False))
        return Processed(
            pa.Table.from_pylist(samples, schema=schema),
            pa.Table.from_pylist(rejects, schema=CANDIDATE_REJECT_SCHEMA),
            {k: v.as_dict() for k, v in stats.items()},
        )

    def summarize(self, chunk_stats: list[dict[str, Any]]) -> dict[str, Any]:
        return {"per_transform": TransformStats.merge(chunk_stats)}


# --- one solutions file, outside a run ---------------------------------------------------


def is_solutions_table(path: Path) -> bool:
    try:
        names = set(pq.read_schema(path).names)
    except Exception:
        return False
    return names >= SOLUTION_COLUMNS


def iter_rows(
    path: Path, batch_rows: int = 2048, columns: list[str] | None = None
) -> Iterator[dict[str, Any]]:
    dataset = ds.dataset(path, format="parquet")
    for batch in dataset.to_batches(batch_size=batch_rows, columns=columns):
        yield from batch.to_pylist()


@contextmanager
def _fewer_collections(first_threshold: int = 10_000) -> Iterator[None]:
    """Run the cyclic garbage collector less often while the stage runs (restored after).

    Augmenting allocates many short-lived containers per row (row dicts, spans, error
    dicts) and makes no reference cycles; with the default first threshold (700
    allocations) the collector runs every row or two and finds nothing, which costs
    about a tenth of the stage. Memory is unaffected: reference counting frees them.
    """
    old = gc.get_threshold()
    if 0 < old[0] < first_threshold:  # (a threshold of 0 means collection is off: keep it)
        gc.set_threshold(first_threshold, *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)


def augment_table(
    solutions: Path,
    out_dir: Path,
    spec: AugmentSpec,
    *,
    on_progress: Callable[[int], None] | None = None,
    limit: int | None = None,
) -> dict[str, Any]:
    """Run the augment stage locally over a solutions table; returns the manifest."""
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    for t in spec.transforms:
        t.prepare(iter_rows(solutions, columns=["id", "source", "steps"]), spec.seed)
    stats: dict[str, TransformStats] = defaultdict(TransformStats)
    for t in spec.transforms:
        stats[t.name] = TransformStats()
    samples = ParquetSink(out_dir / "samples.parquet", SAMPLE_SCHEMA)
    rejects = ParquetSink(out_dir / "rejects.parquet", CANDIDATE_REJECT_SCHEMA)
    rows_in = 0
    per_kind: Counter[str] = Counter()
    try:
        with _fewer_collections():
            for row in iter_rows(solutions):
                if limit is not None and rows_in >= limit:
                    break
                rows_in += 1
                made, rejected = augment_row(row, spec, stats)
                for s in made:
                    per_kind[s["kind"]] += 1
                samples.extend(made)
                rejects.extend(rejected)
                if on_progress:
                    on_progress(1)
        samples.close()
        rejects.close()
    except BaseException:
        samples.abort()
        rejects.abort()
        raise
    manifest = {
        "errsynth_version": errsynth.__version__,
        "stage": "augment",
        "input": str(solutions),
        "seed": spec.seed,
        "style": {k: getattr(spec.style, k) for k in spec.style.__dataclass_fields__},
        "form": spec.form,
        "annotations": spec.annotations,
        "prm_prompt": spec.prm_prompt,
        "transforms": {t.name: t.param_dict() for t in spec.transforms},
        "rows_in": rows_in,
        "candidates_tried": sum(s.tried for s in stats.values()),
        "rows_out": samples.count,
        "rows_rejected": rejects.count,
        "per_kind": dict(sorted(per_kind.items())),
        "per_transform": {name: s.as_dict() for name, s in stats.items()},
        "elapsed_s": round(time.perf_counter() - started, 3),
        "outputs": {"samples": "samples.parquet", "rejects": "rejects.parquet"},
    }
    write_json_atomic(out_dir / "manifest.json", manifest)
    return manifest
