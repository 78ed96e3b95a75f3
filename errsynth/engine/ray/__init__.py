"""The Ray engine: chunk jobs as Ray tasks (`executor`), dedup (`dedup`) and the mixture
(`mix`) as Ray Data shuffles; `data` holds the shared Ray Data settings. `ray` itself is
imported on first use (`data.ray_module`)."""

from errsynth.engine.ray.dedup import exact_dedup_ray, near_dedup_ray
from errsynth.engine.ray.executor import RayExecutor
from errsynth.engine.ray.mix import mix_ray

__all__ = ["RayExecutor", "exact_dedup_ray", "mix_ray", "near_dedup_ray"]
