"""A real local Ray cluster: `ray start --head`, then `ray job submit -- errsynth run ...`.

The head runs in the foreground (`ray start --head --block`) as this test's child, and
the test stops exactly the processes it started (the head and its descendants, by
PID): never `ray stop`, which would end every Ray on the machine, other users' too.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from errsynth.recipe import load_recipe
from errsynth.runner import run_recipe

ROOT = Path(__file__).resolve().parents[1]
SMALL = ["sources.0.generate.n=300", "output.shard_rows=200", "engine.chunk_rows=100"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _descendants(root: int) -> list[int]:
    """`root` and every process below it (from /proc), parents first."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _stop_tree(head: subprocess.Popen[str]) -> None:
    """SIGTERM the head and everything it started (their PIDs taken before any exits,
    so processes reparented on the way are still ours), then SIGKILL what is left."""
    pids = _descendants(head.pid)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.5)
    for pid in pids:
        if _alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    head.wait(timeout=30)


def _wait_for_dashboard(port: int, head: subprocess.Popen[str], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert head.poll() is None, "ray start --head exited early"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/version", timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers (401 without the token in RAY_AUTH_MODE=token): it is up
        except OSError:
            time.sleep(1)
    raise AssertionError(f"the Ray dashboard on port {port} did not come up")


def _hashes(out: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((out / "shards").glob("*.parquet"))
    }


@pytest.mark.slow
def test_job_submit_to_a_local_cluster(tmp_path: Path) -> None:
    if shutil.which("ray") is None:
        pytest.skip("the ray CLI is not installed")
    import ray

    if ray.is_initialized():
        ray.shutdown()
    env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_USAGE_STATS_ENABLED": "0"}
    env.pop("RAY_ADDRESS", None)
    dash = _free_port()
    head = subprocess.Popen(
        [
            "ray",
            "start",
            "--head",
            "--block",
            "--num-cpus=2",
            f"--port={_free_port()}",
            f"--dashboard-port={dash}",
            "--dashboard-host=127.0.0.1",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        _wait_for_dashboard(dash, head)
        out = tmp_path / "cluster"
        cmd = [
            "ray",
            "job",
            "submit",
            "--address",
            f"http://127.0.0.1:{dash}",
            "--working-dir",
            str(ROOT),
            "--runtime-env-json",
            '{"excludes": ["runs", ".git", "*.parquet", ".hypothesis"]}',
            "--",
            "errsynth",
            "run",
            "recipes/quickstart.yaml",
            "-o",
            str(out),
            "--engine",
            "ray",
            "--ray-address",
            "auto",
            "-q",
        ]
        for s in SMALL:
            cmd += ["--set", s]
        job = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
        assert job.returncode == 0, (job.stdout + job.stderr)[-3000:]
        assert "succeeded" in job.stdout + job.stderr
    finally:
        _stop_tree(head)
    local = tmp_path / "local"
    run_recipe(load_recipe(ROOT / "recipes" / "quickstart.yaml", SMALL), local)
    assert _hashes(out) == _hashes(local) and _hashes(local)
