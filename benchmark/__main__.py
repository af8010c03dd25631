"""Baseline vs optimized, per analyzer, on the same inputs, in one process.

    python -m benchmark [--analyzers speech_rate object_detection text_overlay]
                        [--reps 3] [--seconds N] [--corpus DIR] [--out bench]
                        [--long-audio 68.4]

Inputs are decoded once (the shared assets' own code). For every repetition and clip the two
presets run back to back, in alternating order, so drift and caches hit both alike. Reported:
median seconds per clip summed over clips, realtime factor (seconds / video seconds), speedup
(baseline / optimized), parity (the analyzer's own measure, optimized against baseline, mean over
clips), accuracy against ground_truth.json where the analyzer has one, model-load seconds (apart),
peak RSS during the runs. ``--seconds`` bounds each clip (both presets alike) where a baseline is
too slow to run whole on this machine; the table says so.

``--long-audio S`` adds a speech_rate row on one track of at least S seconds made of the sample
clips' audio back to back (whole clips, so every word and pause is in the ground truth): the
reference video of the plan is 68.4 s, and on a track that long recognition batches several
Whisper windows, which a single short clip never shows.

Writes ``benchmark/results/results.json`` (merged with earlier analyzers' entries) and ``benchmark/results/results.md``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import statistics
import subprocess
import threading
import time
from pathlib import Path

import numpy as np

from video_assets.runtime import settings

DEFAULT_REPS = {"speech_rate": 3, "object_detection": 2, "text_overlay": 3, "qwen2_vl_temporal": 2, "scene_cuts": 3}
# EasyOCR's full-resolution baseline takes about 10 s a frame on 2 CPU cores (20 minutes for the
# corpus' 57 s): it runs once, the optimized variants every repetition, on whole clips.
DEFAULT_BASELINE_REPS = {"text_overlay": 1}
# Where the baseline cannot run whole clips in reasonable time on 2 CPU cores, both presets see the
# same first N seconds.
DEFAULT_SECONDS = {"qwen2_vl_temporal": 4.0}
# Qwen2-VL on CPU: generation capped for both presets alike (prefill and vision tower dominate the
# difference between them; decoding 200 tokens of a 2B model on 2 cores would take many minutes).
DEFAULT_MAX_NEW_TOKENS = {"qwen2_vl_temporal": 16}


class PeakRss:
    """Samples this process' resident memory while a block runs."""

    def __init__(self, interval: float = 0.05):
        self.interval = interval
        self.peak = 0

    def _rss(self) -> int:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    def __enter__(self):
        self._stop = threading.Event()
        self.peak = self._rss()

        def loop():
            while not self._stop.wait(self.interval):
                self.peak = max(self.peak, self._rss())

        self._thread = threading.Thread(target=loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())


def machine() -> dict:
    import torch

    cpu = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")), platform.processor())
    info = {"cpu": cpu, "cores": len(os.sched_getaffinity(0)), "device": "cuda" if torch.cuda.is_available() else "cpu"}
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def commit() -> str:
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=settings.PROJECT_DIR).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True, cwd=settings.PROJECT_DIR).stdout.strip()
        return sha + ("+dirty" if dirty else "")
    except OSError:
        return "unknown"


def load_inputs(corpus: Path, clips: list[str]):
    from video_assets import analyzers
    from video_assets.media.decode import decode_audio, decode_frames

    plans = analyzers.sampling_plans()
    frames = {c: decode_frames(str(corpus / f"{c}.mp4"), plans) for c in clips}
    audio = {c: decode_audio(str(corpus / f"{c}.mp4")) for c in clips}
    return frames, audio


def save_inputs(frames: dict, audio: dict, folder: Path) -> None:
    """Decoded inputs in the code location's own storage formats: what a machine without a decoder
    (the GPU kit's) reads with ``--inputs``."""
    from video_assets.media.framestore import bundle_bytes

    folder.mkdir(parents=True, exist_ok=True)
    for clip, bundle in frames.items():
        (folder / f"{clip}.frames.parquet").write_bytes(bundle_bytes(bundle))
    for clip, track in audio.items():
        (folder / f"{clip}.audio.npz").write_bytes(track.to_npz_bytes())


def load_stored_inputs(folder: Path, clips: list[str]):
    from video_assets.media.frames import AudioTrack
    from video_assets.media.framestore import open_bundle

    frames = {c: open_bundle((folder / f"{c}.frames.parquet").read_bytes()) for c in clips}
    audio = {c: AudioTrack.from_npz_bytes((folder / f"{c}.audio.npz").read_bytes()) for c in clips}
    return frames, audio


