"""corpus_report: the latest table of every analyzer for every video, as one Parquet dataset, and
the report folder (the corpus page linked from the asset's metadata, a page per video)."""

import logging
from pathlib import PurePosixPath

import dagster as dg
import pandas as pd

from video_assets.analyzers import ANALYZERS
from video_assets.defs.history import latest_check_status, latest_metadata, partition_failures
from video_assets.defs.partitions import VIDEOS_PARTITION_NAME
from video_assets.insights.profile import VideoFacts, build_profile, object_frames
from video_assets.media import files, listing
from video_assets.defs.assets.links import LINK_TABLES, links_dir
from video_assets.links.groups import matches_table
from video_assets.links.ledger import Ledger
from video_assets.report.linked import corpus_links_html, page_links
from video_assets.report.pages import video_page
from video_assets.report.render import VideoReport, render_html, write_dataset, write_table

REPORT_GROUP = "report"
log = logging.getLogger(__name__)


def copy_video(source: listing.VideoFile | None, key: str, out_root: str) -> str | None:
    """The video's file copied into the report folder (``videos/<key><ext>``), so the folder plays
    on its own wherever it is opened or served; None when the corpus no longer has it. Copied, not
    linked: a link into the corpus (a bucket, another machine's folder) does not play from a report
    opened elsewhere; the copy is most of the folder's size (docs/operating.md, "The report"). A copy of the
    same size already there is kept."""
    if source is None:
        return None
    name = f"{key}{PurePosixPath(source.rel_path).suffix or '.mp4'}"
    target = files.join(out_root, "videos", name)
    if files.size(target) != source.size:
        files.write_bytes_atomic(target, files.read_bytes(source.url))
    return name


def _decoded(io_manager, instance: dg.DagsterInstance, key: str, video: VideoReport):
    """What decoding said about one video, whichever of its two inputs exist: (VideoFacts or None,
    video info or None). A video whose frames failed keeps its duration and gaps from its audio."""
    info = None
    try:
        bundle = io_manager.load_partition(dg.AssetKey("video_frames"), key)
        info, video.contact_sheet = bundle.info, bundle.contact_sheet()
        video.gaps["video_frames"] = list(bundle.gaps)
    except FileNotFoundError:
        pass
    audio = latest_metadata(instance, "audio_track", key)
    if audio is not None:
        video.gaps["audio_track"] = [tuple(g) for g in audio.get("decode_gap_spans") or ()]
    if info is not None:
        video.duration_s = info.duration_s
        return VideoFacts(info.duration_s, info.width, info.height, info.fps, info.frame_count, info.has_audio,
                          tuple(video.gaps["video_frames"]), tuple(video.gaps.get("audio_track", ()))), info
    if audio is not None:
        video.duration_s = float(audio.get("video_duration_s") or 0.0)
        return VideoFacts(video.duration_s, 0, 0, 0.0, 0, bool(audio.get("has_audio")), (), tuple(video.gaps["audio_track"])), None
    return None, None


def corpus_links_tables(io_manager) -> dict[str, pd.DataFrame]:
    """The links tables (``sounds``, ``reuploads``, ``video_links``) and every match in the ledger,
    whichever exist (none before the first links_job run)."""
    out: dict[str, pd.DataFrame] = {}
    for name in LINK_TABLES:
        try:
            out[name] = io_manager.load_partition(dg.AssetKey(name), None)
        except FileNotFoundError:
            continue
    matches = Ledger(links_dir(io_manager.root)).matches() if out else []
    if matches:
        out["matches"] = matches_table(matches)
    return out


def _one_video(instance, io_manager, key: str, preset: str, checks: dict, sources: dict, out_root: str,
               links: dict | None = None, partitions: list[str] = ()) -> tuple[VideoReport, pd.DataFrame | None]:
    """One video's entry, page and profile row, from whatever of its tables exist."""
    video = VideoReport(key=key, failed=partition_failures(instance, key))
    facts, info = _decoded(io_manager, instance, key, video)
    for spec in ANALYZERS:
        for table in spec.tables:
            try:
                video.tables[spec.asset_key(table, "optimized")] = io_manager.load_partition(dg.AssetKey(spec.asset_key(table, preset)), key)
            except FileNotFoundError:
                continue
        md = latest_metadata(instance, spec.main_key(preset), key) or {}
        per = (md.get("per_partition") or {}).get(key, {})
        rtf = per.get("realtime_factor", md.get("realtime_factor"))
        if rtf is not None:
            video.rtf[spec.name] = float(rtf)
        if md.get("weights"):
            video.weights[spec.name] = md["weights"]
        for check in (spec.speed_check, spec.parity_check):
            if (check, key) in checks:
                video.checks[check] = checks[(check, key)]
    by_analyzer = {s.name: {t: video.tables[s.asset_key(t, "optimized")] for t in s.tables if s.asset_key(t, "optimized") in video.tables}
                   for s in ANALYZERS}
    page = video_page(key, video.duration_s, copy_video(sources.get(key), key, out_root), {k: v for k, v in by_analyzer.items() if v},
                      dict(video.weights), ANALYZERS, video.contact_sheet, gaps=video.gaps, failed=video.failed,
                      linked=page_links(key, (links or {}).get("matches"), {p: f"{p}.html" for p in partitions}))
    files.write_bytes_atomic(files.join(out_root, "videos", f"{key}.html"), page.encode())
    if facts is None:
        return video, None
    # The same profile as the video_profile asset's, from the same tables.
    tables = {s.name: {t: video.tables[s.asset_key(t, "optimized")] for t in s.tables}
              for s in ANALYZERS if all(s.asset_key(t, "optimized") in video.tables for t in s.tables)}
    failed = "; ".join(f"{step}: {cause}" for step, cause in video.failed.items()) or None
    return video, build_profile(key, facts, tables, dict(video.weights), object_frames(facts.frame_count, preset), failed)


