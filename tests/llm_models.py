"""Scripted 'models' for the loopback server: they answer our operators' prompts.

An oracle reads the gold solutions of a run (``sources/*/solutions.parquet``) and
answers like a perfect model; `spoil` makes some answers wrong in a given way so
that each rejection path is exercised.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq


def _user(body: dict[str, Any]) -> str:
    return next(m["content"] for m in reversed(body["messages"]) if m["role"] == "user")


def _between(text: str, start: str, end: str) -> str:
    a = text.index(start) + len(start)
    b = text.index(end, a) if end else len(text)
    return text[a:b]


def bump_numbers(step: str, value: str) -> str:
    """The step with every occurrence of its value replaced by value + 1."""
    wrong = str(int(value) + 1) if value.isdigit() else value + "1"
    return re.sub(rf"(?<![\d.]){re.escape(value)}(?!\d)", wrong, step)


class Oracle:
    def __init__(
        self,
        run_dir: Path,
        spoil: Callable[[str, dict[str, Any]], dict[str, Any] | str | None] | None = None,
    ):
        self.run_dir = run_dir
        self.spoil = spoil
        self._gold: dict[str, dict[str, Any]] | None = None
        self._lock = threading.Lock()

    def gold(self, question: str) -> dict[str, Any]:
        with self._lock:  # the server answers from many threads
            if self._gold is None:
                gold = {}
                files = [
                    *self.run_dir.glob("sources/**/*.parquet"),
                    *self.run_dir.glob("stages/input/*.parquet"),
                ]
                for p in sorted(files):
                    names = pq.read_schema(p).names
                    if {"question", "steps", "answer", "equations"} <= set(names):
                        for r in pq.read_table(
                            p, columns=["question", "steps", "answer", "equations"]
                        ).to_pylist():
                            gold[r["question"]] = r
                self._gold = gold
        return self._gold[question]

    def __call__(self, body: dict[str, Any]) -> str:
        user = _user(body)
        question = _between(user, "Problem:\n", "\n\n")
        row = self.gold(question)
        if "Student's solution:" in user:
            reply: dict[str, Any] | str = self.correct(user, row)
            op = "correct"
        elif "Rewrite step" in user:
            reply = self.mistake(user, row)
            op = "mistake"
        else:
            reply = self.paraphrase(user)
            op = "paraphrase"
        if self.spoil is not None:
            spoiled = self.spoil(
                op, reply if isinstance(reply, dict) else {"text": reply, "question": question}
            )
            if spoiled is not None:
                reply = spoiled
        return reply if isinstance(reply, str) else json.dumps(reply)

    def correct(self, user: str, row: dict[str, Any]) -> dict[str, Any]:
        block = _between(user, "Student's solution:\n", "\n\n")
        student = [re.sub(r"^\d+\. ", "", line) for line in block.split("\n")]
        gold = [" ".join(s.split()) for s in row["steps"]]
        k = next(
            (i for i, (s, g) in enumerate(zip(student, gold, strict=False)) if s != g),
            len(student) - 1,
        )
        return {
            "incorrect_step": k + 1,
            "explanation": f"Step {k + 1} does not follow from what is known at that point.",
            "corrected_solution": list(row["steps"]),
            "final_answer": row["answer"],
        }

    def mistake(self, user: str, row: dict[str, Any]) -> dict[str, Any]:
        k = int(re.search(r"Rewrite step (\d+)", user).group(1)) - 1  # type: ignore[union-attr]
        step = row["steps"][k]
        values = [e["claimed"] for e in row["equations"] if e["step"] == k and e["ok"]]
        value = values[-1] if values else re.findall(r"\d+", step)[-1]
        return {
            "mistake": bump_numbers(step, value),
            "explanation": "The result is off by one.",
            "correction": step,
        }

    def paraphrase(self, user: str) -> str:
        solution = user[user.index("Solution:\n") + len("Solution:\n") :]
        return re.sub(
            r"<notice>.*?</notice>",
            "<notice>Hold on, that cannot be right yet, so I take it back.</notice>",
            solution,
        )