def _measure(analyzer, inputs: dict, runners: dict, reps: int, budget_s: float | None, reps_of: dict) -> dict:
    """Every runner (label -> (config, loaded models)) on every clip, back to back, the order
    rotating with repetition and clip; a runner stops after ``reps_of[label]`` repetitions."""
    labels = list(runners)
    times = {p: {c: [] for c in inputs} for p in labels}
    outputs: dict[str, dict] = {p: {} for p in labels}
    peaks = {p: 0 for p in labels}
    stages: dict[str, dict] = {p: {} for p in labels}  # label -> stage -> clip -> seconds
    started, done = time.perf_counter(), 0
    for rep in range(reps):
        if rep and budget_s is not None and time.perf_counter() - started > budget_s:
            print(f"  {analyzer.name}: budget of {budget_s:.0f} s spent after {rep} repetition(s)", flush=True)
            break
        done = rep + 1
        for i, (clip, value) in enumerate(inputs.items()):
            shift = (rep + i) % len(labels)
            for label in labels[shift:] + labels[:shift]:
                if rep >= reps_of.get(label, reps):
                    continue
                config, loaded = runners[label]
                with PeakRss() as mem:
                    t0 = time.perf_counter()
                    result = analyzer.process(value, config, loaded.model)
                    times[label][clip].append(time.perf_counter() - t0)
                peaks[label] = max(peaks[label], mem.peak)
                outputs[label][clip] = result
                for stage, stage_s in result.stats.items():
                    if stage.endswith("_s") and isinstance(stage_s, (int, float)):
                        stages[label].setdefault(stage, {}).setdefault(clip, []).append(float(stage_s))
                print(f"  {analyzer.name} {label:20s} {clip:14s} rep {rep + 1}/{reps}: {times[label][clip][-1]:.2f} s", flush=True)
    return {"times": times, "outputs": outputs, "peaks": peaks, "stages": stages, "done": done}


def bench_analyzer(name: str, frames: dict, audio: dict, truth: dict, reps: int, seconds: float | None,
                   max_new_tokens: int | None = None, budget_s: float | None = None, baseline_reps: int | None = None,
                   only_variants: list[str] | None = None) -> dict[str, dict]:
    """One entry per optimized variant: ``{name: entry}``, or ``{name[variant]: entry}`` for each of
    the analyzer's ``bench_variants`` (model settings measured side by side, e.g. OCR engines),
    all against the same baseline runs."""
    from resources import model_resources
    from video_assets.analyzers import by_name

    analyzer = by_name(name)
    factory = model_resources()[analyzer.model] if analyzer.model else None
    inputs = frames if analyzer.input == "video_frames" else audio
    if seconds:
        inputs = {c: v.trimmed(seconds) for c, v in inputs.items()}
    configs = dict(analyzer.presets)
    if max_new_tokens and all(hasattr(c, "max_new_tokens") for c in configs.values()):
        configs = {p: dataclasses.replace(c, max_new_tokens=max_new_tokens) for p, c in configs.items()}
    variants = {v: s for v, s in analyzer.bench_variants.items() if not only_variants or v in only_variants} or {"": {}}
    resources = {v: factory(**settings_) if factory else None for v, settings_ in variants.items()}
    label = {v: f"optimized[{v}]" if v else "optimized" for v in variants}
    base_resource = next(iter(resources.values()))
    runners = {"baseline": (configs["baseline"], _load(base_resource, "baseline"))}
    runners |= {label[v]: (configs["optimized"], _load(resources[v], "optimized")) for v in variants}
    run = _measure(analyzer, inputs, runners, reps, budget_s, {"baseline": baseline_reps or reps})
    return {f"{name}[{v}]" if v else name: _entry(analyzer, inputs, truth, run, runners, "optimized", label[v], resources[v], seconds, max_new_tokens)
            for v in variants}


def media_seconds(inputs: dict) -> float:
    """Seconds of video the realtime factor divides by: every clip's for a frame analyzer; for an
    audio analyzer only the clips with sound (a silent clip is skipped in milliseconds and would
    flatter the factor: audio_events measured 0.0039 over all thirteen clips, 0.005-0.006 on any
    clip with audio, so its speed check warned on most of them)."""
    from video_assets.media.frames import duration_of

    return sum(duration_of(v) for v in inputs.values() if getattr(v, "has_audio", True))