def build_report(instance: dg.DagsterInstance, io_manager, partitions: list[str], out_root: str,
                 preset: str = "optimized", corpus_root: str | None = None) -> tuple[str, dict[str, int], list[VideoReport]]:
    """The report of one preset's tables. Tables keep the analyzer's table names (the optimized
    asset names) for either preset; the dataset says which preset made them in a ``preset`` column.
    ``corpus_root``: where the videos are, to copy each beside its page (None: pages without a player).

    Every video is in it with whatever tables it has: one that failed whole or part-way is shown with
    what it has and what failed and why (``partition_failures``), and one video whose page cannot be
    made is named with the cause, never taking the report of the others down."""
    checks = latest_check_status(instance)
    videos, profiles = [], []
    pages: dict[str, str] = {}
    sources = {v.key: v for v in listing.scan(corpus_root)} if corpus_root else {}
    links = corpus_links_tables(io_manager) if preset == "optimized" else {}
    for key in partitions:
        try:
            video, profile = _one_video(instance, io_manager, key, preset, checks, sources, out_root, links, partitions)
            pages[key] = f"videos/{key}.html"
        except Exception as exc:  # noqa: BLE001 - one video's page never takes the others' report down
            log.exception("corpus report: the page of %s failed", key)
            video, profile = VideoReport(key=key, failed={**partition_failures(instance, key), "report": f"{type(exc).__name__}: {exc}"}), None
        videos.append(video)
        if profile is not None:
            profiles.append(profile)
    profile = pd.concat(profiles, ignore_index=True) if profiles else None
    if profile is not None and "video_links" in links:
        profile = profile.merge(links["video_links"], on="video", how="left")
    rows = write_dataset(videos, files.join(out_root, "tables"), preset, profile)
    for name in LINK_TABLES:
        if name in links:  # the corpus' tables beside the per-video ones
            write_table(links[name], files.join(out_root, "tables", f"{name}.parquet"))
            rows[name] = len(links[name])
    html_url = files.join(out_root, "report.html")
    title = "video-assets corpus report" + ("" if preset == "optimized" else f" ({preset} preset)")
    files.write_bytes_atomic(html_url, render_html(videos, ANALYZERS, title, profile, pages, (
        (lambda link: corpus_links_html(links.get("sounds"), links.get("reuploads"), link)) if links else None)).encode())
    return html_url, rows, videos


@dg.asset(
    deps=[dg.AssetKey(s.asset_key(t, "optimized")) for s in ANALYZERS for t in s.tables] + [dg.AssetKey("video_frames")]
    + [dg.AssetKey(t) for t in LINK_TABLES],
    group_name=REPORT_GROUP,
    kinds={"html", "parquet"},
    required_resource_keys={"io_manager", "corpus"},
    description="Every analyzer's latest table for every video (one Parquet dataset) and a report folder: the corpus page and "
                "a page per video with the video and its timeline (captions, speech, cuts, faces, music, ...).",
)
def corpus_report(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    io = context.resources.io_manager
    partitions = sorted(context.instance.get_dynamic_partitions(VIDEOS_PARTITION_NAME))
    html_url, rows, videos = build_report(context.instance, io, partitions, files.join(io.root, "corpus_report"),
                                          corpus_root=context.resources.corpus.root)
    random = sorted({f"{a}: {w}" for v in videos for a, w in v.weights.items() if w != "real"})
    metadata = {
        "report": dg.MetadataValue.path(html_url),
        "videos": len(videos),
        "rows_per_table": dg.MetadataValue.json(rows),
    }
    if files.is_local(html_url):
        metadata["open_report"] = dg.MetadataValue.url("file://" + html_url.removeprefix("file://"))
    if random:
        metadata["WARNING"] = "random-init weights in " + ", ".join(random)
    trouble = {v.key: v.failed for v in videos if v.failed}
    if trouble:
        metadata["failed_or_partial"] = dg.MetadataValue.json(trouble)
    damaged = {v.key: {k: g for k, g in v.gaps.items() if g} for v in videos if any(v.gaps.values())}
    if damaged:
        metadata["decoded_around_damage"] = dg.MetadataValue.json(damaged)
    return dg.MaterializeResult(metadata=metadata)
