"""Deterministic corpus of real recordings: short vertical clips made of recorded speech, song and
music, photographs of people and camera footage, with captions burned in as creators do.

Usage: ``python -m video_assets.sample.real.recordings DIR [--only NAME ...]``
(or ``video-assets sample-corpus --real DIR``).

The recordings and photographs are in ``media/`` with their sources and licences (``media/SOURCES.md``);
``catalogue`` places them (``scenes``: the shapes; ``soundtrack``: the sound). Captions are drawn by the synthetic corpus' code (``sample/drawing.py``) and the
ground truth has the synthetic corpus' shape (``sample/build.py``: captions, lines, scenes, cuts,
speech, faces, audio_events), with what only real recordings need added: each utterance's speaker and
style (read, spontaneous, a public address), each face's pose and height, the song's lyrics lines,
and the media each clip is made of with their licences.

As the synthetic builder, the same command writes the same bytes on the same machine (ffmpeg's
decoders and x264 are deterministic; the muxer runs with ``bitexact`` flags).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from video_assets.sample import truth_file
from video_assets.sample.truth_file import write_truth
from video_assets.sample.build import ClipTruth, _caption_truth, _lines_truth, encode_clip
from video_assets.sample.drawing import HEIGHT, WIDTH, CaptionLayer, render_caption
from video_assets.sample.real.catalogue import REAL_CLIPS
from video_assets.sample.real.media import LICENCES, PHOTO_FACES, path
from video_assets.sample.real.soundtrack import build_audio
from video_assets.sample.real.scenes import Layer, RealClip, RealScene
from video_assets.sample.specs import FACE_VISIBLE

VERSION = 1


def _load_photo(source: str) -> np.ndarray:
    if source in LICENCES:
        return np.asarray(Image.open(path(source)).convert("RGB"))
    from video_assets.sample.photos import load_image  # a scikit-image photo, as the synthetic corpus uses

    return load_image(source)


def _affine(layer: Layer, size: tuple[int, int], progress: float) -> tuple[float, float, float]:
    """The photo's scale and the photo point (pixels) at the region's centre at ``progress``."""
    w, h = size
    rw = layer.region[2] - layer.region[0]
    z = layer.zoom[0] + (layer.zoom[1] - layer.zoom[0]) * progress
    (ax0, ay0), (ax1, ay1) = layer.anchor
    ax = (ax0 + (ax1 - ax0) * progress) * w
    ay = (ay0 + (ay1 - ay0) * progress) * h
    return z * rw / w, ax, ay


class _PhotoLayer:
    def __init__(self, layer: Layer, scene: RealScene):
        self.layer, self.scene = layer, scene
        self.image = np.ascontiguousarray(_load_photo(layer.source))

    def draw(self, frame: np.ndarray, t: float) -> None:
        """The photo scaled about its anchor (OpenCV's bilinear warp), clipped to the region."""
        import cv2

        x0, y0, x1, y1 = self.layer.region
        h, w = self.image.shape[:2]
        s, ax, ay = _affine(self.layer, (w, h), (t - self.scene.start) / (self.scene.end - self.scene.start))
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        left, right = max(x0, int(np.ceil((0 - ax) * s + cx))), min(x1, int(np.floor((w - ax) * s + cx)))
        top, bottom = max(y0, int(np.ceil((0 - ay) * s + cy))), min(y1, int(np.floor((h - ay) * s + cy)))
        if right <= left or bottom <= top:
            return
        m = np.array([[s, 0.0, cx - ax * s - left], [0.0, s, cy - ay * s - top]])
        frame[top:bottom, left:right] = cv2.warpAffine(self.image, m, (right - left, bottom - top),
                                                      flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


class _VideoLayer:
    """Camera footage fitted to the region's width, centred, one source frame per output frame
    (ffmpeg's fps filter), the last frame held if the scene outlasts it."""

    def __init__(self, layer: Layer, scene: RealScene, fps: int):
        self.layer, self.scene = layer, scene
        x0, y0, x1, y1 = layer.region
        self.w = x1 - x0
        probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height",
                                "-of", "csv=p=0", str(path(layer.source))], check=True, capture_output=True, text=True).stdout
        sw, sh = (int(v) for v in probe.strip().split(","))
        self.h = int(round(sh * self.w / sw / 2)) * 2
        self.proc = subprocess.Popen(
            # Seeking after decoding from the start (output -ss): the file's sparse keyframes make an
            # input seek decode damaged frames. Exactly the scene's frames, so ffmpeg ends on its own.
            ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(path(layer.source)), "-ss", str(layer.offset), "-an",
             "-vf", f"fps={fps},scale={self.w}:{self.h}:flags=bicubic",
             "-frames:v", str(int(round((scene.end - scene.start) * fps))), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
            stdout=subprocess.PIPE,
        )
        self.last: np.ndarray | None = None

    def first_frame(self) -> np.ndarray:
        self._next()
        assert self.last is not None
        return self.last

    def _next(self) -> None:
        assert self.proc.stdout is not None
        raw = self.proc.stdout.read(self.w * self.h * 3)
        if len(raw) == self.w * self.h * 3:
            self.last = np.frombuffer(raw, np.uint8).reshape(self.h, self.w, 3)

    def draw(self, frame: np.ndarray, t: float) -> None:
        if t > self.scene.start or self.last is None:
            self._next()
        x0, y0, x1, y1 = self.layer.region
        assert self.last is not None
        top = y0 + (y1 - y0 - self.h) // 2
        frame[top: top + self.h, x0: x1] = self.last

    def close(self) -> None:
        if self.proc.stdout:
            self.proc.stdout.read()
            self.proc.stdout.close()
        if self.proc.wait() != 0:
            raise RuntimeError(f"ffmpeg failed decoding {self.layer.source}")


