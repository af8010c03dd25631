"""Sound fingerprints: spectral peaks (the constellation idea of Shazam, Wang 2003) hashed as
speed-invariant triplets (Panako, Six & Leman 2014).

Why triplets: a sped-up sound (``asetrate``/resampling, as the "sped up" versions of a sound are
made) scales every frequency by the speed ``r`` and every time interval by ``1/r``. For three peaks
(t1, f1), (t2, f2), (t3, f3) in a window, four quantities do not move: the log-frequency intervals
log f2 - log f1 and log f3 - log f1, the time ratio (t2 - t1) / (t3 - t1), and (t3 - t1) * f1 (time
shrinks as frequency grows). Quantized (``DF_PER_OCTAVE``, ``RATIO_STEPS``, ``SPAN_PER_OCTAVE``)
they make a 27-bit key: one lookup per hash finds a reuse at any speed, where a pair hash had to be
asked at 28 speeds (and a pair has only two invariants: too few bits). The speed of a hit is the
ratio of the two anchors' frequencies, its offset follows from the anchors' times; the matcher
votes on (video, speed, offset). Peaks keep sub-bin frequency and sub-frame time (parabolic
interpolation), so the invariants are measured finely enough to be quantized.

The triplets name candidates; ``sound_index`` decides by verifying peaks (``coincide``), where
the measurements behind the thresholds are. Triplet votes alone (the rule before): music reused
without a voice, true reuses at least 81 votes, same-style decoys at most 10; under real speech
10 dB over the generated music at least 16, chance at most 4; under real music and speech
(the links clips) 0-11, chance 1-2: too close to decide.

Robustness: peaks are the onsets of steady partials (``find_peaks``): a voice's harmonics glide,
a note's stay, so under a voice-over the music keeps its own peaks and the pairs between them.
Real music (the links clips, 6-10 dB under real speech): too few triplets of a drum-led track
("Vibe Ace") outlast a voice to decide a match by votes (0 of 10 pairs); the triplets name
candidates and ``sound_index`` verifies them peak by peak (``coincide``): 10 of 10.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import maximum_filter, minimum_filter, uniform_filter, uniform_filter1d
from scipy.signal import resample_poly

INPUT_RATE = 16000  # the project's audio_track (media/frames.py AudioTrack)
RATE = 8000  # analysed at 8 kHz: music's landmarks live below 4 kHz, and it halves the cost
N_FFT = 1024  # 128 ms: 7.8 Hz bins, fine enough to tell a 2 % speed change apart
HOP = 256  # 32 ms frames
FRAME_S = HOP / RATE
FMIN, FMAX = 150.0, 3800.0  # below 150 Hz: kick drums shared by a whole genre; above: little music at 8 kHz
BINS_PER_OCTAVE = 36  # frequency quantum of a hash: 1/3 semitone (1.9 %)
PEAKS_PER_S = 40  # at most this many a second (the most prominent first); music alone gives ~9
NEAR = 9  # later peaks paired with each anchor at query time: C(9, 2) = 36 triplets per anchor
NEAR_INDEX = 6  # ... and in the index: C(6, 2) = 15, a subset of the query's
MAX_DT = 24  # frames (0.77 s) from anchor to target
MAX_DF_OCTAVES = 1.0
ONSET_POLE = 0.9
LOCAL = (3, 5)  # a peak is the maximum of this many frames x bins around it (onset-emphasized)
PROMINENCE_DB = 1.0  # ... and stands this far above its (31 x 41) neighbourhood's mean
# A peak must start a steady partial (see ``find_peaks``): over the STEADY_FRAMES frames from its
# onset (192 ms; 154 ms at 1.25x speed) the mean spectrum has a spectral peak within a bin of it
# that stands STEADY_DB above the lowest bin within STEADY_BINS (31 Hz) on either side.
STEADY_FRAMES = 6
STEADY_DB = 12.0  # 15 (and PROMINENCE_DB 3) kept a fifth of the music's peaks under a real voice: too few to verify
STEADY_BINS = 4
MAX_REPEATS = 3  # a hash repeated more often per 30 s is a drum or a drone, not the song (_unrepeated)
# Speeds a query is hashed at: one frequency quantum apart, 0.75x .. 1.26x.
SPEED_STEPS = tuple(range(-15, 13))
SPEEDS = tuple(float(2.0 ** (k / BINS_PER_OCTAVE)) for k in SPEED_STEPS)


@dataclass
class SoundFingerprint:
    """One video's spectral peaks, speed-free (see the module docstring): frame times (``FRAME_S``)
    and log2 Hz, sorted by time. Hashes are triplets of them (``triplets``, ``hashes``)."""

    t: np.ndarray  # float32, frames
    logf: np.ndarray  # float32, log2 Hz
    duration_s: float

    def __len__(self) -> int:
        return int(self.t.size)

    def hashes(self, query: bool = False, near: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(uint32 keys, anchor times in seconds, anchor log2 Hz) of this sound's triplets, drums
        and drones (hashes repeated within the video) left out. ``query``: ``NEAR`` partners an
        anchor (the index stores ``NEAR_INDEX``, a subset).

        No neighbouring cells are asked for (a triplet near a quantization boundary once also asked
        for the cell next to it: 3.4x the keys); matches are verified peak by peak
        (``sound_index``), so the triplets only name candidates."""
        ti, lfi, q = triplets(self.t, self.logf, near or (NEAR if query else NEAR_INDEX))
        keys = _pack(np.floor(q).astype(np.int64))
        keep = _unrepeated(keys, ti)
        return keys[keep], (ti[keep] * FRAME_S).astype(np.float32), lfi[keep]

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"t": self.t, "logf": self.logf, "meta": np.array([self.duration_s], dtype=np.float64)}

    @classmethod
    def from_arrays(cls, arrays) -> "SoundFingerprint":
        return cls(np.asarray(arrays["t"]), np.asarray(arrays["logf"]), float(arrays["meta"][0]))


