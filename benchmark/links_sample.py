"""links accuracy on the links clips (``video_assets/sample/links``) against their ground truth, and
false re-upload pairs across the whole sample corpus (the links clips plus the synthetic corpus).

    python -m benchmark.links_sample [--sample DIR] [--corpus DIR] [--no-write]

``--sample``: the links clips (written there first when absent: ``python -m video_assets.sample.links DIR``);
``--corpus``: the synthetic sample corpus (default data/sample_corpus; written when absent).
Every clip is fingerprinted from its file (audio decoded by ffmpeg at 16 kHz mono, the rate of
``audio_track``; frames by ffmpeg at 2 per second, 360x640: what ``footage.fingerprint`` samples),
then queried against the index of the clips before it (name order) and added, as the assets would;
``groups.build`` makes the sounds and reuploads tables. Scored: sound pairs (recall, precision,
offset and speed errors, against ``ground_truth.json``'s sound groups), re-upload pairs (recall, and
every re-upload pair that is not in the truth, across both corpora), shared-footage pairs, and
whether the groups come out as the truth's groups.

Writes benchmark/results/links-sample.json and links-sample.md.
"""

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from video_assets.links import FootageIndex, SoundIndex, build, footage, sound
from video_assets.links.sound_index import note_partners
from video_assets.sample.links.uses import expected_sound_pair

RESULTS = Path(__file__).parent / "results"
SR = 16000
SIDE = (360, 640)


def _audio(path: Path) -> np.ndarray:
    """The file's sound, 16 kHz mono float32; empty for a file without a sound track (some
    synthetic sample clips have none: their fingerprint is empty and matches nothing)."""
    streams = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "a", "-show_entries", "stream=index", "-of", "csv=p=0",
                              str(path)], capture_output=True, text=True, check=True).stdout.strip()
    if not streams:
        return np.zeros(0, np.float32)
    raw = subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(path), "-vn", "-ac", "1", "-ar", str(SR),
                          "-f", "f32le", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.float32)


def _frames(path: Path):
    w, h = SIDE
    raw = subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(path), "-an",
                          "-vf", f"fps=1/{footage.SAMPLE_EVERY_S}:round=down,scale={w}:{h}:flags=area",
                          "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
    imgs = np.frombuffer(raw, np.uint8).reshape(-1, h, w, 3)
    return [(k * footage.SAMPLE_EVERY_S, img) for k, img in enumerate(imgs)]


def fingerprints(files: dict[str, Path]) -> tuple[dict, dict, dict]:
    """name -> sound fingerprint, footage fingerprint; and the seconds each took, per kind."""
    snd, foot, secs = {}, {}, {"sound": [], "footage": []}
    for name, path in sorted(files.items()):
        t0 = time.perf_counter()
        snd[name] = sound.fingerprint(_audio(path))
        t1 = time.perf_counter()
        frames = _frames(path)
        foot[name] = footage.fingerprint(frames, duration_s=len(frames) * footage.SAMPLE_EVERY_S)
        secs["sound"].append(t1 - t0)
        secs["footage"].append(time.perf_counter() - t1)
    return snd, foot, secs


def match_all(snd: dict, foot: dict, folder: Path) -> list:
    """Each clip in name order: queried against the clips before it, then added."""
    si, fi = SoundIndex(folder / "sound"), FootageIndex(folder / "footage")
    matches, partners = [], {}
    for name in sorted(snd):
        found = si.query(name, snd[name], lambda v: partners.get(v, ()))
        note_partners(partners, found)  # as the ledger does: who shares a sound with whom, so far
        matches += found + fi.query(name, foot[name])
        si.add(name, snd[name])
        fi.add(name, foot[name])
    return matches


def _pair(m) -> tuple[str, str]:
    return tuple(sorted((m.query, m.other)))


