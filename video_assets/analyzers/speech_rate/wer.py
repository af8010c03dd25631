"""Word error rate against a reference text, after the normalization speech recognizers are judged
with: case, punctuation and the spelling of numbers do not count as errors.

Why here and not a package (jiwer): the whole measure is an edit distance over tokens; what matters
is the normalization, and that one must know German (``zwölf`` and ``12`` are the same word,
``ß`` stays a letter).
"""

from __future__ import annotations

import re
import unicodedata

from video_assets.analyzers.base import edit_distance

# Number words as Whisper may write them either way (``3`` or ``three``): mapped to digits.
_NUMBERS = {
    "en": ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
           "seventeen eighteen nineteen twenty").split(),
    "de": ("null eins zwei drei vier fünf sechs sieben acht neun zehn elf zwölf dreizehn vierzehn fünfzehn sechzehn "
           "siebzehn achtzehn neunzehn zwanzig").split(),
}
_TENS = {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100,
         "dreißig": 30, "vierzig": 40, "fünfzig": 50, "sechzig": 60, "siebzig": 70, "achtzig": 80, "neunzig": 90, "hundert": 100}
_DIGITS = {w: str(i) for words in _NUMBERS.values() for i, w in enumerate(words)} | {k: str(v) for k, v in _TENS.items()}


_EN = {w: i for i, w in enumerate(_NUMBERS["en"])}
_EN_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}


def _years(tokens: list[str]) -> list[str]:
    """An English year said as two numbers, as transcripts spell it and Whisper writes it in digits:
    ``eighteen thirteen`` and ``nineteen eighty four`` are ``1813`` and ``1984``. The century is
    eleven to twenty; the rest ten to nineteen, or a tens word with an optional unit."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        century = _EN.get(tokens[i], 0)
        rest, used = None, 0
        if 11 <= century <= 20 and i + 1 < len(tokens):
            nxt = tokens[i + 1]
            if 10 <= _EN.get(nxt, 0) <= 19:
                rest, used = _EN[nxt], 1
            elif nxt in _EN_TENS:
                unit = _EN.get(tokens[i + 2], 0) if i + 2 < len(tokens) else 0
                rest, used = (_EN_TENS[nxt] + unit, 2) if 1 <= unit <= 9 else (_EN_TENS[nxt], 1)
        if rest is not None:
            out.append(f"{century}{rest:02d}")
            i += 1 + used
        else:
            out.append(tokens[i])
            i += 1
    return out


def normalize_words(text: str) -> list[str]:
    """Lower case, NFC, punctuation dropped (apostrophes inside words kept), number words as digits
    (an English year said as two numbers as one: ``_years``)."""
    text = unicodedata.normalize("NFC", text).lower()
    tokens = [t.strip("'") for t in re.findall(r"[\w']+", text.replace("-", " ")) if t.strip("'")]
    return [_DIGITS.get(t, t) for t in _years(tokens)]


def word_error_rate(reference: str, hypothesis: str) -> float:
    """(substitutions + insertions + deletions) / reference words; 0.0 for two empty texts, and the
    hypothesis' word count (all insertions) for an empty reference."""
    ref, hyp = normalize_words(reference), normalize_words(hypothesis)
    if not ref:
        return float(len(hyp))
    return edit_distance(ref, hyp) / len(ref)
