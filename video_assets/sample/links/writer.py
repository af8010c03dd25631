"""Renders the links clips (``uses.CLIPS``) to 1080x1920 H.264 + AAC files and writes their
ground_truth.json: ``python -m video_assets.sample.links DIR``.

Why a renderer of its own: the links cases are edits of one picture stream (a repost letterboxes,
mirrors or crops the original's frames, captions and all) and shots shared between videos, which
the synthetic corpus' scene model has no words for. The encoder (``sample.build.encode_clip``,
bit-exact flags) and the caption drawing (``sample.drawing``) are the synthetic corpus' own, so the
same command writes the same bytes on the same machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import wave
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from video_assets.sample import truth_file
from video_assets.sample.truth_file import write_truth
from video_assets.sample.build import encode_clip
from video_assets.sample.drawing import HEIGHT, WIDTH, CaptionLayer
from video_assets.sample.links.uses import (CLIPS, COCKATOO, FPS, SR, LinkClip, Shot, footage_truth, media_of, sound_truth,
                                            soundtrack)
from video_assets.sample.real.media import LICENCES, path
from video_assets.sample.specs import Caption

VERSION = 1
UPLOADED = 1767225600  # 2026-01-01 UTC, the first clip's modification time; each next clip one second later
FOOTAGE_SIDE = (540, 960)  # the cockatoo's 9:16 centre, decoded at half size and scaled up


def _footage(shot: Shot, duration: float) -> np.ndarray:
    """The cockatoo footage's 9:16 centre at ``FPS`` from ``shot.source_start_s``: (frames, h, w, 3)."""
    w, h = FOOTAGE_SIDE
    raw = subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-ss", str(shot.source_start_s), "-i", str(path(COCKATOO)),
                          "-t", str(duration), "-vf", f"crop=ih*9/16:ih,scale={w}:{h}:flags=area,fps={FPS}", "-an",
                          "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], check=True, capture_output=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, h, w, 3)


