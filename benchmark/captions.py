"""Following the text vs fixed sampling, text_overlay's optimized preset, on the same decoded clips.

    python -m benchmark.captions [--reps 3] [--corpus DIR] [--clips ...] [--engine rapidocr] [--out benchmark/results]

Two paths, interleaved clip by clip and repetition by repetition in one process, on the same
stored frames: ``follow`` (the preset: its samples every 0.5 s plus the fine stream between them,
``text_overlay/follow.py``) and ``fixed`` (the same code with ``follow=False``: the samples every
0.5 s alone, as before). Per path: median seconds, realtime factor, reads, and accuracy against
the ground truth (strict recall / precision; for auto-caption clips the share of chunks on time
and the lines found). Also what following costs in storage: the bytes of ``video_frames`` per
video second with and without the fine plans, and the peak resident memory of each path.
Writes ``captions.json`` and ``captions.md``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import time
from pathlib import Path

from benchmark.__main__ import PeakRss, _machine_label, commit, machine
from video_assets.runtime import settings

KEYS = ("recall", "precision", "chunks_on_time", "chunks_as_scene", "line_recall")


def main(argv: list[str] | None = None) -> int:
    from resources.ocr import OcrResource
    from video_assets import analyzers
    from video_assets.analyzers import text_overlay as T
    from video_assets.media.decode import decode_frames
    from video_assets.sample.build import ensure_corpus

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--corpus", type=Path, default=Path(settings.corpus_root()))
    parser.add_argument("--clips", nargs="*", default=None)
    parser.add_argument("--engine", default="rapidocr", choices=("rapidocr", "easyocr"))
    parser.add_argument("--out", type=Path, default=Path("benchmark/results"))
    args = parser.parse_args(argv)
    truth = ensure_corpus(args.corpus)["clips"]
    clips = args.clips or list(truth)
    all_plans = analyzers.sampling_plans()
    fine_names = {T.follow_plan(c).name for c in T.PRESETS.values()}
    without = [p for p in all_plans if p.name not in fine_names]
    storage = {"with_follow": 0, "without_follow": 0}
    frames = {}
    video_s = 0.0
    for clip in clips:
        path = str(args.corpus / f"{clip}.mp4")
        frames[clip] = decode_frames(path, all_plans)
        storage["with_follow"] += frames[clip].nbytes
        storage["without_follow"] += decode_frames(path, without).nbytes
        video_s += frames[clip].info.duration_s
    engine = OcrResource(engine=args.engine).load("optimized").model
    paths = {"follow": T.OPTIMIZED, "fixed": dataclasses.replace(T.OPTIMIZED, follow=False)}
    times = {p: {c: [] for c in clips} for p in paths}
    peaks = {p: 0 for p in paths}
    results = {p: {} for p in paths}
    for rep in range(args.reps):
        for clip in clips:
            for name, config in paths.items():
                with PeakRss() as mem:
                    t0 = time.perf_counter()
                    result = T.run(frames[clip], config, engine)
                    times[name][clip].append(time.perf_counter() - t0)
                peaks[name] = max(peaks[name], mem.peak)
                results[name][clip] = result
                print(f"  {name:6s} {clip:18s} rep {rep + 1}/{args.reps}: {times[name][clip][-1]:.2f} s", flush=True)
    out = {"machine": machine(), "commit": commit(), "engine": engine.name, "runtime": getattr(engine, "runtime", ""),
           "reps": args.reps, "clips": clips, "video_s": round(video_s, 2),
           "stored_frame_bytes_per_video_s": {k: round(v / video_s) for k, v in storage.items()}, "paths": {}}
    for name in paths:
        med = {c: statistics.median(ts) for c, ts in times[name].items()}
        per_clip = {}
        for clip in clips:
            r = results[name][clip]
            acc = T.ANALYZER.evaluate(r.tables, truth[clip], frames[clip].info.duration_s)
            per_clip[clip] = {"s": round(med[clip], 3), "rtf": round(med[clip] / frames[clip].info.duration_s, 4),
                              "reads": r.stats.get("frames_ocr", 0), "fine_reads": r.stats.get("fine_read", 0),
                              **{k: acc[k] for k in KEYS if k in acc}}
        out["paths"][name] = {"seconds": round(sum(med.values()), 3), "rtf": round(sum(med.values()) / video_s, 4),
                              "peak_rss_mb": round(peaks[name] / 2**20), "clips": per_clip}
    out["follow_over_fixed_time"] = round(out["paths"]["follow"]["seconds"] / out["paths"]["fixed"]["seconds"], 3)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "captions.json").write_text(json.dumps(out, indent=2))
    (args.out / "captions.md").write_text(markdown(out))
    print(markdown(out))
    return 0


def markdown(r: dict) -> str:
    lines = [f"text_overlay optimized ({r['engine']}, {r['runtime']}): following the text vs fixed 0.5 s sampling, commit "
             f"`{r['commit'][:10]}` on {_machine_label(r['machine'])}, {len(r['clips'])} clips ({r['video_s']} s), "
             f"median of {r['reps']} interleaved repetitions (`python -m benchmark.captions`).", "",
             "| path | seconds | RTF | peak RSS MB |", "|---|---|---|---|"]
    for name, p in r["paths"].items():
        lines.append(f"| {name} | {p['seconds']} | {p['rtf']} | {p['peak_rss_mb']} |")
    lines += ["", f"follow / fixed time: {r['follow_over_fixed_time']}. Stored frames (`video_frames`, all analyzers' plans), bytes per "
              f"video second: {r['stored_frame_bytes_per_video_s']['without_follow']:,} without the fine plans, "
              f"{r['stored_frame_bytes_per_video_s']['with_follow']:,} with them.", "",
              "| clip | path | RTF | reads (fine) | recall | precision | chunks on time | chunks as scene | line recall |",
              "|---|---|---|---|---|---|---|---|---|"]
    for clip in r["clips"]:
        for name, p in r["paths"].items():
            c = p["clips"][clip]
            lines.append(f"| {clip} | {name} | {c['rtf']} | {c['reads']} ({c['fine_reads']}) | {c.get('recall', '-')} | {c.get('precision', '-')} | "
                         f"{c.get('chunks_on_time', '-')} | {c.get('chunks_as_scene', '-')} | {c.get('line_recall', '-')} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
