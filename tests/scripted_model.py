"""A 'model' with a known, scripted error profile, served by tests/llm_server.py's FakeLLM.

It reads errsynth harvest's solver prompt, finds the problem among the reference rows it
was given (solution rows as ingest writes them), and answers with the reference solution,
or, per a seeded script (the request's seed and the question), with the solution whose
FIRST error is of a chosen kind at a chosen step, the rest following from it:

* ``arith_slip:<perturbation>`` (offset, digit, transpose, operator, decimal, rounding):
  the step's result replaced by a candidate the arith transform would draw for that kind
  (one no other kind would also produce), later steps recomputed with the wrong value;
* ``wrong_quantity``: one operand of the step's equation replaced by another number of
  the problem, the result recomputed and carried on;
* ``copy_error``: a value carried from the problem or an earlier step written with two
  digits swapped or one digit changed, the result recomputed and carried on;
* ``premature``: a later step that needs a value not computed yet written at the step,
  and the answer concluded from it.

MATH problems (LaTeX): arithmetic slips only, concluded at once (``\\boxed{}`` of the
wrong value). Every decision is logged (``decisions``) with whether the final answer
changed, so a test knows the true first error of every wrong solution it served.
The judge prompt is answered too (``judge_step``: which step the judge names).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from errsynth.evaluate import EvalError, evaluate, format_value
from errsynth.harvest.prompts import SOLVER_USER_LATEX, SOLVER_USER_PLAIN
from errsynth.ingest.equations import step_equations
from errsynth.ingest.numberflow import NUMBER_RE, numbers_in
from errsynth.render.annotations import strip_text
from errsynth.transforms.arith_perturb import (
    acceptable,
    decimal_candidates,
    digit_candidates,
    offset_candidates,
    operator_numeral,
    operator_swaps,
    rounding_candidates,
    transpose_candidates,
)
from errsynth.transforms.arith_text import parse_claim

PERTURBATIONS = ("offset", "digit", "transpose", "operator", "decimal", "rounding")
_TAILS = (
    "\n\n" + SOLVER_USER_PLAIN.split("\n\n", 1)[1],
    "\n\n" + SOLVER_USER_LATEX.split("\n\n", 1)[1],
)


def question_of(body: Mapping[str, Any]) -> str:
    user = next(m["content"] for m in reversed(body["messages"]) if m["role"] == "user")
    for tail in _TAILS:
        if user.endswith(tail):
            return user[: -len(tail)]
    return user


@dataclass(frozen=True)
class Script:
    """Shares of first-error kinds (the rest answered correctly) and where they go.

    `kinds` maps ``arith_slip:offset`` / ``premature`` / ... to a probability; `position`
    weights a candidate step i of n by ``position(i, n)``.
    """

    kinds: Mapping[str, float]
    position: Callable[[int, int], float] = lambda i, n: 1.0
    seed: int = 0


@dataclass
class Decision:
    question: str
    seed: int
    kind: str  # "correct" when answered right (nothing scripted, or nothing applicable)
    subkind: str = ""
    step: int = -1
    n_steps: int = 0
    answer_changed: bool = False
    intended: str = ""  # what the script drew (kind differs when it fell back to correct)


def _num_re(value: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\d.,]){re.escape(value)}(?![\d]|\.\d)")


def _clean_steps(row: Mapping[str, Any]) -> list[str]:
    return [strip_text(s) for s in row["steps"]]


def _fmt(v: Any) -> str | None:
    if not isinstance(v, Fraction | int):
        return None
    text = format_value(v)
    return None if "/" in text or text.startswith("-") else text


def _unique_candidates(claim: Any, expr: str) -> dict[str, list[str]]:
    """Per perturbation kind, the numerals only that kind produces."""
    lists = {
        "offset": offset_candidates(claim, 3, None),
        "digit": digit_candidates(claim),
        "transpose": transpose_candidates(claim),
        "decimal": decimal_candidates(claim),
        "rounding": rounding_candidates(claim),
        "operator": [
            n
            for s in operator_swaps(expr, "plain", None)
            if (n := operator_numeral(claim, s, "plain", None, 1)) is not None
        ],
    }
    out = {}
    for k, nums in lists.items():
        others = set().union(*(set(v) for kk, v in lists.items() if kk != k))
        out[k] = sorted({n for n in nums if n not in others and acceptable(claim, n, None)})
    return out


class ScriptedModel:
    """The responder: ``FakeLLM(responder=ScriptedModel(rows, script))``."""

    def __init__(
        self,
        rows: Sequence[Mapping[str, Any]],
        script: Script,
        *,
        judge_step: Callable[[str, list[str]], int | None] | None = None,
    ) -> None:
        self.rows = {r["question"]: r for r in rows}
        self.script = script
        self.judge_step = judge_step
        self.decisions: dict[tuple[str, int], Decision] = {}
        self.judged: list[str] = []
        self.calls: list[tuple[str, int]] = []  # (question, seed) of every solver request served
        self._lock = threading.Lock()

    # --- serving ------------------------------------------------------------------------

    def __call__(self, body: dict[str, Any]) -> str:
        user = next(m["content"] for m in reversed(body["messages"]) if m["role"] == "user")
        if user.startswith("Problem:\n") and "Student's solution:" in user:
            return self._judge(user)
        question = question_of(body)
        row = self.rows[question]
        seed = int(body.get("seed") or 0)
        reply, decision = self.solve(row, seed)
        with self._lock:
            self.decisions[(question, seed)] = decision
            self.calls.append((question, seed))
        return reply

    def _judge(self, user: str) -> str:
        block = user.split("Student's solution:\n", 1)[1].split("\n\nReply with JSON", 1)[0]
        steps = [re.sub(r"^Step \d+: ", "", ln) for ln in block.split("\n")]
        k = self.judge_step(user, steps) if self.judge_step else None
        with self._lock:
            self.judged.append(user)
        if k is None:
            return "I am not sure which step is wrong."
        return json.dumps(
            {"first_wrong_step": k + 1, "kind": "other", "explanation": f"Step {k + 1} is wrong."}
        )

    # --- solving ------------------------------------------------------------------------

    def rng(self, question: str, seed: int) -> random.Random:
        h = hashlib.sha256(f"{self.script.seed}\x1f{seed}\x1f{question}".encode()).digest()
        return random.Random(int.from_bytes(h[:8], "big"))

    def solve(self, row: Mapping[str, Any], seed: int) -> tuple[str, Decision]:
        rng = self.rng(row["question"], seed)
        latex = row.get("format") == "math"
        steps = list(row["steps"]) if latex else _clean_steps(row)
        draw, acc = rng.random(), 0.0
        chosen = None
        for kind, p in self.script.kinds.items():
            acc += p
            if draw < acc:
                chosen = kind
                break
        if chosen is not None:
            made = self._make(chosen, row, steps, rng, latex)
            if made is not None:
                text, decision = made
                decision.intended = chosen
                decision.seed = seed
                return text, decision
        return self._render(steps, row["answer"], latex), Decision(
            row["question"], seed, "correct", intended=chosen or "correct"
        )

    def _render(self, steps: Sequence[str], answer: str, latex: bool) -> str:
        if latex:
            body = "\n".join(steps)
            return body if "\\boxed" in body else body + f"\nThe answer is $\\boxed{{{answer}}}$."
        return "\n".join(steps) + f"\nThe answer is: {answer}"

    def _positions(self, eligible: list[int], n: int, rng: random.Random) -> list[int]:
        """Eligible steps in a random order weighted by the script's position weights."""
        order, pool = [], list(eligible)
        while pool:
            w = [max(self.script.position(i, n), 1e-9) for i in pool]
            i = rng.choices(pool, weights=w)[0]
            order.append(i)
            pool.remove(i)
        return order

    def _make(
        self, chosen: str, row: Mapping[str, Any], steps: list[str], rng: random.Random, latex: bool
    ) -> tuple[str, Decision] | None:
        kind, _, sub = chosen.partition(":")
        n = len(steps)
        eqs = step_equations(steps, syntax="latex" if latex else "plain")
        single = {i: [e for e in eqs if e["step"] == i] for i in range(n)}
        eligible = [i for i in range(n) if len(single[i]) == 1 and single[i][0]["ok"] is True]
        if latex and kind != "arith_slip":
            return None
        for i in self._positions(eligible, n, rng):
            eq = single[i][0]
            if latex:
                made = self._latex_slip(row, steps, i, eq, sub, rng)
            elif kind == "arith_slip":
                made = self._slip(row, steps, i, eq, sub, rng)
            elif kind == "wrong_quantity":
                made = self._wrong_quantity(row, steps, i, eq, rng)
            elif kind == "copy_error":
                made = self._copy_error(row, steps, i, eq, rng)
            elif kind == "premature":
                made = self._premature(row, steps, i, rng)
            else:
                raise ValueError(f"unknown scripted kind {chosen}")
            if made is None:
                continue
            new_steps, answer = made
            text = self._render(new_steps, answer, latex)
            decision = Decision(
                row["question"],
                0,
                kind,
                sub,
                i,
                len(new_steps),
                answer != row["answer"],
            )
            return text, decision
        return None

    # --- kinds -------------------------------------------------------------------------------

    def _claim_span(self, text: str, eq: Mapping[str, Any]) -> tuple[int, int] | None:
        end = eq["end"]
        start = end - len(eq["claimed"])
        return (start, end) if text[start:end] == eq["claimed"] else None

    def _slip(self, row, steps, i, eq, sub, rng):
        claim = parse_claim(eq["claimed"])
        span = self._claim_span(steps[i], eq)
        if claim is None or span is None or claim.negative:
            return None
        pool = _unique_candidates(claim, eq["expr"]).get(sub, [])
        rng.shuffle(pool)
        for num in pool:
            new = steps[i][: span[0]] + claim.with_numeral(num) + steps[i][span[1] :]
            got = self._carry(row, steps, i, new, {numbers_in(eq["claimed"])[-1]: _canon(num)})
            if got is not None:
                return got
        return None

    def _wrong_quantity(self, row, steps, i, eq, rng):
        text = steps[i]
        expr_at = text.find(eq["expr"], eq["start"])
        if expr_at != eq["start"]:
            return None
        tokens = list(NUMBER_RE.finditer(eq["expr"]))
        given = [
            q
            for q in dict.fromkeys(numbers_in(row["question"]))
            if q not in {t.group() for t in tokens}
        ]
        choices = [(t, q) for t in tokens for q in given]
        rng.shuffle(choices)
        for t, q in choices:
            expr = eq["expr"][: t.start()] + q + eq["expr"][t.end() :]
            new = self._recompute(text, eq, expr)
            if new is None:
                continue
            got = self._carry(row, steps, i, new[0], {numbers_in(eq["claimed"])[-1]: new[1]})
            if got is not None:
                return got
        return None

    def _copy_error(self, row, steps, i, eq, rng):
        text = steps[i]
        if text.find(eq["expr"], eq["start"]) != eq["start"]:
            return None
        known = set(numbers_in(row["question"]))
        for s in steps[:i]:
            known.update(numbers_in(s))
        tokens = [
            t
            for t in NUMBER_RE.finditer(eq["expr"])
            if t.group() in known and len(t.group()) >= 2 and t.group().isdigit()
        ]
        rng.shuffle(tokens)
        for t in tokens:
            v = t.group()
            variants = [
                v[:k] + v[k + 1] + v[k] + v[k + 2 :] for k in range(len(v) - 1) if v[k] != v[k + 1]
            ]
            variants += [
                v[:k] + d + v[k + 1 :] for k in range(1, len(v)) for d in "0123456789" if d != v[k]
            ]
            rng.shuffle(variants)
            for m in variants[:6]:
                if m in known or m[0] == "0":
                    continue
                expr = eq["expr"][: t.start()] + m + eq["expr"][t.end() :]
                new = self._recompute(text, eq, expr)
                if new is None:
                    continue
                got = self._carry(row, steps, i, new[0], {numbers_in(eq["claimed"])[-1]: new[1]})
                if got is not None:
                    return got
        return None

    def _premature(self, row, steps, i, rng):
        produced: dict[str, int] = {}
        for k, vals in enumerate(row["produces"]):
            for v in vals:
                produced.setdefault(v, k)
        given = set(numbers_in(row["question"]))
        later = []
        for j in range(i + 1, len(steps)):
            needs = [
                v
                for v in numbers_in(steps[j])
                if v not in given and produced.get(v, -1) >= i and produced.get(v, -1) < j
            ]
            if needs:
                later.append(j)
        rng.shuffle(later)
        for j in later:
            results = row["produces"][j]
            if not results or results[-1] == row["answer"]:
                continue
            new_steps = [*steps[:i], steps[j]]
            if self._valid(row, new_steps, i) is None:
                continue
            return new_steps, results[-1]
        return None

    def _latex_slip(self, row, steps, i, eq, sub, rng):
        claim = parse_claim(eq["claimed"].strip())
        if claim is None or claim.negative:
            return None
        text = steps[i]
        if "\\boxed" in text:  # concluding here would keep the right boxed answer
            return None
        at = text.rfind(eq["claimed"], eq["start"], eq["end"] + 1)
        if at < 0 or at + len(eq["claimed"]) != eq["end"]:
            return None
        pool = [n for n in _unique_candidates(claim, "").get(sub, []) if sub != "operator"]
        rng.shuffle(pool)
        for num in pool:
            new = text[:at] + claim.with_numeral(num) + text[eq["end"] :]
            new_steps = [*steps[:i], new]
            if self._valid(row, new_steps, i, latex=True) is None:
                continue
            return new_steps, _canon(num)
        return None

    # --- carrying a change on ------------------------------------------------------------

    def _recompute(self, text: str, eq: Mapping[str, Any], expr: str) -> tuple[str, str] | None:
        try:
            value = _fmt(evaluate(expr, syntax="plain"))
        except EvalError:
            return None
        span = self._claim_span(text, eq)
        claim = parse_claim(eq["claimed"])
        if value is None or span is None or claim is None:
            return None
        if _canon(claim.num) == value:
            return None
        new = text[: eq["start"]] + expr + text[eq["start"] + len(eq["expr"]) : span[0]]
        new += claim.with_numeral(value) + text[span[1] :]
        return new, value

    def _carry(self, row, steps, i, new_step, mapping):
        """Steps after `i` with the changed values carried on; (steps, answer) or None."""
        out = [*steps[:i], new_step]
        mapping = dict(mapping)
        for s in steps[i + 1 :]:
            for _ in range(6):
                text = _replace_numbers(s, mapping)
                changed = False
                for e in step_equations([text], syntax="plain"):
                    if e["ok"] is False:
                        try:
                            value = _fmt(evaluate(e["expr"], syntax="plain"))
                        except EvalError:
                            return None
                        if value is None:
                            return None
                        old = numbers_in(e["claimed"])
                        if not old or old[-1] in mapping:
                            return None
                        original = old[-1]
                        mapping[original] = value
                        changed = True
                if not changed:
                    break
            else:
                return None
            out.append(_replace_numbers(s, mapping))
        answer = mapping.get(row["answer"], row["answer"])
        if self._valid(row, out, i) is None:
            return None
        return out, answer

    def _valid(self, row, steps, i, latex=False):
        """The first error is at `i` and only there (no false equation elsewhere)."""
        eqs = step_equations(steps, syntax="latex" if latex else "plain")
        for e in eqs:
            if e["step"] != i and e["ok"] is False:
                return None
        return steps


