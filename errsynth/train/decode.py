"""Next-token logits for batched decoding: full recomputation or a KV cache.

Both give, for each live row, the logits after its whole sequence (the last
``block_size`` tokens of it), with the rows left-padded into one batch, positions counted
from each row's first token and padded keys masked; they differ only in cost.

:class:`FullContext` recomputes the whole window for every new token (O(T²) per token).
:class:`CachedContext` runs the prompts once (prefill) and then only the newest token of
every row, attending to the keys and values cached so far. Rows that finish leave the
cache. It stays exact at the window's edge: when the cache would outgrow ``block_size``
while every row still fits, the rows are prefilled again; once a row is longer than the
window (positions would slide), it recomputes the window every step, as
:class:`FullContext` does.
"""

from __future__ import annotations

import torch

from errsynth.train.model import GPT, KVCache


def left_padded(
    rows: list[list[int]], pad_id: int, device: str | torch.device
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """ids (B, L), valid (B, L), positions (B, L), and the causal key mask (B, 1, L, L)."""
    L = max(len(r) for r in rows)
    idx = torch.full((len(rows), L), pad_id, dtype=torch.long, device=device)
    valid = torch.zeros((len(rows), L), dtype=torch.bool, device=device)
    for j, r in enumerate(rows):
        idx[j, L - len(r) :] = torch.tensor(r, device=device)
        valid[j, L - len(r) :] = True
    pos = (valid.long().cumsum(1) - 1).clamp_min(0)
    causal = torch.ones(L, L, dtype=torch.bool, device=device).tril()
    # a padded query sees itself only (never an empty row of the mask)
    mask = (causal.unsqueeze(0) & valid.unsqueeze(1)) | torch.eye(
        L, dtype=torch.bool, device=device
    )
    return idx, valid, pos, mask.unsqueeze(1)


class FullContext:
    """Logits from the whole (windowed) sequence of every live row, every step."""

    def __init__(self, model: GPT, pad_id: int, device: str | torch.device) -> None:
        self.model = model
        self.pad_id = pad_id
        self.device = device
        self.T = model.cfg.block_size

    def logits(self, seqs: list[list[int]], live: list[int]) -> torch.Tensor:
        idx, _, pos, mask = left_padded(
            [seqs[i][-self.T :] for i in live], self.pad_id, self.device
        )
        return self.model(idx, pos=pos, mask=mask)[:, -1, :].float()


class CachedContext(FullContext):
    """Logits of the newest token of every live row, attending to cached keys/values.

    Between calls every live row has grown by exactly one token (the one just chosen),
    and rows only ever leave (finished); the caller's ``live`` list keeps their order.
    """

    def __init__(self, model: GPT, pad_id: int, device: str | torch.device) -> None:
        super().__init__(model, pad_id, device)
        self.cache: KVCache | None = None
        self.rows: list[int] = []
        self.valid = torch.zeros((0, 0), dtype=torch.bool)
        self.next_pos = torch.zeros((0, 1), dtype=torch.long)
        self.sliding = False

    def logits(self, seqs: list[list[int]], live: list[int]) -> torch.Tensor:
        if self.sliding or any(len(seqs[i]) > self.T for i in live):
            self.sliding, self.cache = True, None  # positions slide: recompute the window
            return super().logits(seqs, live)
        if self.cache is not None and live != self.rows:
            where = {r: j for j, r in enumerate(self.rows)}
            keep = torch.tensor([where[i] for i in live], dtype=torch.long, device=self.device)
            self.cache.keep_rows(keep)
            self.valid = self.valid.index_select(0, keep)
            self.next_pos = self.next_pos.index_select(0, keep)
            self.rows = list(live)
        if self.cache is None or len(self.cache) + 1 > self.T:
            return self._prefill(seqs, live)
        idx = torch.tensor([[seqs[i][-1]] for i in live], dtype=torch.long, device=self.device)
        new = torch.ones((len(live), 1), dtype=torch.bool, device=self.device)
        self.valid = torch.cat((self.valid, new), dim=1)
        mask = self.valid[:, None, None, :]  # (B, 1, 1, keys): the new token sees every key
        out = self.model(idx, pos=self.next_pos, mask=mask, cache=self.cache)
        self.next_pos = self.next_pos + 1
        return out[:, -1, :].float()

    def _prefill(self, seqs: list[list[int]], live: list[int]) -> torch.Tensor:
        idx, valid, pos, mask = left_padded([seqs[i] for i in live], self.pad_id, self.device)
        self.cache = KVCache(len(self.model.blocks), self.T)
        out = self.model(idx, pos=pos, mask=mask, cache=self.cache)
        self.rows = list(live)
        self.valid = valid
        self.next_pos = valid.sum(1, keepdim=True)
        return out[:, -1, :].float()
