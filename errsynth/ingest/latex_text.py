"""LaTeX-aware text utilities for math solutions: boxed answers and step splitting.

``find_boxed`` / ``last_boxed`` locate ``\\boxed{...}`` / ``\\fbox{...}`` answers the way
the MATH benchmark does (the answer is the content of the *last* box).

``split_steps`` cuts a LaTeX/prose solution into "steps" for a model that sees one step at
a time.  It is a single left-to-right scanner over a stack of open groups (text braces,
inline math, display math, environments, ``[asy]`` figures).  Boundaries are only ever
placed while that stack is empty, i.e. in top-level prose, so a step never starts or ends
inside ``$...$``, ``\\(...\\)``, braces, ``\\text{...}``, display math or a figure.

Boundary rules (all at top level only):

* **Sentence end** -- a run of ``.``/``!``/``?`` (plus closing quotes/parens) followed by
  whitespace and then a capital letter (optionally after an opening ``(`` or quote),
  ``\\`` or ``$``; or followed, with or without whitespace, by a display opener (``$$``,
  ``\\[``, ``\\begin``, ``[asy]``); or by the end of the text.  A ``.`` is *not* a
  sentence end when it is part of ``..``/``...``, follows an ellipsis command
  (``\\ldots.``), ends an abbreviation (``e.g.``, ``i.e.``, ``vs.``, ``Mr.``, ``Dr.``,
  ``Fig.``, dotted forms like ``U.S.``, ``No.`` before a number), an initial
  (``J. R. R. Tolkien``, ``John F. Kennedy``; but ``from bag A. Then`` and
  ``Person A. Therefore`` do end sentences), or an enumeration label at line start
  (``1. Foo``, ``A. $43$``) or after ``Step``/``Case``/``Part``.  Decimals (``3.5``) never
  qualify because no whitespace follows the dot.  ``etc.`` is deliberately *not* an
  abbreviation: in MATH every ``etc.`` followed by a capital ends a sentence, and a
  mid-sentence ``etc.`` is followed by lowercase text, which never splits anyway.
* **Sentence end inside math** -- inline math (or a text brace) whose content ends with
  ``.`` (``... less than $x.$ Then ...``, common in MATH) is a sentence end at its closing
  delimiter, with the same follow-up condition.
* **Paragraphs** -- a blank line, ``\\par``, ``\\item``, or a new line starting with a list
  marker (``1.``, ``2)``, ``A.``, ``b)``, ``(a)``, ``-``, ``*``).  A blank line is *not* a boundary when the
  next line starts lowercase (a sentence resumed after a display) or when it separates
  an unfinished lead-in (no final ``.!?``) from the math it introduces -- MATH often
  surrounds displays with blank lines ("We have<blank>$$...$$<blank>feet.").
* **Display blocks** (``$$...$$``, ``\\[...\\]``, any ``\\begin{env}...\\end{env}`` opened in
  prose except list environments, ``[asy]...[/asy]``).  A display is a step of its own
  when it stands alone: it starts a new step only if the text before it already ended
  (sentence end, paragraph break, start of text); otherwise it is *attached* to the
  sentence that introduces it ("so", "we get:", "Then").  After it: lowercase text
  ("...\\]so", "\\] where ...") continues the same step, even if the display ends with a
  period (MATH writes ``\\[a = b \\dotsm.\\]where``); otherwise a display ending in
  ``.!?`` ends the step, and an unpunctuated one ends it unless ``,;:.)`` or another
  display follows.  Figures (``[asy]``) always end their step.  Rationale: a step
  should be a self-contained unit of reasoning that a model can read or rewrite; a
  lead-in like "Then" or a tail like "which means $r=7$." is meaningless on its own,
  while a displayed equation introduced by a finished sentence is a natural step.
* **Parenthetical asides** -- sentence ends inside a top-level ``( ... )`` are held back
  and dropped when the ``)`` arrives, so "(Be careful! We may be wrong.)" stays one
  step; if the paragraph ends first the ``(`` was stray and the held cuts are kept.

Robustness: escaped ``\\$``, ``\\{``, ``\\}`` are literals (``\\$5.00`` is money), ``\\\\`` is
a line break (so ``\\\\$`` does open math).  Unbalanced delimiters never raise: an opener
that is never closed suppresses every later boundary (the rest is one step); stray
closers are ignored; a closer whose opener is buried under unclosed groups (searched up
to 64 levels) closes them all; inside math, ``$`` closes only an inline ``$`` group.
``%`` comments are not interpreted.  Spans always partition ``text`` up to whitespace:
they are in order, non-overlapping, stripped, non-empty and cover every non-whitespace
character.  Runtime is linear in the input (about 12k MATH solutions/s on one core).
"""

