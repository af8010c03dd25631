"""The Dagster wrappers of ``video_assets/insights``: ``video_profile`` (one row per video) and
``corpus_index`` (the video's spans in the searchable index), both derived from the analyzers'
stored tables with no model of their own (the index embeds with the sentence encoder).

Both read the analyzers' tables through the I/O manager as dependencies, not inputs: a video run
with only some analyzers (``video-assets analyze --only``) still gets the columns and spans those
give. Lineage makes both stale whenever an analyzer's table changes; the index replaces the
re-analyzed video's spans and touches no other video's.
"""


import time

import dagster as dg
import pandas as pd

from resources.corpus_index import CorpusIndexResource, search_encoder_name
from video_assets.analyzers import ANALYZERS, by_name
from video_assets.defs.assets.analysis import markdown_preview, table_schema
from video_assets.defs.history import latest_metadata, partition_failures
from video_assets.defs.partitions import videos_partitions_def
from video_assets.runtime import settings
from video_assets.insights import TABLES_USED
from video_assets.insights.profile import PROFILE_SCHEMA, VideoFacts, build_profile, object_frames
from video_assets.insights.spans import spans_of
from video_assets.runtime.memory import releases_memory

INSIGHTS_GROUP = "insights"
_UPSTREAM = [dg.AssetKey(a.asset_key(t, "optimized")) for a in ANALYZERS for t in a.tables]


def analyzer_tables(io_manager, key: str) -> "dict[str, dict[str, pd.DataFrame]]":
    """analyzer -> table -> DataFrame of one video (the tables insights read), for every analyzer
    whose tables are stored."""
    out: dict[str, dict[str, pd.DataFrame]] = {}
    for spec in ANALYZERS:
        used = TABLES_USED.get(spec.name, ())
        try:
            if used:
                out[spec.name] = {t: io_manager.load_partition(dg.AssetKey(spec.asset_key(t, "optimized")), key) for t in used}
        except FileNotFoundError:
            continue
    return out


def analyzer_weights(instance: dg.DagsterInstance, key: str, names) -> dict[str, str]:
    """analyzer -> the weights its latest materialization of this video used ('real', 'random-init')."""
    return {name: (latest_metadata(instance, by_name(name).main_key(), key) or {}).get("weights", "") for name in names}


def video_facts(instance: dg.DagsterInstance, key: str) -> VideoFacts:
    """What decoding said, from the latest materializations of the two decoded inputs. A video whose
    frames failed but whose audio decoded (a partition that failed part-way) gets the audio's facts:
    its profile keeps what the audio analyzers found."""
    frames = latest_metadata(instance, "video_frames", key)
    audio = latest_metadata(instance, "audio_track", key) or {}
    if frames is None and not audio:
        raise dg.Failure(description=f"neither video_frames nor audio_track has a materialization for {key}: materialize them first",
                         allow_retries=False)
    gaps = {name: tuple(tuple(g) for g in (md or {}).get("decode_gap_spans") or ()) for name, md in (("video", frames), ("audio", audio))}
    if frames is None:
        return VideoFacts(duration_s=float(audio.get("video_duration_s", 0.0)), width=0, height=0, fps=0.0, frame_count=0,
                          has_audio=bool(audio.get("has_audio", False)), audio_gaps=gaps["audio"])
    width, height = (int(v) for v in str(frames["resolution"]).split("x"))
    return VideoFacts(duration_s=float(frames["duration_s"]), width=width, height=height, fps=float(frames["fps"]),
                      frame_count=int(frames["frames_decoded"]), has_audio=bool(audio.get("has_audio", False)),
                      video_gaps=gaps["video"], audio_gaps=gaps["audio"])


def _plain(value):
    """A table cell as a metadata value a person reads: numbers as numbers, null as 'none'."""
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return "none"
    return value.item() if hasattr(value, "item") else value


