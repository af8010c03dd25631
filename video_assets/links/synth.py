"""Generated signals for the links tests and benchmark: music pieces of one style (the sample
corpus' instruments at its tempo, with a seeded chord progression and melody, so two seeds are two
songs of the same genre, sharing drums and tempo), speech from espeak-ng, and footage (textured
scenes with a moving camera) with the edits a repost makes."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import wave
from functools import lru_cache
from pathlib import Path

import numpy as np

from video_assets.sample.music import BPM, _envelope

SCALE = (261.63, 293.66, 329.63, 349.23, 392.00, 440.00, 493.88)  # C major


def music(seconds: float, seed: int, sr: int = 16000) -> np.ndarray:
    """A piece in the sample corpus' style: saw-like chords, a bass, a plucked melody an eighth
    note apart, kick and hi-hat (the same drum sounds for every seed). Peak 1.0."""
    rng = np.random.default_rng(seed)
    n = int(round(seconds * sr))
    t = np.arange(n) / sr
    beat = 60.0 / BPM
    bars = int(seconds / (4 * beat)) + 2
    degrees = rng.integers(0, 7, size=bars)
    out = np.zeros(n)
    bar = np.minimum((t // (4 * beat)).astype(int), bars - 1)
    for k in (0, 2, 4):
        f = np.array([SCALE[(d + k) % 7] * (2 if d + k >= 7 else 1) for d in degrees])[bar]
        for h in (1, 2, 3):
            out += 0.08 / h * np.sin(2 * np.pi * f * h * t)
    root = np.array([SCALE[d] / 2 for d in degrees])[bar]
    out += 0.2 * np.sin(2 * np.pi * root * t)
    step = beat / 2
    notes = rng.integers(0, 14, size=int(seconds / step) + 2)
    ln = int(step * sr)
    env = _envelope(ln, sr, 0.005, 0.12)
    tt = np.arange(ln) / sr
    for i, d in enumerate(notes):
        at = int(round(i * step * sr))
        if at >= n or rng.random() < 0.15:
            continue
        f = SCALE[d % 7] * (2 if d >= 7 else 1)
        tone = (np.sin(2 * np.pi * f * tt) + 0.4 * np.sin(4 * np.pi * f * tt) + 0.2 * np.sin(6 * np.pi * f * tt)) * env * 0.35
        b = min(n, at + ln)
        out[at:b] += tone[: b - at]
    hat_rng = np.random.default_rng(7)  # the same drum kit for every piece: a genre's drums
    kick_n, hat_n = int(0.15 * sr), int(0.05 * sr)
    kick = np.sin(2 * np.pi * 55 * np.arange(kick_n) / sr * np.linspace(2.0, 1.0, kick_n)) * _envelope(kick_n, sr, 0.002, 0.05) * 0.8
    hat = hat_rng.standard_normal(hat_n) * _envelope(hat_n, sr, 0.001, 0.012) * 0.15
    for i in range(int(seconds / beat) + 1):
        for sound, at in ((kick, int(i * beat * sr)), (hat, int((i + 0.5) * beat * sr))):
            b = min(n, at + sound.size)
            if b > at:
                out[at:b] += sound[: b - at]
    return (out / np.abs(out).max()).astype(np.float32)


def speed_up(x: np.ndarray, factor: float) -> np.ndarray:
    """Played ``factor`` times faster, pitch and tempo together (how "sped up" sounds are made)."""
    from scipy.signal import resample

    return resample(x, int(round(x.size / factor))).astype(np.float32)


def speech(text: str, voice: str = "en-us", wpm: int = 165, sr: int = 16000) -> np.ndarray:
    """Real synthetic speech from espeak-ng at ``sr`` (peak 1.0); raises when espeak-ng is missing."""
    from scipy.signal import resample_poly

    if shutil.which("espeak-ng") is None:
        raise RuntimeError("espeak-ng is not installed (apt-get install -y espeak-ng)")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "s.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(wpm), "-w", str(out), text], check=True, capture_output=True)
        with wave.open(str(out)) as w:
            rate = w.getframerate()
            x = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(np.float32) / 32768
    g = np.gcd(rate, sr)
    x = resample_poly(x, sr // g, rate // g)
    return (x / max(1e-6, np.abs(x).max())).astype(np.float32)


def recording(*names: str, gap_s: float = 0.25, sr: int = 16000) -> np.ndarray:
    """Real recordings from the sample corpus' media (``video_assets/sample/real/media``, sources and
    licences in its SOURCES.md) one after another, ``gap_s`` apart, each at peak 1.0, decoded by
    ffmpeg at ``sr`` mono: real voices for the voice-over tests (espeak-ng's voices are steadier
    than people's, and steady partials are what the sound fingerprint keeps)."""
    from video_assets.sample.real.media import path

    parts = []
    for name in names:
        raw = subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(path(name)), "-ac", "1", "-ar", str(sr),
                              "-f", "f32le", "-"], check=True, capture_output=True).stdout
        x = np.frombuffer(raw, dtype=np.float32)
        parts += [x / max(1e-6, float(np.abs(x).max())), np.zeros(int(gap_s * sr), np.float32)]
    return np.concatenate(parts).astype(np.float32)


