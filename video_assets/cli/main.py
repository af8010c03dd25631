"""``video-assets``: the same assets, in-process, without a Dagster deployment.

    video-assets analyze PATH [--preset optimized|baseline] [--only ANALYZER ...] [--out DIR]
    video-assets search "QUERY" [--source caption|scene_text|speech|description] [--video KEY] [--limit N]
                               [--mode keyword|semantic] [--index URI]
    video-assets similar VIDEO [--by sound|footage] [--storage DIR]
    video-assets sample-corpus DIR [--real] [--only NAME ...]
    video-assets demo

``analyze`` takes one video or a folder of videos, runs video_frames, audio_track and the chosen
analyzers on an ephemeral Dagster instance (one partition per video, as the corpus sensor would
name them), writes every table under ``--out`` and prints a summary. Models load once for all videos.
``search`` asks the corpus index (``corpus_index``, what ``make demo`` and the corpus job fill) and
prints video, source, time span, text and score, best first. ``similar`` lists the videos that
share a sound or footage with VIDEO (what ``links_job`` and ``analyze`` found), with where and how.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path


def _corpus_for(path: Path) -> tuple[str, tempfile.TemporaryDirectory | None]:
    """A folder is the corpus; a single file gets a corpus of its own (a link in a temp folder)."""
    if path.is_dir():
        return str(path), None
    if not path.exists():
        raise SystemExit(f"video-assets: {path}: no such file or folder")
    tmp = tempfile.TemporaryDirectory(prefix="video-assets-")
    (Path(tmp.name) / path.name).symlink_to(path.resolve())
    return tmp.name, tmp


def preflight(specs: list, preset: str, resources: dict) -> tuple[list, list[str]]:
    """Ask each analyzer's model resource for its weights before the first video (seconds, no
    download). Returns (the analyzers that can run, one line for each that cannot)."""
    from resources.model_cache import MissingWeightsError

    ready, missing = [], []
    for spec in specs:
        if not spec.model:
            ready.append(spec)
            continue
        try:
            resources[spec.model].preflight(preset)
            ready.append(spec)
        except MissingWeightsError as exc:
            missing.append(f"{spec.name} cannot run: {exc}")
    return ready, missing


def analyze(args: argparse.Namespace) -> int:
    out = Path(args.out).resolve()
    os.environ["VIDEO_ASSETS_STORAGE"] = str(out / "storage")
    corpus_root, keep = _corpus_for(Path(args.path))
    os.environ["VIDEO_ASSETS_CORPUS"] = corpus_root
    from video_assets.cli import console

    log_path = console.quiet_to_file(out / "video-assets.log")
    import dagster as dg

    from video_assets.analyzers import ANALYZERS
    from video_assets.media.container import MediaError, probe
    from video_assets.definitions import ALL_ASSETS, ALL_CHECKS, default_resources
    from video_assets.cli.demo import register_partitions
    from video_assets.defs.batching import INSIGHTS, failed_part_way
    from video_assets.defs.jobs import FINGERPRINT_ASSETS, LINK_TABLES, decode_gaps_check_keys, result_check_keys
    from video_assets.defs.partitions import videos_partitions_def

    specs = [s for s in ANALYZERS if not args.only or s.name in args.only]
    resources = default_resources()
    specs, missing = preflight(specs, args.preset, resources)
    for line in missing:
        print(line, file=sys.stderr)
    if missing:
        if not specs:
            print("video-assets: no analyzer can run; set the variables above", file=sys.stderr)
            return 2
        print(f"running the others; to run only those: --only {' '.join(s.name for s in specs)}\n", file=sys.stderr)
    keys = ["video_frames", "audio_track"]
    for spec in specs:
        keys += [spec.asset_key(t, args.preset) for t in spec.tables]
    if args.preset == "optimized":
        keys += ["video_profile", "corpus_index", *FINGERPRINT_ASSETS]  # from whichever analyzers ran
    selection = dg.AssetSelection.assets(*keys).without_checks()
    if args.preset == "optimized":
        selection = selection | dg.AssetSelection.checks(*[
            dg.AssetCheckKey(dg.AssetKey(s.main_key("optimized")), s.speed_check) for s in specs
        ], *result_check_keys(specs))
    selection = selection | dg.AssetSelection.checks(*decode_gaps_check_keys())
    # A video that failed part-way (its frames undecodable, its audio fine) gets its profile and
    # spans from what it has: Dagster skips them in the failed run (batching.failed_part_way).
    insights = dg.define_asset_job("insights", selection=dg.AssetSelection.assets(*INSIGHTS), partitions_def=videos_partitions_def)
    defs = dg.Definitions(
        assets=ALL_ASSETS, asset_checks=ALL_CHECKS, resources=resources,
        jobs=[dg.define_asset_job("analyze", selection=selection, partitions_def=videos_partitions_def), insights],
    )
    links_job = dg.define_asset_job("links", selection=dg.AssetSelection.assets(*LINK_TABLES))
    defs = dg.Definitions.merge(defs, dg.Definitions(jobs=[links_job]))
    job = defs.resolve_job_def("analyze").with_logger_defs({"progress": console.progress_logger})
    insights_job = defs.resolve_job_def("insights").with_logger_defs({"progress": console.progress_logger})
    instance = dg.DagsterInstance.ephemeral()
    partitions = register_partitions(instance, corpus_root)
    if not partitions:
        raise SystemExit(f"video-assets: no videos under {args.path}")
    from video_assets.media.listing import find

    print(f"{len(partitions)} video(s), analyzers: {', '.join(s.name for s in specs)} ({args.preset}); log: {log_path}", file=sys.stderr)
    failures: list[str] = []
    damaged: list[str] = []
    rows: list[list[str]] = []
    for i, key in enumerate(partitions, 1):
        t0 = time.perf_counter()
        try:
            video_s = probe(find(corpus_root, key).url).duration_s
        except MediaError:
            video_s = 0.0  # the run itself fails with the cause
        with console.video_progress(f"[{i}/{len(partitions)}] {key}", job, instance, video_s):
            result = job.execute_in_process(partition_key=key, instance=instance, raise_on_error=False, run_config=console.RUN_CONFIG)
        mats = {e.asset_key.to_user_string(): e.materialization.metadata for e in result.get_asset_materialization_events()}
        if not result.success:
            failures += [f"{key}: {line}" for line in console.failure_lines(result)] or [f"{key}: failed"]
            if args.preset == "optimized" and failed_part_way(set(mats)):
                insights_job.execute_in_process(partition_key=key, instance=instance, raise_on_error=False, run_config=console.RUN_CONFIG)
        damaged += [f"{key}: {line}" for line in console.gap_lines(result)]
        row = [key, f"{time.perf_counter() - t0:.1f}"]
        for spec in specs:
            md = mats.get(spec.main_key(args.preset), {})
            weights = md.get("weights")
            row.append(f"{md['rows'].value}{'*' if weights and weights.value != 'real' else ''}" if "rows" in md else "-")
        rows.append(row)
    if args.preset == "optimized":  # the links among the folder's videos: one lookup per video
        linked = defs.resolve_job_def("links").execute_in_process(instance=instance, raise_on_error=False,
                                                                 run_config=console.SILENT_RUN_CONFIG)
        if not linked.success:
            failures += [f"links: {line}" for line in console.failure_lines(linked)] or ["links: failed"]
    header = ["video", "seconds"] + [f"{s.name} rows" for s in specs]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print()
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)))
    from video_assets.defs.assets.corpus_report import build_report

    try:
        html_url, _, _ = build_report(instance, resources["io_manager"], partitions, str(out / "report"), preset=args.preset,
                                      corpus_root=corpus_root)
    except Exception as exc:  # noqa: BLE001 - the summary and the causes below are printed whatever happens here
        logging.getLogger(__name__).exception("the report failed")
        failures.append(f"report: {type(exc).__name__}: {exc} (traceback in {log_path})")
        html_url = None
    print(f"\ntables: {out / 'storage'} (one Parquet file per asset and video); all videos together: {out / 'report' / 'tables'}")
    print(f"report: {html_url or 'not written (see FAILED report below)'}")
    if args.preset == "optimized" and linked.success:
        md = {e.asset_key.to_user_string(): e.materialization.metadata for e in linked.get_asset_materialization_events()}
        print(f"links: {md['sounds']['rows'].value} shared sound(s), {len(md['reuploads']['reupload_groups'].value)} re-upload "
              f"group(s) (video-assets similar VIDEO --storage {out / 'storage'})")
    print(f"log: {log_path}")
    if any("*" in c for r in rows for c in r):
        print("* random-init weights: plumbing and speed only, not results")
    for line in damaged:
        print(f"DECODED AROUND DAMAGE {line}", file=sys.stderr)
    for failure in failures:
        print(f"FAILED {failure}", file=sys.stderr)
    if keep is not None:
        keep.cleanup()
    return 1 if failures or missing else 0


def search(args: argparse.Namespace) -> int:
    from resources.corpus_index import CorpusIndexResource
    from resources.model_cache import MissingWeightsError

    resource = CorpusIndexResource(**({"uri": args.index} if args.index else {}), semantic=args.mode == "semantic")
    try:
        index = resource.open()
        if not index.count():
            print(f"video-assets: the corpus index at {resource.uri} is empty; run make demo or the corpus job first", file=sys.stderr)
            return 2
        hits = index.search(args.query, mode=args.mode, source=args.source, video=args.video, limit=args.limit)
    except MissingWeightsError as exc:
        print(f"video-assets: {exc}", file=sys.stderr)
        return 2
    if not hits:
        print(f"no span matches {args.query!r}")
        return 0
    from video_assets.cli.console import format_hits

    print("\n".join(format_hits(hits)))
    return 0


def similar(args: argparse.Namespace) -> int:
    """The videos sharing a sound (``--by sound``) or footage with VIDEO, strongest first."""
    from video_assets.links.ledger import Ledger

    from video_assets.runtime import settings

    folder = Path(settings.links_dir(args.storage).removeprefix("file://"))
    if not (folder / "ledger.json").exists():
        print(f"video-assets: no links at {folder}; run links_job (or video-assets analyze) first", file=sys.stderr)
        return 2
    ledger = Ledger(folder)
    known = set().union(*ledger.state().values())
    if args.video not in known:
        print(f"video-assets: {args.video} is not in the links at {folder} ({len(known)} videos)", file=sys.stderr)
        return 2
    kinds = ("sound",) if args.by == "sound" else ("reupload", "shared_footage")
    rows = []
    for m in ledger.matches():
        if m.kind in kinds and args.video in (m.query, m.other):
            me = m.query == args.video
            other, here, there = (m.other, (m.query_start_s, m.query_end_s), (m.other_start_s, m.other_end_s)) if me else \
                (m.query, (m.other_start_s, m.other_end_s), (m.query_start_s, m.query_end_s))
            speed = m.speed if me else 1.0 / m.speed
            what = m.kind.replace("_", " ") + (" mirrored" if m.mirrored else "") if args.by == "footage" else f"speed {speed:.2f}x"
            rows.append((m.score, f"{other:24s} here {here[0]:6.1f}-{here[1]:6.1f} s  there {there[0]:6.1f}-{there[1]:6.1f} s  "
                                  f"{what}  score {m.score:g}"))
    if not rows:
        print(f"no video shares {'a sound' if args.by == 'sound' else 'footage'} with {args.video}")
        return 0
    print("\n".join(line for _, line in sorted(rows, key=lambda r: -r[0])))
    return 0


def main(argv: list[str] | None = None) -> int:
    from video_assets.analyzers import names

    parser = argparse.ArgumentParser(prog="video-assets", description="Analysis tables from short vertical videos (a Dagster code location).")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("analyze", help="run the assets in-process on one video or a folder and print a summary",
                       description="Run video_frames, audio_track and the analyzers on PATH (a video or a folder of videos) "
                                   "with an ephemeral Dagster instance; tables go under --out.")
    p.add_argument("path", help="a video file or a folder of videos")
    p.add_argument("--preset", choices=["optimized", "baseline"], default="optimized", help="analyzer preset (default: optimized)")
    p.add_argument("--only", nargs="*", metavar="ANALYZER", choices=names(), help=f"analyzers to run (default: all): {' '.join(names())}")
    p.add_argument("--out", default="video-assets-out", help="output folder (default: ./video-assets-out)")
    p.set_defaults(func=analyze)
    q = sub.add_parser("search", help="search what the corpus says and writes (captions, speech, descriptions)",
                       description="Keyword search (German and English, umlauts kept; \"a phrase\" in quotes) or semantic search "
                                   "(multilingual-e5-small: a German query finds English speech of the same meaning and the reverse) over every indexed span; best first.")
    q.add_argument("query")
    q.add_argument("--source", choices=["caption", "scene_text", "speech", "description"], help="only this source")
    q.add_argument("--video", help="only this video (partition key)")
    q.add_argument("--limit", type=int, default=10, help="hits to show (default 10)")
    q.add_argument("--mode", choices=["keyword", "semantic"], default="keyword")
    q.add_argument("--index", help="the index folder (default: VIDEO_ASSETS_INDEX, else STORAGE/corpus_index)")
    q.set_defaults(func=search)
    m = sub.add_parser("similar", help="the videos that share a sound or footage with VIDEO (after links_job or analyze)")
    m.add_argument("video", help="the video (partition key)")
    m.add_argument("--by", choices=["sound", "footage"], default="sound")
    m.add_argument("--storage", help="the storage folder (default: VIDEO_ASSETS_STORAGE, else data/storage; "
                                     "analyze: OUT/storage); VIDEO_ASSETS_LINKS_DIR overrides its links folder")
    m.set_defaults(func=similar)
    s = sub.add_parser("sample-corpus", help="write the deterministic sample corpus and its ground truth to DIR "
                                              "(--real: the corpus of real recordings, docs/real-recordings.md)")
    s.add_argument("out_dir")
    s.add_argument("--real", action="store_true", help="the clips made of real recordings instead of the synthetic ones")
    s.add_argument("--only", nargs="*", help="clip names to write (default: all)")
    s.set_defaults(func=lambda a: __import__("video_assets.sample.real.recordings" if a.real else "video_assets.sample.build",
                                             fromlist=["main"]).main([a.out_dir] + (["--only", *a.only] if a.only else [])))
    d = sub.add_parser("demo", help="the sample corpus through every asset on the instance in $DAGSTER_HOME (make demo)")
    d.set_defaults(func=lambda a: __import__("video_assets.cli.demo", fromlist=["main"]).main([]))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
