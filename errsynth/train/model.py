"""A small decoder-only GPT (nanoGPT-like): pre-norm blocks, SDPA attention, tied weights.

Three ways to run it:

* plain causal attention over the whole sequence (``model(idx)``);
* document-masked (``model(idx, doc=doc)``): ``doc`` (B, T) names the document of every
  position (packed training blocks); a token attends only to earlier tokens of its own
  document and positions restart at 0 where a document starts, so a packed sample is
  computed exactly as if it stood alone in the block;
* incremental decoding with a :class:`KVCache`: ``model(idx, pos=pos, mask=mask,
  cache=cache)`` appends the keys and values of ``idx`` to the cache and attends to
  everything cached (``mask`` (B, 1, T_new, T_cached + T_new) says which keys count).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from errsynth.train.config import ModelConfig


def rope_tables(T: int, head_dim: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    inv = 1.0 / (10000 ** (torch.arange(0, head_dim, 2, device=device).float() / head_dim))
    ang = torch.outer(torch.arange(T, device=device).float(), inv)  # (T, hd/2)
    return ang.cos(), ang.sin()


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate pairs (x[2i], x[2i+1]); cos/sin are (T, hd/2) or (B, 1, T, hd/2)."""
    x1, x2 = x[..., 0::2], x[..., 1::2]
    out = torch.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1)
    return out.flatten(-2).type_as(x)


