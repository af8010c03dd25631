"""speech_rate's tables: one row per recognized segment (spoken or sung: ``sung`` says which), and a
one-row summary per video whose rates, pauses and languages are the spoken ones."""

import pyarrow as pa

from video_assets.analyzers.base import col


LANGUAGES_TYPE = pa.list_(pa.struct([pa.field("language", pa.string()), pa.field("share", pa.float64())]))


SEGMENTS_SCHEMA = pa.schema(
    [
        col("start_s", pa.float64(), "segment start, seconds from the video start"),
        col("end_s", pa.float64(), "segment end, seconds"),
        col("text", pa.string(), "recognized text"),
        col("word_count", pa.int32(), "words in the segment"),
        col("words_per_minute", pa.float64(), "word_count / segment duration * 60"),
        col("pitch_mean_hz", pa.float64(), "mean F0 over voiced frames (null when none)"),
        col("pitch_std_hz", pa.float64(), "F0 standard deviation"),
        col("pitch_min_hz", pa.float64(), "lowest F0"),
        col("pitch_max_hz", pa.float64(), "highest F0"),
        col("pauses_inside", pa.int32(), "gaps between words >= pause_min_s inside the segment"),
        col("fillers", pa.list_(pa.string()), "filler words found (language's list)"),
        col("emphasized_words", pa.list_(pa.string()), "words louder than the track's mean + z*std"),
        col("language", pa.string(), "the segment's spoken language, ISO 639-1, detected for its stretch of speech (or configured)"),
        col("language_probability", pa.float64(), "the recognizer's probability for that language over its stretch of speech"),
        col("sung", pa.bool_(), "the segment is sung, not spoken: at least sung_min_share of it lies in singing (the audio event model's); "
            "its words are kept (lyrics, searchable) and left out of the summary's rates, pauses and languages"),
    ]
)


UNHEARD_TYPE = pa.list_(pa.struct([pa.field("start_s", pa.float64()), pa.field("end_s", pa.float64()),
                                    pa.field("reason", pa.string()), pa.field("text", pa.string())]))


SUMMARY_SCHEMA = pa.schema(
    [
        col("has_audio", pa.bool_(), "false when the video has no audio stream"),
        col("duration_s", pa.float64(), "track duration"),
        col("total_words", pa.int32(), "words spoken (recognized in segments not sung)"),
        col("speaking_time_s", pa.float64(), "speech time from the VAD, its regions in singing left out (those are sung_s)"),
        col("speech_rate_wpm", pa.float64(), "spoken words per minute of total time"),
        col("articulation_rate_wpm", pa.float64(), "spoken words per minute of speaking time"),
        col("pause_count", pa.int32(), "silences >= pause_min_s between two spoken (not sung) speech regions"),
        col("pause_total_s", pa.float64(), "their total length"),
        col("speaking_pct", pa.float64(), "percentage of the track that is speech (not sung)"),
        col("sung_s", pa.float64(), "time the VAD took for speech that is sung: its regions with at least sung_min_share in singing"),
        col("sung_words", pa.int32(), "words recognized in sung segments (kept in the segments table, not in total_words)"),
        col("language", pa.string(), "the language spoken longest, ISO 639-1, detected by the recognizer or configured (null without speech)"),
        col("language_probability", pa.float64(), "the recognizer's probability for that language, time-weighted over its segments (1.0 for an English-only model; null without speech)"),
        col("languages", LANGUAGES_TYPE, "every language spoken with its share of the speaking time (segments' durations), largest first; empty without speech"),
        col("speech_without_words_s", pa.float64(), "VAD speech time that came back with no words, after each such stretch was decoded again "
            "alone; sung stretches not counted (singing the recognizer cannot read is not lost speech)"),
        col("speech_without_words_share", pa.float64(), "that time over speaking_time_s (0.0 without speech); the speech_rate_coverage check warns above 2 %"),
        col("speech_without_words", UNHEARD_TYPE, "each such stretch (start_s, end_s) with why: too_short, no_speech (decoded alone, nothing written), "
            "unintelligible (decoded, not kept by Whisper's filters; text: what and why) or sung (in singing: listed, not counted)"),
    ]
)


TABLES = ("segments", "summary")


SCHEMAS = {"segments": SEGMENTS_SCHEMA, "summary": SUMMARY_SCHEMA}
