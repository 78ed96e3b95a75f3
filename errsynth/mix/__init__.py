"""Mixing: named streams with weights, token counts, a deterministic shuffle, Parquet shards.

Engine-independent pieces (each a pure function of rows, seed and spec, or a
mergeable accumulator); the engines' mixtures are `errsynth.engine.local.mix_and_write`
and `errsynth.engine.ray.mix_ray`:

- `spec`: ``MixJob`` / ``MixSpec`` / ``OutputSpec`` parsed from a recipe's ``mix:``/``output:``
- `tokenizers`: ``get_tokenizer("whitespace" | "tiktoken:<enc>" | "hf:<tokenizer.json>")``
- `streams` + `annotate`: stream of each row (first matching), token counts, rejects
- `pipeline`: the per-batch steps any engine maps (``prepare_batch``, ``select_batch``)
- `weights`: ``plan_mix`` → per-stream quotas, epochs and remainders; ``achieved``
- `select`: ``KeyHistogram`` → ``Refiner`` → ``Selection.multiplicity``; ``expand``
- `shuffle`: ``add_shuffle_key`` / ``SORT_KEYS`` / ``ExternalSorter``
- `writer`: ``ShardWriter`` (rows or bytes, zstd, atomic, sha256, byte-identical)
- `manifest`: ``MixCounts``, ``build_manifest``, ``write_json_atomic``
"""

from errsynth.mix.annotate import MIX_REJECT_SCHEMA, annotate, stream_totals
from errsynth.mix.columns import MIX_COLUMNS, MixInputError, input_schema, output_schema
from errsynth.mix.hashing import row_key, row_keys
from errsynth.mix.manifest import MixCounts, build_manifest, write_json_atomic
from errsynth.mix.pipeline import prepare_batch, select_batch
from errsynth.mix.select import KeyHistogram, Refiner, Selection, expand
from errsynth.mix.shuffle import (
    KEY_COLUMN,
    SORT_KEYS,
    ExternalSorter,
    add_shuffle_key,
    shuffle_keys,
    sort_table,
)
from errsynth.mix.spec import MixJob, MixSpec, MixSpecError, OutputSpec, StreamSpec
from errsynth.mix.tokenizers import Tokenizer, TokenizerError, get_tokenizer
from errsynth.mix.weights import MixPlan, MixPlanError, achieved, plan_mix
from errsynth.mix.writer import ShardInfo, ShardWriter

__all__ = [
    "KEY_COLUMN",
    "MIX_COLUMNS",
    "MIX_REJECT_SCHEMA",
    "SORT_KEYS",
    "ExternalSorter",
    "KeyHistogram",
    "MixCounts",
    "MixInputError",
    "MixJob",
    "MixPlan",
    "MixPlanError",
    "MixSpec",
    "MixSpecError",
    "OutputSpec",
    "Refiner",
    "Selection",
    "ShardInfo",
    "ShardWriter",
    "StreamSpec",
    "Tokenizer",
    "TokenizerError",
    "achieved",
    "add_shuffle_key",
    "annotate",
    "build_manifest",
    "expand",
    "get_tokenizer",
    "input_schema",
    "output_schema",
    "plan_mix",
    "prepare_batch",
    "row_key",
    "row_keys",
    "select_batch",
    "shuffle_keys",
    "sort_table",
    "stream_totals",
    "write_json_atomic",
]
