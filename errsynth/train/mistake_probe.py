"""A Mistake Log of a finished run's model: where the trained model still errs.

The in-training log (:mod:`errsynth.train.mistake_log`) shows how the model errs while it
learns; this one replays batches of the training data through the final model.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from errsynth.train.config import MistakeLogConfig, TrainConfig
from errsynth.train.data import BlockStream, encode_sample, input_documents, load_samples
from errsynth.train.loop import load_run
from errsynth.train.mistake_log import MistakeLogger


def log_trained_model(
    run: str | Path,
    out: str | Path,
    data: list[str | Path] | None = None,
    batches: int = 20,
    cfg: MistakeLogConfig | None = None,
) -> Path:
    """A Mistake Log of a finished run's model over ``batches`` of its training data.

    The in-training log shows how the model errs while it learns; this one, written to
    ``out`` (a folder), shows where the trained model still errs (what the ``mistake_log``
    placement of ``igsm_retry`` wants). ``train_step`` is the run's final step.
    """
    model, tok, meta = load_run(run)
    tc = TrainConfig.from_stored(meta["train"])
    samples = load_samples(data or meta["data"])
    encoded = [encode_sample(tok, s, tc.loss_on, tc.mask) for s in samples]
    stream = BlockStream(encoded, tc.model.block_size, tc.batch_size, tc.seed + 1, tok.eos_id)
    step = json.loads((Path(run) / "summary.json").read_text())["steps"]
    logger = MistakeLogger(Path(out), cfg or MistakeLogConfig(every=1), tok, samples, encoded)
    with torch.no_grad():
        for b in range(batches):
            batch = stream.batch(b)
            doc = torch.from_numpy(input_documents(batch["sample"])) if tc.doc_mask else None
            logits = model(torch.from_numpy(batch["ids"][:, :-1]).long(), doc=doc)
            logger.record(step, logits, batch)
    logger.close()
    return Path(out)
