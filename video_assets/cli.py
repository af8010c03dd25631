"""``video-assets``: the same assets, in-process, without a Dagster deployment.

    video-assets analyze PATH [--preset optimized|baseline] [--only ANALYZER ...] [--out DIR]
    video-assets sample-corpus DIR
    video-assets demo

``analyze`` takes one video or a folder of videos, runs video_frames, audio_track and the chosen
analyzers on an ephemeral Dagster instance (one partition per video, as the corpus sensor would
name them), writes every table under ``--out`` and prints a summary. Models load once for all videos.
"""

from __future__ import annotations

import argparse
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


def analyze(args: argparse.Namespace) -> int:
    out = Path(args.out).resolve()
    os.environ["VIDEO_ASSETS_STORAGE"] = str(out / "storage")
    corpus_root, keep = _corpus_for(Path(args.path))
    os.environ["VIDEO_ASSETS_CORPUS"] = corpus_root
    import dagster as dg
    from tqdm import tqdm

    from video_assets.assets import ANALYZER_SPECS
    from video_assets.definitions import ALL_ASSETS, ALL_CHECKS, default_resources
    from video_assets.demo import register_partitions

    specs = [s for s in ANALYZER_SPECS if not args.only or s.name in args.only]
    unknown = set(args.only or ()) - {s.name for s in ANALYZER_SPECS}
    if unknown:
        raise SystemExit(f"video-assets: unknown analyzer(s) {sorted(unknown)}; choose from {[s.name for s in ANALYZER_SPECS]}")
    keys = ["video_frames", "audio_track"]
    for spec in specs:
        keys += [spec.asset_key(t, args.preset) for t in spec.table_names()]
    selection = dg.AssetSelection.assets(*keys).without_checks()
    if args.preset == "optimized":
        selection = selection | dg.AssetSelection.checks(*[
            dg.AssetCheckKey(dg.AssetKey(s.asset_key(s.table_names()[0], "optimized")), f"{s.name}_speed") for s in specs
        ])
    resources = default_resources()
    instance = dg.DagsterInstance.ephemeral()
    partitions = register_partitions(instance, corpus_root)
    if not partitions:
        raise SystemExit(f"video-assets: no videos under {args.path}")
    failures: list[str] = []
    rows: list[list[str]] = []
    for key in tqdm(partitions, desc="videos", unit="video", file=sys.stderr):
        t0 = time.perf_counter()
        result = dg.materialize([*ALL_ASSETS, *ALL_CHECKS], selection=selection, partition_key=key, instance=instance,
                                resources=resources, raise_on_error=False)
        if not result.success:
            errors = [e.step_failure_data.error.message.strip().splitlines()[0] for e in result.all_events if e.is_step_failure]
            failures.append(f"{key}: {'; '.join(errors) or 'failed'}")
        row = [key, f"{time.perf_counter() - t0:.1f}"]
        mats = {e.asset_key.to_user_string(): e.materialization.metadata for e in result.get_asset_materialization_events()}
        for spec in specs:
            md = mats.get(spec.asset_key(spec.table_names()[0], args.preset), {})
            weights = md.get("weights")
            row.append(f"{md['rows'].value}{'*' if weights and weights.value != 'real' else ''}" if "rows" in md else "-")
        rows.append(row)
    header = ["video", "seconds"] + [f"{s.name} rows" for s in specs]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)))
    from video_assets.assets.report import build_report

    html_url, _, _ = build_report(instance, resources["io_manager"], partitions, str(out / "report"))
    print(f"\ntables: {out / 'storage'} (one Parquet file per asset and video); all videos together: {out / 'report' / 'tables'}")
    print(f"report: {html_url}")
    if any("*" in c for r in rows for c in r):
        print("* random-init weights: plumbing and speed only, not results")
    for failure in failures:
        print(f"FAILED {failure}", file=sys.stderr)
    if keep is not None:
        keep.cleanup()
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="video-assets", description="Analysis tables from short vertical videos (a Dagster code location).")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("analyze", help="run the assets in-process on one video or a folder and print a summary",
                       description="Run video_frames, audio_track and the analyzers on PATH (a video or a folder of videos) "
                                   "with an ephemeral Dagster instance; tables go under --out.")
    p.add_argument("path", help="a video file or a folder of videos")
    p.add_argument("--preset", choices=["optimized", "baseline"], default="optimized", help="analyzer preset (default: optimized)")
    p.add_argument("--only", nargs="*", metavar="ANALYZER", help="analyzers to run (default: all): qwen2_vl_temporal text_overlay object_detection speech_rate")
    p.add_argument("--out", default="video-assets-out", help="output folder (default: ./video-assets-out)")
    p.set_defaults(func=analyze)
    s = sub.add_parser("sample-corpus", help="write the deterministic sample corpus and its ground truth to DIR")
    s.add_argument("out_dir")
    s.set_defaults(func=lambda a: __import__("video_assets.sample_corpus", fromlist=["main"]).main([a.out_dir]))
    d = sub.add_parser("demo", help="the sample corpus through every asset on the instance in $DAGSTER_HOME (make demo)")
    d.set_defaults(func=lambda a: __import__("video_assets.demo", fromlist=["main"]).main([]))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
