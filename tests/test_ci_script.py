""".ci/run (issue 14): the README's test line, read from the README, in a brand-new venv
outside the clone that is removed afterwards; pytest's exit 5 (no tests) is a failure."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _clone_with_readme(tmp_path: Path, test_line: str) -> Path:
    clone = tmp_path / "clone"
    (clone / ".ci").mkdir(parents=True)
    shutil.copy(ROOT / ".ci" / "run", clone / ".ci" / "run")
    (clone / "README.md").write_text(
        f"# x\n\n```bash\necho main job\n{test_line}\n```\n\n```bash\necho other block\n```\n"
    )
    return clone


def _run(clone: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(clone / ".ci" / "run")],
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
        cwd=clone.parent,
    )


def _venv_of(output: str) -> Path:
    m = re.search(r"fresh venv (\S+)", output)
    assert m, output
    return Path(m.group(1))


def test_the_readme_test_line_runs_in_a_fresh_venv_outside_the_clone(tmp_path: Path) -> None:
    line = (
        'python -c "import sys, pathlib; assert sys.prefix != sys.base_prefix; '
        "print('PREFIX', sys.prefix); print('CWD', pathlib.Path.cwd())\""
    )
    clone = _clone_with_readme(tmp_path, line)
    done = _run(clone)
    assert done.returncode == 0, done.stdout + done.stderr
    venv = _venv_of(done.stdout)
    assert f"PREFIX {venv}" in done.stdout and f"CWD {clone}" in done.stdout
    assert clone not in venv.parents  # outside the clone
    assert not venv.exists()  # removed afterwards


def test_no_tests_collected_is_a_failure(tmp_path: Path) -> None:
    clone = _clone_with_readme(tmp_path, 'python -c "import sys; sys.exit(5)"')
    done = _run(clone)
    assert done.returncode == 1 and "no tests" in done.stderr, done.stdout + done.stderr
    assert not _venv_of(done.stdout).exists()


def test_the_real_readme_line_is_the_one_ci_runs() -> None:
    awk = (ROOT / ".ci" / "run").read_text().split("test_cmd=\"$(awk '", 1)[1].split("'", 1)[0]
    line = subprocess.run(
        ["awk", awk, str(ROOT / "README.md")], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert "pytest" in line and line in (ROOT / "README.md").read_text().splitlines()
