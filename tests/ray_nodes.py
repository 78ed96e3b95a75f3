"""A Ray head node that a test starts and stops by itself, touching no other Ray.

`RayHead.start()` runs `ray start --head` with its own temporary directory, its own token
(token auth, `RAY_AUTH_TOKEN` in the environment it passes on, never `~/.ray`) and its
own free ports for every service Ray opens, so it shares nothing with a Ray that a user
or another test runs on the same machine. `stop()` ends exactly this node: the processes
whose command line names its temporary directory or its GCS address, and all their
descendants (workers, agents, a job's driver), by PID: SIGTERM, then SIGKILL for what is
left after a grace period. It never runs `ray stop`, which ends every Ray on the machine.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

PORT_OPTIONS = (
    "--port",
    "--dashboard-port",
    "--ray-client-server-port",
    "--node-manager-port",
    "--object-manager-port",
    "--dashboard-agent-grpc-port",
    "--dashboard-agent-listen-port",
    "--metrics-export-port",
    "--runtime-env-agent-port",
)


def free_ports(n: int) -> list[int]:
    """`n` distinct TCP ports free on the loopback right now (held open until all are found)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _proc_table() -> dict[int, tuple[int, str, str]]:
    """pid -> (parent pid, start time in clock ticks, command line) of every process."""
    table: dict[int, tuple[int, str, str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
        table[int(entry.name)] = (int(fields[1]), fields[19], cmdline)
    return table


def _alive(pid: int, start: str) -> bool:
    """Whether the process `pid` that started at `start` still runs (and is no zombie)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    fields = stat[stat.rindex(")") + 2 :].split()
    return fields[19] == start and fields[0] != "Z"


@dataclass
class RayHead:
    """A running head node; `address` is its GCS address, `dashboard` its job-submission URL."""

    temp_dir: Path
    ports: dict[str, int]
    env: dict[str, str]
    num_cpus: int = 1
    ray_cli: str = "ray"
    pids: dict[int, str] = field(default_factory=dict)  # pid -> start time, seen at start

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.ports['--port']}"

    @property
    def dashboard(self) -> str:
        return f"http://127.0.0.1:{self.ports['--dashboard-port']}"

    @classmethod
    def start(cls, num_cpus: int = 1, timeout_s: float = 180) -> RayHead:
        beside = Path(sys.executable).parent / "ray"  # the CLI of this interpreter's Ray
        ray = str(beside) if beside.exists() else shutil.which("ray")
        if ray is None:
            raise RuntimeError("the ray CLI is not installed (pip install -e '.[cluster]')")
        # short: Ray's unix sockets live under it (108-byte path limit)
        temp_dir = Path(tempfile.mkdtemp(prefix="errsynth-ray-", dir="/tmp"))
        env = {
            **os.environ,
            "RAY_AUTH_MODE": "token",
            "RAY_AUTH_TOKEN": secrets.token_hex(32),
            "RAY_USAGE_STATS_ENABLED": "0",
            # the node and its jobs run this interpreter's environment (its errsynth, ray)
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        env.pop("RAY_ADDRESS", None)
        ports = dict(zip(PORT_OPTIONS, free_ports(len(PORT_OPTIONS)), strict=True))
        head = cls(temp_dir, ports, env, num_cpus, ray)
        cmd = [
            ray, "start", "--head", f"--num-cpus={num_cpus}", f"--temp-dir={temp_dir}",
            "--node-ip-address=127.0.0.1", "--dashboard-host=127.0.0.1", "--disable-usage-stats",
            *(f"{opt}={port}" for opt, port in head.ports.items()),
        ]  # fmt: skip
        try:
            done = subprocess.run(
                cmd, env=env, capture_output=True, text=True, timeout=timeout_s, check=False
            )
        except subprocess.TimeoutExpired:
            head.stop()
            raise
        head.pids = {pid: start for pid, start in head.processes().items()}
        if done.returncode != 0:
            head.stop()
            raise RuntimeError(f"ray start failed ({done.returncode}): {done.stderr[-2000:]}")
        return head

    def processes(self) -> dict[int, str]:
        """pid -> start time of every process of this node right now."""
        table = _proc_table()
        # the temp dir, or the GCS port in an address option (Ray's client server names the
        # machine's IP there, not 127.0.0.1)
        gcs = re.compile(rf"--(?:gcs-)?address=\S*:{self.ports['--port']}(?:\s|$)")
        me = os.getpid()
        roots = {
            pid
            for pid, (_, _, cmd) in table.items()
            if pid != me and (str(self.temp_dir) in cmd or gcs.search(cmd))
        }
        members = set(roots)
        grew = True
        while grew:  # add descendants: workers, agents, a job's driver
            more = {pid for pid, (ppid, _, _) in table.items() if ppid in members} - members
            grew = bool(more)
            members |= more
        members.discard(me)
        return {pid: table[pid][1] for pid in members}

    def alive(self) -> bool:
        """Every process seen at start still runs, and the GCS accepts connections."""
        if not self.pids or not all(_alive(p, s) for p, s in self.pids.items()):
            return False
        with socket.socket() as s:
            s.settimeout(5)
            return s.connect_ex(("127.0.0.1", self.ports["--port"])) == 0

    def stop(self, grace_s: float = 5) -> None:
        """End exactly this node's processes (by PID), then remove its temporary directory."""
        procs = {**self.pids, **self.processes()}
        for pid, start in procs.items():
            if _alive(pid, start):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        while time.monotonic() < deadline and any(_alive(p, s) for p, s in procs.items()):
            time.sleep(0.2)
        for pid, start in {**procs, **self.processes()}.items():
            if _alive(pid, start):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        shutil.rmtree(self.temp_dir, ignore_errors=True)

    def __enter__(self) -> RayHead:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
