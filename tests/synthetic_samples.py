"""Synthetic sample rows shaped like ``SAMPLE_SCHEMA``, for tests and benchmarks of mixing."""

from __future__ import annotations

import hashlib

import numpy as np
import pyarrow as pa

from errsynth.schema import SAMPLE_SCHEMA

KINDS = ("clean", "reorder", "arith", "igsm_retry")
STYLES = ("back", "igsm", "natural")
SOURCES = ("gsm8k", "math", "igsm")
_WORDS = tuple(
    [
        "the",
        "of",
        "and",
        "to",
        "a",
        "in",
        "is",
        "we",
        "so",
        "then",
        "total",
        "each",
        "more",
        "than",
        "less",
        "twice",
        "half",
        "add",
        "subtract",
        "multiply",
        "divide",
        "step",
        "answer",
        "number",
        "apples",
        "bags",
        "cost",
        "dollars",
        "hours",
        "per",
        "week",
        "12",
        "7",
        "3",
        "45",
        "=",
        "+",
        "-",
        "*",
        "/",
        "(",
        ")",
        ".",
        ",",
        "[BACK]",
        "Define",
        "as",
    ]
)


def synthetic_samples(
    n: int,
    seed: int = 0,
    mean_words: int = 40,
    kinds: tuple[str, ...] = KINDS,
    id_prefix: str = "",
) -> pa.Table:
    """``n`` rows of SAMPLE_SCHEMA with varied text lengths (about ``mean_words`` words).

    Ids are stable hashes of (id_prefix, seed, index), so tables made with the same
    arguments are equal and tables with different prefixes or seeds share no id.
    """
    rng = np.random.default_rng(seed)
    lengths = np.maximum(
        1, rng.poisson(mean_words, n) + rng.integers(-mean_words // 2, mean_words // 2 + 1, n)
    )
    words = np.asarray(_WORDS, dtype=object)
    picks = rng.integers(0, len(words), int(lengths.sum()))
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    kind_i = rng.integers(0, len(kinds), n)
    style_i = rng.integers(0, len(STYLES), n)
    source_i = rng.integers(0, len(SOURCES), n)
    ids, parents, questions, texts, prompts, completions = [], [], [], [], [], []
    n_errors, errors, masks = [], [], []
    for i in range(n):
        h = hashlib.blake2b(f"{id_prefix}|{seed}|{i}".encode(), digest_size=8).hexdigest()
        ids.append(f"{id_prefix}{h}")
        parents.append(f"p{h[:10]}")
        body = " ".join(words[picks[bounds[i] : bounds[i + 1]]])
        q = f"Question {i}: how many?"
        questions.append(q)
        prompts.append(q + "\n")
        completions.append(body)
        texts.append(q + "\n" + body)
        bad = kinds[kind_i[i]] != "clean"
        n_errors.append(1 if bad else 0)
        start = len(q) + 1
        end = min(len(texts[-1]), start + 5)
        errors.append(
            [
                {
                    "step": 0,
                    "kind": kinds[kind_i[i]],
                    "wrong_text": texts[-1][start:end],
                    "start": start,
                    "end": end,
                    "attempt_start": start,
                    "attempt_end": end,
                    "marker_start": end,
                    "marker_end": end,
                    "premature": True,
                    "finding": "synthetic",
                    "detail": "{}",
                }
            ]
            if bad
            else []
        )
        masks.append([{"mode": "wrong", "start": start, "end": end}] if bad else [])
    cols = {
        "id": ids,
        "parent_id": parents,
        "source": [SOURCES[j] for j in source_i],
        "kind": [kinds[j] for j in kind_i],
        "style": [STYLES[j] for j in style_i],
        "question": questions,
        "text": texts,
        "prompt": prompts,
        "completion": completions,
        "messages": [None] * n,
        "answer": [str(i % 97) for i in range(n)],
        "n_errors": n_errors,
        "errors": errors,
        "mask_spans": masks,
        "meta": ["{}"] * n,
    }
    for name in SAMPLE_SCHEMA.names:  # output-form columns: null (text form)
        cols.setdefault(name, [None] * n)
    return pa.Table.from_pydict(cols, schema=SAMPLE_SCHEMA)