# Triplet quantization (module docstring): log-frequency steps of the two intervals, steps of the
# time ratio, steps per octave of span x f1. Bits: 7 + 7 + 6 + 7 = 27.
DF_PER_OCTAVE = 36
RATIO_STEPS = 64
SPAN_PER_OCTAVE = 12
_LOG_SPANF0 = np.log2(1.0 * FRAME_S * FMIN / 1.3) - 0.5
_BITS = (7, 7, 6, 7)


def triplets(t: np.ndarray, logf: np.ndarray, near: int = 4) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each peak (anchor) with pairs of the ``NEAR`` nearest later peaks (1..MAX_DT frames later,
    within ``MAX_DF_OCTAVES``, the two at least a frame apart): (anchor frame, anchor log2 Hz,
    (n, 4) float quantities in hash steps: the two log-frequency intervals, the time ratio and
    log2 of span x anchor frequency, all unchanged by a change of speed)."""
    n = t.size
    if n < 3:
        return np.zeros(0, np.float32), np.zeros(0, np.float32), np.zeros((0, 4), np.float64)
    ahead = 48
    i = np.arange(n)[:, None]
    j = i + np.arange(1, ahead + 1)[None, :]
    inside = j < n
    j = np.minimum(j, n - 1)
    dt = t[j] - t[i]
    ok = inside & (dt >= 1.0) & (dt <= MAX_DT) & (np.abs(logf[j] - logf[i]) <= MAX_DF_OCTAVES)
    ok &= np.cumsum(ok, axis=1) <= near
    rows, cols = np.nonzero(ok)
    # The partners of each anchor, ``near`` columns (padded): all pairs (a, b), a before b.
    part = np.full((n, near), -1, np.int64)
    rank = np.cumsum(ok, axis=1)[rows, cols] - 1
    part[rows, rank] = j[rows, cols]
    a_idx, b_idx = np.triu_indices(near, 1)
    A, B = part[:, a_idx], part[:, b_idx]
    anchor = np.broadcast_to(np.arange(n)[:, None], A.shape)
    valid = (A >= 0) & (B >= 0)
    A, B, anchor = A[valid], B[valid], anchor[valid]
    # Two partners of one onset (a chord: within half a frame): ordered by frequency, and their
    # time ratio is the last cell (exactly 1 would sit on a boundary).
    together = np.abs(t[B] - t[A]) < 0.5
    swap = together & (logf[B] < logf[A])
    A, B = np.where(swap, B, A), np.where(swap, A, B)
    span = np.maximum(t[B], t[A]).astype(np.float64) - t[anchor]
    ratio = np.where(together, (RATIO_STEPS - 0.5) / RATIO_STEPS, np.minimum((t[A] - t[anchor]) / span, (RATIO_STEPS - 1) / RATIO_STEPS))
    q = np.stack([(logf[A] - logf[anchor]) * DF_PER_OCTAVE + 64.5,
                  (logf[B] - logf[anchor]) * DF_PER_OCTAVE + 64.5,
                  ratio * RATIO_STEPS,
                  (np.log2(span * FRAME_S) + logf[anchor] - _LOG_SPANF0) * SPAN_PER_OCTAVE], axis=1)
    return t[anchor].astype(np.float32), logf[anchor].astype(np.float32), q


def _pack(cells: np.ndarray) -> np.ndarray:
    out = np.zeros(cells.shape[0], np.uint32)
    for d, bits in enumerate(_BITS):
        out = (out << np.uint32(bits)) | np.clip(cells[:, d], 0, (1 << bits) - 1).astype(np.uint32)
    return out


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
    """(frame, log2 Hz, prominence dB) of the onsets of steady partials, at most ``PEAKS_PER_S`` a
    second (each second keeps its most prominent), sorted by frame.

    Why steady partials: a voice-over is louder than the music under it and every clip has its own
    voice, so peaks of the voice only add noise, and worse, they change which peaks a music peak is
    paired with. A note's partials keep their frequency while the note lasts; a voice's harmonics
    glide with its pitch and its formants move, so averaged over ``STEADY_FRAMES`` frames they blur
    into a hump while a note stays a sharp line. Measured on the links test signals (30 s of the
    bed under real speech, 10 dB under it; before -> now): the bed's own peaks found again under
    the voice 15-18 % -> 64-67 %, the music's share of the voiced clip's peaks 14-17 % -> 33-38 %,
    peaks per second 40 -> 14-16 (music alone: 8); the bed's triplets found again between two
    clips under two different voices 0-0.1 % -> 1.0-1.6 % (with 10 instead of 3 per anchor)."""
    if spec.shape[0] < 3:
        return np.zeros(0, np.float32), np.zeros(0, np.float32), np.zeros(0, np.float32)
    from scipy.signal import lfilter

    lo, hi = int(FMIN * N_FFT / RATE), int(FMAX * N_FFT / RATE)
    raw = spec[:, lo - 1:hi + 1]
    # Onset emphasis (as audfprint): a sustained tone has no reproducible time of its own, a note's
    # start has. A leaky high-pass along time per bin.
    s = lfilter([1.0, -1.0], [1.0, -ONSET_POLE], raw, axis=0).astype(np.float32)
    local = maximum_filter(s, size=LOCAL, mode="nearest") == s
    prominence = s - uniform_filter(s, size=(31, 41), mode="nearest")
    # Steadiness: the mean log spectrum of the frames t .. t + STEADY_FRAMES - 1, its spectral
    # peaks' height over the lowest bin near them, spread a bin either side (a peak's onset bin
    # and its partial's bin can differ by one).
    mean = uniform_filter1d(raw, STEADY_FRAMES, axis=0, origin=-(STEADY_FRAMES // 2), mode="nearest")
    line = mean >= maximum_filter(mean, size=(1, 3), mode="nearest")
    height = np.where(line, mean - minimum_filter(mean, size=(1, 2 * STEADY_BINS + 1), mode="nearest"), 0.0)
    steady = maximum_filter(height, size=(1, 3), mode="constant") > STEADY_DB
    mask = local & steady & (prominence > PROMINENCE_DB) & (s > 3.0)
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


def fingerprint(samples: np.ndarray, sample_rate: int = INPUT_RATE) -> SoundFingerprint:
    """One video's sound fingerprint from its audio (``AudioTrack.samples``: 16 kHz mono float32).
    A silent or missing track gives an empty fingerprint (it matches nothing)."""
    samples = np.asarray(samples, dtype=np.float32)
    duration = samples.size / float(sample_rate)
    if samples.size == 0 or not np.any(samples):
        return SoundFingerprint(np.zeros(0, np.float32), np.zeros(0, np.float32), duration)
    t, logf, _ = find_peaks(spectrogram(samples, sample_rate))
    return SoundFingerprint(t, logf, duration)


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
