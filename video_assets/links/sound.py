"""Sound fingerprints: spectral-peak landmarks (the constellation idea of Shazam, Wang 2003), kept in
continuous coordinates so one fingerprint can be hashed at any playback speed.

Why continuous: a sped-up sound (``asetrate``/resampling, as the "sped up" versions of a sound are
made) scales every frequency by the speed ``r`` and every time interval by ``1/r``. A landmark is a
pair of peaks (t1, f1), (t2, f2); its hash quantizes (log f1, log f2 - log f1, t2 - t1). Stored with
sub-bin frequency (parabolic interpolation) and frame times, the query can be re-hashed as if it
were played at speed ``s`` (log f1 - log s, the same interval in log frequency, dt * s) for every
``s`` on a grid of ``SPEED_STEPS`` (one frequency quantum apart): the index holds each video once, at
its own speed, and a sped-up reuse is found by the factor that undoes it. The log-frequency
interval is speed-invariant by itself; only f1 and dt move.

Robustness: peaks are local maxima that stand out of their neighbourhood (prominence, not level),
so a music bed 10 dB under a voice still leaves its peaks where the voice has no energy (between
words, between formants); a voice-over adds peaks of its own that find nothing in the index.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import maximum_filter, uniform_filter
from scipy.signal import resample_poly

INPUT_RATE = 16000  # the project's audio_track (media/frames.py AudioTrack)
RATE = 8000  # analysed at 8 kHz: music's landmarks live below 4 kHz, and it halves the cost
N_FFT = 1024  # 128 ms: 7.8 Hz bins, fine enough to tell a 2 % speed change apart
HOP = 256  # 32 ms frames
FRAME_S = HOP / RATE
FMIN, FMAX = 150.0, 3800.0  # below 150 Hz: kick drums shared by a whole genre; above: little music at 8 kHz
BINS_PER_OCTAVE = 36  # frequency quantum of a hash: 1/3 semitone (1.9 %)
PEAKS_PER_S = 40  # peak density kept (the most prominent first): a voice-over takes many of them
FANOUT = 6  # landmarks per anchor peak
MAX_DT = 24  # frames (0.77 s) from anchor to target
MAX_DF_OCTAVES = 1.0
ONSET_POLE = 0.9
SUSTAIN_FRAMES = 1
DT_QUANTUM = 1.0  # frames per dt step of a hash
SPREAD = 0.25  # a query also asks for the neighbouring cell within this share of a step from its edge
MAX_REPEATS = 3  # a hash repeated more often per 30 s is a drum or a drone, not the song (_unrepeated)
# Speeds a query is hashed at: one frequency quantum apart, 0.75x .. 1.26x.
SPEED_STEPS = tuple(range(-15, 13))
SPEEDS = tuple(float(2.0 ** (k / BINS_PER_OCTAVE)) for k in SPEED_STEPS)


@dataclass
class SoundFingerprint:
    """One video's landmarks, speed-free (see the module docstring). Times in frames of ``FRAME_S``.

    t1: anchor frame; dt: frames from anchor to target; logf1, logf2: log2 Hz of the two peaks."""

    t1: np.ndarray  # float32, frames
    dt: np.ndarray  # float32, frames
    logf1: np.ndarray  # float32
    logf2: np.ndarray  # float32
    duration_s: float
    peaks: int = 0

    def __len__(self) -> int:
        return int(self.t1.size)

    def hashes(self, speed: float = 1.0, spread: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """(uint32 keys, anchor times in seconds of the *reference* clock) as if this sound were the
        reference played ``speed`` times faster: what the index is asked for at that speed.

        ``spread`` (queries): a landmark whose quantities lie near a quantization boundary also
        asks for the neighbouring cell, so a peak that moved a little still finds its hash; the
        index stores each landmark once."""
        keys = landmark_keys(self.logf1, self.logf2, self.dt, speed)
        t = (self.t1 * FRAME_S * speed).astype(np.float32)
        if not spread or keys.size == 0:
            return keys, t
        ls = np.log2(speed)
        u1 = (self.logf1 - ls - _LOG_FMIN) * BINS_PER_OCTAVE
        ud = (self.logf2 - self.logf1) * BINS_PER_OCTAVE + 0.5
        ut = self.dt * speed / DT_QUANTUM + 0.5
        out_k, out_t = [keys], [t]
        for u, shift in ((u1, 14), (ud, 7), (ut, 0)):
            frac = u - np.floor(u)
            lo, hi = frac < SPREAD, frac > 1 - SPREAD
            out_k += [keys[lo] - np.uint32(1 << shift), keys[hi] + np.uint32(1 << shift)]
            out_t += [t[lo], t[hi]]
        return np.concatenate(out_k), np.concatenate(out_t)

    def window(self, start_s: float, end_s: float) -> "SoundFingerprint":
        """The landmarks whose anchor lies in [start_s, end_s), times unchanged."""
        keep = (self.t1 * FRAME_S >= start_s) & (self.t1 * FRAME_S < end_s)
        return SoundFingerprint(self.t1[keep], self.dt[keep], self.logf1[keep], self.logf2[keep], self.duration_s)

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"t1": self.t1, "dt": self.dt, "logf1": self.logf1, "logf2": self.logf2,
                "meta": np.array([self.duration_s, self.peaks], dtype=np.float64)}

    @classmethod
    def from_arrays(cls, arrays) -> "SoundFingerprint":
        meta = arrays["meta"]
        return cls(np.asarray(arrays["t1"]), np.asarray(arrays["dt"]), np.asarray(arrays["logf1"]),
                   np.asarray(arrays["logf2"]), float(meta[0]), int(meta[1]))


_LOG_FMIN = np.log2(FMIN / 1.3)  # room below FMIN for a query slowed down 25 %


def landmark_keys(logf1: np.ndarray, logf2: np.ndarray, dt: np.ndarray, speed: float = 1.0) -> np.ndarray:
    """The 32-bit hash of each landmark: 8 bits log f1, 7 bits log-frequency interval, 7 bits dt,
    at the reference clock (frequencies divided by ``speed``, intervals multiplied by it)."""
    ls = np.log2(speed)
    f1 = np.clip(np.floor((logf1 - ls - _LOG_FMIN) * BINS_PER_OCTAVE), 0, 255).astype(np.uint32)
    df = np.clip(np.floor((logf2 - logf1) * BINS_PER_OCTAVE + 0.5) + 63, 0, 127).astype(np.uint32)
    d = np.clip(np.floor(dt * speed / DT_QUANTUM + 0.5), 0, 127).astype(np.uint32)
    return (f1 << 14) | (df << 7) | d


def spectrogram(samples: np.ndarray, sample_rate: int = INPUT_RATE) -> np.ndarray:
    """Log-magnitude STFT (dB), shape (frames, bins), of mono audio resampled to ``RATE``."""
    x = np.asarray(samples, dtype=np.float32)
    if sample_rate != RATE:
        g = np.gcd(int(sample_rate), RATE)
        x = resample_poly(x, RATE // g, int(sample_rate) // g).astype(np.float32)
    if x.size < N_FFT:
        return np.zeros((0, N_FFT // 2 + 1), dtype=np.float32)
    frames = np.lib.stride_tricks.sliding_window_view(x, N_FFT)[::HOP]
    spec = np.abs(np.fft.rfft(frames * np.hanning(N_FFT).astype(np.float32), axis=1))
    return (20 * np.log10(spec + 1e-6)).astype(np.float32)


def find_peaks(spec: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(frame, log2 Hz, prominence dB) of the spectrogram's prominent local maxima, at most
    ``PEAKS_PER_S`` a second (each second keeps its most prominent), sorted by frame."""
    if spec.shape[0] < 3:
        return np.zeros(0, np.float32), np.zeros(0, np.float32), np.zeros(0, np.float32)
    from scipy.signal import lfilter

    lo, hi = int(FMIN * N_FFT / RATE), int(FMAX * N_FFT / RATE)
    s = spec[:, lo - 1:hi + 1]
    if SUSTAIN_FRAMES > 1:
        from scipy.ndimage import median_filter

        s = median_filter(s, size=(SUSTAIN_FRAMES, 1), mode="nearest")
    # Onset emphasis (as audfprint): a sustained tone has no reproducible time of its own, a note's
    # start has. A leaky high-pass along time per bin.
    s = lfilter([1.0, -1.0], [1.0, -ONSET_POLE], s, axis=0).astype(np.float32)
    local = maximum_filter(s, size=(9, 9), mode="nearest") == s
    prominence = s - uniform_filter(s, size=(31, 41), mode="nearest")
    floor = 3.0
    mask = local & (prominence > 6.0) & (s > floor)
    mask[:, 0] = mask[:, -1] = False
    t, b = np.nonzero(mask)
    if t.size == 0:
        return np.zeros(0, np.float32), np.zeros(0, np.float32), np.zeros(0, np.float32)
    p = prominence[t, b]
    # Each second keeps its most prominent peaks: density does not follow loudness.
    sec = t // int(round(1 / FRAME_S))
    order = np.lexsort((-p, sec))
    t, b, p, sec = t[order], b[order], p[order], sec[order]
    first = np.searchsorted(sec, sec, side="left")
    keep = (np.arange(t.size) - first) < PEAKS_PER_S
    t, b, p = t[keep], b[keep], p[keep]
    # Sub-bin frequency: a parabola through the peak and its neighbours.
    a, c, m = s[t, b - 1], s[t, b + 1], s[t, b]
    den = a - 2 * m + c
    delta = np.where(den < 0, 0.5 * (a - c) / np.where(den < 0, den, -1.0), 0.0)
    hz = (b + lo - 1 + np.clip(delta, -0.5, 0.5)) * RATE / N_FFT
    # Sub-frame time, the same way along time: a half-hop shift of the audio must not move dt.
    tp, tn = np.maximum(t - 1, 0), np.minimum(t + 1, s.shape[0] - 1)
    a, c = s[tp, b], s[tn, b]
    den = a - 2 * m + c
    tdelta = np.where(den < 0, 0.5 * (a - c) / np.where(den < 0, den, -1.0), 0.0)
    tf = t + np.clip(tdelta, -0.5, 0.5)
    order = np.lexsort((hz, tf))
    return tf[order].astype(np.float32), np.log2(hz[order]).astype(np.float32), p[order].astype(np.float32)


