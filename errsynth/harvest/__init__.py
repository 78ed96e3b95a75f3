"""Harvest a model's own mistakes: sample, grade, locate the first wrong step, build retries.

``errsynth harvest --corpus … --model … --base-url …`` asks any OpenAI-compatible server
(or the Ray Data vLLM backend) for k solutions per problem, grades each final answer
against the gold one, finds the first wrong step of every wrong solution where the exact
evaluator can decide it (a false equation; a value that contradicts the number flow), or
through an optional judge model (recorded as such), and turns each located mistake into
retry samples (kind ``harvest``): the model's own steps up to its first wrong step, the
retraction, then a correct continuation or a fresh restart. ``--profile`` writes the
model's first-error profile (:mod:`errsynth.types.error_profile`).

Modules, one job each: :mod:`.prompts` (what the model is asked), :mod:`.sampling`
(requests, seeds, dry run), :mod:`.grading` (steps and final answer of a reply),
:mod:`.subkind` (which arith perturbation a wrong result is), :mod:`.locate` (first wrong
step, exactly), :mod:`.locate_igsm` (the same with the iGSM checker), :mod:`.judge` (the
optional judge model), :mod:`.retry` (retry samples), :mod:`.profile_files` (profile
table and plot), :mod:`.run` (the output directory, chunks, resume, manifest),
:mod:`.config` (the same from YAML).
"""
