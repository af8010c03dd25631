"""Following the text vs fixed sampling, text_overlay's optimized preset, on the same decoded clips.

    python -m benchmark.captions [--reps 3] [--corpus DIR] [--clips ...] [--engine rapidocr] [--out benchmark/results]
    python -m benchmark.captions --real DIR [--paths follow] [--reps 1]   # the real-recordings corpus


Two paths, interleaved clip by clip and repetition by repetition in one process, on the same
stored frames: ``follow`` (the preset: its samples every 0.5 s plus the fine stream between them,
``text_overlay/follow.py``) and ``fixed`` (the same code with ``follow=False``: the samples every
0.5 s alone, as before). Per path: median seconds, realtime factor, reads, and accuracy against
the ground truth (strict recall / precision; for auto-caption clips the share of chunks on time
and the lines found). Also what following costs in storage: the bytes of ``video_frames`` per
video second with and without the fine plans, and the peak resident memory of each path.
Writes ``captions.json`` and ``captions.md``.

With ``--real DIR`` (the corpus ``python -m video_assets.sample.real.recordings DIR`` writes; its
clips with captions unless ``--clips``): the same measurement on real recordings, written to
``captions-real.json`` and ``captions-real.md``, with every strict-match failure listed by kind
(``text_overlay.evaluate.failures``: a caption missed as split lines, a late start, read as scene
text, lost spaces, a mixed chunk; a segment that is scene text, a lone glyph, a part of a caption).
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
    parser.add_argument("--real", type=Path, default=None, help="the real-recordings corpus folder (captions-real.*)")
    parser.add_argument("--paths", nargs="*", default=["follow", "fixed"], choices=("follow", "fixed"))
    args = parser.parse_args(argv)
    if args.real is not None:
        from video_assets.sample.real.recordings import ensure_corpus as ensure_real

        args.corpus = args.real
        truth = ensure_real(args.real)["clips"]
        clips = args.clips or [c for c, t in truth.items() if t.get("captions")]
    else:
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
    paths = {k: v for k, v in {"follow": T.OPTIMIZED, "fixed": dataclasses.replace(T.OPTIMIZED, follow=False)}.items() if k in args.paths}
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
           "corpus": "real" if args.real is not None else "sample", "reps": args.reps, "clips": clips, "video_s": round(video_s, 2),
           "stored_frame_bytes_per_video_s": {k: round(v / video_s) for k, v in storage.items()}, "paths": {}}
    for name in paths:
        med = {c: statistics.median(ts) for c, ts in times[name].items()}
        per_clip = {}
        for clip in clips:
            r = results[name][clip]
            acc = T.ANALYZER.evaluate(r.tables, truth[clip], frames[clip].info.duration_s)
            scene_words = [w for s in truth[clip].get("scenes", []) for w in s.get("text", [])]
            per_clip[clip] = {"s": round(med[clip], 3), "rtf": round(med[clip] / frames[clip].info.duration_s, 4),
                              "reads": r.stats.get("frames_ocr", 0), "fine_reads": r.stats.get("fine_read", 0),
                              **{k: acc[k] for k in KEYS if k in acc},
                              "failures": T.failures(r.tables["segments"], truth[clip]["captions"], scene_words)}
        out["paths"][name] = {"seconds": round(sum(med.values()), 3), "rtf": round(sum(med.values()) / video_s, 4),
                              "peak_rss_mb": round(peaks[name] / 2**20), "clips": per_clip}
    if set(paths) == {"follow", "fixed"}:
        out["follow_over_fixed_time"] = round(out["paths"]["follow"]["seconds"] / out["paths"]["fixed"]["seconds"], 3)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = "captions-real" if args.real is not None else "captions"
    (args.out / f"{stem}.json").write_text(json.dumps(out, indent=2, ensure_ascii=False))
    (args.out / f"{stem}.md").write_text(markdown(out))
    print(markdown(out))
    return 0


def markdown(r: dict) -> str:
    real = r.get("corpus") == "real"
    lines = [f"text_overlay optimized ({r['engine']}, {r['runtime']}) on the {'real-recordings' if real else 'sample'} corpus: "
             f"{' vs '.join(r['paths'])}, commit "
             f"`{r['commit'][:10]}` on {_machine_label(r['machine'])}, {len(r['clips'])} clips ({r['video_s']} s), "
             f"median of {r['reps']} interleaved repetitions (`python -m benchmark.captions{' --real DIR' if real else ''}`).", "",
             "| path | seconds | RTF | peak RSS MB |", "|---|---|---|---|"]
    for name, p in r["paths"].items():
        lines.append(f"| {name} | {p['seconds']} | {p['rtf']} | {p['peak_rss_mb']} |")
    lines += ["", (f"follow / fixed time: {r['follow_over_fixed_time']}. " if "follow_over_fixed_time" in r else "") + f"Stored frames (`video_frames`, all analyzers' plans), bytes per "
              f"video second: {r['stored_frame_bytes_per_video_s']['without_follow']:,} without the fine plans, "
              f"{r['stored_frame_bytes_per_video_s']['with_follow']:,} with them.", "",
              "| clip | path | RTF | reads (fine) | recall | precision | chunks on time | chunks as scene | line recall |",
              "|---|---|---|---|---|---|---|---|---|"]
    for clip in r["clips"]:
        for name, p in r["paths"].items():
            c = p["clips"][clip]
            lines.append(f"| {clip} | {name} | {c['rtf']} | {c['reads']} ({c['fine_reads']}) | {c.get('recall', '-')} | {c.get('precision', '-')} | "
                         f"{c.get('chunks_on_time', '-')} | {c.get('chunks_as_scene', '-')} | {c.get('line_recall', '-')} |")
    failed = [(clip, name, f) for clip in r["clips"] for name, p in r["paths"].items() for f in p["clips"][clip].get("failures", [])]
    if failed:
        lines += ["", "Strict-match failures (`text_overlay.evaluate.failures`): a true caption missed, or a caption segment matching none.", "",
                  "| clip | path | side | kind | text | window | read there |", "|---|---|---|---|---|---|---|"]
        for clip, name, f in failed:
            lines.append(f"| {clip} | {name} | {f['side']} | {f['kind']} | {f['text']} | {f['start']:.2f}-{f['end']:.2f} | "
                         f"{'; '.join(f.get('read', [])) or '-'} |")
    elif any("failures" in c for p in r["paths"].values() for c in p["clips"].values()):
        lines += ["", "No strict-match failure: every caption one segment within its window, and no other caption segment."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