def score(truth: dict, matches: list, videos: list[str]) -> dict:
    """Sound and footage accuracy of ``matches`` against the links clips' ``truth``."""
    uses = {u["video"]: u for g in truth["sound"]["groups"] for u in g["uses"]}
    expected = {tuple(sorted(p)) for g in truth["sound"]["groups"] for p in itertools.combinations([u["video"] for u in g["uses"]], 2)}
    sm = [m for m in matches if m.kind == "sound"]
    found = {_pair(m) for m in sm}
    links = set(truth["clips"])
    wrong = sorted(found - expected)
    errors = []
    for m in sm:
        if _pair(m) in expected:
            off, sp = expected_sound_pair(uses[m.query], uses[m.other])
            errors.append({"query": m.query, "other": m.other, "offset_s": m.offset_s, "expected_offset_s": round(off, 3),
                           "offset_error_s": round(abs(m.offset_s - off), 3), "speed": m.speed, "expected_speed": round(sp, 4),
                           "speed_error": round(abs(m.speed / sp - 1), 4), "votes": m.score})
    re_expected = {tuple(sorted(p)) for g in truth["footage"]["reupload_groups"] for p in itertools.combinations(g["videos"], 2)}
    shared_expected = {tuple(sorted(g["videos"])) for g in truth["footage"]["shared_footage"]}
    best: dict[tuple[str, str], object] = {}
    for m in matches:  # one footage verdict per pair: the higher share, as groups.build keeps
        if m.kind != "sound" and (_pair(m) not in best or m.score > best[_pair(m)].score):
            best[_pair(m)] = m
    re_found = {p for p, m in best.items() if m.kind == "reupload"}
    sh_found = {p for p, m in best.items() if m.kind == "shared_footage"}
    sounds, reuploads, _ = build(videos, matches)
    return {
        "sound": {"expected_pairs": len(expected), "found_pairs": len(found & links_pairs(found, links)),
                  "true_pairs": len(found & expected), "recall": round(len(found & expected) / max(1, len(expected)), 4),
                  # Undefined (None) when nothing was found: no pair to be right or wrong about.
                  "precision": round(len(found & expected) / len(links_pairs(found, links)), 4) if links_pairs(found, links) else None,
                  "missed": sorted(expected - found), "false_pairs_links_clips": [p for p in wrong if set(p) <= links],
                  "pairs_outside_links_clips": [p for p in wrong if not set(p) <= links],
                  "max_offset_error_s": max((e["offset_error_s"] for e in errors), default=None),
                  "max_speed_error": max((e["speed_error"] for e in errors), default=None), "pairs": errors,
                  "groups": [sorted(g) for g in sounds["videos"]]},
        "footage": {"expected_reupload_pairs": len(re_expected), "true_reupload_pairs": len(re_found & re_expected),
                    "reupload_recall": round(len(re_found & re_expected) / max(1, len(re_expected)), 4),
                    "missed_reupload_pairs": sorted(re_expected - re_found),
                    "false_reupload_pairs": sorted(re_found - re_expected),
                    "shared_footage_expected": sorted(shared_expected), "shared_footage_found": sorted(sh_found),
                    "shared_footage_links_clips": sorted(p for p in sh_found if set(p) <= links),
                    "shared_footage_recall": round(len(sh_found & shared_expected) / max(1, len(shared_expected)), 4),
                    "kinds": {f"{a} / {b}": {"kind": m.kind, "share": m.score, "mirrored": m.mirrored} for (a, b), m in sorted(best.items())},
                    "reupload_groups": [sorted(g) for g in reuploads[reuploads["kind"] == "reupload"]["videos"]]},
    }


def links_pairs(found: set, links: set) -> set:
    """The pairs of ``found`` between two links clips (precision is on the links clips, whose sounds are all known)."""
    return {p for p in found if set(p) <= links}


def run(sample: Path, corpus: Path | None) -> dict:
    from video_assets.sample.links.writer import ensure_corpus

    truth = ensure_corpus(sample)
    files = {n: sample / c["file"] for n, c in truth["clips"].items()}
    if corpus is not None:
        from video_assets.sample.build import ensure_corpus as ensure_synthetic

        synthetic = ensure_synthetic(corpus)
        files |= {f"corpus/{n}": corpus / c["file"] for n, c in synthetic["clips"].items()}
    snd, foot, secs = fingerprints(files)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        matches = match_all(snd, foot, Path(tmp))
        match_s = time.perf_counter() - t0
    out = score(truth, matches, sorted(files))
    out["videos"] = {"links_clips": len(truth["clips"]), "synthetic_corpus": len(files) - len(truth["clips"])}
    out["seconds"] = {"sound_fingerprint_mean": round(float(np.mean(secs["sound"])), 3),
                      "footage_fingerprint_mean": round(float(np.mean(secs["footage"])), 3),
                      "index_and_match_all": round(match_s, 3)}
    return out