class KVCache:
    """Keys and values of every layer for the tokens decoded so far: (B, H, T, head_dim).

    Each layer's buffer is allocated once, for ``capacity`` positions (the model's block),
    and filled in place; attention reads the filled part (a view), so a decoding step
    costs one position, not a copy of everything cached.
    """

    def __init__(self, n_layer: int, capacity: int | None = None) -> None:
        self.capacity = capacity
        self.k: list[torch.Tensor | None] = [None] * n_layer
        self.v: list[torch.Tensor | None] = [None] * n_layer
        self.n = 0  # filled positions (the same in every layer once a forward is done)

    def __len__(self) -> int:
        """Cached positions."""
        return self.n

    def append(
        self, layer: int, k: torch.Tensor, v: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Add this layer's new keys/values; returns all of them (cached, then new)."""
        B, H, T, D = k.shape
        kb, vb = self.k[layer], self.v[layer]
        if kb is None or vb is None:
            cap = max(self.capacity or 0, self.n + T)
            kb = k.new_empty((B, H, cap, D))
            vb = v.new_empty((B, H, cap, D))
            self.k[layer], self.v[layer] = kb, vb
        elif kb.shape[2] < self.n + T:  # past the capacity: grow (never with the block)
            kb = torch.cat((kb[:, :, : self.n], k.new_empty((B, H, T, D))), dim=2)
            vb = torch.cat((vb[:, :, : self.n], v.new_empty((B, H, T, D))), dim=2)
            self.k[layer], self.v[layer] = kb, vb
        kb[:, :, self.n : self.n + T] = k
        vb[:, :, self.n : self.n + T] = v
        end = self.n + T
        if layer == len(self.k) - 1:
            self.n = end
        return kb[:, :, :end], vb[:, :, :end]

    def keep_rows(self, rows: torch.Tensor) -> None:
        """Keep only these batch rows (finished sequences leave the batch)."""
        self.k = [None if k is None else k.index_select(0, rows) for k in self.k]
        self.v = [None if v is None else v.index_select(0, rows) for v in self.v]


def document_mask(doc: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Attention mask (B, 1, T, T) and positions (B, T) for packed documents.

    ``doc`` (B, T) labels each position with its document (any integers; a document is a
    run of equal labels). A query sees the keys of its own document up to itself; the
    positions count from 0 at every document's first token.
    """
    B, T = doc.shape
    ar = torch.arange(T, device=doc.device)
    same = doc.unsqueeze(2) == doc.unsqueeze(1)
    mask = same & (ar.unsqueeze(1) >= ar.unsqueeze(0))
    new = torch.ones_like(doc, dtype=torch.bool)
    new[:, 1:] = doc[:, 1:] != doc[:, :-1]
    start = torch.where(new, ar.expand(B, T), torch.zeros_like(doc)).cummax(dim=1).values
    return mask.unsqueeze(1), ar.unsqueeze(0) - start


class SelfAttention(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.n_head = cfg.n_head
        self.qkv = nn.Linear(cfg.n_embd, 3 * cfg.n_embd, bias=False)
        self.proj = nn.Linear(cfg.n_embd, cfg.n_embd, bias=False)
        self.dropout = cfg.dropout

    def forward(
        self,
        x: torch.Tensor,
        rope: tuple[torch.Tensor, torch.Tensor] | None,
        mask: torch.Tensor | None,
        cache: KVCache | None = None,
        layer: int = 0,
    ) -> torch.Tensor:
        B, T, C = x.shape
        q, k, v = self.qkv(x).view(B, T, 3, self.n_head, C // self.n_head).permute(2, 0, 3, 1, 4)
        if rope is not None:
            q, k = apply_rope(q, *rope), apply_rope(k, *rope)
        if cache is not None:
            k, v = cache.append(layer, k, v)
        drop = self.dropout if self.training else 0.0
        if mask is None:
            if k.shape[2] != T:
                raise ValueError("decoding with a cache needs an explicit attention mask")
            y = F.scaled_dot_product_attention(q, k, v, dropout_p=drop, is_causal=True)
        else:  # (B, 1, T, T_keys) boolean: documents, padding, cached keys
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=drop)
        return self.proj(y.transpose(1, 2).reshape(B, T, C))


class Block(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(cfg.n_embd, bias=False)
        self.attn = SelfAttention(cfg)
        self.ln2 = nn.LayerNorm(cfg.n_embd, bias=False)
        self.fc = nn.Linear(cfg.n_embd, 4 * cfg.n_embd, bias=False)
        self.out = nn.Linear(4 * cfg.n_embd, cfg.n_embd, bias=False)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor, rope, mask, cache=None, layer: int = 0) -> torch.Tensor:
        x = x + self.attn(self.ln1(x), rope, mask, cache, layer)
        return x + self.drop(self.out(F.gelu(self.fc(self.ln2(x)))))


class GPT(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        if cfg.vocab_size <= 0:
            raise ValueError("model.vocab_size must be set (from the tokenizer)")
        self.cfg = cfg
        self.wte = nn.Embedding(cfg.vocab_size, cfg.n_embd)
        self.wpe = nn.Embedding(cfg.block_size, cfg.n_embd) if cfg.pos == "learned" else None
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer))
        self.ln_f = nn.LayerNorm(cfg.n_embd, bias=False)
        self.head = nn.Linear(cfg.n_embd, cfg.vocab_size, bias=False)
        self.head.weight = self.wte.weight  # weight tying
        self.apply(self._init)
        for name, p in self.named_parameters():  # GPT-2's scaled init of residual outputs
            if name.endswith(("attn.proj.weight", ".out.weight")):
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * cfg.n_layer))

    @staticmethod
    def _init(m: nn.Module) -> None:
        if isinstance(m, nn.Linear | nn.Embedding):
            nn.init.normal_(m.weight, 0.0, 0.02)

    def n_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def forward(
        self,
        idx: torch.Tensor,
        pos: torch.Tensor | None = None,
        mask: torch.Tensor | None = None,
        doc: torch.Tensor | None = None,
        cache: KVCache | None = None,
    ) -> torch.Tensor:
        """Logits (B, T, V).

        ``pos`` (B, T) and ``mask`` (B, 1, T, T_keys) for padded batches; ``doc`` (B, T)
        for packed documents (sets both); ``cache`` for incremental decoding.
        """
        T = idx.shape[1]
        past = len(cache) if cache is not None else 0
        if self.cfg.block_size < past + T:
            raise ValueError(f"sequence of {past + T} tokens > block_size {self.cfg.block_size}")
        if doc is not None:
            if mask is not None or pos is not None or cache is not None:
                raise ValueError("doc sets the mask and positions itself")
            mask, pos = document_mask(doc)
        x = self.wte(idx)
        if pos is None:
            pos = torch.arange(past, past + T, device=idx.device).unsqueeze(0)
        rope = None
        if self.wpe is not None:
            x = x + self.wpe(pos)
        else:
            cos, sin = rope_tables(
                self.cfg.block_size, self.cfg.n_embd // self.cfg.n_head, idx.device
            )
            rope = (cos[pos].unsqueeze(1), sin[pos].unsqueeze(1))
        x = self.drop(x)
        for i, blk in enumerate(self.blocks):
            x = blk(x, rope, mask, cache, i)
        return self.head(self.ln_f(x))


def masked_loss(logits: torch.Tensor, targets: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over the targets whose weight is 1."""
    ce = F.cross_entropy(
        logits.float().reshape(-1, logits.size(-1)), targets.reshape(-1), reduction="none"
    )
    w = weights.reshape(-1).to(ce.dtype)
    return (ce * w).sum() / w.sum().clamp_min(1.0)
