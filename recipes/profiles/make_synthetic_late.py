"""Write ``synthetic_late/profile.json``: a SYNTHETIC error profile (no model measured it).

A made-up model whose first mistakes fall late in its solutions (the last 40% of the
steps, 90% of the time) and are mostly arithmetic slips of a few kinds. It exists to
show and test ``profile: PATH`` (recipes/gsm8k_profile.yaml); a real profile comes from
``errsynth harvest ... --profile``.

    python recipes/profiles/make_synthetic_late.py
"""

from __future__ import annotations

import random
from pathlib import Path

from errsynth.types.error_profile import ErrorProfile, FirstError

KIND_SHARES = {"arith_slip": 0.6, "premature": 0.25, "wrong_quantity": 0.15}
ARITH_SUBKINDS = {"offset": 0.4, "digit": 0.25, "operator": 0.25, "decimal": 0.1}
LATE_SHARE = 0.9  # share of first errors in the last 40% of the steps
N_ERRORS = 400


def synthetic_errors(seed: int = 0) -> list[FirstError]:
    rng = random.Random(seed)
    out = []
    for _ in range(N_ERRORS):
        kind = rng.choices(list(KIND_SHARES), weights=list(KIND_SHARES.values()))[0]
        sub = ""
        if kind == "arith_slip":
            sub = rng.choices(list(ARITH_SUBKINDS), weights=list(ARITH_SUBKINDS.values()))[0]
        n = rng.randint(3, 10)
        late = rng.random() < LATE_SHARE
        first_late = int(0.6 * n + 0.999)  # first index whose relative position is >= 0.6
        index = rng.randrange(first_late, n) if late else rng.randrange(0, first_late)
        out.append(FirstError(kind, index, n, sub))
    return out


def main() -> None:
    meta = {
        "synthetic": True,
        "note": "made up by recipes/profiles/make_synthetic_late.py; not measured on a model",
        "kind_shares": KIND_SHARES,
        "arith_subkinds": ARITH_SUBKINDS,
        "late_share": LATE_SHARE,
    }
    path = ErrorProfile.from_errors(synthetic_errors(), meta=meta).write(
        Path(__file__).parent / "synthetic_late"
    )
    print(path)


if __name__ == "__main__":
    main()