from __future__ import annotations

import re
from itertools import pairwise

__all__ = ["find_boxed", "last_boxed", "split_steps", "step_texts"]

# --------------------------------------------------------------------------------------
# Boxed answers
# --------------------------------------------------------------------------------------

_BOX_CMD = re.compile(r"\\(?:boxed|fbox)(?![A-Za-z])")
_BRACE_TOK = re.compile(r"[{}\\]")
_WS = re.compile(r"\s*")
_BARE_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|[^\s$\\{}&]+", re.S)


def _preceding_backslashes(text: str, i: int) -> int:
    """Number of consecutive backslashes immediately before index ``i``."""
    k = i
    while k > 0 and text[k - 1] == "\\":
        k -= 1
    return i - k


def _brace_pairs(text: str, pos: int) -> dict[int, int]:
    """Map each ``{`` at or after ``pos`` to its matching ``}`` (``\\{``/``\\}`` skipped).

    One pass, so many (possibly unclosed) boxes stay linear.  Starting at ``pos`` is
    exact: where a brace closes depends only on the text after it.
    """
    pairs: dict[int, int] = {}
    opens: list[int] = []
    search = _BRACE_TOK.search
    while (m := search(text, pos)) is not None:
        c = m.group()
        if c == "\\":
            pos = m.end() + 1  # skip the escaped character, whatever it is
            continue
        pos = m.end()
        if c == "{":
            opens.append(m.start())
        elif opens:
            pairs[opens.pop()] = m.start()
    return pairs


def find_boxed(text: str) -> list[tuple[int, int, str]]:
    """Every ``\\boxed``/``\\fbox`` in ``text`` as ``(start, end, content)``.

    ``start`` is the index of the command's backslash and ``end`` is one past the closing
    brace (or past the bare token), so ``text[start:end]`` is the whole box.  ``content``
    is the exact text between the braces.  Nested boxes are all reported, ordered by
    ``start``.  The brace-less form ``\\boxed 5`` takes one token: a command (``\\pi``) or a
    run of characters up to whitespace/``$``/braces, without trailing ``.,;:`` (TeX would
    take a single character, but ``\\boxed 12`` means 12 in practice).  Unclosed boxes
    and boxes with no argument are skipped.
    """
    out: list[tuple[int, int, str]] = []
    n = len(text)
    pairs: dict[int, int] | None = None
    for m in _BOX_CMD.finditer(text):
        start = m.start()
        if _preceding_backslashes(text, start) % 2:
            continue  # "\\boxed" is a line break followed by the word "boxed"
        j = _WS.match(text, m.end()).end()
        if j < n and text[j] == "{":
            if pairs is None:
                pairs = _brace_pairs(text, j)
            close = pairs.get(j)
            if close is not None:
                out.append((start, close + 1, text[j + 1 : close]))
            continue
        if j >= n or text[j] in "}$&":
            continue
        t = _BARE_TOKEN.match(text, j)
        if t is None:
            continue
        tok = t.group()
        if tok[0] != "\\":
            tok = tok.rstrip(".,;:")
        if tok:
            out.append((start, j + len(tok), tok))
    return out


def last_boxed(text: str) -> str | None:
    """Content of the last box in ``text`` (MATH convention for the final answer).

    "Last" means the box that starts last; for nested boxes that is the innermost one,
    matching the reference ``rfind("\\\\boxed")`` behaviour.  ``None`` if there is no box.
    """
    boxes = find_boxed(text)
    return boxes[-1][2] if boxes else None


# --------------------------------------------------------------------------------------
# Step splitting
# --------------------------------------------------------------------------------------

# Frame kinds.
_TBRACE = 0  # "{" opened in text mode
_TCMD = 1  # "\text{" (and friends) opened in math mode: text mode inside
_INLINE_D = 2  # $...$
_INLINE_P = 3  # \(...\)
_DISP_D = 4  # $$...$$
_DISP_B = 5  # \[...\]
_ENV = 6  # \begin{name}...\end{name}
_ASY = 7  # [asy]...[/asy]

