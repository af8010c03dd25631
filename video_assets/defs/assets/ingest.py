"""The shared upstream assets: each video decoded once into frames and into audio.

``video_file`` is the source (observed by the corpus sensor, data version = content hash);
``video_frames`` and ``audio_track`` are what every analyzer reads.
"""


import contextlib
import os
import time

import dagster as dg

from resources.corpus import VideoCorpus
from video_assets import analyzers
from video_assets.runtime import settings
from video_assets.media.listing import content_hash
from video_assets.media.container import MediaError
from video_assets.media.decode import decode_audio, decode_frames
from video_assets.media import framestore
from video_assets.media.frames import AudioTrack, FrameBundle
from video_assets.media.gaps import describe, gap_seconds
from video_assets.media.images import image_markdown
from video_assets.defs.checks import decode_gaps_check_spec, decode_gaps_key, decode_gaps_results
from video_assets.defs.partitions import videos_partitions_def
from video_assets.media.sampling import plans_fingerprint
from video_assets.links.fingerprints import FOOTAGE_PLAN
from video_assets.runtime.memory import releases_memory

INGEST_GROUP = "ingest"
FRAMES_FORMAT_VERSION = "2"  # 2: row groups of VIDEO_ASSETS_FRAME_BATCH frames, read one at a time

video_file = dg.AssetSpec(
    key="video_file",
    description="A video in the corpus. Observed by corpus_sensor; its data version is the file's sha256.",
    partitions_def=videos_partitions_def,
    group_name="corpus",
    kinds={"file"},
)


@contextlib.contextmanager
def bad_input_fails_fast():
    """Bad input is a Failure with the file and the cause as its message, never retried."""
    try:
        yield
    except MediaError as exc:
        raise dg.Failure(
            description=str(exc), metadata={"file": exc.source, "cause": exc.cause}, allow_retries=False
        ) from exc


def _find(corpus: VideoCorpus, key: str):
    try:
        return corpus.find(key)
    except FileNotFoundError as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from exc


def decoded_plans() -> list:
    """What video_frames keeps: every analyzer's frames and the footage fingerprint's (links)."""
    return [*analyzers.sampling_plans(), FOOTAGE_PLAN]


def _frames_code_version() -> str:
    # A changed sampling plan (or storage format) makes stored frames stale.
    return f"frames-{FRAMES_FORMAT_VERSION}-{settings.frame_codec()}-{plans_fingerprint(decoded_plans())}"


def _one_or_many(context: dg.AssetExecutionContext, values: dict, metadata: dict[str, dict], shas: dict[str, str],
                 summary: dict) -> dg.Output:
    """One video: its value, metadata and data version (the file's hash) as the Output. Several (a
    run over a range of videos): ``{key: value}``, each video's metadata on its own partition's
    materialization (its ``sha256`` is what the backfill compares with the file, see schedules.py)."""
    keys = list(values)
    if len(keys) == 1:
        return dg.Output(values[keys[0]], metadata=metadata[keys[0]], data_version=dg.DataVersion(shas[keys[0]][:16]))
    for key in keys:
        context.add_asset_metadata(metadata[key], partition_key=key)
    return dg.Output(values, metadata={"videos_in_step": len(keys), **summary})


def _frames_of(corpus: VideoCorpus, key: str, plans) -> tuple[FrameBundle, dict, str]:
    video = _find(corpus, key)
    cpu0 = time.process_time()
    with bad_input_fails_fast():
        # Written to a local spool as it decodes; the I/O manager moves the file into storage.
        bundle = decode_frames(video.url, plans, codec=settings.frame_codec(), spool=framestore.spool_path(key))
    try:
        sha = content_hash(video.url)
        info = bundle.info
        sheet = bundle.contact_sheet()
        metadata = {
            "source": dg.MetadataValue.path(video.url),
            "sha256": sha,
            "duration_s": round(info.duration_s, 3),
            "fps": round(info.fps, 3),
            "resolution": f"{info.width}x{info.height}",
            "rotation": info.rotation,
            "codec": info.codec,
            "frames_decoded": info.frame_count,
            "frames_kept": len(bundle),
            "decode_seconds": round(bundle.decode_seconds, 3),
            "decode_cpu_seconds": round(time.process_time() - cpu0, 3),
            "decode_s_per_video_s": round(bundle.decode_seconds / max(info.duration_s, 1e-9), 4),
            "bytes_stored": bundle.nbytes,
            "bytes_per_video_s": int(bundle.nbytes / max(info.duration_s, 1e-9)),
            "plans": ", ".join(p.name for p in plans) or "none",
            "frames_per_row_group": framestore.frame_batch(),
            **gap_metadata(bundle.gaps, info.duration_s),
        }
        if sheet:
            metadata["contact_sheet"] = dg.MetadataValue.md(image_markdown(sheet, f"{key} contact sheet"))
    except BaseException:
        os.remove(bundle.spool)  # nothing half-done stays behind
        raise
    return bundle, metadata, sha


