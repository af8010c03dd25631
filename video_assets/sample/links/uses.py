"""The links clips as data (issue #52): which sound each clip uses, where and how fast, which picture
each shot shows and how a repost edits it; and their sound, mixed here from the real recordings in
``sample/real/media`` (sources and licences: its SOURCES.md).

Why these clips: they are the cases a corpus of short videos links by (``video_assets/links``), each
with its truth written down before anything is measured:
- one music track ("Vibe Ace", Kevin MacLeod, CC-BY 3.0, a drum-led track: the hard case under a
  voice, see ``links/__init__``) under five videos, each with its own real voice-over, English or
  German: at two offsets, sped up 20 %, only 6 s of it, and once 10 dB under the speech (the others
  6 dB under it);
- two decoys, other music under other voices: Brahms' Hungarian Dance 5 (US Army Strings, public
  domain) and a generated drum-led piece (kick, hi-hat, chords, bass, a plucked melody);
- one clip of real footage (imageio's cockatoo) re-uploaded four ways: letterboxed over a blurred
  copy, mirrored, cropped 10 % and re-encoded at CRF 35, and with new captions;
- two different videos that share one photograph (Obama's official portrait) for 3 s, the same
  shot, among pictures of their own: shared footage, not a re-upload.

Every voice recording is used by one clip only: a shared voice recording would be a shared sound.
The footage clips carry a silent sound track, so the sound truth is only the groups above.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

SR = 16000
FPS = 10
SOUND = "kevin_macleod_vibe_ace_0-40s.opus"
DECOY_STRINGS = "hungarian_dance_5_0-30s.opus"
COCKATOO = "imageio_cockatoo.mp4"
SHARED_PHOTO = "obama_official_portrait_2012.jpg"
T = "thorsten_{}.flac"


@dataclass(frozen=True)
class Music:
    """``source`` (a media file, or "generated:<seed>") from ``source_start_s`` for ``length_s`` of the
    clip, played ``speed`` times faster, entering the clip at ``at_s``, ``under_db`` (RMS) under the voice."""

    source: str
    source_start_s: float
    length_s: float
    at_s: float = 0.0
    speed: float = 1.0
    under_db: float = 6.0


@dataclass(frozen=True)
class Shot:
    """What the picture shows in [start, end): ``source`` (a media photo, "texture:<seed>" for a
    generated still, or the cockatoo footage), panned from ``pan[0]`` to ``pan[1]`` (the picture's
    centre, shares of its size) at ``zoom`` (1: it just covers the frame), over the shot's length: a
    shot of the same length, pan and zoom in two videos is the same footage. ``source_start_s``: where
    footage starts playing."""

    source: str
    start: float
    end: float
    pan: tuple[tuple[float, float], tuple[float, float]] = ((0.5, 0.45), (0.5, 0.55))
    zoom: tuple[float, float] = (1.05, 1.2)
    source_start_s: float = 0.0


@dataclass(frozen=True)
class LinkClip:
    name: str
    duration: float
    language: str  # of its voice-over and captions
    voices: tuple[str, ...] = ()  # real recordings, one after another, repeated to fill the clip
    music: Music | None = None
    shots: tuple[Shot, ...] = ()
    captions: tuple[tuple[str, float, float, float], ...] = ()  # text, start, end, centre y
    edit: str = ""  # a repost's edit of ``of``: letterbox, mirror, crop, captions
    of: str = ""
    crf: int = 23


def _vibe(start: float, length: float, **kw) -> Music:
    return Music(SOUND, start, length, **kw)


def _tex(seed: int, start: float, end: float) -> tuple[Shot, ...]:
    return (Shot(f"texture:{seed}", start, end),)


def _cap(*lines: tuple[str, float, float]) -> tuple[tuple[str, float, float, float], ...]:
    return tuple((text, a, b, 0.78) for text, a, b in lines)


_BIRD = (Shot(COCKATOO, 0.0, 12.0, pan=((0.5, 0.5), (0.5, 0.5)), zoom=(1.0, 1.0), source_start_s=1.0),)
_BIRD_CAPS = _cap(("Look who came to visit", 0.5, 4.5), ("He wants breakfast", 5.0, 11.5))
_PORTRAIT = dict(pan=((0.5, 0.3), (0.5, 0.42)), zoom=(1.1, 1.3))

CLIPS: tuple[LinkClip, ...] = (
    LinkClip("snd_original", 15.0, "en", ("librispeech_2412-153948-0000.flac",), _vibe(12.0, 15.0), _tex(11, 0, 15),
             _cap(("My morning routine", 0.5, 7.0), ("part one", 7.0, 14.5))),
    LinkClip("snd_offset", 15.0, "de", tuple(T.format(h) for h in ("1386ecbb98a8f46dd0b0eb75d68ee0d0", "2b0d202fa8b36fa7b01322fa78225358",
                                                                   "c7c110c6a5bcbc6145494cecbf9bd0ba")),
             _vibe(16.0, 15.0), _tex(12, 0, 15), _cap(("Mein Tag in Bildern", 0.5, 14.5))),
    LinkClip("snd_sped", 15.0, "en", ("jfk_inaugural_ask_not.flac",), _vibe(10.0, 15.0, speed=1.2), _tex(13, 0, 15),
             _cap(("sped up version", 0.5, 14.5))),
    LinkClip("snd_six_s", 12.0, "de", tuple(T.format(h) for h in ("d2211c12c486ab34f1b85611d25953a3", "e3b0d27c39d2a719d60f4ad335f04b15")),
             _vibe(20.0, 6.0, at_s=3.0), _tex(14, 0, 12), _cap(("Kurz und knapp", 0.5, 11.5))),
    LinkClip("snd_under10", 15.0, "en", ("ljspeech_LJ002-0020.flac", "ami_ES2011a_headset0_40-46s.flac", "ljspeech_LJ002-0035.flac"),
             _vibe(14.0, 15.0, under_db=10.0), _tex(15, 0, 15), _cap(("Storytime", 0.5, 14.5))),
    LinkClip("decoy_strings", 15.0, "de", tuple(T.format(h) for h in ("eca9d4cc394847e6876b4ba43c046c5c", "sample01-gt", "sample02-gt")),
             Music(DECOY_STRINGS, 0.0, 15.0), _tex(16, 0, 15), _cap(("Klassik am Morgen", 0.5, 14.5))),
    LinkClip("decoy_bed", 15.0, "de", tuple(T.format(h) for h in ("sample03-gt", "sample04-gt")),
             Music("generated:5", 0.0, 15.0), _tex(17, 0, 15), _cap(("Neuer Beat", 0.5, 14.5))),
    LinkClip("bird_original", 12.0, "en", shots=_BIRD, captions=_BIRD_CAPS),
    LinkClip("bird_letterbox", 12.0, "en", shots=_BIRD, captions=_BIRD_CAPS, edit="letterbox", of="bird_original"),
    LinkClip("bird_mirror", 12.0, "en", shots=_BIRD, captions=_BIRD_CAPS, edit="mirror", of="bird_original"),
    LinkClip("bird_crop_crf35", 12.0, "en", shots=_BIRD, captions=_BIRD_CAPS, edit="crop", of="bird_original", crf=35),
    LinkClip("bird_new_captions", 12.0, "de", shots=_BIRD, captions=_cap(("Unser Besuch heute", 1.0, 6.0), ("Frühstück!", 6.5, 11.0)),
             edit="captions", of="bird_original"),
    LinkClip("photo_news", 12.0, "en", shots=(Shot("texture:21", 0.0, 4.5), Shot(SHARED_PHOTO, 4.5, 7.5, **_PORTRAIT),
                                              Shot("texture:22", 7.5, 12.0)),
             captions=_cap(("Today in the news", 0.5, 11.5))),
    LinkClip("photo_history", 14.0, "en", shots=(Shot("biden_official_portrait_2013.jpg", 0.0, 5.0), Shot("texture:23", 5.0, 9.0),
                                                 Shot(SHARED_PHOTO, 9.0, 12.0, **_PORTRAIT), Shot("texture:24", 12.0, 14.0)),
             captions=_cap(("Portraits of the 2010s", 0.5, 13.5))),
)
BY_NAME = {c.name: c for c in CLIPS}
SHARED = (("photo_news", 4.5, 7.5), ("photo_history", 9.0, 12.0))  # the shared shot in each video


def media_of(clip: LinkClip) -> list[str]:
    """The committed media files a clip is made of (its truth lists them with their licences)."""
    out = list(clip.voices)
    if clip.music and not clip.music.source.startswith("generated:"):
        out.append(clip.music.source)
    out += [s.source for s in clip.shots if ":" not in s.source]
    return sorted(set(out))


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))) + 1e-9)


def generated_piece(seconds: float, seed: int, sr: int = SR) -> np.ndarray:
    """A drum-led piece like "Vibe Ace" in kind, not in notes: kick and hi-hat at 100 BPM, a seeded
    minor chord progression, a bass and a plucked eighth-note melody. Peak 1.0. (Written here, not
    taken from ``links.synth``: the sample layer sits under ``links``, and the synthetic corpus' own
    bed is one loop its clips share.)"""
    rng = np.random.default_rng(seed)
    n = int(round(seconds * sr))
    t = np.arange(n) / sr
    beat = 0.6
    scale = np.array([220.0, 246.94, 261.63, 293.66, 329.63, 349.23, 392.0])  # A minor
    bars = int(seconds / (4 * beat)) + 2
    degrees = rng.integers(0, 7, size=bars)
    bar = np.minimum((t // (4 * beat)).astype(int), bars - 1)
    out = np.zeros(n)
    for k in (0, 2, 4):
        f = scale[(degrees + k) % 7][bar]
        for h in (1, 2, 3):
            out += 0.07 / h * np.sin(2 * np.pi * f * h * t)
    out += 0.2 * np.sin(2 * np.pi * scale[degrees][bar] / 2 * t)
    ln = int(beat / 2 * sr)
    env = np.exp(-np.arange(ln) / (0.1 * sr)) * np.minimum(1.0, np.arange(ln) / (0.005 * sr))
    tt = np.arange(ln) / sr
    for i, d in enumerate(rng.integers(0, 14, size=int(seconds / (beat / 2)) + 1)):
        at = i * ln
        f = scale[d % 7] * (2 if d >= 7 else 1)
        tone = (np.sin(2 * np.pi * f * tt) + 0.4 * np.sin(4 * np.pi * f * tt)) * env * 0.3
        out[at:at + ln] += tone[: max(0, min(ln, n - at))]
    kick_n, hat_n = int(0.15 * sr), int(0.05 * sr)
    kick = np.sin(2 * np.pi * 55 * np.arange(kick_n) / sr * np.linspace(2.0, 1.0, kick_n)) * np.exp(-np.arange(kick_n) / (0.05 * sr)) * 0.8
    hat = np.random.default_rng(seed + 1000).standard_normal(hat_n) * np.exp(-np.arange(hat_n) / (0.012 * sr)) * 0.15
    for i in range(int(seconds / beat) + 1):
        for sound, at in ((kick, int(i * beat * sr)), (hat, int((i + 0.5) * beat * sr))):
            b = min(n, at + sound.size)
            out[at:b] += sound[: max(0, b - at)]
    return (out / np.abs(out).max()).astype(np.float32)


def decode(name: str) -> np.ndarray:
    """A media file's audio, mono float32 at ``SR``, peak 1.0 (ffmpeg's decoder and resampler)."""
    from video_assets.sample.real.soundtrack import _decode

    x = _decode(name, SR)
    return (x / max(1e-6, float(np.abs(x).max()))).astype(np.float32)


def _music(m: Music) -> np.ndarray:
    """The music's part as the clip plays it; sped up by resampling (pitch and tempo together, as
    "sped up" sounds are made)."""
    from scipy.signal import resample

    if m.source.startswith("generated:"):
        src = generated_piece(m.source_start_s + m.length_s * m.speed + 1, seed=int(m.source.split(":")[1]))
    else:
        src = decode(m.source)
    a = int(round(m.source_start_s * SR))
    part = src[a:a + int(round(m.length_s * m.speed * SR))]
    if m.speed != 1.0:
        part = resample(part, int(round(part.size / m.speed))).astype(np.float32)
    return part[:int(round(m.length_s * SR))]


def soundtrack(clip: LinkClip) -> np.ndarray:
    """The clip's sound at ``SR``, peak 0.9: its voices back to back (0.4 s apart, repeated to fill
    the clip) and its music ``under_db`` under them (RMS over the music's span). Silent without either."""
    n = int(round(clip.duration * SR))
    out = np.zeros(n, np.float32)
    if clip.voices:
        gap = np.zeros(int(0.4 * SR), np.float32)
        voice = np.concatenate([part for name in clip.voices for part in (decode(name), gap)])
        reps = int(np.ceil(n / voice.size))
        out = np.tile(voice, reps)[:n].astype(np.float32)
    if clip.music is not None:
        m = _music(clip.music)
        a = int(round(clip.music.at_s * SR))
        m = m[: n - a]
        under = out[a:a + m.size]
        level = _rms(under) * 10 ** (-clip.music.under_db / 20) / _rms(m) if _rms(under) > 1e-6 else 0.5 / _rms(m)
        out[a:a + m.size] += m * level
    peak = float(np.abs(out).max())
    return (out / peak * 0.9).astype(np.float32) if peak > 0 else out


def sound_truth() -> dict:
    """The sound groups: each use's clip time ``at_s`` where the sound enters, ``sound_start_s`` (the
    sound's own time there), ``length_s`` and ``speed``; a clip time t plays the sound at
    ``sound_start_s + speed * (t - at_s)``. Decoys: other music, in no group."""
    uses = [{"video": c.name, "at_s": c.music.at_s, "sound_start_s": c.music.source_start_s, "length_s": c.music.length_s,
             "speed": c.music.speed, "under_voice_db": c.music.under_db, "language": c.language}
            for c in CLIPS if c.music and c.music.source == SOUND]
    decoys = [{"video": c.name, "music": c.music.source} for c in CLIPS if c.music and c.music.source != SOUND]
    return {"groups": [{"sound": SOUND, "uses": uses}], "decoys": decoys}


def footage_truth() -> dict:
    groups: dict[str, dict] = {}
    for c in CLIPS:
        if c.of:
            groups.setdefault(c.of, {"original": c.of, "videos": [c.of], "edits": {}})
            groups[c.of]["videos"].append(c.name)
            groups[c.of]["edits"][c.name] = c.edit + (f" + crf {c.crf}" if c.crf != 23 else "")
    return {"reupload_groups": list(groups.values()),
            "shared_footage": [{"videos": [v for v, _, _ in SHARED], "media": SHARED_PHOTO,
                                "spans": {v: [a, b] for v, a, b in SHARED}}]}


def expected_sound_pair(a: dict, b: dict) -> tuple[float, float]:
    """(offset_s, speed) a ``Match`` of query ``a`` against ``b`` should report (``sound_truth`` uses):
    t in a is at offset + speed * t in b."""
    speed = a["speed"] / b["speed"]
    offset = b["at_s"] + (a["sound_start_s"] - b["sound_start_s"] - a["speed"] * a["at_s"]) / b["speed"]
    return offset, speed
