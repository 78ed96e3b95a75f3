"""No test, benchmark or script of the project ends processes by name (issue 14): `ray stop`
ends every Ray on the machine, a user's cluster included; pkill/killall likewise."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BY_NAME = re.compile(
    r"""["']ray["']\s*,\s*["']stop["']"""  # subprocess.run(["ray", "stop", ...])
    r"""|\bray\s+stop\s+(?:-f|--force|-g|--grace)"""  # a shell line: ray stop --force
    r"""|^\s*ray\s+stop\s*$"""
    r"""|\b(?:pkill|killall)\b\s+-?\w"""
    r"""|\bkill\s+\$\(\s*pgrep""",
    re.MULTILINE,
)


def _scripts() -> list[Path]:
    found = [p for d in ("tests", "benchmarks", "errsynth", ".ci", "scripts") for p in (ROOT / d).rglob("*") if p.is_file()]  # fmt: skip
    return [
        p
        for p in found
        if p != Path(__file__)
        and (p.suffix in (".py", ".sh", ".bash", "") or p.parent.name == ".ci")
    ]


def test_nothing_ends_processes_by_name() -> None:
    scripts = _scripts()
    assert any(p.name == "test_zz_ray_cluster.py" for p in scripts)
    hits = [
        f"{p.relative_to(ROOT)}:{text[: m.start()].count(chr(10)) + 1}: {m.group(0)}"
        for p in scripts
        for text in [p.read_text(errors="replace")]
        for m in BY_NAME.finditer(text)
    ]
    assert not hits, "processes ended by name:\n" + "\n".join(hits)


def test_the_pattern_catches_what_it_should() -> None:
    for bad in (
        'subprocess.run(["ray", "stop", "--force"])',
        "ray stop --force",
        "pkill -f raylet",
        "killall gcs_server",
        "kill $(pgrep -f ray)",
    ):
        assert BY_NAME.search(bad), bad
    assert not BY_NAME.search("`ray stop` ends every Ray on the machine")