_RECOVERY_DEPTH = 64
_TEXT_KINDS = frozenset({_TBRACE, _TCMD})
_DISPLAY_KINDS = frozenset({_DISP_D, _DISP_B, _ENV, _ASY})

_MATH_ENVS = frozenset(
    {
        "equation", "equation*", "align", "align*", "alignat", "alignat*", "eqnarray",
        "eqnarray*", "gather", "gather*", "multline", "multline*", "flalign", "flalign*",
        "displaymath", "math", "split", "aligned", "gathered", "array", "cases", "matrix",
        "pmatrix", "bmatrix", "Bmatrix", "vmatrix", "Vmatrix", "smallmatrix", "subequations",
    }
)  # fmt: skip
_LIST_ENVS = frozenset({"itemize", "enumerate", "description"})

# Text mode: environments, \item/\par, \( \[ \) \] and other control symbols (which also
# swallows escapes such as \$ \{ \} \\), dollars, braces, figures, blank lines / list
# markers at line start, and sentence-final punctuation.  Other commands are letters
# only and are skipped by the regex engine, which keeps the token count low.
_TEXT_TOK = re.compile(
    r"\\(?:begin|end)[ \t]*\{([A-Za-z*@]+)\}"
    r"|\\(?:item|par)(?![A-Za-z])"
    r"|\\[^A-Za-z]"
    r"|\$\$?"
    r"|[{}()]"
    r"|\[asy\]"
    r"|\n[ \t]*(?:\n\s*|(?=(?:\d{1,3}[.)]|[A-Z][.)]|[a-z]\)|[-*•]|\([A-Za-z0-9]{1,4}\))[ \t]))"
    r"|[.!?]+[\"')’”]*",
    re.S,
)
# Math mode: only what can change the mode or close the group matters.
_MATH_TOK = re.compile(
    r"(\\(?:text(?:bf|it|rm|sf|tt|sl|sc|up|md|normal)?|mbox|hbox|intertext|emph)[ \t]*\{)"
    r"|\\end[ \t]*\{([A-Za-z*@]+)\}"
    r"|\\[^A-Za-z]"
    r"|\$\$?",
    re.S,
)

_PREV_WORD = re.compile(r"(?:\\?[A-Za-z][A-Za-z.]*|\d+)\Z")
_LOWER_WORD_BEFORE = re.compile(r"(?<![A-Za-z])([a-z]+)[ \t]*\Z")
_ENUM_PREFIX = re.compile(r"(?:^|\n)[ \t]*\Z|(?:Step|Case|Part|Problem|Example|Exercise)[ \t]+\Z")
_NEXT_WORD = re.compile(r"\s+([A-Z][A-Za-z]*)(\.?)")

_ABBREVIATIONS = frozenset(
    {
        "e.g", "i.e", "vs", "v", "cf", "viz", "al", "approx", "resp", "mr", "mrs", "ms",
        "dr", "prof", "sr", "jr", "st", "mt", "fig", "figs", "eq", "eqs", "eqn", "vol",
        "pp", "ch", "thm", "lem", "prop", "cor", "def", "ex",
    }
)  # fmt: skip
_NUMBER_ABBREVIATIONS = frozenset({"no", "nos"})  # abbreviations only before a number
_ELLIPSIS_CMDS = frozenset({"\\ldots", "\\dots", "\\cdots", "\\dotsc", "\\dotsb", "\\dotso"})
# Capitalised words that start sentences, so "Person A. Then" is a sentence end, not an
# initial as in "John F. Kennedy".
_SENTENCE_STARTERS = frozenset(
    {
        "The", "Then", "Thus", "So", "Therefore", "Hence", "Since", "If", "We", "Now",
        "Next", "Note", "This", "That", "These", "There", "It", "In", "For", "But", "And",
        "Also", "Finally", "Similarly", "Because", "As", "When", "Let", "Suppose",
        "Consider", "Our", "Its", "Each", "All", "However", "Otherwise", "Notice",
        "Observe", "Recall", "Using", "By", "From", "To", "With", "Here", "One", "Two",
        "Three", "Adding", "Subtracting", "Multiplying", "Dividing", "Substituting",
        "Solving", "Setting", "Combining", "Plugging", "Simplifying", "Expanding",
        "Factoring", "Alternatively", "Moreover", "Furthermore", "Additionally", "Lastly",
        "First", "Second", "Third", "Any", "No", "Not", "Only", "What", "Which",
    }
)  # fmt: skip
_TRAILING_SPACING = (
    "\\\\", "\\,", "\\;", "\\:", "\\!", "\\ ", "~", "\\quad", "\\qquad",
    "\\nonumber", "\\notag", "\\hfill",
)  # fmt: skip
_CONTINUATION_CHARS = frozenset(",.;:!?)]")
_TERMINATORS = frozenset(".!?")
_CLOSERS = frozenset("\"')’”")
_OPENING_QUOTES = frozenset("(\"“‘`'")
_MATH_OPENERS = ("$", "\\[", "\\(", "\\begin", "[asy]")


