"""Degenerate descriptions: a phrase looping, or the previous segment's description again."""

from __future__ import annotations

import re
import zlib


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def loops(text: str, n: int = 4, repeats: int = 3) -> bool:
    """A phrase of n words occurring `repeats` times, or text that compresses too well (as Whisper judges)."""
    words = _words(text)
    grams: dict[tuple[str, ...], int] = {}
    for i in range(len(words) - n + 1):
        key = tuple(words[i : i + n])
        grams[key] = grams.get(key, 0) + 1
        if grams[key] >= repeats:
            return True
    raw = text.encode()
    return len(raw) > 80 and len(raw) / len(zlib.compress(raw)) > 2.4


def repeats_previous(text: str, previous: str | None) -> bool:
    if not previous or not text:
        return False
    a, b = set(_words(text)), set(_words(previous))
    return bool(a) and len(a & b) / len(a | b) >= 0.9