def bench_optimized_only(name: str, frames: dict, audio: dict, truth: dict, reps: int, only_variants: list[str] | None = None) -> dict[str, dict]:
    """The optimized variants alone, interleaved, against the ground truth: seconds, realtime
    factor and accuracy, no speedup or parity (no baseline ran). For accuracy on clips where the
    baseline cannot run in the time at hand (EasyOCR's takes about 20 s a frame on 2 AMD EPYC cores)."""
    from resources import model_resources
    from video_assets.analyzers import by_name
    from video_assets.media.frames import duration_of

    analyzer = by_name(name)
    factory = model_resources()[analyzer.model] if analyzer.model else None
    inputs = frames if analyzer.input == "video_frames" else audio
    variants = {v: s for v, s in analyzer.bench_variants.items() if not only_variants or v in only_variants} or {"": {}}
    resources = {v: factory(**settings_) if factory else None for v, settings_ in variants.items()}
    label = {v: f"optimized[{v}]" if v else "optimized" for v in variants}
    runners = {label[v]: (analyzer.presets["optimized"], _load(resources[v], "optimized")) for v in variants}
    run = _measure(analyzer, inputs, runners, reps, None, {})
    video_s = media_seconds(inputs)
    entries = {}
    for v in variants:
        med = sum(statistics.median(ts) for ts in run["times"][label[v]].values())
        outputs = {"optimized": run["outputs"][label[v]]}
        entries[f"{name}[{v}]" if v else name] = {
            "optimized_s": round(med, 3), "rtf_optimized": round(med / video_s, 4), "video_s": round(video_s, 2), "reps": reps,
            "clips": list(inputs), "per_clip_s": {c: round(statistics.median(ts), 3) for c, ts in run["times"][label[v]].items()},
            "model": f"{runners[label[v]][1].model_id} ({runners[label[v]][1].detail})", "weights": runners[label[v]][1].weights or "no model",
            "accuracy": accuracy_of(analyzer, outputs, inputs, truth),
        } | analyzer.bench_extra(outputs, inputs, truth, {"optimized": runners[label[v]][1]}, resources[v])
    return entries


def markdown_optimized_only(results: dict) -> str:
    lines = [f"Optimized presets against the ground truth (no baseline in this run): commit `{results['commit'][:10]}` on "
             f"{_machine_label(results['machine'])}.", "",
             "| analyzer | clips (s) | reps | optimized s | RTF | recall | precision | mean CER |", "|---|---|---|---|---|---|---|---|"]
    for name, a in results["analyzers"].items():
        acc = a["accuracy"].get("optimized", {})
        lines.append(f"| {name} | {len(a['clips'])} ({a['video_s']} s) | {a['reps']} | {a['optimized_s']} | {a['rtf_optimized']} | "
                     f"{acc.get('recall', '-')} | {acc.get('precision', '-')} | {acc.get('mean_cer', '-')} |")
    for name, a in results["analyzers"].items():
        by_clip = a["accuracy"].get("optimized", {}).get("by_clip", {})
        lines.append(f"\n{name} per clip (recall / precision): " + ", ".join(f"{c} {m.get('recall')}/{m.get('precision')}" for c, m in by_clip.items()))
        if "recall_by_pattern" in a:
            lines.append(f"{name} recall per hard pattern: {json.dumps(a['recall_by_pattern']['optimized'])}")
            lines.append(f"{name} readings matching no caption: {json.dumps({c: v for c, v in a['readings_matching_no_caption']['optimized'].items() if v})}")
        scene = {c: {k: m[k] for k in ('scene_text_in_captions', 'scene_words_found', 'scene_words')} for c, m in by_clip.items() if 'scene_words' in m}
        if scene:
            lines.append(f"{name} scene text: {json.dumps(scene)}")
    return "\n".join(lines) + "\n"


def _load(resource, preset: str):
    from resources.models import no_model

    return resource.load(preset) if resource is not None else no_model()


