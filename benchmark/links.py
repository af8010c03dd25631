"""links benchmark: fingerprinting cost per video, and matching one new video against an index of
N videos (default 10,000, fingerprints generated with the sizes real ones have), p50/p95 latency,
index bytes per video and the size that makes at 1 M videos.

    python -m benchmark.links [--videos 10000] [--queries 40] [--baseline COMMIT] [--no-footage]

Sound lookups are measured against a baseline too: the sound fingerprint, index and matcher
(``sound.py``, ``postings.py``, ``match.py``) of ``--baseline`` (default: the commit before the
steady-partial peaks, the bucket table and the inline items), loaded from git into this process.
Each side fingerprints the same audio its own way and indexes the same number of generated videos
(as many landmarks as its own fingerprint of the benchmark's voice-over has), and the queries are
timed alternately (baseline, optimized, then the other order), so both see the same machine load.
``--baseline-lookup-only`` keeps today's fingerprints on both sides (the lookup change alone).
Four real queries (music 10 dB under a voice-over) each have a planted match in the index (the
same music under another voice, 5 s later); the table says how many each side finds.

Writes benchmark/results/links.json and links.md. Generated index fingerprints are uniform random
landmarks/hashes: real hashes are less uniform (popular keys), so real lookups hit more postings.
"""

from __future__ import annotations

import argparse
import importlib.util
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
BASELINE = "02b9af4"  # before the steady-partial peaks (c084370) and the bucket table, inline items (bb3ed2e)


class _Done(Exception):
    """Leaves the index section early (``--no-footage``)."""


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


def _baseline(commit: str, lookup_only: bool = False):
    """(sound module, ``SoundIndex``) as they were at ``commit`` (``sound``, ``postings`` and
    ``match`` from git, the rest of the package as now); ``lookup_only``: today's ``sound``."""
    import sys

    def source(path: str) -> str:
        return subprocess.run(["git", "show", f"{commit}:{path}"], capture_output=True, text=True, check=True,
                              cwd=Path(__file__).parent.parent).stdout

    mods = {}
    for name in (("postings", "match") if lookup_only else ("sound", "postings", "match")):
        spec = importlib.util.spec_from_loader(f"links_baseline_{name}", loader=None)
        mod = importlib.util.module_from_spec(spec)
        src = source(f"video_assets/links/{name}.py").replace("from video_assets.links.postings import", "from links_baseline_postings import")
        if not lookup_only:
            src = src.replace("from video_assets.links import sound as S", "import links_baseline_sound as S")
        sys.modules[spec.name] = mod
        exec(compile(src, f"{commit}:video_assets/links/{name}.py", "exec"), mod.__dict__)
        mods[name] = mod
    return mods.get("sound", sound), mods["match"].SoundIndex


def _fake_sound(rng, n: int, seconds: float, snd=sound):
    """``n`` random spectral peaks (the index hashes their triplets as it does a real video's)."""
    t = np.sort(rng.uniform(0, seconds / snd.FRAME_S, n)).astype(np.float32)
    return snd.SoundFingerprint(t, rng.uniform(np.log2(snd.FMIN), np.log2(snd.FMAX), n).astype(np.float32), seconds)


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
        if hasattr(index, "add_many"):  # today's SoundIndex: triplets and each video's peaks
            index.add_many(items[i:i + batch])
            continue
        entries = []
        for name, fp in items[i:i + batch]:
            if hasattr(fp, "logf"):  # a sound fingerprint, today's or the baseline's
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
    return _summary(out)


def _summary(seconds) -> dict:
    a = np.array(seconds) * 1000
    return {"p50_ms": round(float(np.percentile(a, 50)), 1), "p95_ms": round(float(np.percentile(a, 95)), 1),
            "max_ms": round(float(a.max()), 1), "queries": len(a)}


def _interleaved(base, base_queries, opt, opt_queries, rounds: int) -> dict:
    """Each query timed on both indexes (each side its own fingerprint of it), alternately first,
    ``rounds`` times; p50/p95 over all timings, and the median over queries of baseline /
    optimized (each query's median time)."""
    n = len(opt_queries)
    tb, to = np.zeros((rounds, n)), np.zeros((rounds, n))
    for r in range(rounds):
        for i in range(n):
            for which in ((0, 1) if (r + i) % 2 == 0 else (1, 0)):
                index, (name, fp) = (base, base_queries[i]) if which == 0 else (opt, opt_queries[i])
                t0 = time.perf_counter()
                index.query(name, fp)
                (tb if which == 0 else to)[r, i] = time.perf_counter() - t0
    ratio = np.median(tb, axis=0) / np.median(to, axis=0)
    return {"baseline": _summary(tb.ravel()), "optimized": _summary(to.ravel()), "rounds": rounds,
            "ratio_median": round(float(np.median(ratio)), 2), "ratio_p95_of_p95": round(float(np.percentile(tb, 95) / np.percentile(to, 95)), 2)}