def _content_tail(text: str, a: int, b: int) -> str:
    """``text[a:b]`` without trailing whitespace and spacing commands (``\\,``, ``\\quad``...)."""
    s = text[a:b].rstrip()
    changed = True
    while s and changed:
        changed = False
        for suf in _TRAILING_SPACING:
            if s.endswith(suf):
                s = s[: -len(suf)].rstrip()
                changed = True
                break
    return s


def _ends_with_single_period(text: str, a: int, b: int) -> bool:
    """True when ``text[a:b]`` ends with a sentence period (not ``..`` or ``\\ldots.``)."""
    s = _content_tail(text, a, b)
    if not s.endswith(".") or s.endswith(".."):
        return False
    body = s[:-1]
    return not any(body.endswith(cmd) for cmd in _ELLIPSIS_CMDS)


def _sentence_follows(text: str, pos: int) -> bool:
    """Whether what follows ``pos`` lets a sentence terminator just before it end a step."""
    n = len(text)
    j = _WS.match(text, pos).end()
    if j >= n:
        return True
    c = text[j]
    if c == "$":
        if j + 1 < n and text[j + 1] == "$":
            return True  # display math right after the period
        return j > pos
    if c == "\\":
        if text.startswith("\\[", j) or text.startswith("\\begin", j):
            return True
        return j > pos and not text.startswith("\\\\", j)
    if text.startswith("[asy]", j):
        return True
    if j == pos:
        return False
    if c in _OPENING_QUOTES and j + 1 < n:
        c = text[j + 1]  # '(Note that ...' or '"Why?"' also start a sentence
    return c.isupper()


def _paragraph_breaks(text: str, start: int, pos: int) -> bool:
    """Whether the line break token ``text[start:pos]`` really separates steps.

    A new line starting with a list marker always does.  A blank line does, except when
    the text after it is lowercase (a sentence resumed after a display: "...\\]<blank>
    feet.") or when it separates an unfinished lead-in from the math it introduces
    ("We have<blank>\\[...\\]", "Then,<blank>$1000S = 283.\\overline{283}$") -- MATH
    often puts blank lines around displays, and sometimes uses ``$...$`` as a display.
    """
    if "\n" not in text[start + 1 : pos]:
        return True  # list marker
    if pos >= len(text):
        return True
    c = text[pos]  # the token already swallowed all following whitespace
    if c.islower():
        return False
    if text.startswith(_MATH_OPENERS, pos):
        k = start
        while k > 0 and text[k - 1].isspace():
            k -= 1
        while k > 0 and text[k - 1] in _CLOSERS:
            k -= 1
        return k > 0 and text[k - 1] in _TERMINATORS
    return True


def _display_continues(text: str, pos: int) -> bool:
    """After a display without final punctuation: does the same sentence go on?"""
    j = _WS.match(text, pos).end()
    if j >= len(text):
        return False
    c = text[j]
    if c.islower() or c in _CONTINUATION_CHARS:
        return True
    if c == "$":
        return text.startswith("$$", j)  # chained displays stay together
    return c == "\\" and (text.startswith("\\[", j) or text.startswith("\\begin", j))


