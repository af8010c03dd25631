"""The Dagster wrappers of ``video_assets/links`` (issue #52): what travels between videos.

Per video, partitioned like the analyzers and depending on that video alone: ``sound_fingerprint``
(over ``audio_track``) and ``footage_fingerprint`` (over ``video_frames``: the 0.5 s frames the
decoder keeps anyway). Their data version is the fingerprint's digest, so fingerprinting a video
again to the same result changes nothing downstream.

Per corpus, unpartitioned: ``corpus_links`` writes ``sounds``, ``reuploads`` and ``video_links``.
It reads only the fingerprints materialized since it last ran (the event log after a cursor kept
with the ledger) and the corpus' partitions, and brings the ledger (``links.ledger``: the inverted
indexes and every match so far, in ``VIDEO_ASSETS_LINKS_DIR``, default ``<storage>/links``) up to
date: one lookup per new video, never a pass over the corpus. ``links_sensor`` (defs/sensors.py)
launches it (``links_job``) when a fingerprint was materialized or the corpus' videos changed.
"""


import time

import dagster as dg
import numpy as np

from video_assets.defs.assets.analysis import markdown_preview, table_schema
from video_assets.defs import jobs
from video_assets.defs.history import materializations_after
from video_assets.defs.partitions import VIDEOS_PARTITION_NAME, videos_partitions_def
from video_assets.links import footage, sound
from video_assets.links.fingerprints import (FOOTAGE_FINGERPRINT_SCHEMA, FOOTAGE_PLAN, SOUND_FINGERPRINT_SCHEMA, VERSION, digest,
                                             footage_of, footage_table, sound_of, sound_table)
from video_assets.links.groups import REUPLOADS_SCHEMA, SOUNDS_SCHEMA, VIDEO_LINKS_SCHEMA
from video_assets.links.ledger import KINDS, Ledger
from video_assets.media import files, listing
from video_assets.runtime import settings
from video_assets.runtime.memory import releases_memory

LINKS_GROUP = "links"  # per video: in the corpus job with the analyzers
CORPUS_LINKS_GROUP = "corpus_links"  # per corpus: its own runs (links_job)
# kind -> its asset (the names live in jobs.py, which selects them without importing assets)
FINGERPRINT_ASSETS = dict(zip(KINDS, jobs.FINGERPRINT_ASSETS))
LINK_TABLES = jobs.LINK_TABLES


def links_dir(io_root: str) -> str:
    """The ledger's folder: ``VIDEO_ASSETS_LINKS_DIR`` or ``<storage>/links``. A local disk (the
    index is memory-mapped): with storage in a bucket, set the variable to a local path."""
    folder = settings.links_dir(io_root)
    if not files.is_local(folder):
        raise dg.Failure(description=f"the links index needs a local folder, not {folder}: set VIDEO_ASSETS_LINKS_DIR",
                         allow_retries=False)
    return folder.removeprefix("file://")


def _output(context: dg.AssetExecutionContext, tables: dict, metadata: dict[str, dict]) -> dg.Output:
    keys = list(tables)
    if len(keys) == 1:
        md = metadata[keys[0]]
        return dg.Output(tables[keys[0]], metadata=md, data_version=dg.DataVersion(md["digest"]))
    for key in keys:
        context.add_asset_metadata(metadata[key], partition_key=key)
    return dg.Output(tables, metadata={"videos_in_step": len(keys)})


def _fingerprint_asset(kind: str, source: str, schema, description: str):
    @dg.asset(
        name=FINGERPRINT_ASSETS[kind],
        partitions_def=videos_partitions_def,
        deps=[dg.AssetKey(source)],
        group_name=LINKS_GROUP,
        kinds={"pandas", "parquet"},
        required_resource_keys={"io_manager"},
        backfill_policy=dg.BackfillPolicy.multi_run(max_partitions_per_run=settings.videos_per_run()),
        code_version=f"{kind}-fingerprint-{VERSION}",
        metadata={"schema": table_schema(schema)},
        description=description,
    )
    @releases_memory
    def _asset(context: dg.AssetExecutionContext) -> dg.Output:
        io = context.resources.io_manager
        tables, metadata = {}, {}
        for key in context.partition_keys:
            decoded = io.load_partition(dg.AssetKey(source), key)
            t0 = time.process_time()
            if kind == "sound":
                fp = sound.fingerprint(decoded.samples if decoded.has_audio else np.zeros(0, np.float32), decoded.sample_rate)
                table, seconds, count = sound_table(fp), fp.duration_s, {"peaks": len(fp)}
            else:
                frames = ((f.pts_s, f.image) for f in decoded.frames(FOOTAGE_PLAN))
                fp = footage.fingerprint(frames, duration_s=decoded.info.duration_s)
                table, seconds, count = footage_table(fp), fp.duration_s, {"frames_hashed": fp.frames, "hashes": len(fp)}
            cpu = time.process_time() - t0
            tables[key] = table
            metadata[key] = {**count, "digest": digest(table), "seconds": round(cpu, 3),
                             "realtime_factor": round(cpu / seconds, 4) if seconds > 0 else 0.0}
        return _output(context, tables, metadata)

    return _asset


