"""Music for the sample corpus, synthesized (no recording to license, the same bytes every time):
a bed of chords with a bass line, a kick and a hi-hat at 112 beats a minute, and a song-like part,
a sung vowel line (a glottal pulse train through vowel formants, with vibrato, on a melody) over
the same bed. Ground truth: the bed is music; the sung part is music and singing."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BPM = 112
# C major, A minor, F major, G major: (root, third, fifth) in Hz, one chord a bar.
CHORDS = ((261.63, 329.63, 392.00), (220.00, 261.63, 329.63), (174.61, 220.00, 261.63), (196.00, 246.94, 293.66))
# The sung melody: one note a beat (Hz).
MELODY = (392.00, 440.00, 392.00, 329.63, 349.23, 392.00, 440.00, 493.88, 523.25, 493.88, 440.00, 392.00)
# Formants of an open "a" (Hz, bandwidth Hz): what makes a pulse train sound like a voice.
VOWEL_A = ((800, 80), (1150, 90), (2900, 120))


@dataclass(frozen=True)
class Music:
    """A music part of a clip's audio, [start, end) seconds. kind: "bed" (instruments) or "song"
    (instruments and a sung line). level: peak amplitude of the part relative to full scale."""

    start: float
    end: float
    kind: str = "bed"
    level: float = 0.25


def _envelope(n: int, sr: int, attack: float, decay: float) -> np.ndarray:
    t = np.arange(n) / sr
    return np.minimum(1.0, t / attack) * np.exp(-t / decay)


def bed(seconds: float, sr: int, phase_s: float = 0.0) -> np.ndarray:
    """Chords (three soft saw-like voices), bass, kick on every beat, hi-hat on the off-beats."""
    n = int(round(seconds * sr))
    t = np.arange(n) / sr + phase_s
    beat = 60.0 / BPM
    out = np.zeros(n)
    bar = (t // (4 * beat)).astype(int) % len(CHORDS)
    for k in range(3):
        f = np.array([c[k] for c in CHORDS])[bar]
        for h in (1, 2, 3):
            out += 0.12 / h * np.sin(2 * np.pi * f * h * t)
    root = np.array([c[0] for c in CHORDS])[bar] / 2
    out += 0.25 * np.sin(2 * np.pi * root * t) * (0.6 + 0.4 * np.cos(2 * np.pi * t / beat))
    rng = np.random.default_rng(7)
    for i in range(int(seconds / beat) + 2):
        at = int(round((i * beat - phase_s % beat) * sr))
        kick = np.sin(2 * np.pi * 55 * np.arange(int(0.15 * sr)) / sr * np.linspace(2.0, 1.0, int(0.15 * sr)))
        kick *= _envelope(kick.size, sr, 0.002, 0.05) * 0.8
        hat = rng.standard_normal(int(0.05 * sr)) * _envelope(int(0.05 * sr), sr, 0.001, 0.012) * 0.15
        for sound, offset in ((kick, at), (hat, at + int(beat / 2 * sr))):
            a, b = max(offset, 0), min(offset + sound.size, n)
            if b > a:
                out[a:b] += sound[a - offset:b - offset]
    return out / np.abs(out).max()


def _resonate(x: np.ndarray, freq: float, bandwidth: float, sr: int) -> np.ndarray:
    """A two-pole resonator (a formant)."""
    from scipy.signal import lfilter

    r = np.exp(-np.pi * bandwidth / sr)
    a = [1.0, -2 * r * np.cos(2 * np.pi * freq / sr), r * r]
    return lfilter([1.0 - r], a, x)


def sung_line(seconds: float, sr: int) -> np.ndarray:
    """A vowel sung on ``MELODY``, a note a beat, with 5.5 Hz vibrato and a breath between phrases."""
    n = int(round(seconds * sr))
    t = np.arange(n) / sr
    beat = 60.0 / BPM
    note = np.array(MELODY)[(t // beat).astype(int) % len(MELODY)]
    f0 = note * (1 + 0.025 * np.sin(2 * np.pi * 5.5 * t))
    phase = np.cumsum(f0) / sr
    pulses = 2 * (phase % 1.0) - 1.0  # a sawtooth: every harmonic, falling 6 dB an octave
    voice = sum(_resonate(pulses, f, bw, sr) * g for (f, bw), g in zip(VOWEL_A, (1.0, 0.6, 0.25)))
    within = (t % beat) / beat
    voice *= np.clip(np.minimum(within / 0.08, (1 - within) / 0.12), 0, 1) ** 0.5
    phrase = (t % (4 * beat)) < 3.6 * beat
    voice *= phrase
    return voice / np.abs(voice).max()


def render(part: Music, sr: int) -> np.ndarray:
    """One part as float samples in [-level, level]."""
    seconds = part.end - part.start
    mix = bed(seconds, sr, part.start)
    if part.kind == "song":
        mix = 0.45 * mix + 0.8 * sung_line(seconds, sr)
    fade = min(int(0.05 * sr), mix.size // 2)
    ramp = np.linspace(0, 1, fade)
    mix[:fade] *= ramp
    mix[mix.size - fade:] *= ramp[::-1]
    return part.level * mix / np.abs(mix).max()
