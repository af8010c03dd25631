"""Decoders and frame formats for ``video_frames``' access pattern, on the sample corpus.

    python -m benchmark.decode [--reps 3] [--corpus DIR] [--out bench]

The pattern: every frame of a 1080x1920 H.264 clip is decoded (inter-frame coding leaves no
choice), and the union of the analyzers' plans (a few frames a second, some at native size, some
at 640 px) is converted to RGB and resized. Decoders: PyAV (threaded and single-threaded),
decord, TorchCodec, each asked for the same frames. Formats: JPEG q90/q95, PNG, raw RGB: bytes per
video second, encode and decode seconds, PSNR against the raw frame.
"""

from __future__ import annotations

import argparse
import json
import statistics
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--corpus", type=Path, default=Path(settings.corpus_root()))
    parser.add_argument("--out", type=Path, default=settings.PROJECT_DIR / "benchmark" / "results")
    args = parser.parse_args(argv)
    from video_assets.sample.build import ensure_corpus

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
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "decode.json").write_text(json.dumps(results, indent=2))
    lines = [f"Sample corpus: {len(clips)} clips, {video_s} s of 1080x1920 video, {kept} frames kept by the union of plans; median of {args.reps}.", "",
             "| decoder | seconds | s per video s | same frames as PyAV |", "|---|---|---|---|"]
    for name, d in decoders.items():
        lines.append(f"| {name} | {d.get('seconds', '-')} | {d.get('s_per_video_s', '-')} | {d.get('same_frames_as_pyav', d.get('error', ''))} |")
    lines += ["", "| format | bytes per video s | encode s | decode s | PSNR dB |", "|---|---|---|---|---|"]
    for name, f in formats.items():
        lines.append(f"| {name} | {f['bytes_per_video_s']} | {f['encode_s']} | {f['decode_s']} | {f['psnr_db']} |")
    (args.out / "decode.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
