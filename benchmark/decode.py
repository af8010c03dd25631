"""Decoders and frame formats for ``video_frames``' access pattern, on the sample corpus.

    python -m benchmark.decode [--reps 3] [--corpus DIR] [--out bench]
    python -m benchmark.decode --against REV [--reps 5] [--corpus DIR] [--out bench]

The pattern: every frame of a 1080x1920 H.264 clip is decoded (inter-frame coding leaves no
choice), and the union of the analyzers' plans (a few frames a second, some at native size, some
at 640 px) is converted to RGB and resized. Decoders: PyAV (threaded and single-threaded),
decord, TorchCodec, each asked for the same frames. Formats: JPEG q90/q95, PNG, raw RGB: bytes per
video second, encode and decode seconds, PSNR against the raw frame.

``--against REV``: the project's own decode path (``decode_frames`` as ``video_frames`` calls it,
spooled to a frame file, and ``decode_audio``) of this tree against the same functions of another
commit (its ``video_assets`` exported with ``git archive`` to a temporary folder, this checkout's
virtual environment), on the same clips, a fresh process per run, alternating which tree goes first,
``--reps`` runs each: medians, the ratio, and whether both wrote the same frames and samples. It
adds ``paths`` to ``decode.json`` and keeps the decoders and formats measured before.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from video_assets import analyzers
from video_assets.runtime import settings
from video_assets.media.images import decode_image, encode_image, resize_to
from video_assets.media.sampling import FramePlan


def _plan(path: str) -> FramePlan:
    from video_assets.media.container import probe

    info = probe(path)
    return FramePlan.union(analyzers.sampling_plans(), info.frame_count, info.fps)


def pyav(path: str, plan: FramePlan, threads: bool) -> list[np.ndarray]:
    import av

    out = []
    with av.open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO" if threads else "NONE"
        for i, frame in enumerate(container.decode(stream)):
            if i in plan.sizes:
                out.append(resize_to(frame.to_ndarray(format="rgb24"), plan.sizes[i]))
    return out


def decord_(path: str, plan: FramePlan) -> list[np.ndarray]:
    import decord

    vr = decord.VideoReader(path, ctx=decord.cpu(0), num_threads=0)
    idx = list(plan.sizes)
    batch = vr.get_batch(idx).asnumpy()
    return [resize_to(img, plan.sizes[i]) for img, i in zip(batch, idx)]


def torchcodec_(path: str, plan: FramePlan) -> list[np.ndarray]:
    from torchcodec.decoders import VideoDecoder

    dec = VideoDecoder(path, num_ffmpeg_threads=0, seek_mode="exact")
    idx = list(plan.sizes)
    batch = dec.get_frames_at(indices=idx).data.permute(0, 2, 3, 1).numpy()
    return [resize_to(img, plan.sizes[i]) for img, i in zip(batch, idx)]


DECODERS = {
    "pyav-threads": lambda p, plan: pyav(p, plan, True),
    "pyav-1thread": lambda p, plan: pyav(p, plan, False),
    "decord": decord_,
    "torchcodec": torchcodec_,
}


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


PATH_MARK = "DECODE_PATH "
PARTS = {"frames_s": "frames, wall s", "audio_s": "audio, wall s", "frames_cpu_s": "frames, CPU s (all threads)", "audio_cpu_s": "audio, CPU s"}


def path_child(clips: list[str]) -> int:
    """One run of the decode path of whatever ``video_assets`` this process imports (PYTHONPATH):
    every clip's frames (spooled, as ``video_frames`` does) and audio, timed; a digest of what came
    out. The first clip is decoded once untimed (lazy imports, first-use set-up)."""
    import video_assets
    from video_assets.media import framestore
    from video_assets.media.decode import decode_audio, decode_frames

    plans = analyzers.sampling_plans()
    spool_dir = Path(tempfile.mkdtemp(prefix="decode-path-"))
    try:
        decode_frames(clips[0], plans, spool=str(spool_dir / "warm.frames.parquet"))
        decode_audio(clips[0])
        frames_s, audio_s, frames_cpu_s, audio_cpu_s, digest, kept = 0.0, 0.0, 0.0, 0.0, hashlib.sha256(), 0
        for clip in clips:
            spool = spool_dir / (Path(clip).stem + ".frames.parquet")
            t0, c0 = time.perf_counter(), time.process_time()
            decode_frames(clip, plans, spool=str(spool))
            t1, c1 = time.perf_counter(), time.process_time()
            track = decode_audio(clip)
            t2, c2 = time.perf_counter(), time.process_time()
            frames_s, audio_s = frames_s + t1 - t0, audio_s + t2 - t1
            frames_cpu_s, audio_cpu_s = frames_cpu_s + c1 - c0, audio_cpu_s + c2 - c1
            stored = framestore.open_bundle(str(spool))
            for frame_index, data in zip(stored.source_index, stored.data):
                digest.update(str(frame_index).encode() + data)
            digest.update(track.samples.tobytes())
            kept += len(stored.source_index)
        print(PATH_MARK + json.dumps({"frames_s": frames_s, "audio_s": audio_s, "frames_cpu_s": frames_cpu_s, "audio_cpu_s": audio_cpu_s, "frames_kept": kept, "digest": digest.hexdigest()[:16],
                                      "module": video_assets.__file__}), flush=True)
    finally:
        shutil.rmtree(spool_dir, ignore_errors=True)
    return 0


def _run_path(tree: Path, clips: list[str]) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--path-child", *clips], cwd=tree, env=env,
                          capture_output=True, text=True)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith(PATH_MARK)), None)
    if line is None:
        raise RuntimeError(f"decode path in {tree} failed (rc {proc.returncode}): {proc.stderr.strip()[-2000:]}")
    return json.loads(line[len(PATH_MARK):])


def compare_paths(against: str, clips: list[str], reps: int) -> dict:
    """This tree's decode path against ``against``'s: interleaved, a fresh process per run."""
    from benchmark.__main__ import commit, machine

    load_start = [round(x, 2) for x in os.getloadavg()]  # other users of the cores show here
    sha = subprocess.run(["git", "rev-parse", against], cwd=settings.PROJECT_DIR, capture_output=True, text=True, check=True).stdout.strip()
    old_tree = Path(tempfile.mkdtemp(prefix=f"decode-{sha[:7]}-"))
    try:
        archive = subprocess.run(["git", "archive", sha, "video_assets"], cwd=settings.PROJECT_DIR, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(old_tree)], input=archive, check=True)
        trees = {"this": settings.PROJECT_DIR, "against": old_tree}
        runs: dict[str, list[dict]] = {"this": [], "against": []}
        for rep in range(reps):
            for name in (("this", "against") if rep % 2 == 0 else ("against", "this")):
                runs[name].append(_run_path(trees[name], clips))
                print(name, rep, {k: round(v, 3) if isinstance(v, float) else v for k, v in runs[name][-1].items()}, flush=True)
    finally:
        shutil.rmtree(old_tree, ignore_errors=True)
    assert all(str(trees["this"]) in r["module"] for r in runs["this"]), "this tree's video_assets was not the one imported"
    assert all(str(old_tree) in r["module"] for r in runs["against"]), f"{against}'s video_assets was not the one imported"
    out = {"this": commit(), "against": sha, "machine": machine(), "reps": reps, "clips": [Path(c).stem for c in clips],
           "load_average_start": load_start, "load_average_end": [round(x, 2) for x in os.getloadavg()]}
    for part in PARTS:
        this, old = (statistics.median(r[part] for r in runs[k]) for k in ("this", "against"))
        out[part] = {"this": round(this, 3), "against": round(old, 3), "ratio": round(this / old, 4),
                     "this_runs": [round(r[part], 3) for r in runs["this"]], "against_runs": [round(r[part], 3) for r in runs["against"]]}
    digests = {r["digest"] for k in runs for r in runs[k]}
    out["frames_kept"] = runs["this"][0]["frames_kept"]
    out["same_output"] = len(digests) == 1
    return out


def markdown(results: dict) -> str:
    lines = []
    if "decoders" in results:
        lines += [f"Sample corpus: {len(results['clips'])} clips, {results['video_s']} s of 1080x1920 video, {results['frames_kept']} frames kept "
                  f"by the union of plans; median of {results['reps']}.", "",
                  "| decoder | seconds | s per video s | same frames as PyAV |", "|---|---|---|---|"]
        for name, d in results["decoders"].items():
            lines.append(f"| {name} | {d.get('seconds', '-')} | {d.get('s_per_video_s', '-')} | {d.get('same_frames_as_pyav', d.get('error', ''))} |")
        lines += ["", "| format | bytes per video s | encode s | decode s | PSNR dB |", "|---|---|---|---|---|"]
        for name, f in results["formats"].items():
            lines.append(f"| {name} | {f['bytes_per_video_s']} | {f['encode_s']} | {f['decode_s']} | {f['psnr_db']} |")
    paths = results.get("paths")
    if paths:
        m = paths["machine"]
        lines += ["", f"The decode path (`decode_frames` spooled as `video_frames` does, and `decode_audio`) of `{paths['this'][:12]}` against "
                      f"`{paths['against'][:7]}`: {len(paths['clips'])} clips, {paths['frames_kept']} frames kept, a fresh process per run, "
                      f"interleaved, median of {paths['reps']}; {m['cpu']}, {m['cores']} cores, load average (1, 5, 15 min) "
                      f"{paths.get('load_average_start')} at the start and {paths.get('load_average_end')} at the end; "
                      f"same frames and samples: {paths['same_output']}.", "",
                  "| part | this | against | ratio | this, every run | against, every run |", "|---|---|---|---|---|---|"]
        for part in PARTS:
            d = paths[part]
            lines.append(f"| {PARTS[part]} | {d['this']} | {d['against']} | {d['ratio']} | {', '.join(map(str, d['this_runs']))} | "
                         f"{', '.join(map(str, d['against_runs']))} |")
    return "\n".join(lines).lstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    if argv is None and sys.argv[1:2] == ["--path-child"]:
        return path_child(sys.argv[2:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=None, help="runs of each (default 3; with --against 5)")
    parser.add_argument("--corpus", type=Path, default=Path(settings.corpus_root()))
    parser.add_argument("--out", type=Path, default=settings.PROJECT_DIR / "benchmark" / "results")
    parser.add_argument("--against", help="a git revision whose decode path to compare with this tree's (only that is measured)")
    parser.add_argument("--clips", nargs="*", help="with --against: these sample clips (default: every one)")
    args = parser.parse_args(argv)
    from video_assets.sample.build import ensure_corpus

    if args.against:
        truth = ensure_corpus(args.corpus)["clips"]
        clips = [str(args.corpus / f"{c}.mp4") for c in (args.clips or sorted(truth))]
        path = args.out / "decode.json"
        results = json.loads(path.read_text()) if path.exists() else {}
        results["paths"] = compare_paths(args.against, clips, args.reps or 5)
        args.out.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(results, indent=2))
        (args.out / "decode.md").write_text(markdown(results))
        print(markdown(results))
        return 0
    args.reps = args.reps or 3

    truth = ensure_corpus(args.corpus)["clips"]
    clips = {c: str(args.corpus / f"{c}.mp4") for c in sorted(truth)}
    video_s = sum(t["duration"] for t in truth.values())
    plans = {c: _plan(p) for c, p in clips.items()}
    kept = sum(len(p.sizes) for p in plans.values())

    decoders = {}
    reference = {c: pyav(p, plans[c], True) for c, p in clips.items()}
    for name, fn in DECODERS.items():
        try:
            times = []
            for rep in range(args.reps):
                t0 = time.perf_counter()
                frames = {c: fn(p, plans[c]) for c, p in clips.items()}
                times.append(time.perf_counter() - t0)
            same = all(
                len(frames[c]) == len(reference[c]) and all(np.abs(a.astype(int) - b.astype(int)).mean() < 2.0 for a, b in zip(frames[c], reference[c]))
                for c in clips
            )
            med = statistics.median(times)
            decoders[name] = {"seconds": round(med, 3), "s_per_video_s": round(med / video_s, 4), "same_frames_as_pyav": same}
        except Exception as exc:  # a decoder that is not installed or fails is reported, not fatal
            decoders[name] = {"error": f"{type(exc).__name__}: {exc}"[:200]}
        print(name, decoders[name], flush=True)

    formats = {}
    all_frames = [f for fs in reference.values() for f in fs]
    for codec, quality in (("jpeg", 90), ("jpeg", 95), ("png", 0), ("raw", 0)):
        t0 = time.perf_counter()
        blobs = [encode_image(f, codec, quality or 95) for f in all_frames]
        enc = time.perf_counter() - t0
        t0 = time.perf_counter()
        back = [decode_image(b, codec, f.shape[1], f.shape[0]) for b, f in zip(blobs, all_frames)]
        dec = time.perf_counter() - t0
        label = f"{codec}{'-q%d' % quality if codec == 'jpeg' else ''}"
        formats[label] = {
            "bytes_per_video_s": int(sum(len(b) for b in blobs) / video_s),
            "encode_s": round(enc, 3),
            "decode_s": round(dec, 3),
            "psnr_db": round(float(np.mean([min(psnr(a, b), 99.0) for a, b in zip(all_frames, back)])), 2),
        }
        print(label, formats[label], flush=True)

    results = {"video_s": video_s, "frames_kept": kept, "clips": list(clips), "reps": args.reps, "decoders": decoders, "formats": formats}
    path = args.out / "decode.json"
    if path.exists() and "paths" in json.loads(path.read_text()):  # the path comparison measured before, with its commits
        results["paths"] = json.loads(path.read_text())["paths"]
    args.out.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2))
    (args.out / "decode.md").write_text(markdown(results))
    print(markdown(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