def _entry(analyzer, inputs: dict, truth: dict, run: dict, runners: dict, preset: str, label: str, resource, seconds, max_new_tokens) -> dict:
    from resources.model_cache import MissingWeightsError
    from video_assets.media.frames import duration_of

    pair = {"baseline": "baseline", preset: label}  # the entry's names -> the runners' labels
    times = {p: run["times"][lab] for p, lab in pair.items()}
    outputs = {p: run["outputs"][lab] for p, lab in pair.items()}
    loaded = {p: runners[lab][1] for p, lab in pair.items()}
    video_s = media_seconds(inputs)
    med = {p: sum(statistics.median(ts) for ts in times[p].values()) for p in times}
    counts = {p: min(len(ts) for ts in times[p].values()) for p in times}
    try:
        parities = {c: analyzer.parity(outputs["baseline"][c].tables, outputs[preset][c].tables, resource) for c in inputs}
    except MissingWeightsError as exc:  # a measure with a model of its own that is not on this machine
        print(f"  {analyzer.name}: parity not computed: {exc}", flush=True)
        parities = {}
    entry = {
        "baseline_s": round(med["baseline"], 3),
        "optimized_s": round(med[preset], 3),
        "speedup": round(med["baseline"] / med[preset], 2) if med[preset] else None,
        "parity": round(float(np.mean([p.score for p in parities.values()])), 4) if parities else None,
        "parity_passed": f"{sum(p.passed for p in parities.values())}/{len(parities)}",
        "parity_by_clip": {c: {"score": p.score, **p.parts} for c, p in parities.items()},
        "video_s": round(video_s, 2),
        "rtf_baseline": round(med["baseline"] / video_s, 4),
        "rtf_optimized": round(med[preset] / video_s, 4),
        "model_load_s": {p: round(loaded[p].load_seconds, 2) for p in loaded},
        "model": {p: f"{loaded[p].model_id} ({loaded[p].detail})" for p in loaded},
        "peak_rss_mb": {p: round(run["peaks"][lab] / 2**20) for p, lab in pair.items()},
        "weights": (loaded[preset].weights or "no model") if loaded[preset].weights == loaded["baseline"].weights
        else f"baseline {loaded['baseline'].weights}, optimized {loaded[preset].weights}",
        "reps": counts[preset] if counts["baseline"] == counts[preset] else counts,
        "clips": list(inputs),
        "seconds_per_clip": seconds,
        "per_clip_s": {p: {c: round(statistics.median(ts), 3) for c, ts in times[p].items()} for p in times},
        # Each stage's own seconds (the core's timers), median per clip, summed: what each lever buys.
        "stages_s": {p: {st: round(sum(statistics.median(v) for v in by_clip.values()), 3) for st, by_clip in run["stages"][lab].items()}
                     for p, lab in pair.items()},
        "max_new_tokens": max_new_tokens,
    }
    accuracy = accuracy_of(analyzer, outputs, inputs, truth)
    if accuracy:
        entry["accuracy"] = accuracy
    entry |= analyzer.bench_extra(outputs, inputs, truth, loaded, resource)
    if isinstance(entry.get("frames"), int) and entry["frames"]:
        entry["s_per_frame"] = {p: round(med[p] / entry["frames"], 4) for p in med}
    return entry


def long_track(audio: dict, truth: dict, min_seconds: float):
    """(name, AudioTrack, ground truth) of clips with speech, repeated in order until min_seconds."""
    from video_assets.media.frames import AudioTrack

    # One language, as a real video has: the clips whose speech is English (the plan's video).
    names = [c for c in sorted(audio) if truth[c].get("speech") and audio[c].has_audio and truth[c]["speech"].get("language", "en") == "en"]
    if not names:
        raise SystemExit("--long-audio needs clips with speech")
    pieces, words, speech_s, total, used = [], 0, 0.0, 0, []
    while total / 16000 < min_seconds:
        clip = names[len(used) % len(names)]
        pieces.append(audio[clip].samples)
        total += audio[clip].samples.size
        words += truth[clip]["speech"]["word_count"]
        speech_s += truth[clip]["speech"]["speech_time_s"]
        used.append(clip)
    samples = np.concatenate(pieces).astype(np.float32)
    name = f"long_{samples.size / 16000:.0f}s"
    track = AudioTrack(source="+".join(used), samples=samples, has_audio=True, video_duration_s=samples.size / 16000)
    speech = {"word_count": words, "speech_time_s": round(speech_s, 3), "words_per_minute_speaking": round(words / speech_s * 60.0, 2)}
    return name, track, {"speech": speech, "made_of": used}