def mix(voice: np.ndarray, bed: np.ndarray, bed_db: float = -6.0) -> np.ndarray:
    """A voice-over over a music bed ``bed_db`` under it (RMS), as long as the bed."""
    n = bed.size
    v = np.zeros(n, np.float32)
    reps = int(np.ceil(n / max(1, voice.size + 8000)))
    tiled = np.concatenate([np.concatenate([voice, np.zeros(8000, np.float32)]) for _ in range(reps)])[:n]
    v[: tiled.size] = tiled
    rms = lambda a: float(np.sqrt(np.mean(a ** 2)) + 1e-9)  # noqa: E731
    out = v / rms(v) + bed / rms(bed) * 10 ** (bed_db / 20)
    return (out / np.abs(out).max() * 0.9).astype(np.float32)


# Footage -------------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def scene(seed: int, width: int = 640, height: int = 360) -> np.ndarray:
    """A large textured still (blobs, stripes, gradients), seeded: the world a clip's camera pans over."""
    rng = np.random.default_rng(seed)
    w, h = width, height
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.zeros((h, w, 3), np.float32)
    for _ in range(25):
        cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(20, 120)
        col = rng.uniform(0, 255, 3)
        m = np.exp(-(((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r)))[..., None]
        img = img * (1 - m) + col * m
    for _ in range(30):  # hard-edged objects: real footage has edges, not only gradients
        x0, y0 = int(rng.uniform(0, w - 40)), int(rng.uniform(0, h - 40))
        img[y0:y0 + int(rng.uniform(15, 120)), x0:x0 + int(rng.uniform(15, 120))] = rng.uniform(0, 255, 3)
    img += rng.normal(0, 6, (h, w, 1)).astype(np.float32)  # grain
    for _ in range(6):
        ang, fr = rng.uniform(0, np.pi), rng.uniform(0.01, 0.05)
        img += 25 * np.sin(fr * (np.cos(ang) * xx + np.sin(ang) * yy))[..., None] * rng.uniform(-1, 1, 3)
    return np.clip(img, 0, 255).astype(np.uint8)


def clip_frames(seed: int, seconds: float, fps: float = 2.0, width: int = 360, height: int = 640,
                shots: int = 3) -> list[tuple[float, np.ndarray]]:
    """(time, RGB frame) of a clip: ``shots`` shots, each a slow pan over a scene of its own."""
    out = []
    per = seconds / shots
    for k in range(int(round(seconds * fps))):
        t = k / fps
        s = min(int(t // per), shots - 1)
        world = scene(seed * 100 + s, width=int(max(width, height) * 1.3), height=int(max(width, height) * 1.3))
        u = (t - s * per) / per
        x0 = int(u * (world.shape[1] - width))
        y0 = int((1 - u) * (world.shape[0] - height) * 0.5)
        out.append((t, world[y0:y0 + height, x0:x0 + width].copy()))
    return out


def letterbox_over_blur(img: np.ndarray, width: int = 360, height: int = 640, scale: float = 0.9) -> np.ndarray:
    """The frame scaled into a 9:16 canvas over a blurred, zoomed copy of itself (a repost)."""
    import cv2

    bg = cv2.resize(img, (width, height), interpolation=cv2.INTER_AREA)
    bg = cv2.GaussianBlur(bg, (0, 0), 18)
    h, w = img.shape[:2]
    k = min(width / w, height / h) * scale
    nw, nh = int(w * k), int(h * k)
    fg = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_AREA)
    out = bg.copy()
    x0, y0 = (width - nw) // 2, (height - nh) // 2
    out[y0:y0 + nh, x0:x0 + nw] = fg
    return out


def crop(img: np.ndarray, fraction: float = 0.1, left_share: float = 0.7) -> np.ndarray:
    """``fraction`` of the width and height cut away (``left_share`` of it on the left/top), scaled back."""
    import cv2

    h, w = img.shape[:2]
    cw, ch = int(w * fraction), int(h * fraction)
    x0, y0 = int(cw * left_share), int(ch * left_share)
    return cv2.resize(img[y0:h - (ch - y0), x0:w - (cw - x0)], (w, h), interpolation=cv2.INTER_LINEAR)


def caption(img: np.ndarray, text: str, y_share: float = 0.75) -> np.ndarray:
    """Burned-in caption: white text with a black outline across the frame."""
    import cv2

    out = img.copy()
    h, w = out.shape[:2]
    y = int(h * y_share)
    for colour, thick in (((0, 0, 0), 6), ((255, 255, 255), 2)):
        cv2.putText(out, text, (int(w * 0.06), y), cv2.FONT_HERSHEY_SIMPLEX, w / 420, colour, thick, cv2.LINE_AA)
    return out


def reencode(img: np.ndarray, quality: int = 20, shrink: float = 0.5) -> np.ndarray:
    """A lossy round trip: downscaled, JPEG at a low quality, scaled back."""
    import cv2

    h, w = img.shape[:2]
    small = cv2.resize(img, (int(w * shrink), int(h * shrink)), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.resize(cv2.imdecode(buf, cv2.IMREAD_UNCHANGED), (w, h), interpolation=cv2.INTER_LINEAR)
