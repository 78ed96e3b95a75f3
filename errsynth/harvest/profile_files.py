"""A model's error profile on disk: ``profile.json``, ``profile.csv`` and ``profile.png``.

``profile.json`` (:class:`errsynth.types.error_profile.ErrorProfile`) counts the first
errors located exactly (the evaluator, the number flow, the iGSM checker); what only the
judge located goes to ``profile_judge.json``, never mixed in. ``profile.csv`` has one row
per located first error with how it was located; ``profile.png`` shows the kinds (arith
slips split by perturbation) and the relative positions.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from errsynth.types.error_profile import KINDS, N_BINS, ErrorProfile, FirstError

EXACT_LOCATORS = frozenset({"exact", "igsm_checker"})
TABLE_COLUMNS = (
    "problem_id",
    "sample_index",
    "kind",
    "subkind",
    "step_index",
    "n_steps",
    "relative_position",
    "located_by",
)


def first_error(record: Mapping[str, Any]) -> FirstError:
    return FirstError(
        record["kind"], int(record["step_index"]), int(record["n_steps"]), record["subkind"]
    )


def write_profile(
    out: Path, records: Sequence[Mapping[str, Any]], meta: Mapping[str, Any]
) -> dict[str, str]:
    """Write the three files (and the judge's profile when it located any); their paths."""
    out.mkdir(parents=True, exist_ok=True)
    exact = [r for r in records if r["located_by"] in EXACT_LOCATORS]
    judged = [r for r in records if r["located_by"] == "judge"]
    profile = ErrorProfile.from_errors(
        (first_error(r) for r in exact),
        {**dict(meta), "located_by": sorted(EXACT_LOCATORS), "n_judge_located": len(judged)},
    )
    paths = {"profile": str(profile.write(out / "profile.json"))}
    if judged:
        jp = ErrorProfile.from_errors(
            (first_error(r) for r in judged), {**dict(meta), "located_by": ["judge"]}
        )
        paths["profile_judge"] = str(jp.write(out / "profile_judge.json"))
    table = out / "profile.csv"
    tmp = table.with_name(table.name + ".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=TABLE_COLUMNS)
        w.writeheader()
        for r in records:
            row = {k: r[k] for k in TABLE_COLUMNS if k != "relative_position"}
            row["relative_position"] = round(int(r["step_index"]) / int(r["n_steps"]), 4)
            w.writerow(row)
    tmp.replace(table)
    paths["table"] = str(table)
    paths["plot"] = str(plot_profile(profile, out / "profile.png", str(meta.get("model", ""))))
    return paths


def plot_profile(profile: ErrorProfile, path: Path, title: str) -> Path:
    import matplotlib  # here: a second to import, needed only with --profile

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    labels: list[str] = []
    counts: list[int] = []
    for kind in KINDS:
        subs = profile.subkinds.get(kind)
        if subs:
            for sub, c in sorted(subs.items()):
                labels.append(f"{kind}:{sub}")
                counts.append(c)
            rest = profile.kinds[kind] - sum(subs.values())
            if rest:
                labels.append(kind)
                counts.append(rest)
        elif profile.kinds[kind]:
            labels.append(kind)
            counts.append(profile.kinds[kind])
    left.barh(labels[::-1], counts[::-1], color="#4472c4")
    left.set_xlabel("first errors")
    left.set_title(f"first-error kinds (n={profile.n})")
    centers = [(b + 0.5) / N_BINS for b in range(N_BINS)]
    bottom = [0] * N_BINS
    for kind in KINDS:
        hist = profile.relative_by_kind.get(kind)
        if hist and sum(hist):
            right.bar(centers, hist, width=1 / N_BINS * 0.9, bottom=bottom, label=kind)
            bottom = [b + h for b, h in zip(bottom, hist, strict=True)]
    right.set_xlabel("relative position of the first wrong step (index / steps)")
    right.set_ylabel("first errors")
    right.set_xlim(0, 1)
    if profile.n:
        right.legend(fontsize=8)
    right.set_title("where")
    fig.suptitle(f"error profile {title}".strip())
    fig.tight_layout()
    tmp = path.with_name(path.name + ".tmp.png")
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    tmp.replace(path)
    return path
