"""speech_rate against the sample corpus' ground truth: the words themselves (word error rate, per
clip and per language), the language of every stretch of speech, the counts and rates, and the
singing marked sung."""

from __future__ import annotations

import pandas as pd

from video_assets.analyzers.speech_rate.wer import word_error_rate

# A truth utterance this long or longer must be recognized in its own language (the bar:
# "language right on every segment of >= 2 s"); shorter ones are reported but not held to it.
LANGUAGE_MIN_S = 2.0


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def by_language(segments: pd.DataFrame, truth: dict) -> dict[str, dict[str, float]]:
    """Word error rate per spoken language of the truth: each recognized segment is given to the
    truth utterance it overlaps most (so a German sentence transcribed as English counts against
    German), and each language's segments are compared with its utterances' text."""
    utterances = truth.get("utterances", [])
    language = truth.get("language")
    refs: dict[str, list[str]] = {}
    for u in utterances:
        refs.setdefault(u.get("language", language), []).append(u["text"])
    hyps: dict[str, list[str]] = {k: [] for k in refs}
    for row in segments.itertuples():
        best = max(utterances, key=lambda u: _overlap(row.start_s, row.end_s, u["start"], u["end"]), default=None)
        if best is not None and _overlap(row.start_s, row.end_s, best["start"], best["end"]) > 0:
            hyps[best.get("language", language)].append(row.text)
        elif refs:  # speech where the truth has none: an insertion, counted against the clip's language
            hyps.setdefault(language, []).append(row.text)
    return {k: {"wer": round(word_error_rate(" ".join(refs[k]), " ".join(hyps.get(k, []))), 4),
                "words_true": sum(len(t.split()) for t in refs[k])} for k in sorted(refs)}


def words_lost(segments: pd.DataFrame, truth: dict, slack_s: float = 0.5) -> tuple[int, int]:
    """(lost, total) truth words. The truth has sentence windows, not word times: each utterance's
    words (as the word error rate counts them) are spread evenly over its window, and a word is
    lost when no recognized segment comes within slack_s of its place. A pause between two
    segments inside a sentence is not a loss; a sentence with no segment, or a cut sentence's rest, is."""
    from video_assets.analyzers.speech_rate.wer import normalize_words

    spans = [(float(r.start_s) - slack_s, float(r.end_s) + slack_s) for r in segments.itertuples()]
    lost = total = 0
    for u in truth.get("utterances", []):
        words = normalize_words(u["text"])
        step = (u["end"] - u["start"]) / max(len(words), 1)
        for i in range(len(words)):
            a, b = u["start"] + i * step, u["start"] + (i + 1) * step
            lost += not any(min(b, e) > max(a, s) for s, e in spans)
        total += len(words)
    return lost, total


def sung_coverage(segments: pd.DataFrame, singing: list) -> float | None:
    """The share of the truth's singing time (``audio_events.singing``: [start, end] phrases) that
    segments marked ``sung`` cover (issue #49 item 3: >= 0.95); None where the truth has no singing."""
    truth = sorted((float(a), float(b)) for a, b in singing or [])
    total = sum(b - a for a, b in truth)
    if total <= 0:
        return None
    marked = segments[segments["sung"].astype(bool)] if len(segments) else segments
    spans: list[list[float]] = []
    for a, b in sorted(zip(marked.start_s.astype(float), marked.end_s.astype(float))):
        if spans and a <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], b)
        else:
            spans.append([a, b])
    covered = sum(_overlap(a, b, s, e) for a, b in truth for s, e in spans)
    return round(covered / total, 4)


def language_alone(truth: dict, language: str, pad_s: float = 0.3) -> tuple[float, float, dict]:
    """(start, end, truth) of one language's speech in a code-switching clip, cut out as a track of
    its own (first utterance to last, pad_s either side): its utterances' times from the cut."""
    mine = [u for u in truth["utterances"] if u["language"] == language]
    start = max(mine[0]["start"] - pad_s, 0.0)
    return start, mine[-1]["end"] + pad_s, {"language": language, "utterances": [u | {"start": u["start"] - start, "end": u["end"] - start} for u in mine]}


def language_right(segments: pd.DataFrame, truth: dict, min_s: float = LANGUAGE_MIN_S) -> tuple[int, int]:
    """(right, judged): truth utterances of at least min_s whose overlapping segments all carry the
    utterance's language (an utterance with no segment over it counts as wrong)."""
    right = judged = 0
    for u in truth.get("utterances", []):
        if u["end"] - u["start"] < min_s:
            continue
        judged += 1
        langs = [r.language for r in segments.itertuples() if _overlap(r.start_s, r.end_s, u["start"], u["end"]) > 0.25 * (r.end_s - r.start_s)]
        right += bool(langs) and all(lang == u.get("language", truth.get("language")) for lang in langs)
    return right, judged


def accuracy(summary: pd.DataFrame, truth: dict, segments: pd.DataFrame | None = None) -> dict[str, float]:
    """Against the sample corpus' ground truth: word count error and words-per-minute error over
    the known speech time (articulation rate), whether the dominant language is the one spoken
    longest, and with the segments: word error rate (whole clip and per language) and the share of
    utterances >= 2 s recognized in their own language."""
    row = summary.iloc[0]
    words_true = truth["word_count"]
    wpm_true = truth["words_per_minute_speaking"]
    out = {
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
    if segments is not None:
        out["wer"] = round(word_error_rate(truth["transcript"], " ".join(segments.text)), 4)
        lost, total = words_lost(segments, truth)
        out["words_lost"] = lost
        out["words_lost_share"] = round(lost / total, 4) if total else 0.0
        for lang, m in by_language(segments, truth).items():
            out[f"wer_{lang}"] = m["wer"]
        right, judged = language_right(segments, truth)
        if judged:
            out["segment_language_accuracy"] = round(right / judged, 4)
    return out
