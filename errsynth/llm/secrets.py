"""API keys: named, never written, never echoed.

A recipe names the environment variable that holds the key (``client.api_key_env``);
the key itself never appears in a recipe, so it cannot reach ``run.json``, the manifest
or a stage's ``done.json``. This module

- refuses an ``api_key_env`` that is not a variable name or that looks like a key (a
  known key prefix, or a long random-looking run of letters and digits), without
  repeating the value in the message;
- reads the key: a named variable that is unset or empty is an error, not a silent
  request without authentication. A server that needs no key (a local vLLM, Ollama)
  is said so explicitly with ``api_key_env: null`` (``--api-key-env ''`` for
  ``errsynth llm ping``);
- scrubs the key from every text that comes back from a server (error bodies and
  replies alike, before anything is cached or written): the exact key, its JSON-escaped
  and URL-encoded forms, and any word that shares 8 or more consecutive characters with
  it (servers echo keys partly masked, e.g. ``sk-live-****42``).
"""

from __future__ import annotations

import json
import os
import re
from urllib.parse import quote

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
KEY_PREFIXES = (
    "sk-", "sk_", "hf_", "gsk_", "xai-", "ghp_", "gho_", "ghs_", "github_pat_", "glpat-",
    "AIza", "pk_live", "rk_live", "nvapi-", "pplx-", "r8_", "Bearer ", "bearer ",
)  # fmt: skip
MASK = "***"
WINDOW = 8  # shared consecutive characters that mark a word as (part of) the key
_WORD = re.compile(r"[^\s\"'<>(){}\[\],;]+")


class APIKeyError(ValueError):
    """A key setting that would leak a key or silently send requests without one."""


def looks_like_key(value: str) -> bool:
    """Whether ``value`` looks like an API key rather than the name of a variable."""
    if value.startswith(KEY_PREFIXES):
        return True
    for part in value.split("_"):
        letters = any(c.isalpha() for c in part)
        digits = any(c.isdigit() for c in part)
        mixed_case = any(c.islower() for c in part) and any(c.isupper() for c in part)
        if len(part) >= 20 or (len(part) >= 16 and letters and digits):
            return True
        if len(part) >= 12 and mixed_case and digits:
            return True
    return False


def check_key_env(name: str | None, where: str = "client.api_key_env") -> None:
    """Raise APIKeyError unless ``name`` is None or a plausible variable name."""
    if name is None:
        return
    if not isinstance(name, str) or not NAME.match(name) or looks_like_key(name):
        what = "looks like an API key" if isinstance(name, str) and looks_like_key(name) else (
            "is not the name of an environment variable"
        )  # fmt: skip
        raise APIKeyError(
            f"{where} {what}: it must be the *name* of an environment variable holding the "
            "key (e.g. OPENAI_API_KEY), never the key itself (the value is not repeated "
            "here, and nothing was written); for a server without authentication use null"
        )


def read_key(name: str | None, where: str = "client.api_key_env") -> str | None:
    """The key in the variable ``name``; None when ``name`` is None (no authentication)."""
    check_key_env(name, where)
    if name is None:
        return None
    value = os.environ.get(name, "")
    key = value.strip()
    if not key:
        state = "is empty" if name in os.environ else "is not set"
        raise APIKeyError(
            f"{where} names the environment variable {name}, which {state}: export {name}=<key> "
            f"before running, or set {where}: null for a server that needs no key "
            "(requests are never sent without the key a recipe asks for)"
        )
    if any(c.isspace() or not c.isprintable() for c in key):
        raise APIKeyError(f"the key in {name} contains spaces or control characters")
    return key


class Scrubber:
    """Removes one secret, in the forms servers echo it, from text."""

    def __init__(self, secret: str | None) -> None:
        self.secret = secret or ""
        forms = {self.secret, json.dumps(self.secret)[1:-1], quote(self.secret, safe="")}
        self.forms = sorted((f for f in forms if f), key=len, reverse=True)
        width = min(WINDOW, len(self.secret))
        self.width = width
        self.windows = (
            {self.secret[i : i + width] for i in range(len(self.secret) - width + 1)}
            if width
            else set()
        )

    def _shares(self, word: str) -> bool:
        w = self.width
        return any(word[i : i + w] in self.windows for i in range(len(word) - w + 1))

    def scrub(self, text: str, *, partial: bool = True) -> str:
        """``text`` without the secret; ``partial`` also masks words sharing part of it
        (for error texts; replies, which become training data, lose only whole forms)."""
        if not self.secret or not text:
            return text
        for form in self.forms:
            text = text.replace(form, MASK)
        if not partial or len(self.secret) < WINDOW:  # too short to match parts safely
            return text
        return _WORD.sub(lambda m: MASK if self._shares(m.group(0)) else m.group(0), text)
