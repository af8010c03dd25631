"""text_overlay's optimized preset on each OCR engine, same clips, one process, interleaved.

    python -m benchmark.ocr_engines [--reps 2] [--corpus DIR] [--out bench]

For every repetition and clip the engines run back to back, in alternating order. Reported per
engine: median seconds summed over whole clips, realtime factor, caption recall / precision / mean
CER against ``ground_truth.json``, recall per hard pattern (the caption_drill clip), and caption F1
of the two engines against each other. The EasyOCR baseline (about 10 s a frame on 2 cores) is
measured by ``python -m benchmark --analyzers text_overlay``, not here. Writes
``bench/ocr_engines.json`` and ``bench/ocr_engines.md``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

ENGINES = ("easyocr", "rapidocr")


def main(argv: list[str] | None = None) -> int:
    from benchmark.__main__ import commit, load_inputs, machine
    from resources.ocr import OcrResource
    from video_assets import settings
    from video_assets.analyzers import text_overlay as core
    from video_assets.sample_corpus import ensure_corpus

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--corpus", type=Path, default=Path(settings.corpus_root()))
    parser.add_argument("--out", type=Path, default=settings.PROJECT_DIR / "bench")
    args = parser.parse_args(argv)
    truth = ensure_corpus(args.corpus)["clips"]
    clips = sorted(truth)
    frames, _ = load_inputs(args.corpus, clips)
    engines = {e: OcrResource(engine=e).load("optimized") for e in ENGINES}
    times = {e: {c: [] for c in clips} for e in ENGINES}
    outputs: dict[str, dict] = {e: {} for e in ENGINES}
    for rep in range(args.reps):
        for i, clip in enumerate(clips):
            for engine in (ENGINES if (rep + i) % 2 == 0 else ENGINES[::-1]):
                t0 = time.perf_counter()
                outputs[engine][clip] = core.run(frames[clip], core.OPTIMIZED, engines[engine].model)
                times[engine][clip].append(time.perf_counter() - t0)
                print(f"  {engine:9s} {clip:14s} rep {rep + 1}/{args.reps}: {times[engine][clip][-1]:.2f} s", flush=True)
    video_s = sum(frames[c].info.duration_s for c in clips)
    results = {"commit": commit(), "machine": machine(), "reps": args.reps, "clips": clips, "video_s": round(video_s, 2), "engines": {}}
    for engine in ENGINES:
        seconds = sum(statistics.median(ts) for ts in times[engine].values())
        matched = reference = candidate = 0
        errors = []
        for clip in clips:
            segs = outputs[engine][clip].tables["segments"]
            ref = [(c["text"], c["start"], c["end"]) for c in truth[clip]["captions"]]
            m, errs = core._match(ref, [(r.text, r.start_s, r.end_s) for r in segs.itertuples()], 0.1)
            matched, reference, candidate = matched + m, reference + len(ref), candidate + len(segs)
            errors += errs
        drill = "caption_drill"
        results["engines"][engine] = {
            "model": engines[engine].model_id, "seconds": round(seconds, 3), "rtf": round(seconds / video_s, 4),
            "recall": round(matched / reference, 4), "precision": round(matched / candidate, 4) if candidate else 0.0,
            "mean_cer": round(sum(errors) / len(errors), 4) if errors else 0.0, "captions": reference,
            "per_clip_s": {c: round(statistics.median(ts), 3) for c, ts in times[engine].items()},
            "by_pattern": core.accuracy_by_pattern(outputs[engine][drill].tables["segments"], truth[drill]["captions"]) if drill in clips else {},
            "unmatched_readings": {c: [t for t in outputs[engine][c].tables["segments"].text
                                       if all(core.cer(x["text"], t) > 0.1 for x in truth[c]["captions"])] for c in clips},
            "weights": "real",
        }
    f1 = [core.caption_f1(outputs["easyocr"][c].tables["segments"], outputs["rapidocr"][c].tables["segments"])[0] for c in clips]
    results["rapidocr_vs_easyocr_f1"] = round(sum(f1) / len(f1), 4)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "ocr_engines.json").write_text(json.dumps(results, indent=2))
    lines = [f"# text_overlay optimized: OCR engines ({results['machine']['cpu']}, {results['machine']['cores']} cores, "
             f"{results['machine']['device']}; commit {results['commit']})", "",
             f"{len(clips)} clips, whole ({results['video_s']} s), {args.reps} reps, medians. Command: `python -m benchmark.ocr_engines`.", "",
             "| engine | seconds | RTF | recall | precision | mean CER | readings matching no caption |", "|---|---|---|---|---|---|---|"]
    for engine, r in results["engines"].items():
        extra = {c: v for c, v in r["unmatched_readings"].items() if v}
        lines.append(f"| {engine} ({r['model']}) | {r['seconds']} | {r['rtf']} | {r['recall']} | {r['precision']} | {r['mean_cer']} | {json.dumps(extra)} |")
    lines += ["", "Recall per hard pattern (caption_drill):", "", "| pattern | " + " | ".join(ENGINES) + " |", "|---|" + "---|" * len(ENGINES)]
    for pattern in results["engines"]["easyocr"]["by_pattern"]:
        lines.append(f"| {pattern} | " + " | ".join(str(results["engines"][e]["by_pattern"][pattern]["recall"]) for e in ENGINES) + " |")
    lines += ["", f"Caption F1, rapidocr against easyocr (mean over clips): {results['rapidocr_vs_easyocr_f1']}"]
    (args.out / "ocr_engines.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
