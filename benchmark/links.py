"""links benchmark: fingerprinting cost per video, and matching one new video against an index of
N videos (default 10,000, fingerprints generated with the sizes real ones have), p50/p95 latency,
index bytes per video and the size that makes at 1 M videos.

    python -m benchmark.links [--videos 10000] [--queries 40]

Writes benchmark/results/links.json and links.md. Generated index fingerprints are uniform random
landmarks/hashes: real hashes are less uniform (popular keys), so real lookups hit more postings.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from video_assets.links import FootageIndex, SoundIndex, footage, sound, synth

RESULTS = Path(__file__).parent / "results"
SR = 16000


def _machine() -> str:
    try:
        model = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        model = platform.processor()
    import os

    return f"{model}, {len(os.sched_getaffinity(0))} cores (shared with other jobs)"


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _fake_sound(rng, n: int, seconds: float) -> sound.SoundFingerprint:
    """``n`` random spectral peaks (the index hashes their triplets as it does a real video's)."""
    t = np.sort(rng.uniform(0, seconds / sound.FRAME_S, n)).astype(np.float32)
    return sound.SoundFingerprint(t, rng.uniform(np.log2(sound.FMIN), np.log2(sound.FMAX), n).astype(np.float32), seconds)


def _fake_footage(rng, frames: int, views: int) -> footage.FootageFingerprint:
    n = frames * views
    h = rng.integers(0, 256, (n, 32), dtype=np.uint8)
    return footage.FootageFingerprint(np.repeat(np.arange(frames) * footage.SAMPLE_EVERY_S, views).astype(np.float32),
                                      np.tile(np.arange(views), frames).astype(np.uint8), h, h[:, ::-1].copy(), frames * footage.SAMPLE_EVERY_S, frames)


def _build(index, fakes, batch: int = 250) -> float:
    """Adds the generated videos in batches (one run per batch: the same files a video-by-video
    build ends with after its merges, built faster)."""
    t0 = time.perf_counter()
    items = list(fakes)
    for i in range(0, len(items), batch):
        entries = []
        for name, fp in items[i:i + batch]:
            if isinstance(index, SoundIndex):
                keys, t, logf = fp.hashes()
                entries.append((name, keys, np.arange(keys.size), {"time": t, "logf": logf}))
            else:
                entries.append(FootageIndex.entry(name, fp, fp.frames))
        index.store.add(entries)
    return time.perf_counter() - t0


def _latency(index, queries) -> dict:
    out = []
    for name, fp in queries:
        t0 = time.perf_counter()
        index.query(name, fp)
        out.append(time.perf_counter() - t0)
    a = np.array(out) * 1000
    return {"p50_ms": round(float(np.percentile(a, 50)), 1), "p95_ms": round(float(np.percentile(a, 95)), 1),
            "max_ms": round(float(a.max()), 1), "queries": len(out)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--videos", type=int, default=10_000)
    ap.add_argument("--queries", type=int, default=40)
    ap.add_argument("--sound-videos", type=int, default=None, help="index size for the sound lookups (default: --videos)")
    ap.add_argument("--seconds", type=float, default=30.0)
    args = ap.parse_args(argv)
    rng = np.random.default_rng(0)
    res: dict = {"commit": _commit(), "machine": _machine(), "device": "cpu", "videos": args.videos, "video_s": args.seconds}

    # Fingerprinting: a 30 s voice-over on music; 30 s of 360x640 frames (hashed at 2 fps).
    bed = synth.music(args.seconds, seed=1)
    audio = synth.mix(synth.speech("Here is what I cooked for dinner tonight, a quick pasta with tomatoes and basil."), bed, -6)
    sound.fingerprint(audio[: SR * 2])
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        sfp = sound.fingerprint(audio)
        times.append(time.perf_counter() - t0)
    frames = synth.clip_frames(21, args.seconds)
    t0 = time.perf_counter()
    ffp = footage.fingerprint(frames)
    ft = time.perf_counter() - t0
    res["fingerprint"] = {
        "sound_s": round(float(np.median(times)), 4), "sound_rtf": round(float(np.median(times)) / args.seconds, 5),
        "sound_peaks_per_s": round(len(sfp) / args.seconds, 1), "sound_triplets_per_s": round(sfp.hashes()[0].size / args.seconds, 1),
        "footage_s": round(ft, 4), "footage_rtf": round(ft / args.seconds, 5), "footage_frames": ffp.frames,
        "footage_hashes_per_frame": round(len(ffp) / max(1, ffp.frames), 1),
        "footage_note": "frames already decoded (video_frames); 360x640 RGB, one every 0.5 s",
    }
    n_landmarks = len(sfp)
    tmp = Path(tempfile.mkdtemp(prefix="links-bench-"))
    try:
        si = SoundIndex(tmp / "sound")
        sv = args.sound_videos or args.videos
        build_s = _build(si, ((f"v{i:06d}", _fake_sound(rng, n_landmarks, args.seconds)) for i in range(sv)))
        real_queries = [(f"q{i}", sound.fingerprint(synth.mix(synth.speech("A new video with its own words, number %d." % i),
                                                              synth.music(args.seconds, seed=100 + i), -6))) for i in range(4)]
        fake_queries = [(f"f{i}", _fake_sound(rng, n_landmarks, args.seconds)) for i in range(args.queries - 4)]
        lat = _latency(si, real_queries + fake_queries)
        hits = sum(int(q.size) for _, q, _, _ in si.store.lookup(real_queries[0][1].hashes(spread=True)[0]))
        lat["postings_hit_per_query"] = hits
        lat["keys_per_query"] = int(real_queries[0][1].hashes(spread=True)[0].size)
        nbytes = si.store.nbytes()
        res["sound_index"] = {**lat, "videos": sv, "build_s": round(build_s, 1), "bytes": nbytes, "bytes_per_video": round(nbytes / sv),
                              "gb_at_1m_videos": round(nbytes / sv * 1e6 / 1e9, 1), "runs": len(si.store.manifest()["runs"]),
                              "peaks_per_video": n_landmarks, "triplets_per_video": int(sfp.hashes()[0].size)}
        fi = FootageIndex(tmp / "footage")
        views = int(round(len(ffp) / max(1, ffp.frames)))
        build_s = _build(fi, ((f"v{i:06d}", _fake_footage(rng, ffp.frames, views)) for i in range(args.videos)))
        lat = _latency(fi, [("real", ffp)] + [(f"f{i}", _fake_footage(rng, ffp.frames, views)) for i in range(args.queries - 1)])
        nbytes = fi.store.nbytes()
        res["footage_index"] = {**lat, "build_s": round(build_s, 1), "bytes": nbytes, "bytes_per_video": round(nbytes / args.videos),
                                "gb_at_1m_videos": round(nbytes / args.videos * 1e6 / 1e9, 1), "runs": len(fi.store.manifest()["runs"]),
                                "hashes_per_video": ffp.frames * views}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "links.json").write_text(json.dumps(res, indent=2) + "\n")
    f, s, o = res["fingerprint"], res["sound_index"], res["footage_index"]
    md = [
        "# links: fingerprints and matching", "",
        f"Machine: {res['machine']}. Commit {res['commit'][:10]}. Index of {args.videos:,} generated videos of {args.seconds:.0f} s.", "",
        "| what | value |", "|---|---|",
        f"| sound fingerprint, 30 s | {f['sound_s']} s (realtime factor {f['sound_rtf']}), {f['sound_peaks_per_s']} peaks/s, {f['sound_triplets_per_s']} triplet hashes/s |",
        f"| footage fingerprint, 30 s (frames decoded) | {f['footage_s']} s (realtime factor {f['footage_rtf']}), {f['footage_hashes_per_frame']} hashes/frame |",
        f"| sound match vs {s['videos']:,} videos | p50 {s['p50_ms']} ms, p95 {s['p95_ms']} ms ({s['keys_per_query']:,} keys, {s['postings_hit_per_query']:,} postings hit per query) |",
        f"| sound index | {s['bytes_per_video']:,} bytes/video, {s['gb_at_1m_videos']} GB at 1 M videos |",
        f"| footage match vs {args.videos:,} videos | p50 {o['p50_ms']} ms, p95 {o['p95_ms']} ms |",
        f"| footage index | {o['bytes_per_video']:,} bytes/video, {o['gb_at_1m_videos']} GB at 1 M videos |", "",
        "Generated index fingerprints are uniform random: real hashes are less uniform, so real lookups hit more postings.",
        "The machine is shared with other jobs: latencies are upper-bound-ish, rerun for a quiet number.", "",
    ]
    (RESULTS / "links.md").write_text("\n".join(md))
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