def _planted(found) -> int:
    """Queries whose planted video (q<i> -> p<i>) was found at its offset (5 s, within 0.2 s)."""
    return sum(any(o == f"p{i}" and abs(off - 5.0) <= 0.2 for o, off, _ in f) for i, f in enumerate(found))


def _others(found) -> int:
    return sum(sum(o != f"p{i}" for o, _, _ in f) for i, f in enumerate(found))


def _pairs(seconds: float, n: int = 4):
    """(planted index videos, their queries) as audio: music under one voice, and 5 s later under another."""
    planted, queries = [], []
    for i in range(n):
        bed = synth.music(seconds + 5, seed=100 + i)
        planted.append((f"p{i}", synth.mix(synth.speech("An old video with its own words, number %d." % i, voice="en-gb"), bed[: int(seconds * SR)], -10)))
        queries.append((f"q{i}", synth.mix(synth.speech("A new video with other words, number %d." % i), bed[5 * SR:], -10)))
    return planted, queries


def _sound_side(snd, index, audio, planted, real_queries, videos: int, queries: int, seconds: float) -> dict:
    """Builds one side's index (``videos`` generated + the planted ones) and its queries."""
    n = len(snd.fingerprint(audio))
    rng = np.random.default_rng(1)
    fakes = [(f"v{i:06d}", _fake_sound(rng, n, seconds, snd)) for i in range(videos)]
    for j, (name, a) in enumerate(planted):  # the planted ones spread over the runs
        fakes[j * (videos // len(planted))] = (name, snd.fingerprint(a))
    build_s = _build(index, iter(fakes))
    del fakes
    qs = [(name, snd.fingerprint(a)) for name, a in real_queries]
    qs += [(f"f{i}", _fake_sound(rng, n, seconds, snd)) for i in range(queries - len(qs))]
    keys = qs[0][1].hashes(True)[0]  # a query's keys (``spread``/``query``: the baseline's name, today's)
    return {"index": index, "queries": qs, "build_s": round(build_s, 1), "peaks_per_video": n,
            "keys_per_query": int(keys.size), "postings_hit_per_query": sum(int(q.size) for _, q, _, _ in index.store.lookup(keys)),
            "planted_found": [[(m.other, m.offset_s, m.score) for m in index.query(name, fp)] for name, fp in qs[:len(real_queries)]]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--videos", type=int, default=10_000)
    ap.add_argument("--queries", type=int, default=40)
    ap.add_argument("--sound-videos", type=int, default=None, help="index size for the sound lookups (default: --videos)")
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--baseline", default=BASELINE, help="commit whose sound fingerprint, index and matcher are the baseline")
    ap.add_argument("--baseline-lookup-only", action="store_true", help="the baseline's index and matcher, today's fingerprint")
    ap.add_argument("--rounds", type=int, default=3, help="timings of each sound query on each index")
    ap.add_argument("--no-footage", action="store_true", help="sound only (the footage index takes as long to build)")
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
    tmp = Path(tempfile.mkdtemp(prefix="links-bench-"))
    try:
        sv = args.sound_videos or args.videos
        planted, real_queries = _pairs(args.seconds)
        bsnd, bcls = _baseline(args.baseline, args.baseline_lookup_only)
        opt = _sound_side(sound, SoundIndex(tmp / "sound"), audio, planted, real_queries, sv, args.queries, args.seconds)
        base = _sound_side(bsnd, bcls(tmp / "sound-baseline"), audio, planted, real_queries, sv, args.queries, args.seconds)
        inter = _interleaved(base["index"], base["queries"], opt["index"], opt["queries"], args.rounds)
        nbytes, base_bytes = opt["index"].store.nbytes(), base["index"].store.nbytes()
        strip = ("index", "queries")
        res["sound_index"] = {**inter["optimized"], **{k: v for k, v in opt.items() if k not in strip}, "videos": sv,
                              "bytes": nbytes, "bytes_per_video": round(nbytes / sv), "gb_at_1m_videos": round(nbytes / sv * 1e6 / 1e9, 1),
                              "runs": len(opt["index"].store.manifest()["runs"]), "triplets_per_video": int(sfp.hashes()[0].size),
                              "baseline": {**inter["baseline"], **{k: v for k, v in base.items() if k not in strip}, "commit": args.baseline,
                                           "lookup_only": args.baseline_lookup_only, "bytes_per_video": round(base_bytes / sv),
                                           "gb_at_1m_videos": round(base_bytes / sv * 1e6 / 1e9, 1)},
                              "rounds": inter["rounds"], "ratio_median": inter["ratio_median"], "ratio_p95": inter["ratio_p95_of_p95"]}
        del opt, base
        shutil.rmtree(tmp / "sound-baseline", ignore_errors=True)
        if args.no_footage:
            raise _Done
        fi = FootageIndex(tmp / "footage")
        views = int(round(len(ffp) / max(1, ffp.frames)))
        build_s = _build(fi, ((f"v{i:06d}", _fake_footage(rng, ffp.frames, views)) for i in range(args.videos)))
        lat = _latency(fi, [("real", ffp)] + [(f"f{i}", _fake_footage(rng, ffp.frames, views)) for i in range(args.queries - 1)])
        nbytes = fi.store.nbytes()
        res["footage_index"] = {**lat, "build_s": round(build_s, 1), "bytes": nbytes, "bytes_per_video": round(nbytes / args.videos),
                                "gb_at_1m_videos": round(nbytes / args.videos * 1e6 / 1e9, 1), "runs": len(fi.store.manifest()["runs"]),
                                "hashes_per_video": ffp.frames * views}
    except _Done:
        pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "links.json").write_text(json.dumps(res, indent=2) + "\n")
    f, s = res["fingerprint"], res["sound_index"]
    b = s["baseline"]
    md = [
        "# links: fingerprints and matching", "",
        f"Machine: {res['machine']}. Commit {res['commit'][:10]}. Index of {s['videos']:,} generated videos of {args.seconds:.0f} s.", "",
        "| what | value |", "|---|---|",
        f"| sound fingerprint, 30 s | {f['sound_s']} s (realtime factor {f['sound_rtf']}), {f['sound_peaks_per_s']} peaks/s, {f['sound_triplets_per_s']} triplet hashes/s |",
        f"| footage fingerprint, 30 s (frames decoded) | {f['footage_s']} s (realtime factor {f['footage_rtf']}), {f['footage_hashes_per_frame']} hashes/frame |",
        f"| sound match vs {s['videos']:,} videos | p50 {s['p50_ms']} ms, p95 {s['p95_ms']} ms ({s['keys_per_query']:,} keys, {s['postings_hit_per_query']:,} postings hit per query) |",
        f"| ... baseline ({b['commit']}{', its index and matcher only' if b['lookup_only'] else ''}), interleaved | p50 {b['p50_ms']} ms, p95 {b['p95_ms']} ms ({b['keys_per_query']:,} keys, {b['postings_hit_per_query']:,} postings hit); baseline / optimized: median {s['ratio_median']}x, p95 {s['ratio_p95']}x ({s['rounds']} rounds x {s['queries'] // s['rounds']} queries) |",
        f"| planted matches found (4 queries) | optimized {_planted(s['planted_found'])}, baseline {_planted(b['planted_found'])}; other matches: {_others(s['planted_found'])}, {_others(b['planted_found'])} |",
        f"| sound index | {s['bytes_per_video']:,} bytes/video, {s['gb_at_1m_videos']} GB at 1 M videos (baseline {b['bytes_per_video']:,} bytes/video, {b['gb_at_1m_videos']} GB) |",
    ]
    if "footage_index" in res:
        o = res["footage_index"]
        md += [f"| footage match vs {args.videos:,} videos | p50 {o['p50_ms']} ms, p95 {o['p95_ms']} ms |",
               f"| footage index | {o['bytes_per_video']:,} bytes/video, {o['gb_at_1m_videos']} GB at 1 M videos |"]
    md += ["", "Generated index fingerprints are uniform random: real hashes are less uniform, so real lookups hit more postings.",
           "The machine is shared with other jobs: latencies are upper-bound-ish, rerun for a quiet number.", ""]
    (RESULTS / "links.md").write_text("\n".join(md))
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