def landmarks(t: np.ndarray, logf: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pairs each peak with the ``FANOUT`` nearest later peaks (1..MAX_DT frames later, within
    ``MAX_DF_OCTAVES``): (t1, dt, logf1, logf2)."""
    n = t.size
    if n < 2:
        z = np.zeros(0, np.float32)
        return z, z, z, z
    ahead = 64
    i = np.arange(n)[:, None]
    j = i + np.arange(1, ahead + 1)[None, :]
    inside = j < n
    j = np.minimum(j, n - 1)
    dt = t[j] - t[i]
    df = np.abs(logf[j] - logf[i])
    ok = inside & (dt >= 1.0) & (dt <= MAX_DT) & (df <= MAX_DF_OCTAVES)
    rank = np.cumsum(ok, axis=1)
    ok &= rank <= FANOUT
    ii, kk = np.nonzero(ok)
    jj = j[ii, kk]
    return t[ii].astype(np.float32), (t[jj] - t[ii]).astype(np.float32), logf[ii], logf[jj]


def fingerprint(samples: np.ndarray, sample_rate: int = INPUT_RATE) -> SoundFingerprint:
    """One video's sound fingerprint from its audio (``AudioTrack.samples``: 16 kHz mono float32).
    A silent or missing track gives an empty fingerprint (it matches nothing)."""
    samples = np.asarray(samples, dtype=np.float32)
    duration = samples.size / float(sample_rate)
    if samples.size == 0 or not np.any(samples):
        return SoundFingerprint(np.zeros(0, np.float32), np.zeros(0, np.float32), np.zeros(0, np.float32), np.zeros(0, np.float32), duration)
    t, logf, _ = find_peaks(spectrogram(samples, sample_rate))
    t1, dt, f1, f2 = landmarks(t, logf)
    keep = _unrepeated(landmark_keys(f1, f2, dt), t1)
    return SoundFingerprint(t1[keep], dt[keep], f1[keep], f2[keep], duration, int(t.size))


def _unrepeated(keys: np.ndarray, t1: np.ndarray) -> np.ndarray:
    """Mask of the landmarks whose hash occurs at most ``MAX_REPEATS`` times per 30 s in the video.

    Why: a drum kit repeats the same hits every beat, and a genre shares its drum sounds and tempo:
    those landmarks would match every song of the genre at every beat. A melody's pairs repeat far
    less. Measured on the links test signals: without it, two decoy songs of the same style scored
    twice as high as the true reuse (drums in common)."""
    if keys.size == 0:
        return np.ones(0, bool)
    _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    span = max(30.0, (t1.max() - t1.min()) * FRAME_S)
    return counts[inverse] <= MAX_REPEATS * span / 30.0
