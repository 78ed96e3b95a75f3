"""Operation and time budget shared by the tree walkers of one evaluation."""

from __future__ import annotations

from time import thread_time

from .errors import EvalError, Limits

_CLOCK_EVERY = 8  # read the clock on every 8th expensive operation


class Budget:
    """Counts operations down and watches a deadline; raises ``EvalError("budget")``.

    The walkers charge one unit per arithmetic operation and call :meth:`check_time`
    after expensive ones (Fraction arithmetic, powers, factorials, SymPy calls). The clock
    is this thread's CPU time, not wall time, so a loaded machine or another thread
    cannot flip a verdict to "budget"; it starts at the first expensive operation (the
    cheap integer operations before it are bounded by ``max_ops``) and is read on every
    8th one, which keeps the integer fast path free of clock reads.
    """

    __slots__ = ("deadline", "limits", "ops", "ticks")

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.ops = limits.max_ops
        self.deadline: float | None = None
        self.ticks = 0

    def restart_clock(self) -> None:
        self.deadline = None
        self.ticks = 0

    def charge(self, n: int = 1) -> None:
        self.ops -= n
        if self.ops < 0:
            raise EvalError("budget", f"more than {self.limits.max_ops} operations")

    def check_time(self) -> None:
        ticks = self.ticks
        self.ticks = ticks + 1
        if ticks % _CLOCK_EVERY:
            return
        now = thread_time()
        if self.deadline is None:
            self.deadline = now + self.limits.max_seconds
        elif now > self.deadline:
            raise EvalError("budget", f"over {self.limits.max_seconds}s of CPU time")