sound_fingerprint = _fingerprint_asset(
    "sound", "audio_track", SOUND_FINGERPRINT_SCHEMA,
    "The video's sound as spectral peaks (onsets of steady partials): hashed as speed-free triplets, they find the same "
    "sound in other videos under a voice-over, from another start, in part (>= 5 s) and 0.75-1.26x as fast.")
footage_fingerprint = _fingerprint_asset(
    "footage", "video_frames", FOOTAGE_FINGERPRINT_SCHEMA,
    "The video's footage as PDQ-style 256-bit hashes of two frames a second, inside the picture's own rectangle "
    "(a letterbox repost's blurred bars left out), with their mirrors and 90 % crops: re-uploads and shared shots.")


def _group_sizes(sounds, reuploads) -> dict:
    return {"sounds": dg.MetadataValue.json({r.sound_id: int(r.uses) for r in sounds.itertuples()}),
            "reupload_groups": dg.MetadataValue.json({r.group_id: len(r.videos) for r in reuploads.itertuples() if r.kind == "reupload"}),
            "shared_footage_pairs": int((reuploads.kind == "shared_footage").sum()) if len(reuploads) else 0}


def _typed(df, schema):
    df.attrs["arrow_schema"] = schema
    return df


@dg.multi_asset(
    outs={"sounds": dg.AssetOut(group_name=CORPUS_LINKS_GROUP, kinds={"parquet"},
                        metadata={"schema": table_schema(SOUNDS_SCHEMA)},
                        description="One row per sound used by two or more videos: the videos, where each uses it, speeds, first video."),
          "reuploads": dg.AssetOut(group_name=CORPUS_LINKS_GROUP, kinds={"parquet"},
                        metadata={"schema": table_schema(REUPLOADS_SCHEMA)},
                        description="Groups of videos sharing footage: 're-upload' (>= 50 % of the shorter video, in order) or "
                                    "'shared footage' (a shot in common), with each video's share."),
          "video_links": dg.AssetOut(group_name=CORPUS_LINKS_GROUP, kinds={"parquet"},
                        metadata={"schema": table_schema(VIDEO_LINKS_SCHEMA)},
                        description="One row per video: its shared sound (sound_id, sound_uses) and the earliest video of its "
                                    "re-upload group (reupload_of; empty for an original or a lone video).")},
    deps=list(FINGERPRINT_ASSETS.values()),
    required_resource_keys={"io_manager", "corpus"},
)
def corpus_links(context: dg.AssetExecutionContext):
    io = context.resources.io_manager
    ledger = Ledger(links_dir(io.root))
    present = set(context.instance.get_dynamic_partitions(VIDEOS_PARTITION_NAME))
    cursor, digests = ledger.cursor(), {}
    for kind in KINDS:
        for storage_id, partition, md in materializations_after(context.instance, dg.AssetKey(FINGERPRINT_ASSETS[kind]), cursor.get(kind)):
            if partition is not None and "digest" in md:
                digests.setdefault(kind, {})[partition] = md["digest"]
            cursor[kind] = storage_id
    readers = {"sound": sound_of, "footage": footage_of}
    # First seen: the file's modification time in the corpus (an upload's), then the name.
    order = {v.key: v.mtime for v in listing.scan(context.resources.corpus.root)}
    done = ledger.sync(present, digests, lambda kind, video: readers[kind](io.load_partition(dg.AssetKey(FINGERPRINT_ASSETS[kind]), video)),
                       order, cursor)
    sounds, reuploads, links = ledger.tables(present, order)
    p95 = {k: round(float(np.percentile(v, 95)) * 1000, 1) for k, v in done.lookup_s.items() if v}
    step = {"added": dg.MetadataValue.json(done.added), "removed": dg.MetadataValue.json(done.removed),
            "matches_found": dg.MetadataValue.json(done.found), "lookup_p95_ms": dg.MetadataValue.json(p95),
            "ledger": dg.MetadataValue.path(ledger.folder.as_posix())}
    sizes = _group_sizes(sounds, reuploads)
    yield dg.Output(_typed(sounds, SOUNDS_SCHEMA), "sounds", metadata={"rows": len(sounds), "sounds": sizes["sounds"], **step,
                                                                      "preview": dg.MetadataValue.md(markdown_preview(sounds))})
    yield dg.Output(_typed(reuploads, REUPLOADS_SCHEMA), "reuploads",
                    metadata={"rows": len(reuploads), "reupload_groups": sizes["reupload_groups"],
                              "shared_footage_pairs": sizes["shared_footage_pairs"], "preview": dg.MetadataValue.md(markdown_preview(reuploads))})
    yield dg.Output(_typed(links, VIDEO_LINKS_SCHEMA), "video_links",
                    metadata={"rows": len(links), "with_shared_sound": int((links.sound_id != "").sum()),
                              "reuploads": int((links.reupload_of != "").sum()), "preview": dg.MetadataValue.md(markdown_preview(links))})
