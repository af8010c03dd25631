"""Insights, plain Python (no Dagster, no resources): what a content team asks of its corpus.

``profile`` joins one video's analyzer tables into one row (pace, speech, text on screen, cuts,
objects, the hook); ``spans`` turns captions, speech segments and segment descriptions into
searchable time spans; ``index`` keeps those spans in an embedded LanceDB table with keyword and
semantic search, updated video by video; ``plots`` draws the corpus overview of the report.
"""

# The analyzer tables the profile and the spans read (analyzer -> tables): the per-sample tables
# (OCR readings, every detection) are never loaded for them.
TABLES_USED = {
    "text_overlay": ("segments", "lines"),
    "speech_rate": ("segments", "summary"),
    "scene_cuts": ("cuts",),
    "object_detection": ("classes",),
    "qwen2_vl_temporal": ("segments",),
    "faces": ("samples",),
    "audio_events": ("events",),
}
