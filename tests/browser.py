"""Headless Debian chromium driven by Playwright, for the report's browser tests and benchmark.

The system browser (`/usr/bin/chromium`, installed by tests/setup_browser.sh) with a new
empty profile and everything that could reach the network switched off.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import BrowserContext, sync_playwright

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        raise RuntimeError(
            "chromium is not installed: run `bash tests/setup_browser.sh` (apt-get install chromium)"
        )
    return found


@contextmanager
def browser_context(
    javascript: bool = True, width: int = 1280, height: int = 900
) -> Iterator[BrowserContext]:
    """A fresh persistent context (a new empty user-data-dir) of the system chromium."""
    with (
        tempfile.TemporaryDirectory(prefix="errsynth-chromium-") as profile,
        sync_playwright() as p,
    ):
        context = p.chromium.launch_persistent_context(
            profile,
            executable_path=chromium_path(),
            args=CHROMIUM_FLAGS,
            headless=True,
            java_script_enabled=javascript,
            viewport={"width": width, "height": height},
        )
        try:
            yield context
        finally:
            context.close()


def file_url(path: Path) -> str:
    return path.resolve().as_uri()
