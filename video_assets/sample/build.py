"""Deterministic sample corpus: short vertical clips with known captions, speech, objects and cuts.

Usage: ``python -m video_assets.sample.build DIR``

Every clip is 1080x1920 and built from real photographs that scikit-image ships (a person, a cat,
a cup of coffee, a motorcycle, a rocket) so a real detector has real objects to find. Backgrounds
pan slowly (a Ken Burns move) while captions stay still: that is the case a caption de-duplicator
must handle. Speech is synthesized with ``espeak-ng`` at a known rate, with known pauses, and the
transcript and timing go to ``ground_truth.json``.

The same command writes byte-identical files on the same machine: x264 and espeak-ng are
deterministic, and the muxer runs with ``bitexact`` flags so no timestamps or version strings vary.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import wave
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from video_assets.sample import truth_file
from video_assets.sample.truth_file import write_truth
from video_assets.sample.clips import CLIPS, Caption, ClipSpec
from video_assets.sample.music import render as render_music
from video_assets.sample.photos import faces_truth, load_image, scene_layers
from video_assets.sample.drawing import HEIGHT, WIDTH, CaptionLayer, render_caption

# Bumped whenever a clip or the ground truth's shape changes: ensure_corpus rewrites older corpora.
VERSION = 6


def _synthesize(text: str, wpm: int, out: Path, voice: str = "en-us") -> np.ndarray:
    """espeak-ng to a WAV; returns int16 samples at 22050 Hz with edge silence trimmed."""
    if shutil.which("espeak-ng") is None:
        raise RuntimeError("espeak-ng is not installed: apt-get install -y espeak-ng (make demo does this)")
    subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(wpm), "-w", str(out), text],
        check=True, capture_output=True,
    )
    with wave.open(str(out), "rb") as w:
        assert w.getframerate() == 22050 and w.getnchannels() == 1
        samples = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > 300)
    return samples[loud[0] : loud[-1] + 1] if loud.size else samples


@dataclass
class ClipTruth:
    file: str
    duration: float
    fps: int
    width: int
    height: int
    has_audio: bool
    caption_language: str = "en"
    captions: list[dict] = field(default_factory=list)
    lines: list[dict] = field(default_factory=list)  # auto-caption chunks joined into sentences
    scenes: list[dict] = field(default_factory=list)
    cuts: list[float] = field(default_factory=list)
    speech: dict | None = None
    faces: list[dict] = field(default_factory=list)  # per scene: how many faces are on screen
    audio_events: dict | None = None  # music and singing spans (speech: the utterances)


def _build_audio(spec: ClipSpec, work: Path) -> tuple[Path, dict]:
    sr = 22050
    track = np.zeros(int(round(spec.duration * sr)), dtype=np.int16)
    utterances = []
    for i, utt in enumerate(spec.utterances):
        samples = _synthesize(utt.text, spec.wpm, work / f"utt{i}.wav", spec.voice_of(utt))
        start = int(round(utt.start * sr))
        end = start + samples.size
        if end > track.size:
            raise ValueError(f"{spec.name}: utterance {i} runs past the clip end")
        if utterances and start < utterances[-1]["end"] * sr:
            raise ValueError(f"{spec.name}: utterance {i} overlaps the previous one")
        track[start:end] = samples
        utterances.append({"text": utt.text, "start": round(start / sr, 3), "end": round(end / sr, 3), "language": spec.language_of(utt)})
    if spec.music:  # mixed in float, then back to 16 bits (clips without music keep their exact bytes)
        mix = track.astype(np.float64) / 32768.0
        for part in spec.music:
            a = int(round(part.start * sr))
            sound = render_music(part, sr)[: mix.size - a]
            mix[a : a + sound.size] += sound
        track = (np.clip(mix, -1.0, 32767 / 32768) * 32768.0).astype(np.int16)
    path = work / "speech.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes(track.tobytes())
    words = sum(len(u["text"].split()) for u in utterances)
    speech_time = sum(u["end"] - u["start"] for u in utterances)
    pauses = [{"start": a["end"], "end": b["start"]} for a, b in zip(utterances, utterances[1:])]
    by_language = {lang: sum(u["end"] - u["start"] for u in utterances if u["language"] == lang) for lang in {u["language"] for u in utterances}}
    truth = {
        "transcript": " ".join(u["text"] for u in utterances),
        "language": max(sorted(by_language), key=by_language.get) if by_language else None,  # the longest spoken
        # Each language's share of the speaking time (what speech_rate_summary.languages reports).
        "languages": {k: round(v / speech_time, 3) for k, v in sorted(by_language.items())},
        "utterances": utterances,
        "word_count": words,
        "espeak_wpm_setting": spec.wpm,
        "speech_time_s": round(speech_time, 3),
        "words_per_minute_speaking": round(words / speech_time * 60.0, 2),
        "pauses": pauses,
    }
    return path, truth


def _frames(spec: ClipSpec):
    """Yield RGB frames: panning scenes with hard cuts, still captions composited on top."""
    scenes = [(s, *scene_layers(load_image(s.image, s.crop), s.pan)) for s in spec.scenes]
    layers = [CaptionLayer(c) for c in spec.captions]
    n = int(round(spec.duration * spec.fps))
    for i in range(n):
        t = i / spec.fps
        scene, bg, fg = next((s, b, f) for s, b, f in scenes if s.start <= t < s.end)
        progress = (t - scene.start) / (scene.end - scene.start)
        bx = int(round(progress * (bg.shape[1] - WIDTH)))
        by = int(round(progress * (bg.shape[0] - HEIGHT)))
        frame = bg[by : by + HEIGHT, bx : bx + WIDTH].copy()
        fx = int(round((1 - progress) * (fg.shape[1] - WIDTH)))
        fy = (HEIGHT - fg.shape[0]) // 2 + int(round((progress - 0.5) * 60 * scene.pan))
        frame[fy : fy + fg.shape[0]] = fg[:, fx : fx + WIDTH]
        for layer in layers:
            drawn = layer.at(t)
            if drawn is not None:
                patch, (left, top), opacity = drawn
                h, w = patch.shape[:2]
                region = frame[top : top + h, left : left + w].astype(np.float32)
                alpha = patch[..., 3:4].astype(np.float32) / 255.0 * opacity
                frame[top : top + h, left : left + w] = (
                    region * (1 - alpha) + patch[..., :3].astype(np.float32) * alpha
                ).astype(np.uint8)
        yield frame


def _caption_truth(cap: Caption, patch: np.ndarray, corner: tuple[int, int]) -> dict:
    h, w = patch.shape[:2]
    left, top = corner
    return {
        "text": " ".join(cap.text.split("\n")),
        "start": cap.start,
        "end": cap.end,
        "box": [left / WIDTH, top / HEIGHT, (left + w) / WIDTH, (top + h) / HEIGHT],
        "font_px": cap.size,
        "patterns": list(cap.patterns),
        "style": cap.style,
        "enter": cap.enter,
        "line": cap.line,
    }


def _lines_truth(captions: list[dict]) -> list[dict]:
    """Chunks of one sentence (the same ``line`` id), joined in order: what a person reads."""
    lines: dict[str, list[dict]] = {}
    for cap in captions:
        if cap["line"]:
            lines.setdefault(cap["line"], []).append(cap)
    return [{"text": " ".join(c["text"] for c in caps), "start": caps[0]["start"], "end": caps[-1]["end"], "chunks": len(caps)}
            for caps in (sorted(v, key=lambda c: c["start"]) for v in lines.values())]


def write_clip(spec: ClipSpec, out_dir: Path) -> ClipTruth:
    if shutil.which("ffmpeg") is None:
        raise RuntimeError("ffmpeg is not installed: apt-get install -y ffmpeg (make demo does this)")
    out = out_dir / f"{spec.name}.mp4"
    truth = ClipTruth(
        file=out.name, duration=spec.duration, fps=spec.fps, width=WIDTH, height=HEIGHT,
        has_audio=spec.has_audio, caption_language=spec.caption_language,
    )
    for cap in spec.captions:
        truth.captions.append(_caption_truth(cap, *render_caption(cap)))
    truth.lines = _lines_truth(truth.captions)
    truth.scenes = [asdict(s) | {"objects": list(s.objects), "text": list(s.text), "crop": list(s.crop) if s.crop else None} for s in spec.scenes]
    truth.cuts = [s.start for s in spec.scenes[1:]]
    truth.faces = faces_truth(spec)
    if spec.has_audio:
        truth.audio_events = {"music": [[m.start, m.end] for m in spec.music],
                              "singing": [[m.start, m.end] for m in spec.music if m.kind == "song"]}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        wav = None
        if spec.has_audio:
            wav, truth.speech = _build_audio(spec, work)
        encode_clip(_frames(spec), spec.fps, wav, work, out)
    return truth


def encode_clip(frames, fps: int, wav: Path | None, work: Path, out: Path, crf: int = 23) -> None:
    """Frames (RGB, WIDTH x HEIGHT) and an optional WAV into ``out``: H.264 (at ``crf``; the links
    clips' re-upload is re-encoded at 35) + AAC, bit-exact flags
    (the same bytes on the same machine), written in ``work`` and moved into place atomically, so a
    reader never sees a half-written clip in the corpus. Shared by the real-recordings builder."""
    cmd = [
        "ffmpeg", "-nostdin", "-loglevel", "error", "-y",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{WIDTH}x{HEIGHT}", "-r", str(fps), "-i", "-",
    ]
    if wav is not None:
        cmd += ["-i", str(wav), "-c:a", "aac", "-b:a", "96k", "-ar", "44100", "-shortest"]
    cmd += [
        "-c:v", "libx264", "-preset", "veryfast", "-crf", str(crf), "-g", str(fps * 2),
        "-pix_fmt", "yuv420p", "-fflags", "+bitexact", "-flags:v", "+bitexact",
        "-flags:a", "+bitexact", "-map_metadata", "-1", "-movflags", "+faststart",
        str(work / out.name),
    ]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdin is not None
    try:
        for frame in frames:
            proc.stdin.write(frame.tobytes())
    finally:
        proc.stdin.close()
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.wait() != 0:
        raise RuntimeError(f"ffmpeg failed writing {out}: {err}")
    shutil.move(str(work / out.name), str(out.with_suffix(".mp4.tmp")))
    out.with_suffix(".mp4.tmp").replace(out)

def write_corpus(out_dir: Path, names: list[str] | None = None) -> dict:
    """Write the clips (all, or those named) and ground_truth.json into out_dir."""
    out_dir.mkdir(parents=True, exist_ok=True)
    clips = [c for c in CLIPS if names is None or c.name in names]
    unknown = set(names or ()) - {c.name for c in CLIPS}
    if unknown:
        raise ValueError(f"unknown clip names {sorted(unknown)}; known: {[c.name for c in CLIPS]}")
    # Clips are independent: written two at a time (the demo's first minutes on a 2-core machine);
    # each clip's bytes do not depend on it.
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=min(2, len(clips)) or 1) as pool:
        written = list(pool.map(write_clip, clips, [out_dir] * len(clips)))
    truth = {"version": VERSION, "clips": {c.name: asdict(t) for c, t in zip(clips, written)}}
    return write_truth(out_dir, truth)


def ensure_corpus(out_dir: Path) -> dict:
    """The ground truth of the corpus in out_dir, writing the corpus first if it is not there or
    was written by another version of the clips (a new clip, a changed spec)."""
    return truth_file.ensure(out_dir, VERSION, [c.name for c in CLIPS], write_corpus)


def main(argv: list[str] | None = None) -> int:
    return truth_file.main(argv, __doc__.splitlines()[0], write_corpus,
                           lambda c: f"{c['file']}: {c['duration']} s, {c['fps']} fps, audio={c['has_audio']}")


if __name__ == "__main__":
    sys.exit(main())
