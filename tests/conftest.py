"""Shared test fixtures: paths to the project's own fixtures and to the shared real corpora."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
CORPORA = Path(__file__).resolve().parents[1].parent / "shared" / "corpora"


def corpus(relative: str) -> Path:
    """A file of ../shared/corpora, skipping the test cleanly when it is not there."""
    path = CORPORA / relative
    if not path.exists():
        pytest.skip(f"real corpus {relative} not present at {CORPORA}")
    return path


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def ray_local():
    """One local Ray instance for the whole test session (2 CPUs, no dashboard).

    `address="local"`: always a new instance of the tests' own, never a cluster that
    /tmp/ray/ray_current_cluster names (a user's, or a stale file of a dead one)."""
    ray = pytest.importorskip("ray")
    if not ray.is_initialized():
        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()
