"""The corpus index at scale: ``python -m benchmark.search``.

The sample corpus goes through text_overlay (RapidOCR) and speech_rate (faster-whisper base) once;
their spans are indexed and the committed query set (``video_assets/sample/queries.py``) is asked
(top-1 hit rate). Then an index of ``--spans`` spans (default 10,000: the corpus' spans repeated
under other video keys, each copy added as the corpus_index asset adds a video) is built, one more
video is added to it, and every query is asked ``--reps`` times: build seconds, add seconds for one
video, query latency p50/p95 (keyword and semantic). Writes benchmark/results/search.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np


def corpus_spans(corpus: Path, truth: dict):
    """Every clip's spans from the real analyzers (the same code the corpus_index asset runs)."""
    import pandas as pd

    from benchmark.__main__ import load_inputs
    from resources.ocr import OcrResource
    from resources.speech import SpeechModelsResource
    from video_assets.analyzers import by_name
    from video_assets.insights.spans import spans_of

    clips = sorted(truth)
    frames, audio = load_inputs(corpus, clips)
    ocr = OcrResource(engine="rapidocr").load("optimized").model
    speech = SpeechModelsResource().load("optimized").model
    text, talk = by_name("text_overlay"), by_name("speech_rate")
    spans = {}
    for clip in clips:
        tables = {"text_overlay": text.process(frames[clip], text.presets["optimized"], ocr).tables,
                  "speech_rate": talk.process(audio[clip], talk.presets["optimized"], speech).tables}
        spans[clip] = spans_of(clip, tables)
    return spans


def _pct(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)) * 1000, 2)


def main(argv: list[str] | None = None) -> int:
    from benchmark.__main__ import commit, machine
    from resources.corpus_index import CorpusIndexResource
    from video_assets.runtime import settings
    from video_assets.sample.build import ensure_corpus
    from video_assets.sample.queries import QUERIES, is_hit

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path(settings.corpus_root()))
    parser.add_argument("--spans", type=int, default=10_000)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--out", type=Path, default=settings.PROJECT_DIR / "benchmark" / "results")
    args = parser.parse_args(argv)
    truth = ensure_corpus(args.corpus)["clips"]
    print("running text_overlay and speech_rate on the sample corpus ...", flush=True)
    spans = corpus_spans(args.corpus, truth)
    work = Path(tempfile.mkdtemp(prefix="search-bench-"))
    try:
        index = CorpusIndexResource(uri=str(work / "corpus")).open()
        for clip, frame in spans.items():
            index.replace_video(clip, frame)
        first = {q.text: (hits := index.search(q.text, mode=q.mode, limit=1)) and is_hit(q, hits[0], truth[q.video]) for q in QUERIES}
        hit_rate = sum(bool(v) for v in first.values()) / len(QUERIES)
        print(f"top-1 hit rate {hit_rate:.3f} over {len(QUERIES)} queries", flush=True)

        big = CorpusIndexResource(uri=str(work / "big")).open()
        per_copy = sum(len(f) for f in spans.values())
        copies = int(np.ceil(args.spans / per_copy))
        t0 = time.perf_counter()
        for i in range(copies):
            for clip, frame in spans.items():
                key = f"{clip}-{i:04d}"
                big.replace_video(key, frame.assign(video=key))
        build_s = time.perf_counter() - t0
        total = big.count()
        clip = "german_cafe" if "german_cafe" in spans else next(iter(spans))
        adds = []
        for rep in range(args.reps):
            key = f"new-{rep}"
            t0 = time.perf_counter()
            big.replace_video(key, spans[clip].assign(video=key))
            adds.append(time.perf_counter() - t0)
        latency = {"keyword": [], "semantic": []}
        for _ in range(args.reps):
            for q in QUERIES:
                for mode in latency:
                    t0 = time.perf_counter()
                    big.search(q.text, mode=mode, limit=10)
                    latency[mode].append(time.perf_counter() - t0)
        host = machine()
        report = {
            "commit": commit(), "machine": f"{host['cpu']} ({host['cores']} cores), {host['device']}", "date": time.strftime("%Y-%m-%d"),
            "queries": len(QUERIES), "top1_hit_rate": round(hit_rate, 4), "misses": [t for t, ok in first.items() if not ok],
            "spans": total, "videos": copies * len(spans), "build_s": round(build_s, 2),
            "build_s_per_video": round(build_s / (copies * len(spans)), 4),
            "add_one_video_s": {"median": round(statistics.median(adds), 4), "max": round(max(adds), 4), "spans": len(spans[clip])},
            "query_ms": {m: {"p50": _pct(v, 50), "p95": _pct(v, 95), "n": len(v)} for m, v in latency.items()},
            "encoder": f"{big.encoder}, CPU",
            "top1_by_kind": {k or "other": round(sum(bool(first[q.text]) for q in QUERIES if q.kind == k) / n, 4)
                             for k in dict.fromkeys(q.kind for q in QUERIES) if (n := sum(q.kind == k for q in QUERIES))}, "index": "LanceDB 0.40 full-text (no stemming, umlauts kept) + flat cosine",
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "search.json").write_text(json.dumps(report, indent=2))
    lines = [f"Corpus index on {report['machine']}, commit `{report['commit'][:10]}`, {report['date']} (`python -m benchmark.search`).", "",
             "| measure | value |", "|---|---|",
             f"| top-1 hit rate, committed query set ({report['queries']} queries) | {report['top1_hit_rate']} |",
             *[f"| top-1 hit rate, {k} queries | {v} |" for k, v in report["top1_by_kind"].items()],
             f"| search encoder | {report['encoder']} |",
             f"| spans / videos in the large index | {report['spans']} / {report['videos']} |",
             f"| build, one video at a time (s; per video) | {report['build_s']}; {report['build_s_per_video']} |",
             f"| add one video ({report['add_one_video_s']['spans']} spans) to it, median / max s | {report['add_one_video_s']['median']} / {report['add_one_video_s']['max']} |",
             f"| keyword query p50 / p95 ms | {report['query_ms']['keyword']['p50']} / {report['query_ms']['keyword']['p95']} |",
             f"| semantic query p50 / p95 ms (embedding included) | {report['query_ms']['semantic']['p50']} / {report['query_ms']['semantic']['p95']} |"]
    if report["misses"]:
        lines.append(f"\nMissed at top 1: {report['misses']}")
    (args.out / "search.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