def _background(image: np.ndarray) -> np.ndarray:
    """The first layer's picture covering the frame, blurred and darkened (the synthetic corpus' look)."""
    h, w = image.shape[:2]
    scale = max(WIDTH * 1.05 / w, HEIGHT * 1.05 / h)
    big = Image.fromarray(image).resize((int(np.ceil(w * scale)), int(np.ceil(h * scale))), Image.Resampling.BICUBIC)
    left, top = (big.width - WIDTH) // 2, (big.height - HEIGHT) // 2
    big = big.crop((left, top, left + WIDTH, top + HEIGHT)).filter(ImageFilter.GaussianBlur(24))
    return (np.asarray(big).astype(np.float32) * 0.55).astype(np.uint8)


def _frames(clip: RealClip):
    captions = [CaptionLayer(c) for c in clip.captions]
    n = int(round(clip.duration * clip.fps))
    for scene in clip.scenes:
        layers = [_VideoLayer(l, scene, clip.fps) if l.source.endswith(".mp4") else _PhotoLayer(l, scene) for l in scene.layers]
        if scene.blurred_background:
            first = layers[0]
            bg = _background(first.first_frame() if isinstance(first, _VideoLayer) else first.image)
        else:
            bg = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
        for i in range(int(round(scene.start * clip.fps)), min(n, int(round(scene.end * clip.fps)))):
            t = i / clip.fps
            frame = bg.copy()
            for layer in layers:
                layer.draw(frame, t)
            for cap in captions:  # as the synthetic builder composites them
                drawn = cap.at(t)
                if drawn is not None:
                    patch, (left, top), opacity = drawn
                    ph, pw = patch.shape[:2]
                    region = frame[top: top + ph, left: left + pw].astype(np.float32)
                    alpha = patch[..., 3:4].astype(np.float32) / 255.0 * opacity
                    frame[top: top + ph, left: left + pw] = (region * (1 - alpha) + patch[..., :3].astype(np.float32) * alpha).astype(np.uint8)
            yield frame
        for layer in layers:
            if isinstance(layer, _VideoLayer):
                layer.close()


def _face_share(layer: Layer, size: tuple[int, int], box: tuple[int, int, int, int], progress: float) -> tuple[float, float]:
    """A face box's share inside its layer's region (and the frame) at ``progress``, and its height
    as a share of the frame's."""
    s, ax, ay = _affine(layer, size, progress)
    x0, y0, x1, y1 = layer.region
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    bx0, bx1 = (box[0] - ax) * s + cx, (box[2] - ax) * s + cx
    by0, by1 = (box[1] - ay) * s + cy, (box[3] - ay) * s + cy
    inside = max(0.0, min(bx1, x1) - max(bx0, x0)) * max(0.0, min(by1, y1) - max(by0, y0))
    return inside / ((bx1 - bx0) * (by1 - by0)), (by1 - by0) / HEIGHT


