"""Connected components of a duplicate graph, labelled by their smallest node.

Nodes are keep-order ranks, so a component's label is its first member in keep
order: the row it keeps. The algorithm is min-label propagation with pointer
jumping, all numpy: each round pulls both ends of every edge to the smaller of
their labels, then shortcuts `label = label[label]` until stable. Labels only
decrease and always name a node of the same component, so at the fixpoint every
component carries its minimum node.
"""

from __future__ import annotations

import numpy as np


def min_label_components(n: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """`label[i]` = the smallest node connected to node `i` (nodes 0..n-1)."""
    labels = np.arange(n, dtype=np.int64)
    if src.size == 0:
        return labels
    src = src.astype(np.int64, copy=False)
    dst = dst.astype(np.int64, copy=False)
    while True:
        low = np.minimum(labels[src], labels[dst])
        new = labels.copy()
        np.minimum.at(new, src, low)
        np.minimum.at(new, dst, low)
        while True:
            jumped = new[new]
            if np.array_equal(jumped, new):
                break
            new = jumped
        if np.array_equal(new, labels):
            return labels
        labels = new
