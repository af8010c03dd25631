"""``make demo``: the bundled sample corpus through the code location, on the embedded instance.

1. writes the sample corpus (deterministic) unless it is there, and the links clips into its
   ``links/`` folder (``demo_links.py``: decoded and fingerprinted only, then scored against their truth);
2. registers one partition per video, as the corpus sensor does (same code), with the files'
   content hashes as observed data versions;
3. runs ``corpus_job`` for every partition (frames, audio, every optimized analyzer, speed checks,
   the sound and footage fingerprints), then ``links_job`` (what the videos share);
4. runs the baseline twins and parity checks for the canary partitions: by default only of the
   analyzers whose baseline runs at most ``FAST_BASELINE_RTF`` times realtime on the reference CPU
   (their committed benchmark rows); the others' (EasyOCR reads a frame in ~20 s on 2 cores) with
   ``--parity full``, or ``make demo-parity`` afterwards (``--parity-only``);
5. writes the report and prints a table of what was produced, read back from the instance, the
   profile, a search, and how long each phase took.

Offline there are no trained YOLO weights, so unless ``VIDEO_ASSETS_YOLO_*`` say otherwise the
demo uses random-init weights of the real architectures, and every such row says
``weights: random-init``: plumbing and speed, never results. Open the same instance in the UI with
``make dev``.
"""

from __future__ import annotations

import argparse
import os
import sys

OFFLINE_DEFAULTS = {
    # Random-init weights give no results whatever their size, so the demo runs the nano network
    # through the same plumbing (yolov8l alone took a third of the demo's analysis time); the
    # benchmark measures the presets' real architectures (make bench).
    "VIDEO_ASSETS_YOLO_BASELINE": "random:yolov8n",
    "VIDEO_ASSETS_YOLO_OPTIMIZED": "random:yolov8n",
    # A 7B model does not fit a demo on 2 CPU cores even with weights; the tiny random model runs
    # the same processor, generate and tables.
    "VIDEO_ASSETS_QWEN_BASELINE": "random:tiny",
    "VIDEO_ASSETS_QWEN_OPTIMIZED": "random:tiny",
}


def register_partitions(instance, corpus_root: str) -> list[str]:
    """The corpus sensor's own tick, applied directly (settle time 0: the files were just written)."""
    import dagster as dg

    from resources.corpus import VideoCorpus
    from video_assets.defs.sensors import scan_corpus

    ctx = dg.build_sensor_context(instance=instance)
    result = scan_corpus(ctx, VideoCorpus(root=corpus_root, settle_seconds=0, incomplete_grace_seconds=0))
    for request in result.dynamic_partitions_requests:
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    for event in result.asset_events:
        instance.report_runless_asset_event(event)
    return sorted(instance.get_dynamic_partitions("videos"))


# A baseline slower than this (realtime factor on the reference CPU, benchmark/results/results.json)
# is left out of the demo's parity run: EasyOCR's (23x) alone took 7.7 of the demo's 10.5 minutes.
FAST_BASELINE_RTF = 3.0


def baseline_rtf() -> dict[str, float]:
    """Analyzer -> the slowest committed baseline realtime factor of its benchmark rows (none: not measured)."""
    import json

    from video_assets.analyzers import ANALYZERS
    from video_assets.runtime import settings

    rows = json.loads((settings.PROJECT_DIR / "benchmark" / "results" / "results.json").read_text())["analyzers"]
    out = {}
    for spec in ANALYZERS:
        mine = [r["rtf_baseline"] for name, r in rows.items() if name.split("[")[0] == spec.name and "rtf_baseline" in r]
        if mine:
            out[spec.name] = max(mine)
    return out


def parity_split(scope: str, random_init: set[str] = frozenset()) -> tuple[list, list]:
    """(analyzers whose parity the demo runs, those it leaves out) for --parity fast|full|none.
    ``fast`` leaves out the slow baselines and the analyzers on random-init weights (``random_init``:
    their parity is not meaningful, and yolov8x's baseline alone took half the parity run)."""
    from video_assets.analyzers import ANALYZERS

    if scope == "none":
        return [], list(ANALYZERS)
    measured = baseline_rtf()
    fast = [a for a in ANALYZERS if scope == "full" or (measured.get(a.name, 0.0) <= FAST_BASELINE_RTF and a.name not in random_init)]
    return fast, [a for a in ANALYZERS if a not in fast]


def random_init_analyzers(resources: dict) -> set[str]:
    """The analyzers whose model resource is set to random-init weights (before loading anything)."""
    from video_assets.analyzers import ANALYZERS

    return {a.name for a in ANALYZERS if a.model and resources[a.model].weights_label() != "real"}