def texture(seed: int, width: int = 720, height: int = 1280) -> np.ndarray:
    """A generated still (soft blobs, hard-edged blocks, stripes, grain), seeded: the picture of a
    clip whose footage is no one else's. Detailed everywhere, as a photo is, so the footage hash
    has edges to work with; no two seeds share anything."""
    import cv2

    rng = np.random.default_rng(seed)
    small = rng.uniform(0, 255, (height // 64, width // 64, 3)).astype(np.float32)
    img = cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
    for _ in range(40):
        x0, y0 = int(rng.uniform(0, width - 40)), int(rng.uniform(0, height - 40))
        img[y0:y0 + int(rng.uniform(20, 220)), x0:x0 + int(rng.uniform(20, 220))] = rng.uniform(0, 255, 3)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    for _ in range(4):
        ang, fr = rng.uniform(0, np.pi), rng.uniform(0.01, 0.05)
        img += 25 * np.sin(fr * (np.cos(ang) * xx + np.sin(ang) * yy))[..., None] * rng.uniform(-1, 1, 3).astype(np.float32)
    img += rng.normal(0, 6, (height, width, 1)).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def _still(source: str) -> np.ndarray:
    if source.startswith("texture:"):
        return texture(int(source.split(":")[1]))
    from PIL import Image

    return np.asarray(Image.open(path(source)).convert("RGB"))


def _pan(image: np.ndarray, shot: Shot, progress: float) -> np.ndarray:
    """The still covering the frame at the shot's zoom, its centre moved along the pan (bilinear warp)."""
    import cv2

    h, w = image.shape[:2]
    z = shot.zoom[0] + (shot.zoom[1] - shot.zoom[0]) * progress
    s = max(WIDTH / w, HEIGHT / h) * z
    (ax0, ay0), (ax1, ay1) = shot.pan
    cx, cy = (ax0 + (ax1 - ax0) * progress) * w, (ay0 + (ay1 - ay0) * progress) * h
    # Keep the frame inside the picture: the centre at least half a frame from its edges.
    cx = min(max(cx, WIDTH / 2 / s), w - WIDTH / 2 / s)
    cy = min(max(cy, HEIGHT / 2 / s), h - HEIGHT / 2 / s)
    m = np.array([[s, 0.0, WIDTH / 2 - cx * s], [0.0, s, HEIGHT / 2 - cy * s]])
    return cv2.warpAffine(image, m, (WIDTH, HEIGHT), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def _overlay(frame: np.ndarray, layers: list[CaptionLayer], t: float) -> np.ndarray:
    for layer in layers:
        drawn = layer.at(t)
        if drawn is None:
            continue
        patch, (left, top), opacity = drawn
        h, w = patch.shape[:2]
        region = frame[top:top + h, left:left + w].astype(np.float32)
        alpha = patch[..., 3:4].astype(np.float32) / 255.0 * opacity
        frame[top:top + h, left:left + w] = (region * (1 - alpha) + patch[..., :3].astype(np.float32) * alpha).astype(np.uint8)
    return frame


def _captions(clip: LinkClip) -> list[CaptionLayer]:
    return [CaptionLayer(Caption(text, a, b, y, 64)) for text, a, b, y in clip.captions]


LETTERBOX_SCALE = 0.72  # the repost's picture: 72 % of the frame, centred over a blurred, zoomed copy
CROP = 0.1  # of the width and height, 70 % of it from the left and the top, scaled back


def _edit(frame: np.ndarray, edit: str) -> np.ndarray:
    """A repost's edit of one frame (the same edits ``links.synth`` makes for the links tests)."""
    import cv2

    if edit == "letterbox":
        h, w = frame.shape[:2]
        bg = cv2.resize(frame[h // 8:h - h // 8, w // 8:w - w // 8], (w, h), interpolation=cv2.INTER_LINEAR)
        out = cv2.GaussianBlur(cv2.resize(bg, (w // 4, h // 4), interpolation=cv2.INTER_AREA), (0, 0), 5)
        out = cv2.resize(out, (w, h), interpolation=cv2.INTER_LINEAR)
        nw, nh = int(w * LETTERBOX_SCALE), int(h * LETTERBOX_SCALE)
        x0, y0 = (w - nw) // 2, (h - nh) // 2
        out[y0:y0 + nh, x0:x0 + nw] = cv2.resize(frame, (nw, nh), interpolation=cv2.INTER_AREA)
        return out
    if edit == "mirror":
        return np.ascontiguousarray(frame[:, ::-1])
    if edit == "crop":
        h, w = frame.shape[:2]
        cw, ch = int(w * CROP), int(h * CROP)
        x0, y0 = int(cw * 0.7), int(ch * 0.7)
        return cv2.resize(frame[y0:h - (ch - y0), x0:w - (cw - x0)], (w, h), interpolation=cv2.INTER_LINEAR)
    return frame


def frames(clip: LinkClip):
    """The clip's RGB frames. A repost: the original's picture with the original's captions burned
    in, then its edit; "captions": the original's picture under its own, new captions."""
    import cv2

    edited = clip.edit in ("letterbox", "mirror", "crop")  # its captions are the original's, burned in before the edit
    original = next(c for c in CLIPS if c.name == clip.of) if clip.of else clip
    layers, burned = ([], _captions(original)) if edited else (_captions(clip), [])
    stills = {s.source: _still(s.source) for s in clip.shots if s.source != COCKATOO}
    moving = {s: _footage(s, s.end - s.start) for s in clip.shots if s.source == COCKATOO}
    for i in range(int(round(clip.duration * FPS))):
        t = i / FPS
        shot = next(s for s in clip.shots if s.start <= t < s.end)
        if shot.source == COCKATOO:
            clipf = moving[shot]
            frame = cv2.resize(clipf[min(len(clipf) - 1, int(round((t - shot.start) * FPS)))], (WIDTH, HEIGHT), interpolation=cv2.INTER_LINEAR)
        else:
            frame = _pan(stills[shot.source], shot, (t - shot.start) / (shot.end - shot.start))
        frame = _overlay(frame, burned, t)
        yield _overlay(_edit(frame, clip.edit), layers, t)


def _write_wav(samples: np.ndarray, out: Path) -> None:
    with wave.open(str(out), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes((np.clip(samples, -1, 32767 / 32768) * 32768).astype(np.int16).tobytes())


def write_clip(clip: LinkClip, out_dir: Path) -> dict:
    """One clip's file and its truth (duration, media with their licences, edit)."""
    out = out_dir / f"{clip.name}.mp4"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        _write_wav(soundtrack(clip), work / "sound.wav")
        encode_clip(frames(clip), FPS, work / "sound.wav", work, out, crf=clip.crf)
    media = media_of(clip)
    if clip.of:  # a repost is made of what its original is made of
        media = sorted(set(media) | set(media_of(next(c for c in CLIPS if c.name == clip.of))))
    return {"file": out.name, "duration": clip.duration, "fps": FPS, "width": WIDTH, "height": HEIGHT,
            "language": clip.language, "captions": [{"text": t, "start": a, "end": b} for t, a, b, _ in clip.captions],
            "edit": clip.edit, "of": clip.of, "crf": clip.crf, "voices": list(clip.voices),
            "media": {m: LICENCES[m] for m in media},
            "generated": sorted({s.source for s in clip.shots if ":" in s.source}
                                | ({clip.music.source} if clip.music and ":" in clip.music.source else set()))}


def write_corpus(out_dir: Path, names: list[str] | None = None) -> dict:
    """Write the clips (all, or those named) and ground_truth.json into ``out_dir``, two at a time."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    clips = [c for c in CLIPS if names is None or c.name in names]
    with ProcessPoolExecutor(max_workers=2) as pool:
        written = list(pool.map(write_clip, clips, [out_dir] * len(clips)))
    for clip in clips:  # "uploaded" in the order of CLIPS, originals first: "first" in a group is a file's mtime
        stamp = UPLOADED + CLIPS.index(clip)
        os.utime(out_dir / f"{clip.name}.mp4", (stamp, stamp))
    before = out_dir / "ground_truth.json"  # ``--only``: the other clips' truth stays as it was
    kept = json.loads(before.read_text()).get("clips", {}) if names is not None and before.exists() else {}
    kept = {k: v for k, v in kept.items() if k in {c.name for c in CLIPS}}
    truth = {"version": VERSION, "clips": kept | {c.name: t for c, t in zip(clips, written)},
             "sound": sound_truth(), "footage": footage_truth()}
    return write_truth(out_dir, truth)


def ensure_corpus(out_dir: Path) -> dict:
    """The truth of the links clips in ``out_dir``, writing them first when absent or of another version."""
    return truth_file.ensure(out_dir, VERSION, [c.name for c in CLIPS], write_corpus, [f"{c.name}.mp4" for c in CLIPS])


def main(argv: list[str] | None = None) -> int:
    return truth_file.main(argv, __doc__.splitlines()[0], write_corpus,
                           lambda c: f"{c['file']}: {c['duration']} s, media: {', '.join(c['media']) or '-'}")


if __name__ == "__main__":
    sys.exit(main())
