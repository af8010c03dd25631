"""Text comparison: normalized text and character error rate."""

import unicodedata

from video_assets.analyzers.base import edit_distance

# Letters an English-only reader cannot produce, and what it reads instead (parity folds them).
_FOLD = str.maketrans({"ß": "ss", "ẞ": "SS"})


def nfc(text: str) -> str:
    """The stored form: composed (``ü`` one code point), whichever form an engine returned, so a
    search or a comparison finds the same letters."""
    return unicodedata.normalize("NFC", text)


def fold_diacritics(text: str) -> str:
    """``Größe`` -> ``Grosse``: for comparing against a reader whose alphabet has no umlauts or ß
    (the EasyOCR English baseline); never for what is stored or judged against the ground truth."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def clean_text(text: str) -> str:
    """A reading as stored: NFC, emoji and other pictographs dropped (a caption's words are the
    caption; the ground truth holds the words alone), spaces collapsed, ends trimmed."""
    kept = "".join(ch for ch in nfc(text) if unicodedata.category(ch) not in _PICTOGRAPH and ch not in "\u200d\ufe0f")
    return " ".join(kept.split())


# Other symbols (emoji, dingbats), modifier symbols (skin tones) and surrogates.
_PICTOGRAPH = {"So", "Sk", "Cs"}


# -- text helpers ---------------------------------------------------------------------------------
def normalize(text: str) -> str:
    return " ".join(text.lower().split())


def cer(reference: str, hypothesis: str, fold: bool = False) -> float:
    """Character error rate: edit distance / reference length (of normalized texts; with ``fold``,
    diacritics folded on both sides)."""
    a, b = normalize(nfc(reference)), normalize(nfc(hypothesis))
    if fold:
        a, b = fold_diacritics(a), fold_diacritics(b)
    if not a:
        return 0.0 if not b else 1.0
    return edit_distance(a, b) / len(a)
