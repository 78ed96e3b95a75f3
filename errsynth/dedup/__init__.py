"""Exact dedup, MinHash near dedup (LSH by band bucketing) and decontamination.

Engine-independent functions on Arrow tables. The local engine calls
`exact_dedup`, `near_dedup` and `decontaminate`; a distributed engine composes
`exact_keys_batch`, the steps of `errsynth.dedup.batches` and
`decontaminate_batch` around its own shuffle. See README.md in this package.
"""

from errsynth.dedup.decontam import DecontamResult, NgramIndex, decontaminate, decontaminate_batch
from errsynth.dedup.evalsets import EvalSet, load_eval_set
from errsynth.dedup.exact import exact_dedup, exact_keys, exact_keys_batch
from errsynth.dedup.lsh import LshParams, optimal_bands
from errsynth.dedup.minhash import MinHasher, MinHashParams
from errsynth.dedup.near import NearDedupConfig, near_dedup
from errsynth.dedup.normalize import EXACT, FUZZY, NormalizeConfig, normalize, shingles
from errsynth.dedup.result import (
    CONTAMINATED,
    EXACT_DUPLICATE,
    NEAR_DUPLICATE,
    DedupResult,
)

__all__ = [
    "CONTAMINATED",
    "EXACT",
    "EXACT_DUPLICATE",
    "FUZZY",
    "NEAR_DUPLICATE",
    "DecontamResult",
    "DedupResult",
    "EvalSet",
    "LshParams",
    "MinHashParams",
    "MinHasher",
    "NearDedupConfig",
    "NgramIndex",
    "NormalizeConfig",
    "decontaminate",
    "decontaminate_batch",
    "exact_dedup",
    "exact_keys",
    "exact_keys_batch",
    "load_eval_set",
    "near_dedup",
    "normalize",
    "optimal_bands",
    "shingles",
]
