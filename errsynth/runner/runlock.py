"""One writer per run directory: an advisory lock held for the whole run.

`RunLock(out)` takes an exclusive `fcntl.flock` on ``out/.errsynth-run.lock`` and writes
who holds it (pid, host, start time, command line) into the file. A second run on the
same directory, ``--force`` included, is refused with :class:`RunLockedError` naming
the holder, before it deletes or writes anything. The kernel drops the lock when its
process ends, however it ends (SIGKILL included), so a lock left by a dead run is
stale and simply taken over; the holder information in the file is only what the
message shows. The file itself is kept (removing it would race with a run opening it).
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any

LOCK_NAME = ".errsynth-run.lock"


class RunLockedError(RuntimeError):
    """The run directory is locked by another live run; the message says by whom."""


def _holder_text(info: dict[str, Any]) -> str:
    if not info:
        return "another run (holder unknown)"
    started = info.get("started")
    since = (
        time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(started))
        if isinstance(started, int | float)
        else "?"
    )
    return f"pid {info.get('pid', '?')} on {info.get('host', '?')}, running since {since}"


class RunLock:
    """Exclusive lock on a run directory (created when missing); a context manager."""

    def __init__(self, out: str | Path) -> None:
        self.out = Path(out)
        self.path = self.out / LOCK_NAME
        self._fd: int | None = None
        self.unlocked = False  # True where the filesystem cannot lock (then no protection)

    def holder(self) -> dict[str, Any]:
        """What the lock file says about its (last) holder."""
        try:
            info = json.loads(self.path.read_text() or "{}")
        except (OSError, ValueError):
            return {}
        return info if isinstance(info, dict) else {}

    def acquire(self) -> RunLock:
        self.out.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise RunLockedError(
                f"{self.out} is being written by another run ({_holder_text(self.holder())}); "
                "wait for it to finish or stop it, or use another -o directory "
                "(--force does not take over a live run)"
            ) from None
        except OSError as exc:  # a filesystem without locks (some FUSE mounts): run unlocked
            if exc.errno not in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS):
                os.close(fd)
                raise
            self.unlocked = True
        previous = self.holder()
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": time.time(),
            "argv": sys.argv[:8],
        }
        if previous and previous.get("pid") != os.getpid():
            info["took_over_from"] = {k: previous.get(k) for k in ("pid", "host", "started")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(info) + "\n").encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            if not self.unlocked:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
