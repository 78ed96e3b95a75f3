"""llm_paraphrase: rule-based retry samples retold in natural, reflective language.

Input: retry samples in an inline style (back, igsm, natural). The model sees the
completion with each wrong attempt in ``<mistake>`` tags and each retraction marker
in ``<notice>`` tags, and rewrites the notices (and may smooth the prose). Kept only
when every validated fact survives, re-checked on the rewrite:

* each ``<mistake>`` is the original attempt, character for character;
* the equations of the whole completion are the original ones, in the same order,
  with the same verdicts re-judged by the evaluator (the wrong stay wrong, the
  right stay right), and a notice contains none;
* the gold answer still ends the solution when it did before.

The spans of the new sample (wrong part, attempt, the notice as its marker) are
computed from the tags, never searched for.

A sample written in a chat form (``messages``, ``sharegpt``, ``trl``: its reply is the
original reply text with the attempts inserted) gets its chat columns rebuilt from its
clean parent: each attempt, verbatim, with its new notice, inserted into the original
reply where the form puts it, and ``message_errors`` recomputed, so stripping the
attempts still gives the original reply back. Prose the model smoothed outside the
attempts and notices stays in ``text``/``completion`` only: the chat form's promise is the
original reply. A chat-form sample whose parent cannot be found is rejected
(``missing_parent``). A ``prm`` sample keeps its ``prompt``, ``completions`` and
``labels``: a rewrite changes no step and no label.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from errsynth.llm.request import ChatResult
from errsynth.render.config import INLINE_STYLES
from errsynth.render.forms import chat_form_of, rewritten_chat_columns
from errsynth.render.result import mask_spans_of
from errsynth.transforms.llm.base import Job, LLMOperator, LLMParams, Skip
from errsynth.transforms.llm.parse import ReplyError, parse_tagged
from errsynth.validate.llm import equations


@dataclass(frozen=True)
class ParaphraseParams(LLMParams):
    """A model rewrites retry samples in natural language; the validated equations are re-checked."""

    kinds: tuple[str, ...] = ("reorder", "arith", "igsm_retry", "distractor")


def prompt_length(sample: dict[str, Any]) -> int:
    """Where the completion starts in ``text`` (form prm's ``prompt`` may be the bare
    problem, not the text's prompt)."""
    return len(sample["text"]) - len(sample["completion"])


def marked_completion(sample: dict[str, Any]) -> str:
    """The completion with ``<mistake>``/``<notice>`` tags around each attempt and marker."""
    pl = prompt_length(sample)
    comp = sample["completion"]
    out: list[str] = []
    cursor = 0
    for e in sample["errors"]:
        a0, a1 = e["attempt_start"] - pl, e["attempt_end"] - pl
        m0, m1 = e["marker_start"] - pl, e["marker_end"] - pl
        if not 0 <= cursor <= a0 <= a1 <= m0 <= m1 <= len(comp):
            raise Skip("unsupported_layout", "the attempts are not in the completion in order")
        out += [comp[cursor:a0], "<mistake>", comp[a0:a1], "</mistake>", comp[a1:m0]]
        out += ["<notice>", comp[m0:m1], "</notice>"]
        cursor = m1
    out.append(comp[cursor:])
    return "".join(out)


def _verdicts(text: str) -> list[tuple[str, str, bool | None]]:
    return [(e["expr"], e["claimed"], e["ok"]) for e in equations([text])]


class LLMParaphrase(LLMOperator):
    name = "llm_paraphrase"
    Params = ParaphraseParams

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(self.params.kinds)

    def plan(self, sample: dict[str, Any], parent: dict[str, Any] | None, seed: int) -> Job:
        if sample["style"] not in INLINE_STYLES:
            raise Skip("unsupported_style", f"style {sample['style']!r} is not inline")
        if not sample["errors"]:
            raise Skip("no_error", "the sample has no wrong attempt")
        if chat_form_of(sample) is not None and parent is None:
            raise Skip("missing_parent", "a chat-form sample is rebuilt from its clean parent")
        marked = marked_completion(sample)
        request = self.request(
            {
                "question": sample["question"],
                "solution": marked,
                "n_mistakes": len(sample["errors"]),
            }
        )
        return Job(sample, parent or {}, request)

    def finish(self, job: Job, content: str, result: ChatResult) -> dict[str, Any]:
        sample = job.sample
        errors = list(sample["errors"])
        try:
            tagged = parse_tagged(content, len(errors))
        except ValueError as exc:
            raise self.unparseable(result, content, str(exc)) from None
        comp, text = tagged.text, sample["text"]
        pl = prompt_length(sample)
        prompt = text[:pl]
        for i, (e, (ms, me)) in enumerate(zip(errors, tagged.mistakes, strict=True)):
            if comp[ms:me] != text[e["attempt_start"] : e["attempt_end"]]:
                raise ReplyError("validator_failure", f"mistake {i + 1} was changed")
        before, after = _verdicts(sample["completion"]), _verdicts(comp)
        if before != after:
            raise ReplyError(
                "validator_failure",
                f"equations changed: {len(before)} before, {len(after)} after"
                + ("" if len(before) != len(after) else " (an equation or a verdict differs)"),
            )
        for i, (ns, ne) in enumerate(tagged.notices):
            if equations([comp[ns:ne]]):
                raise ReplyError("validator_failure", f"notice {i + 1} has a calculation")
        gold = str(sample["answer"]).strip()
        old_tail = sample["completion"][errors[-1]["marker_end"] - pl :]
        if gold and gold in old_tail and gold not in comp[tagged.notices[-1][1] :]:
            raise ReplyError("wrong_answer", f"the answer {gold!r} no longer ends the solution")
        new_errors = []
        for e, (ms, me), (ns, ne) in zip(errors, tagged.mistakes, tagged.notices, strict=True):
            start = pl + ms + (e["start"] - e["attempt_start"])
            new = dict(e)
            new.update(
                start=start,
                end=start + (e["end"] - e["start"]),
                attempt_start=pl + ms,
                attempt_end=pl + me,
                marker_start=pl + ns,
                marker_end=pl + ne,
            )
            new_errors.append(new)
        new_text = prompt + comp
        columns: dict[str, Any] = {
            "style": "natural",
            "text": new_text,
            "prompt": sample["prompt"],
            "completion": comp,
            "messages": sample.get("messages"),
            "n_errors": len(new_errors),
            "errors": new_errors,
            "mask_spans": mask_spans_of(new_errors),
        }
        if chat_form_of(sample) is not None:
            columns.update(rewritten_chat_columns(job.parent, sample, columns))
        else:
            if columns["messages"]:  # the style's own chat layout: the reply is the completion
                columns["messages"] = [dict(m) for m in columns["messages"]]
                columns["messages"][-1]["content"] = comp
            columns["completions"] = sample.get("completions")  # form prm: same steps, labels
            columns["labels"] = sample.get("labels")
        return self.sample_row(job, result, columns)