def contiguous_runs(registered: list[str], wanted: list[str], per_run: int) -> list[list[str]]:
    """``wanted`` in runs of at most ``per_run`` videos, each a contiguous range of the partitions
    in their registered order (what a partition range tag selects)."""
    chosen = set(wanted)
    runs: list[list[str]] = []
    for i, key in enumerate(registered):
        if key not in chosen:
            continue
        last = runs[-1] if runs else None
        if last and registered[i - 1] == last[-1] and len(last) < per_run:
            last.append(key)
        else:
            runs.append([key])
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the sample corpus through video-assets and print what was produced.")
    parser.add_argument("--parity", choices=["fast", "full", "none"], default="fast",
                        help=f"canary parity: of the analyzers whose baseline runs within {FAST_BASELINE_RTF:g}x realtime (default), all, or none")
    parser.add_argument("--skip-parity", action="store_true", help="the same as --parity none")
    parser.add_argument("--parity-only", action="store_true", help="only the canary parity run (after a demo): make demo-parity")
    parser.add_argument("--partitions", default="", help="comma-separated videos to run (default: every video in the corpus)")
    parser.add_argument("--no-links-clips", action="store_true",
                        help="leave out the links clips (written to the corpus' links/ folder, decoded and fingerprinted; "
                             "left out anyway with --partitions)")
    args = parser.parse_args(argv)
    defaulted = []
    for name, value in OFFLINE_DEFAULTS.items():
        if not os.environ.get(name):
            os.environ[name] = value
            defaulted.append(f"{name.removeprefix('VIDEO_ASSETS_')}={value}")
    if defaulted:
        print(f"no trained weights set, using random-init ones (labelled as such): {', '.join(defaulted)}")
    from video_assets.cli import console
    from video_assets.cli.summary import corpus_overview, links_against_truth, results_table
    from video_assets.runtime import settings

    log_path = console.quiet_to_file(settings.PROJECT_DIR / "data" / "demo.log")
    import dagster as dg

    from pathlib import Path

    from video_assets.defs.canary import canary_partitions
    from video_assets.defs.partitions import videos_partitions_def

    from video_assets.sample.build import ensure_corpus

    corpus_root = settings.corpus_root()
    print(f"sample corpus: {corpus_root}")
    ensure_corpus(Path(corpus_root))
    from video_assets.cli import demo_links
    from video_assets.definitions import defs

    links_truth = None
    if not (args.partitions or args.no_links_clips or args.parity_only):
        print(f"links clips (shared sound, re-uploads, a shared shot): {Path(corpus_root) / demo_links.FOLDER}")
        links_truth = demo_links.ensure(corpus_root)
    link_keys = demo_links.keys(links_truth) if links_truth else {}
    instance = dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()
    registered = register_partitions(instance, corpus_root)
    # The links clips are decoded and fingerprinted only (demo_links.py); an earlier demo's, left in
    # the folder, are registered like any file but not run unless named.
    in_links = demo_links.in_folder(corpus_root)
    partitions = [p for p in registered if p not in in_links]
    if args.partitions:
        wanted = [p.strip() for p in args.partitions.split(",") if p.strip()]
        unknown = sorted(set(wanted) - set(partitions))
        if unknown:
            parser.error(f"--partitions: {unknown} not in the corpus ({', '.join(partitions)})")
        partitions = wanted
    print(f"{len(partitions)} partitions: {', '.join(partitions)}"
          + (f"; and the {len(link_keys)} links clips (decoded and fingerprinted)" if link_keys else "") + f"; event log: {log_path}")
    check_events: dict = {}
    failed: list[str] = []
    from video_assets.media.listing import find
    from video_assets.media.container import MediaError, probe

    def seconds_of(keys: list[str]) -> float:
        """The videos' total duration (an unreadable one counts 0: its run fails with the cause)."""
        total = 0.0
        for key in keys:
            try:
                total += probe(find(corpus_root, key).url).duration_s
            except MediaError:
                pass
        return total

    def execute(job_name: str, keys: list[str], where=None) -> None:
        """One run over ``keys`` (a contiguous range of the partitions: several videos per run, as
        the corpus sensor launches them, so a run's overhead is paid once, not per video)."""
        job = (where or defs).resolve_job_def(job_name).with_logger_defs({"progress": console.progress_logger})
        video_s = seconds_of(keys)
        label = f"{job_name} [{keys[0]}]" if len(keys) == 1 else f"{job_name} [{len(keys)} videos]"
        with console.video_progress(label, job, instance, video_s):
            if len(keys) == 1:
                result = job.execute_in_process(partition_key=keys[0], instance=instance, raise_on_error=False, run_config=console.RUN_CONFIG)
            else:
                tags = {"dagster/asset_partition_range_start": keys[0], "dagster/asset_partition_range_end": keys[-1]}
                result = job.execute_in_process(tags=tags, instance=instance, raise_on_error=False, run_config=console.RUN_CONFIG)
        for evaluation in result.get_asset_check_evaluations():
            key = evaluation.partition or (keys[0] if len(keys) == 1 else None)
            if key is not None:  # a step's summary over its videos has no partition
                check_events[(evaluation.asset_key.to_user_string(), evaluation.check_name, key)] = evaluation
        if not result.success:
            failed.append(f"{job_name}[{', '.join(keys)}]")
            for line in console.failure_lines(result):
                print(f"  FAILED: {line}", file=sys.stderr)

    import time

    phases: dict[str, float] = {}
    t0 = t_corpus = time.perf_counter()
    if not args.parity_only:
        # Runs of up to VIDEO_ASSETS_VIDEOS_PER_RUN videos, each a contiguous range of the partitions.
        for keys in contiguous_runs(list(instance.get_dynamic_partitions("videos")), partitions, settings.videos_per_run()):
            execute("corpus_job", keys)
        phases[f"corpus job ({len(partitions)} video{'' if len(partitions) == 1 else 's'})"] = time.perf_counter() - t_corpus
        if link_keys:
            t_clips = time.perf_counter()
            with_links = demo_links.with_job(defs)
            for keys in contiguous_runs(list(instance.get_dynamic_partitions("videos")), list(link_keys.values()), settings.videos_per_run()):
                execute(demo_links.JOB_NAME, keys, with_links)
            phases[f"links clips decoded and fingerprinted ({len(link_keys)} videos)"] = time.perf_counter() - t_clips
        # What travels between the videos (issue #52): one lookup per video in the links ledger.
        t_links = time.perf_counter()
        links = defs.resolve_job_def("links_job").execute_in_process(instance=instance, raise_on_error=False,
                                                                     run_config=console.SILENT_RUN_CONFIG)
        if not links.success:
            failed.append("links_job")
            for line in console.failure_lines(links):
                print(f"  FAILED: {line}", file=sys.stderr)
        phases["links"] = time.perf_counter() - t_links
    scope = "none" if args.skip_parity else "full" if args.parity_only else args.parity
    from video_assets.definitions import default_resources

    checked, left_out = parity_split(scope, random_init_analyzers(default_resources()))
    canaries = canary_partitions(partitions)
    if checked:
        from video_assets.defs.jobs import parity_selection

        job_defs = dg.Definitions.merge(defs, dg.Definitions(jobs=[dg.define_asset_job(
            "demo_parity_job", selection=parity_selection(checked), partitions_def=videos_partitions_def)]))
        t1 = time.perf_counter()
        for key in canaries:
            execute("demo_parity_job", [key], job_defs)
        phases[f"parity ({', '.join(a.name for a in checked)} on {', '.join(canaries)})"] = time.perf_counter() - t1
    from video_assets.defs.assets.corpus_report import corpus_report
    from video_assets.definitions import default_resources

    t2 = time.perf_counter()
    report = dg.materialize([corpus_report], instance=instance, resources=default_resources(), raise_on_error=False,
                            run_config=console.SILENT_RUN_CONFIG)
    phases["report"] = time.perf_counter() - t2
    report_path = next((e.materialization.metadata["report"].value for e in report.get_asset_materialization_events()), None)
    if not report.success:
        failed.append("corpus_report")
    print()
    print(results_table(instance, partitions, check_events))
    print(corpus_overview(default_resources(), partitions))
    if links_truth:
        print(f"\nThe links clips against their ground truth ({Path(corpus_root) / demo_links.FOLDER / 'ground_truth.json'}):")
        print("\n".join(links_against_truth(default_resources(), links_truth, link_keys)))
    if report_path:
        print(f"\nCorpus report: {report_path} (a page per video: videos/<video>.html)")
    print("\nTook: " + "; ".join(f"{name} {seconds:.0f} s" for name, seconds in phases.items()) + f"; in all {time.perf_counter() - t0:.0f} s")
    if left_out and scope != "none":
        rtf, random = baseline_rtf(), random_init_analyzers(default_resources())
        slow = ", ".join(f"{a.name} (" + ("random-init weights, " if a.name in random else "") + f"baseline {rtf.get(a.name, 0):.0f}x "
                         "realtime on 2 CPU cores)" for a in left_out)
        canary_s = seconds_of(canaries)
        # What the committed measurements say it costs here (the random-init Qwen2-VL the demo uses,
        # tiny, runs far below its 2B measurement: counted at the optimized preset's pace).
        estimate = sum(rtf.get(a.name, 0.0) for a in left_out if a.name not in random) * canary_s
        print(f"Left out of the demo's parity run: {slow}. Run them with `make demo-parity`: about "
              f"{estimate / 60:.0f} min for the canary {', '.join(canaries)} ({canary_s:.0f} s) by the committed "
              "baseline measurements on 2 CPU cores, most of it EasyOCR.")
    print(f"\nInstance: {os.environ.get('DAGSTER_HOME', 'ephemeral')}; storage: {settings.storage_root()}; log: {log_path}. Open the UI with `make dev`.")
    if failed:
        print(f"failed runs: {failed}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