def faces_truth(clip: RealClip) -> list[dict]:
    """Per scene, the faces (``PHOTO_FACES``) at least ``FACE_VISIBLE`` inside their region at every
    0.1 s of the scene, with how each is seen and its height (share of the frame's) mid-scene."""
    out = []
    for scene in clip.scenes:
        seen = []
        for layer in scene.layers:
            if layer.source not in PHOTO_FACES:
                continue
            size = Image.open(path(layer.source)).size
            steps = np.linspace(0.0, 1.0, max(2, int((scene.end - scene.start) * 10) + 1))
            for box, pose in PHOTO_FACES[layer.source]:
                if min(_face_share(layer, size, box, p)[0] for p in steps) >= FACE_VISIBLE:
                    seen.append({"photo": layer.source, "pose": pose, "height_share": round(_face_share(layer, size, box, 0.5)[1], 3)})
        out.append({"start": scene.start, "end": scene.end, "count": len(seen), "faces": seen})
    return out


def media_of(clip: RealClip) -> list[str]:
    files = [p.file for p in clip.speech] + [s.file for s in clip.sounds] + [l.source for s in clip.scenes for l in s.layers]
    if any(s.kind == "a_cappella" for s in clip.sounds):
        files += ["vocadito_1_notesA1.csv", "vocadito_1_lyrics.txt"]
    return sorted({f for f in files if f in LICENCES})


def write_clip(clip: RealClip, out_dir: Path) -> dict:
    if shutil.which("ffmpeg") is None:
        raise RuntimeError("ffmpeg is not installed: apt-get install -y ffmpeg (make demo does this)")
    out = out_dir / f"{clip.name}.mp4"
    truth = ClipTruth(file=out.name, duration=clip.duration, fps=clip.fps, width=WIDTH, height=HEIGHT,
                      has_audio=True, caption_language=clip.caption_language)
    truth.captions = [_caption_truth(c, *render_caption(c)) for c in clip.captions]
    truth.lines = _lines_truth(truth.captions)
    truth.scenes = [{"start": s.start, "end": s.end, "objects": list(s.objects), "text": list(s.text),
                     "sources": [l.source for l in s.layers],
                     "layout": "duet" if len(s.layers) > 1 else ("footage" if s.layers[0].source.endswith(".mp4") else "photo"),
                     "zoom": [list(l.zoom) for l in s.layers]} for s in clip.scenes]
    truth.cuts = [s.start for s in clip.scenes[1:]]
    truth.faces = faces_truth(clip)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        wav, truth.speech, truth.audio_events = build_audio(clip, work)
        encode_clip(_frames(clip), clip.fps, wav, work, out)
    media = media_of(clip)
    return asdict(truth) | {"corpus": "real", "about": clip.about,
                            "media": [{"file": f, "licence": LICENCES[f]} for f in media]}


def write_corpus(out_dir: Path, names: list[str] | None = None) -> dict:
    """Write the real-recording clips (all, or those named) and ground_truth.json into out_dir."""
    out_dir.mkdir(parents=True, exist_ok=True)
    clips = [c for c in REAL_CLIPS if names is None or c.name in names]
    unknown = set(names or ()) - {c.name for c in REAL_CLIPS}
    if unknown:
        raise ValueError(f"unknown clip names {sorted(unknown)}; known: {[c.name for c in REAL_CLIPS]}")
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=min(2, len(clips)) or 1) as pool:
        written = list(pool.map(write_clip, clips, [out_dir] * len(clips)))
    truth = {"version": VERSION, "corpus": "real", "clips": {c.name: t for c, t in zip(clips, written)}}
    return write_truth(out_dir, truth)


def ensure_corpus(out_dir: Path) -> dict:
    """The real corpus' ground truth in out_dir, writing the corpus first if it is missing or older."""
    return truth_file.ensure(out_dir, VERSION, [c.name for c in REAL_CLIPS], write_corpus)


def main(argv: list[str] | None = None) -> int:
    return truth_file.main(argv, __doc__.splitlines()[0], write_corpus,
                           lambda c: f"{c['file']}: {c['duration']} s, {c['fps']} fps, media: {', '.join(m['file'] for m in c['media'])}")


if __name__ == "__main__":
    sys.exit(main())
