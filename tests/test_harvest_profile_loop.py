"""The whole loop of issue 12: a model's measured profile places fake errors where it errs.

A scripted model whose arithmetic slips land late in its solutions (and are only
``offset`` and ``digit`` slips) is harvested with ``--profile``; the ``arith`` transform
then reads that very profile.json: its mistakes move late and use only the measured
perturbation kinds. Nothing synthetic stands between the two halves: the profile is the
file harvest wrote.
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from errsynth.harvest.run import harvest_corpus
from errsynth.igsm.generator import generate
from errsynth.transforms import make_transform
from errsynth.types.error_profile import load_profile
from tests.llm_server import FakeLLM
from tests.scripted_model import Script, ScriptedModel
from tests.test_harvest import FIXTURE, reference_rows, spec_for
from tests.test_profile_placement import DATA, _candidates, _row_means, _shift, _solutions


def test_fake_errors_follow_the_profile_harvest_measured(tmp_path: Path) -> None:
    rows = reference_rows(FIXTURE, "gsm8k", tmp_path, 12)
    late = Script(
        {"arith_slip:offset": 0.35, "arith_slip:digit": 0.15},
        position=lambda i, n: 20.0 if i / n >= 0.5 else 0.05,
    )
    model = ScriptedModel(rows, late)
    with FakeLLM(responder=model) as server:
        spec = spec_for(server.url, FIXTURE, "gsm8k", 12, sampling={"samples": 8}, profile=True)
        harvest_corpus(spec, tmp_path / "harvest")
    prof = load_profile(tmp_path / "harvest")
    assert prof.kinds["arith_slip"] >= 20
    assert set(prof.subkind_weights("arith_slip")) <= {"offset", "digit"}
    # (a problem whose only computations sit early still gets its slip there)
    assert sum(prof.relative[5:]) > 2 * sum(prof.relative[:5])

    # the project's own data: the harvest fixture's problems and generated iGSM (long)
    pq.write_table(pa.Table.from_pylist(list(generate(800, 12, 5, names="short"))),
                   tmp_path / "igsm.parquet")  # fmt: skip
    shutil.copy(DATA / "gsm8k_mini.jsonl", tmp_path / "gsm8k_mini.jsonl")
    data = _solutions([tmp_path / "igsm.parquet", tmp_path / "gsm8k_mini.jsonl"], tmp_path / "i")
    plain = _candidates(make_transform("arith"), data)
    placed = _candidates(make_transform("arith", profile=str(tmp_path / "harvest")), data)
    d, z = _shift(_row_means(plain), _row_means(placed))
    print(f"arith with the harvested profile: mean relative position {d:+.3f} (z={z:.1f})")
    assert d > 0.04 and z > 3.5, (d, z)
    kinds = Counter(a.detail["perturbation"] for c in placed for a in c.attempts)
    assert set(kinds) <= {"offset", "digit"}, kinds