def _canon(num: str) -> str:
    return numbers_in(num)[-1]


def _replace_numbers(text: str, mapping: Mapping[str, str]) -> str:
    if not mapping:
        return text

    def sub(m: re.Match[str]) -> str:
        token = m.group()
        canon = numbers_in(token)
        if len(canon) == 1 and canon[0] in mapping and "," not in token:
            return mapping[canon[0]]
        return token

    return NUMBER_RE.sub(sub, text)


__all__ = ["PERTURBATIONS", "Decision", "Script", "ScriptedModel", "question_of"]


GSM8K_SCRIPT: dict[str, float] = {
    "arith_slip:offset": 0.1,
    "arith_slip:digit": 0.1,
    "arith_slip:transpose": 0.1,
    "arith_slip:operator": 0.1,
    "premature": 0.1,
    "wrong_quantity": 0.15,
    "copy_error": 0.15,
}


def main(argv: list[str] | None = None) -> None:
    """Serve the scripted model on loopback (for benchmarks); on stdin's close, write every
    decision to --decisions."""
    import argparse
    import sys
    import tempfile
    from pathlib import Path

    import pyarrow.parquet as pq

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from errsynth.ingest.run import ingest
    from tests.llm_server import FakeLLM

    ap = argparse.ArgumentParser(description="the scripted model on loopback")
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--format", default="gsm8k")
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--latency", type=float, default=0.05)
    ap.add_argument("--decisions", default=None)
    ap.add_argument(
        "--precompute",
        type=int,
        default=0,
        help="answer seeds 0..K-1 of every problem before serving (a lookup per request)",
    )
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        ingest([args.corpus], Path(tmp), fmt=args.format)
        rows = pq.read_table(Path(tmp) / "solutions.parquet").to_pylist()[: args.limit]
    model = ScriptedModel(rows, Script(GSM8K_SCRIPT))
    responder: Callable[[dict[str, Any]], str] = model
    if args.precompute:
        replies = {}
        for row in rows:
            for seed in range(args.precompute):
                reply, decision = model.solve(row, seed)
                replies[(row["question"], seed)] = reply
                model.decisions[(row["question"], seed)] = decision

        def responder(body: dict[str, Any]) -> str:
            return replies[(question_of(body), int(body.get("seed") or 0))]

    server = FakeLLM(responder=responder, latency=args.latency).start()
    print(server.url, flush=True)
    try:
        sys.stdin.read()
    finally:
        server.stop()
        if args.decisions:
            Path(args.decisions).write_text(
                json.dumps([vars(d) for d in model.decisions.values()], default=str)
            )


if __name__ == "__main__":
    main()
