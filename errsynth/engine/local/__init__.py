"""The local engine: in-process chunk jobs (`executor`), dedup in one process, `mix_and_write`."""

from errsynth.engine.local.executor import LocalExecutor, decide_local
from errsynth.engine.local.mix import mix_and_write

__all__ = ["LocalExecutor", "decide_local", "mix_and_write"]