def _markdown(res: dict) -> str:
    s, f = res["sound"], res["footage"]
    md = ["# links on the links clips (issue #52)", "",
          f"`{res['command']}` on {res['machine']}, commit `{res['commit'][:10]}`. "
          f"{res['videos']['links_clips']} links clips + {res['videos']['synthetic_corpus']} synthetic sample clips "
          "(docs/links.md: the clips and their truth).", "",
          "| measure | value | target |", "| --- | --- | --- |",
          f"| sound pairs recall | {s['recall']} ({s['true_pairs']} of {s['expected_pairs']}) | >= 0.95 |",
          f"| sound pairs precision (links clips) | {s['precision']} ({s['found_pairs']} found) | 1.0 |",
          f"| sound offset error, max | {s['max_offset_error_s']} s | <= 0.2 s |",
          f"| sound speed error, max | {s['max_speed_error']} | |",
          f"| re-upload pairs recall | {f['reupload_recall']} ({f['true_reupload_pairs']} of {f['expected_reupload_pairs']}) | >= 0.95 |",
          f"| false re-upload pairs, whole corpus | {len(f['false_reupload_pairs'])} | 0 |",
          f"| shared-footage pairs among the links clips | {f['shared_footage_links_clips']} (expected "
          f"{f['shared_footage_expected']}) | |",
          f"| shared-footage pairs with a synthetic clip (its clips share photographs; no truth there) | "
          f"{len(f['shared_footage_found']) - len(f['shared_footage_links_clips'])} | |",
          f"| sound matches with a synthetic clip (no truth there) | {len(s['pairs_outside_links_clips'])} | |", "",
          "Sound pairs (query, other: offset and speed found vs the truth, votes):", "",
          "| query | other | offset | expected | speed | expected | votes |", "| --- | --- | --- | --- | --- | --- | --- |"]
    md += [f"| {e['query']} | {e['other']} | {e['offset_s']} | {e['expected_offset_s']} | {e['speed']} | {e['expected_speed']} | {e['votes']:.0f} |"
           for e in s["pairs"]]
    md += ["", f"Missed sound pairs: {s['missed'] or 'none'}. False sound pairs among the links clips: "
           f"{s['false_pairs_links_clips'] or 'none'}. Sound groups: {s['groups']}.", "",
           "Footage verdicts (every pair with a footage match; share: of the shorter video's frames matched in order; "
           "a re-upload also needs half of them on one timeline, `match.ALIGN_S`):", "",
           "| pair | kind | share | mirrored |", "| --- | --- | --- | --- |"]
    md += [f"| {p} | {k['kind']} | {k['share']} | {k['mirrored']} |" for p, k in f["kinds"].items()]
    md += ["", f"Missed re-upload pairs: {f['missed_reupload_pairs'] or 'none'}. False re-upload pairs: "
           f"{f['false_reupload_pairs'] or 'none'}. Re-upload groups: {f['reupload_groups']}.", "",
           f"Seconds per clip: sound fingerprint {res['seconds']['sound_fingerprint_mean']}, footage fingerprint "
           f"{res['seconds']['footage_fingerprint_mean']} (decoding included); indexing and matching all "
           f"{res['seconds']['index_and_match_all']} s.", ""]
    return "\n".join(md)


def main(argv: list[str] | None = None) -> int:
    from benchmark.links import _commit, _machine

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sample", type=Path, default=Path("data/links_clips"))
    p.add_argument("--corpus", type=Path, default=Path("data/sample_corpus"))
    p.add_argument("--no-corpus", action="store_true", help="the links clips alone")
    p.add_argument("--no-write", action="store_true")
    a = p.parse_args(argv)
    res = run(a.sample, None if a.no_corpus else a.corpus)
    res |= {"command": "python -m benchmark.links_sample" + (f" --sample {a.sample}" if a.sample else "") +
            ("" if a.no_corpus else f" --corpus {a.corpus}"), "machine": _machine(), "commit": _commit()}
    print(json.dumps({k: v for k, v in res["sound"].items() if k != "pairs"}, indent=1, default=str))
    print(json.dumps({k: v for k, v in res["footage"].items() if k != "kinds"}, indent=1, default=str))
    if not a.no_write:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "links-sample.json").write_text(json.dumps(res, indent=2, default=list) + "\n")
        (RESULTS / "links-sample.md").write_text(_markdown(res))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