def accuracy_of(analyzer, outputs: dict, inputs: dict, truth: dict) -> dict:
    """Each preset's accuracy against the ground truth (the analyzer's ``evaluate``): the mean of
    every measure over the clips that have truth for it, and the clips one by one."""
    from video_assets.media.frames import duration_of

    acc = {}
    for preset, per_clip in outputs.items():
        per = {c: m for c, r in per_clip.items() if c in truth and (m := analyzer.evaluate(r.tables, truth[c], duration_of(inputs[c]))) is not None}
        if per:
            # a measure some clips lack (a per-language word error rate) is the mean over those that have it
            keys = list(dict.fromkeys(k for m in per.values() for k, v in m.items() if isinstance(v, (int, float)) and not isinstance(v, bool)))
            acc[preset] = {k: round(float(np.mean([m[k] for m in per.values() if k in m])), 4) for k in keys} | {"by_clip": per}
    return acc


def _machine_label(m: dict) -> str:
    return f"{m['cpu']} ({m['cores']} cores), {m['device']}"


def markdown(results: dict) -> str:
    lines = [
        f"Latest run: commit `{results['commit']}` on {_machine_label(results['machine'])}. Each row names its own machine and commit.",
        "",
        "| analyzer | machine | commit | clips x s | reps | baseline s | optimized s | speedup | RTF base | RTF opt | parity | model load s (base/opt) | peak RSS MB (base/opt) | weights |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, a in results["analyzers"].items():
        lines.append(
            f"| {name} | {a.get('machine', 'unknown')} | `{str(a.get('commit', ''))[:10]}` | {len(a['clips'])} x {a['seconds_per_clip'] or 'full'} ({a['video_s']} s) | {a['reps']} | {a['baseline_s']} | {a['optimized_s']} | "
            f"{a['speedup']}x | {a['rtf_baseline']} | {a['rtf_optimized']} | {a['parity']} ({a['parity_passed']} pass) | "
            f"{a['model_load_s']['baseline']}/{a['model_load_s']['optimized']} | {a['peak_rss_mb']['baseline']}/{a['peak_rss_mb']['optimized']} | {a['weights']} |"
        )
    for name, a in results["analyzers"].items():
        if "accuracy" in a:
            acc = {p: {k: v for k, v in d.items() if k != "by_clip"} for p, d in a["accuracy"].items()}
            lines.append(f"\n{name} accuracy against ground_truth.json: {json.dumps(acc)}")
        if "engine_parity" in a:
            lines.append(f"\n{name} engine {a['engine']} ({a['engine_build_s']}): raw-output parity vs PyTorch, same model: {json.dumps(a['engine_parity'])}")
            lines.append(f"{name} model size (x vs l, PyTorch): {json.dumps(a['model_size_parity'])}")
        if "frames" in a and isinstance(a["frames"], dict):
            lines.append(f"\n{name} frames OCR'd / reused: {json.dumps(a['frames'])}")
        if "work" in a:
            lines.append(f"\n{name} work: {json.dumps(a['work'])}")
        if "recall_by_pattern" in a:
            lines.append(f"{name} recall per hard pattern: {json.dumps(a['recall_by_pattern'])}")
            lines.append(f"{name} readings matching no caption: {json.dumps({p: {c: v for c, v in d.items() if v} for p, d in a['readings_matching_no_caption'].items()})}")
        if a.get("stages_s") and name.startswith("speech_rate"):
            lines.append(f"\n{name} seconds per stage (baseline -> optimized): " + ", ".join(
                f"{st} {a['stages_s']['baseline'].get(st, 0)} -> {a['stages_s']['optimized'].get(st, 0)}" for st in a["stages_s"]["optimized"]))
        if "tokens" in a:
            lines.append(f"\n{name} tokens: {json.dumps(a['tokens'])}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    from video_assets.analyzers import by_name, names

    parser.add_argument("--analyzers", nargs="*", choices=names(), default=names(), help="analyzers to measure (default: every registered one)")
    parser.add_argument("--reps", type=int, default=None, help="repetitions (default per analyzer)")
    parser.add_argument("--seconds", type=float, default=None, help="bound every clip to its first N seconds")
    parser.add_argument("--clips", nargs="*", default=None)
    parser.add_argument("--max-new-tokens", type=int, default=None, help="cap generation (Qwen2-VL), both presets alike")
    parser.add_argument("--corpus", type=Path, default=Path(settings.corpus_root()))
    parser.add_argument("--inputs", type=Path, default=None,
                        help="pre-decoded inputs (<clip>.frames.parquet, <clip>.audio.npz, ground_truth.json) instead of --corpus")
    parser.add_argument("--out", type=Path, default=settings.PROJECT_DIR / "benchmark" / "results")
    parser.add_argument("--name", default="results", help="results file stem under --out (default: results)")
    parser.add_argument("--variants", nargs="*", default=None,
                        help="of an analyzer's bench variants (text_overlay: easyocr rapidocr), only these (default: all)")
    parser.add_argument("--baseline-reps", type=int, default=None,
                        help="repetitions of the baseline (default: as --reps; text_overlay: 1)")
    parser.add_argument("--budget-s", type=float, default=None,
                        help="per analyzer: no new repetition starts after this many seconds (each clip runs at least once)")
    parser.add_argument("--no-baseline", action="store_true",
                        help="the optimized variants alone against the ground truth (accuracy, RTF; no speedup or parity); "
                             "writes --name (default here: optimized_only)")
    parser.add_argument("--long-audio", type=float, default=None, metavar="S",
                        help="speech_rate only: also one track of >= S s of the clips back to back (68.4: the plan's video)")
    args = parser.parse_args(argv)

    if args.inputs is not None:
        truth = json.loads((args.inputs / "ground_truth.json").read_text())["clips"]
        clips = args.clips or sorted(p.name.split(".")[0] for p in args.inputs.glob("*.frames.parquet"))
        frames, audio = load_stored_inputs(args.inputs, clips)
    else:
        from video_assets.sample.build import ensure_corpus

        truth = ensure_corpus(args.corpus)["clips"]
        clips = args.clips or sorted(truth)
        frames, audio = load_inputs(args.corpus, clips)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.no_baseline:
        name = args.name if args.name != "results" else "optimized_only"
        results = {"commit": commit(), "machine": machine(), "analyzers": {}}
        for analyzer in args.analyzers:
            results["analyzers"] |= bench_optimized_only(analyzer, frames, audio, truth, args.reps or DEFAULT_REPS.get(analyzer, 2), args.variants)
        (args.out / f"{name}.json").write_text(json.dumps(results, indent=2, default=str))
        (args.out / f"{name}.md").write_text(markdown_optimized_only(results))
        print(markdown_optimized_only(results))
        return 0
    path = args.out / f"{args.name}.json"
    results = json.loads(path.read_text()) if path.exists() else {"analyzers": {}}
    for entry in results["analyzers"].values():  # rows measured earlier keep the machine they ran on
        same_run = "machine" in results and entry.get("commit") == results.get("commit")
        entry.setdefault("machine", _machine_label(results["machine"]) if same_run else "not recorded")
    results |= {"commit": commit(), "machine": machine(), "device": machine()["device"]}
    for name in args.analyzers:
        reps = args.reps or DEFAULT_REPS.get(name, 2)
        seconds = args.seconds if args.seconds is not None else DEFAULT_SECONDS.get(name)
        print(f"{name}: {reps} rep(s), clips {clips}, {'first %s s' % seconds if seconds else 'whole clips'}", flush=True)
        cap = args.max_new_tokens or DEFAULT_MAX_NEW_TOKENS.get(name)
        entries = bench_analyzer(name, frames, audio, truth, reps, seconds, cap, args.budget_s,
                                 args.baseline_reps or DEFAULT_BASELINE_REPS.get(name), args.variants)
        for key, entry in entries.items():
            entry["commit"] = results["commit"]
            entry["machine"] = _machine_label(results["machine"])
            results["analyzers"][key] = entry
        if by_name(name).bench_variants:
            results["analyzers"].pop(name, None)  # measured per variant now; an older single row would mislead
        if name == "speech_rate" and args.long_audio:
            long_name, track, long_truth = long_track(audio, truth, args.long_audio)
            print(f"{name}: {reps} rep(s), one {track.video_duration_s:.1f} s track ({track.source})", flush=True)
            for key, entry in bench_analyzer(name, frames, {long_name: track}, {long_name: long_truth}, reps, None,
                                             only_variants=args.variants).items():
                entry["commit"] = results["commit"]
                entry["machine"] = _machine_label(results["machine"])
                entry["made_of"] = long_truth["made_of"]
                results["analyzers"][f"{key} ({long_name} track)"] = entry
            results["analyzers"].pop(f"{name} ({long_name} track)", None)  # the single-model row of before
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(results, indent=2, default=str))
        tmp.replace(path)
    (args.out / f"{args.name}.md").write_text(markdown(results))
    print(markdown(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