def _is_abbreviation_period(text: str, dot: int, end: int) -> bool:
    """Whether the single ``.`` at ``dot`` belongs to an abbreviation/initial/label."""
    w = _PREV_WORD.search(text, max(0, dot - 24), dot)
    if w is None:
        return False
    word = w.group()
    if word[0] == "\\":
        return word in _ELLIPSIS_CMDS
    if word[0].isdigit():
        # "1. Foo" at the start of a line, or "Case 2. ..." is a label, not a sentence end.
        return _ENUM_PREFIX.search(text, max(0, w.start() - 16), w.start()) is not None
    lw = word.lower()
    if lw in _ABBREVIATIONS:
        return True
    if lw in _NUMBER_ABBREVIATIONS:
        j = _WS.match(text, end).end()
        return j < len(text) and (text[j].isdigit() or text[j] in "#$")
    if "." in word:  # dotted forms: U.S., a.m., Ph.D
        return all(len(part) <= 2 for part in word.split("."))
    if len(word) == 1 and word.isupper():
        if _ENUM_PREFIX.search(text, max(0, w.start() - 16), w.start()) is not None:
            return True  # "A. $43$" option label at line start
        nxt = _NEXT_WORD.match(text, end)
        if nxt is not None and len(nxt.group(1)) == 1 and nxt.group(2):
            return True  # "J. R. R." -- followed by another initial
        if _LOWER_WORD_BEFORE.search(text, max(0, w.start() - 32), w.start()):
            return False  # "from bag A. If" -- a label ending a sentence
        return nxt is not None and nxt.group(1) not in _SENTENCE_STARTERS
    return False


