"""Recipe steps: one contract (`base`: row, global, driver), the steps, and their order.

- `base`: `Step`, `RowStep`, `GlobalStep`, `DriverStep`; table kinds SOLUTIONS / SAMPLES
- `filters`: `filter`, `decontaminate` (row steps over solutions)
- `dedup`: `dedup_exact`, `dedup_minhash` (global steps over solutions or samples)
- `augment`: `augment` (row step, solutions → samples); `augment_rows`: its unit of work
- `llm`: `llm_correct`, `llm_mistake`, `llm_paraphrase` (driver steps over samples)
- `plan`: the registry `STEPS`, `make_step`, `order_problems`, `plan_steps`
"""

from errsynth.steps.base import (
    SAMPLES,
    SOLUTIONS,
    DriverStep,
    GlobalStep,
    Processed,
    RowStep,
    Step,
)
from errsynth.steps.plan import (
    STEPS,
    StepOrderError,
    kinds_read,
    make_step,
    order_problems,
    plan_steps,
)

__all__ = [
    "SAMPLES",
    "SOLUTIONS",
    "STEPS",
    "DriverStep",
    "GlobalStep",
    "Processed",
    "RowStep",
    "Step",
    "StepOrderError",
    "kinds_read",
    "make_step",
    "order_problems",
    "plan_steps",
]
