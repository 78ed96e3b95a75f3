"""Facts about a solution row that a transform draws by and its validator re-checks by.

They live below both, so a validator never imports the transform it checks:
- `numberflow`: whether a later step written early is premature (the reorder evidence);
- `arith`: how an arith attempt states its evidence (the finding's wording).
What an iGSM step can compute is in :mod:`errsynth.igsm.context`.
"""