def gap_metadata(gaps: list[tuple[float, float]], duration_s: float) -> dict:
    """What a person reads about damaged stretches decoded around ('none' for an undamaged file)."""
    return {"decode_gaps": describe(gaps) or "none", "decode_gap_spans": dg.MetadataValue.json([list(g) for g in gaps]),
            "decoded_share": round(1.0 - gap_seconds(gaps) / duration_s, 4) if duration_s > 0 else 0.0}


@dg.asset(
    partitions_def=videos_partitions_def,
    deps=[video_file],
    group_name=INGEST_GROUP,
    kinds={"pyav", "parquet"},
    check_specs=[decode_gaps_check_spec("video_frames")],
    code_version=_frames_code_version(),
    backfill_policy=dg.BackfillPolicy.multi_run(max_partitions_per_run=settings.videos_per_run()),
    description="Frames each analyzer needs, decoded once per video (JPEG in Parquet, with timestamps).",
)
@releases_memory
def video_frames(context: dg.AssetExecutionContext, corpus: VideoCorpus):
    plans = decoded_plans()
    bundles: dict[str, FrameBundle] = {}
    metadata: dict[str, dict] = {}
    shas: dict[str, str] = {}
    try:
        # One video after another; the first bad file fails the step (its file and cause as the
        # message), and the sensor redoes a failed batch one video per run (batching.py).
        for key in context.partition_keys:
            bundles[key], metadata[key], shas[key] = _frames_of(corpus, key, plans)
    except BaseException:
        for bundle in bundles.values():
            os.remove(bundle.spool)
        raise
    summary = {"decode_seconds_in_step": round(sum(b.decode_seconds for b in bundles.values()), 3)}
    yield _one_or_many(context, bundles, metadata, shas, summary)
    if decode_gaps_key("video_frames") in context.selected_asset_check_keys:
        yield from decode_gaps_results("video_frames", {k: (b.gaps, b.info.duration_s) for k, b in bundles.items()}, list(bundles))


@dg.asset(
    partitions_def=videos_partitions_def,
    deps=[video_file],
    group_name=INGEST_GROUP,
    kinds={"pyav", "numpy"},
    check_specs=[decode_gaps_check_spec("audio_track")],
    code_version="audio-1-16k-mono-f32",
    backfill_policy=dg.BackfillPolicy.multi_run(max_partitions_per_run=settings.videos_per_run()),
    description="16 kHz mono float32 PCM of the video's first audio stream; explicit has_audio=False when there is none.",
)
@releases_memory
def audio_track(context: dg.AssetExecutionContext, corpus: VideoCorpus):
    tracks: dict[str, AudioTrack] = {}
    metadata: dict[str, dict] = {}
    shas: dict[str, str] = {}
    for key in context.partition_keys:
        video = _find(corpus, key)
        cpu0 = time.process_time()
        with bad_input_fails_fast():
            track = decode_audio(video.url)
        cpu_s = time.process_time() - cpu0
        shas[key] = content_hash(video.url)
        tracks[key] = track
        metadata[key] = {
            "source": dg.MetadataValue.path(video.url),
            "sha256": shas[key],
            "has_audio": track.has_audio,
            "sample_rate": track.sample_rate,
            "audio_duration_s": round(track.duration_s, 3),
            "video_duration_s": round(track.video_duration_s, 3),
            "decode_seconds": round(track.decode_seconds, 3),
            "decode_cpu_seconds": round(cpu_s, 3),
            "peak": round(float(abs(track.samples).max()) if track.samples.size else 0.0, 4),
            **gap_metadata(track.gaps, track.video_duration_s),
        }
    summary = {"decode_seconds_in_step": round(sum(t.decode_seconds for t in tracks.values()), 3)}
    yield _one_or_many(context, tracks, metadata, shas, summary)
    if decode_gaps_key("audio_track") in context.selected_asset_check_keys:
        yield from decode_gaps_results("audio_track", {k: (t.gaps, t.video_duration_s) for k, t in tracks.items()}, list(tracks))