def split_steps(text: str) -> list[tuple[int, int]]:
    """Split a LaTeX/prose solution into step spans ``(start, end)`` of ``text``.

    See the module docstring for the boundary rules.  Spans are in order,
    non-overlapping, whitespace-trimmed, non-empty, and together cover every
    non-whitespace character of ``text``.  Never raises on malformed input.
    """
    n = len(text)
    cuts: list[int] = [0]
    # Frames: (kind, content_start, env_name).  Mode is derived from the top frame.
    stack: list[tuple[int, int, str]] = []
    pos = 0
    text_search = _TEXT_TOK.search
    math_search = _MATH_TOK.search

    # Parentheses in top-level prose are a *soft* group: cuts inside "(Note: ... . ... .)"
    # are held back and dropped when the ")" arrives, but committed if the paragraph (or
    # the text) ends first, so a stray "(" cannot swallow more than its paragraph.
    paren_depth = 0
    pending: list[int] = []

    def cut(at: int) -> None:
        if paren_depth:
            pending.append(at)
        elif at > cuts[-1]:
            cuts.append(at)

    def commit_pending() -> None:
        """The open "(" turned out to be stray: keep the cuts it was holding back."""
        nonlocal paren_depth
        for p in pending:
            if p > cuts[-1]:
                cuts.append(p)
        pending.clear()
        paren_depth = 0

    def paragraph_cut(at: int) -> None:
        if paren_depth:
            commit_pending()
        cut(at)

    def close_parens(count: int) -> None:
        nonlocal paren_depth
        if paren_depth:
            paren_depth = max(0, paren_depth - count)
            if not paren_depth:
                pending.clear()

    def pop_to(kind: int, name: str | None = None) -> tuple[int, int, str] | None:
        """Pop the innermost frame of ``kind`` (and anything unclosed above it).

        Only the top ``_RECOVERY_DEPTH`` frames are searched, which keeps adversarial
        input ("{" * 10**5 followed by stray closers) linear.
        """
        for k in range(len(stack) - 1, max(-1, len(stack) - 1 - _RECOVERY_DEPTH), -1):
            if stack[k][0] == kind and (name is None or stack[k][2] == name):
                frame = stack[k]
                del stack[k:]
                return frame
        return None

    def closed_at_top(frame: tuple[int, int, str], content_end: int, after: int) -> None:
        """Boundary decision when ``frame`` closed and we are back in top-level prose."""
        kind = frame[0]
        if kind == _ASY:
            cut(after)
        elif kind in _DISPLAY_KINDS:
            # Lowercase text right after a display resumes its sentence even when the display
            # ends with a period ("...\\dotsm.\\]where $x < 1$"); otherwise a final
            # period ends the step, and an unpunctuated display ends it unless the text
            # goes on with ",;:" etc. or another display.
            j = _WS.match(text, after).end()
            if j < len(text) and text[j].islower():
                return
            tail = _content_tail(text, frame[1], content_end)
            if tail[-1:] in _TERMINATORS or not _display_continues(text, after):
                cut(after)
        elif _ends_with_single_period(text, frame[1], content_end) and _sentence_follows(
            text, after
        ):
            cut(after)

    while pos < n:
        if stack:
            top = stack[-1][0]
            if top == _ASY:
                end = text.find("[/asy]", pos)
                if end < 0:
                    break  # unclosed figure: the rest is one step
                frame = stack.pop()
                pos = end + 6
                if not stack:
                    closed_at_top(frame, end, pos)
                continue
            in_text = top in _TEXT_KINDS or (top == _ENV and stack[-1][2] not in _MATH_ENVS)
        else:
            in_text = True

        if not in_text:
            m = math_search(text, pos)
            if m is None:
                break
            tok = m.group()
            pos = m.end()
            c0 = tok[0]
            if c0 == "$":
                top = stack[-1][0]
                if top == _INLINE_D:
                    pos = m.start() + 1  # "$x$$y$" is two inline maths, as in TeX
                    frame = stack.pop()
                    if not stack:
                        closed_at_top(frame, m.start(), pos)
                elif top == _DISP_D and tok == "$$":
                    frame = stack.pop()
                    if not stack:
                        closed_at_top(frame, m.start(), pos)
                # any other "$" inside math is a TeX error; treat it as a literal
            elif m.group(2) is not None:  # \end{name}
                frame = pop_to(_ENV, m.group(2))
                if frame is not None and not stack:
                    closed_at_top(frame, m.start(), pos)
            elif m.group(1) is not None:  # \text{ ... } switches back to text mode
                stack.append((_TCMD, pos, ""))
            elif tok == "\\)" or tok == "\\]":
                frame = pop_to(_INLINE_P if tok == "\\)" else _DISP_B)
                if frame is not None and not stack:
                    closed_at_top(frame, m.start(), pos)
            continue

        # ---- text mode ----
        m = text_search(text, pos)
        if m is None:
            break
        tok = m.group()
        start = m.start()
        pos = m.end()
        c0 = tok[0]
        top_level = not stack
        if c0 == "\\":
            if m.group(1) is not None:
                name = m.group(1)
                if tok[1] == "b":  # \begin{name}
                    if name not in _LIST_ENVS:
                        stack.append((_ENV, pos, name))
                else:  # \end{name}
                    frame = pop_to(_ENV, name)
                    if frame is not None and not stack:
                        closed_at_top(frame, start, pos)
            elif len(tok) == 2:
                sym = tok[1]
                if sym == "(":
                    stack.append((_INLINE_P, pos, ""))
                elif sym == "[":
                    stack.append((_DISP_B, pos, ""))
                elif sym in ")]":
                    frame = pop_to(_INLINE_P if sym == ")" else _DISP_B)
                    if frame is not None and not stack:
                        closed_at_top(frame, start, pos)
                # other control symbols (\$ \{ \} \\ \, ...) are literals
            elif top_level:  # \item or \par
                paragraph_cut(start if tok[1] == "i" else pos)
        elif c0 == "$":
            stack.append((_DISP_D if tok == "$$" else _INLINE_D, pos, ""))
        elif c0 == "{":
            stack.append((_TBRACE, pos, ""))
        elif c0 == "}":
            if stack and stack[-1][0] in _TEXT_KINDS:
                frame = stack.pop()
                if not stack:
                    closed_at_top(frame, start, pos)
            # a stray "}" is ignored
        elif c0 == "[":
            stack.append((_ASY, pos, ""))
        elif c0 == "\n":
            if top_level and _paragraph_breaks(text, start, pos):
                paragraph_cut(pos)
        elif c0 == "(":
            if top_level:
                paren_depth += 1
        elif c0 == ")":
            if top_level:
                close_parens(1)
        elif top_level:  # sentence punctuation
            run = tok.rstrip("\"')’”")
            if len(run) < len(tok):
                close_parens(tok.count(")", len(run)))
            if ".." in run:
                continue  # ellipsis
            if run == "." and _is_abbreviation_period(text, start, pos):
                continue
            if _sentence_follows(text, pos):
                cut(pos)

    if paren_depth:
        commit_pending()
    cuts.append(n)
    spans: list[tuple[int, int]] = []
    for a, b in pairwise(cuts):
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a < b:
            spans.append((a, b))
    return spans


def step_texts(text: str) -> list[str]:
    """The step strings of ``text``: ``[text[s:e] for s, e in split_steps(text)]``."""
    return [text[s:e] for s, e in split_steps(text)]
