"""speech_rate against the sample corpus' ground truth."""

import pandas as pd


def accuracy(summary: pd.DataFrame, truth: dict) -> dict[str, float]:
    """Against the sample corpus' ground truth: word count error and words-per-minute error over
    the known speech time (articulation rate), and whether the detected language is the spoken one."""
    row = summary.iloc[0]
    words_true = truth["word_count"]
    wpm_true = truth["words_per_minute_speaking"]
    return {
        "word_count": int(row.total_words),
        "word_count_true": words_true,
        "word_count_rel_error": round(abs(int(row.total_words) - words_true) / words_true, 4),
        "articulation_wpm": float(row.articulation_rate_wpm),
        "articulation_wpm_true": wpm_true,
        "wpm_rel_error": round(abs(float(row.articulation_rate_wpm) - wpm_true) / wpm_true, 4),
        "language": row.language,
        "language_true": truth.get("language", "en"),
        "language_correct": float(row.language == truth.get("language", "en")),
    }