@dg.asset(
    partitions_def=videos_partitions_def,
    deps=_UPSTREAM + [dg.AssetKey("video_frames"), dg.AssetKey("audio_track")],
    group_name=INSIGHTS_GROUP,
    kinds={"pandas", "parquet"},
    required_resource_keys={"io_manager"},
    backfill_policy=dg.BackfillPolicy.multi_run(max_partitions_per_run=settings.videos_per_run()),
    code_version="profile-5",
    metadata={"schema": table_schema(PROFILE_SCHEMA)},
    description="One row per video: duration, orientation, language, pace of speech, text on screen, cuts, objects and the "
                "hook (first caption, word and cut, and whether each is in the first 3 s), faces and talking head, music and speech over "
                "music. Random-init analyzers are left out.",
)
@releases_memory
def video_profile(context: dg.AssetExecutionContext):
    keys = list(context.partition_keys)
    io = context.resources.io_manager
    rows: dict[str, pd.DataFrame] = {}
    for key in keys:
        tables = analyzer_tables(io, key)
        facts = video_facts(context.instance, key)
        failed = "; ".join(f"{step}: {cause}" for step, cause in partition_failures(context.instance, key).items()) or None
        rows[key] = build_profile(key, facts, tables, analyzer_weights(context.instance, key, tables), object_frames(facts.frame_count),
                                  failed)
    first = rows[keys[0]].iloc[0]
    metadata: dict = {"videos_in_step": len(keys)}
    if len(keys) == 1:
        metadata |= {k: _plain(v) for k, v in first.items() if k != "video"}
        metadata["preview"] = dg.MetadataValue.md(markdown_preview(rows[keys[0]].drop(columns=["video"]).T.reset_index().rename(
            columns={"index": "column", 0: "value"})))
    if first["random_init"]:
        metadata["WARNING"] = f"left out (random-init weights): {first['random_init']}"
    return dg.Output(rows if len(keys) > 1 else rows[keys[0]], metadata=metadata)


@dg.asset(
    partitions_def=videos_partitions_def,
    deps=_UPSTREAM,
    group_name=INSIGHTS_GROUP,
    kinds={"lancedb"},
    required_resource_keys={"io_manager", "index"},
    backfill_policy=dg.BackfillPolicy.multi_run(max_partitions_per_run=settings.videos_per_run()),
    # The encoder is part of the version: vectors of another encoder are rebuilt, never mixed.
    code_version=f"index-3-{search_encoder_name()}",
    description="The video's captions, speech segments and segment descriptions as searchable time spans (keyword search in "
                "German and English, semantic search across them with multilingual-e5-small) in one LanceDB table; a "
                "re-analyzed video's spans are replaced.",
)
@releases_memory
def corpus_index(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    keys = list(context.partition_keys)
    io = context.resources.io_manager
    index: CorpusIndexResource = context.resources.index
    store = index.open()
    summary: dict[str, dict] = {}
    spans: dict[str, pd.DataFrame] = {}
    t0 = time.perf_counter()
    for key in keys:
        tables = analyzer_tables(io, key)
        weights = analyzer_weights(context.instance, key, tables)
        include = {n for n in tables if index.include_random_init or weights.get(n) in ("", "real", None)}
        spans[key] = spans_of(key, tables, include)
        summary[key] = {"by_source": spans[key].source.value_counts().to_dict(), "left_out": sorted(set(tables) - include)}
    # The step's videos in one write (one index update for all of them, not one per video).
    for key, timings in store.replace_videos(spans).items():
        summary[key] = timings | summary[key]
    metadata = {"index": dg.MetadataValue.path(index.uri), "videos_in_step": len(keys), "seconds": round(time.perf_counter() - t0, 3),
                "per_video": dg.MetadataValue.json(summary), "semantic": index.semantic, "encoder": store.encoder}
    if len(keys) == 1:
        metadata["spans"] = summary[keys[0]]["spans"]
        if summary[keys[0]]["left_out"]:
            metadata["left_out"] = ", ".join(summary[keys[0]]["left_out"]) + " (random-init weights)"
    return dg.MaterializeResult(metadata=metadata)
