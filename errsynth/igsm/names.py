"""Split parameter names ``"X's Y"`` into owner and item.

Names may hold apostrophes themselves ("Sam's Club", "Marc's", "Jungle Jim's International
Market"), so ``"Governor's District's Sam's Club"`` has three readings. The parameter's
own text cannot choose; the other names of the problem usually can.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Mapping

from errsynth.igsm.errors import IgsmParseError

__all__ = ["LayerLookup", "candidate_splits", "split_params"]

#: Absolute layer (0 = top category) of an item or category name, or None when unknown.
LayerLookup = Callable[[str], int | None]

_SEP = "'s "


def candidate_splits(param: str) -> list[tuple[str, str]]:
    """Every ``(owner, item)`` reading of ``param``, one per ``"'s "`` in it."""
    out: list[tuple[str, str]] = []
    i = param.find(_SEP)
    while i != -1:
        out.append((param[:i], param[i + 3 :]))
        i = param.find(_SEP, i + 1)
    if not out:
        raise IgsmParseError(f'parameter {param!r} is not of the form "X\'s Y"')
    return out


def split_params(
    params: Iterable[str],
    anchors: Mapping[str, tuple[str, str]] | None = None,
    lookup: LayerLookup | None = None,
    defined: Container[str] = frozenset(),
) -> dict[str, tuple[str, str]]:
    """Split every parameter name into ``(owner, item)``.

    Evidence, strongest first: ``anchors`` (the question states its split), a vocabulary
    ``lookup`` (a reading whose two halves are known names), names fixed by unambiguous
    parameters of the same problem (iterated to a fixed point), names shared between the
    readings of still-ambiguous parameters. Names keep their role: owners and the items of
    ``defined`` parameters are items, the items of undefined parameters are categories, and
    a reading that would give a name both roles is dropped. What is left is a name whose
    halves occur nowhere else, so any reading gives an isomorphic hierarchy; it takes the
    reading that leaves the fewest apostrophes in either half, then the last ``"'s "``
    (category names never hold one, and ``"A's B's C"`` mostly reads ``"A's B"`` + ``"C"``),
    settling the clearest parameter first and feeding its names back as evidence.
    """
    fixed: dict[str, tuple[str, str]] = dict(anchors or {})
    ambiguous: dict[str, list[tuple[str, str]]] = {}
    for p in params:
        if p in fixed:
            continue
        cands = candidate_splits(p)
        if len(cands) == 1:
            fixed[p] = cands[0]
            continue
        if lookup is not None:
            good = [c for c in cands if lookup(c[0]) is not None and lookup(c[1]) is not None]
            if len(good) == 1:
                fixed[p] = good[0]
                continue
        ambiguous[p] = cands
    while ambiguous:
        items = {o for o, _ in fixed.values()}
        items.update(i for p, (_, i) in fixed.items() if p in defined)
        cats = {i for p, (_, i) in fixed.items() if p not in defined}
        progress = False
        for p, cands in list(ambiguous.items()):
            is_def = p in defined
            fit = [
                c
                for c in cands
                if c[0] not in cats and (c[1] not in cats if is_def else c[1] not in items)
            ]
            if len(fit) == 1:
                fixed[p] = fit[0]
                del ambiguous[p]
                progress = True
                continue
            fit = fit or cands
            ambiguous[p] = fit
            scores = [(c[0] in items) + (c[1] in (items if is_def else cats)) for c in fit]
            best = max(scores)
            if best > 0 and scores.count(best) == 1:
                fixed[p] = fit[scores.index(best)]
                del ambiguous[p]
                progress = True
        if progress:
            continue
        shared: dict[str, int] = {}
        for cands in ambiguous.values():
            for name in {n for c in cands for n in c}:
                shared[name] = shared.get(name, 0) + 1
        for p, cands in list(ambiguous.items()):
            scores = [shared[c[0]] + shared[c[1]] for c in cands]
            best = max(scores)
            if best > 2 and scores.count(best) == 1:
                fixed[p] = cands[scores.index(best)]
                del ambiguous[p]
                progress = True
                break
        if not progress:
            p, cands = min(ambiguous.items(), key=lambda kv: _prior_rank(kv[1]))
            fixed[p] = _prior_best(cands)
            del ambiguous[p]
    return fixed


def _prior(split: tuple[str, str]) -> int:
    """Apostrophes left in the busier half: names rarely hold more than one."""
    return max(split[0].count(_SEP), split[1].count(_SEP))


def _prior_best(cands: list[tuple[str, str]]) -> tuple[str, str]:
    best = min(_prior(c) for c in cands)
    return [c for c in cands if _prior(c) == best][-1]


def _prior_rank(cands: list[tuple[str, str]]) -> tuple[int, int]:
    """Settle first the parameter whose prior reading is clearest."""
    scores = sorted(_prior(c) for c in cands)
    return (0 if len(scores) == 1 or scores[0] < scores[1] else 1, scores[0])
