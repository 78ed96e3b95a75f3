"""A disk cache of chat results (SQLite), keyed by the request key.

Only answered requests are stored (failed ones are asked again next time). Each
result is committed as it arrives, in WAL mode, so a run killed at any moment
keeps every answer it had received, and several processes (Ray workers, a
resumed run beside a dry run) may share one file. The request itself is stored
beside the answer (model, messages, parameters: never an API key) so that a cache
can be inspected or audited.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from errsynth.llm.request import ChatRequest, ChatResult, canonical_json

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    request TEXT NOT NULL,
    content TEXT,
    finish_reason TEXT,
    refusal TEXT,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    created REAL NOT NULL
)
"""


class ResponseCache:
    """`get`/`put` of ChatResults by key; thread-safe (one connection, one lock)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(self.path), timeout=60.0, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(_SCHEMA)
        self._db.commit()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> ResponseCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, key: str) -> ChatResult | None:
        with self._lock:
            row = self._db.execute(
                "SELECT content, finish_reason, refusal, prompt_tokens, completion_tokens "
                "FROM responses WHERE key = ?",
                (key,),
            ).fetchone()
        if row is None:
            return None
        return ChatResult(
            key=key,
            content=row[0],
            finish_reason=row[1],
            refusal=row[2],
            prompt_tokens=row[3],
            completion_tokens=row[4],
            cached=True,
        )

    def get_many(self, keys: Iterable[str]) -> dict[str, ChatResult]:
        out: dict[str, ChatResult] = {}
        for key in dict.fromkeys(keys):
            hit = self.get(key)
            if hit is not None:
                out[key] = hit
        return out

    def put(self, request: ChatRequest, result: ChatResult) -> None:
        """Store an answered request (a failed one is ignored); committed at once."""
        if not result.ok:
            return
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO responses VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    request.key,
                    request.model,
                    canonical_json(request.semantic()),
                    result.content,
                    result.finish_reason,
                    result.refusal,
                    result.prompt_tokens,
                    result.completion_tokens,
                    time.time(),
                ),
            )
            self._db.commit()

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0])

    def keys(self) -> set[str]:
        with self._lock:
            return {r[0] for r in self._db.execute("SELECT key FROM responses")}

    def requests(self) -> Iterator[dict[str, Any]]:
        """Every stored request (as JSON objects), for inspection."""
        with self._lock:
            rows = self._db.execute("SELECT request FROM responses ORDER BY key").fetchall()
        for (text,) in rows:
            yield json.loads(text)

    def stats(self) -> dict[str, Any]:
        with self._lock:
            rows = self._db.execute(
                "SELECT model, COUNT(*), SUM(prompt_tokens), SUM(completion_tokens) "
                "FROM responses GROUP BY model ORDER BY model"
            ).fetchall()
        return {
            "path": str(self.path),
            "entries": sum(r[1] for r in rows),
            "models": {
                r[0]: {"entries": r[1], "prompt_tokens": r[2] or 0, "completion_tokens": r[3] or 0}
                for r in rows
            },
        }
