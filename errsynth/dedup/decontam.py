"""Decontamination: drop rows that share a word n-gram with an evaluation question.

The index holds, for every eval question, the hashes of its normalized word
n-grams (n = 13 by default, the GPT-3 / Llama convention); a question shorter
than n words contributes itself whole, as one shorter n-gram. A row is
contaminated when any n-gram of its checked fields, at any of the indexed
lengths, is in the index; the verdict names the eval id (the first eval
question, in load order, owning that n-gram) and the overlapping n-gram text.

The index is a few numpy arrays (sorted hashes per n-gram length and the eval
question owning each), small and picklable, so a distributed engine ships it
to workers and runs `decontaminate_batch` as a plain map step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from errsynth.dedup.evalsets import EvalSet
from errsynth.dedup.ngrams import tokenize, window_hashes
from errsynth.dedup.normalize import FUZZY, NormalizeConfig, normalize
from errsynth.dedup.order import text_columns
from errsynth.dedup.result import CONTAMINATED, id_array


@dataclass(frozen=True)
class NgramIndex:
    """Eval n-gram hashes by length: `hashes[L]` sorted, `owners[L]` the eval row."""

    n: int
    config: NormalizeConfig
    eval_ids: list[str]
    hashes: dict[int, np.ndarray]
    owners: dict[int, np.ndarray]
    skipped: int = 0  # eval questions under `min_words` words, not indexed

    @property
    def lengths(self) -> list[int]:
        """Indexed n-gram lengths, longest first (the preferred match)."""
        return sorted(self.hashes, reverse=True)

    def __len__(self) -> int:
        return sum(h.shape[0] for h in self.hashes.values())

    @classmethod
    def build(
        cls,
        eval_sets: Sequence[EvalSet],
        n: int = 13,
        config: NormalizeConfig = FUZZY,
        min_words: int = 3,
    ) -> NgramIndex:
        """Index eval questions; questions under `min_words` words are skipped
        (a one- or two-word "question" would match almost any text)."""
        if n < 1:
            raise ValueError("n must be >= 1")
        ids = [i for s in eval_sets for i in s.ids]
        words = [normalize(q, config).split() for s in eval_sets for q in s.questions]
        tokens = tokenize(words)
        lengths = np.minimum(tokens.lengths, n)
        usable = lengths >= max(1, min_words)
        hashes: dict[int, np.ndarray] = {}
        owners: dict[int, np.ndarray] = {}
        for length in np.unique(lengths[usable]).tolist():
            h, text, _ = window_hashes(tokens, length)
            # Windows of length L belong to questions whose index length is L:
            # long questions give n-grams, a short question gives itself.
            keep = lengths[text] == length
            h, text = h[keep], text[keep]
            order = np.lexsort((text, h))  # by hash, then first eval row
            h, text = h[order], text[order]
            first = np.ones(h.shape[0], dtype=bool)
            first[1:] = h[1:] != h[:-1]
            hashes[length] = h[first]
            owners[length] = text[first]
        return cls(n, config, ids, hashes, owners, int((~usable).sum()))


@dataclass(frozen=True)
class DecontamResult:
    """Per row (input order): kept unless contaminated; eval id and n-gram if so."""

    ids: pa.Array
    kept_mask: np.ndarray
    eval_id: list[str | None]
    ngram: list[str | None]
    matched_field: list[str | None]
    stats: dict[str, float] = field(default_factory=dict)
    reason: str = CONTAMINATED

    @property
    def num_removed(self) -> int:
        return int((~self.kept_mask).sum())

    def to_arrow(self) -> pa.Table:
        """id, kept, reason, eval_id, ngram, field."""
        return pa.table(
            {
                "id": self.ids,
                "kept": pa.array(self.kept_mask),
                "reason": pa.array(
                    [None if k else self.reason for k in self.kept_mask.tolist()], pa.string()
                ),
                "eval_id": pa.array(self.eval_id, pa.string()),
                "ngram": pa.array(self.ngram, pa.string()),
                "field": pa.array(self.matched_field, pa.string()),
            }
        )


def _match_field(
    texts: Sequence[str | None], index: NgramIndex
) -> tuple[list[str | None], list[str | None]]:
    """Eval id and matched n-gram per text (None where clean)."""
    words = [normalize(t, index.config).split() for t in texts]
    tokens = tokenize(words)
    eval_id: list[str | None] = [None] * len(texts)
    ngram: list[str | None] = [None] * len(texts)
    done = np.zeros(len(texts), dtype=bool)
    for length in index.lengths:
        h, text, offset = window_hashes(tokens, length)
        table = index.hashes[length]
        if table.shape[0] == 0 or h.shape[0] == 0:
            continue
        at = np.minimum(np.searchsorted(table, h), table.shape[0] - 1)
        hit = (table[at] == h) & ~done[text]
        if not hit.any():
            continue
        # First hit per text: windows are listed text by text, offsets ascending.
        hit_text, first = np.unique(text[hit], return_index=True)
        hit_at, hit_offset = at[hit][first], offset[hit][first]
        owners = index.owners[length][hit_at]
        for t, o, w in zip(hit_text.tolist(), owners.tolist(), hit_offset.tolist(), strict=True):
            eval_id[t] = index.eval_ids[o]
            ngram[t] = " ".join(words[t][w : w + length])
        done[hit_text] = True
    return eval_id, ngram


def decontaminate(
    table: pa.Table | pa.RecordBatch,
    index: NgramIndex,
    fields: str | Sequence[str] = "question",
    *,
    id_col: str = "id",
) -> DecontamResult:
    """Check each row's fields (separately; n-grams do not span fields).

    The first field that matches decides the reported eval id and n-gram.
    """
    tbl = pa.Table.from_batches([table]) if isinstance(table, pa.RecordBatch) else table
    names = (fields,) if isinstance(fields, str) else tuple(fields)
    n = tbl.num_rows
    eval_id: list[str | None] = [None] * n
    ngram: list[str | None] = [None] * n
    matched: list[str | None] = [None] * n
    for name, values in zip(names, text_columns(tbl, names), strict=True):
        ids, grams = _match_field(values, index)
        for i, (e, g) in enumerate(zip(ids, grams, strict=True)):
            if e is not None and eval_id[i] is None:
                eval_id[i], ngram[i], matched[i] = e, g, name
    kept = np.array([e is None for e in eval_id], dtype=bool)
    stats = {
        "rows": float(n),
        "contaminated": float((~kept).sum()),
        "index_ngrams": float(len(index)),
    }
    return DecontamResult(id_array(tbl, id_col), kept, eval_id, ngram, matched, stats)


def decontaminate_batch(
    batch: pa.Table | pa.RecordBatch,
    index: NgramIndex,
    fields: str | Sequence[str] = "question",
    *,
    id_col: str = "id",
) -> pa.Table:
    """Map step for any engine: `decontaminate(...).to_arrow()` of one batch."""
    return decontaminate(batch, index, fields, id_col=id_col).to_arrow()
