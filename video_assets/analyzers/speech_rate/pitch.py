"""Pitch: ``pitch_track`` (pyin or YIN, per preset) and YIN, vectorized in NumPy, the optimized
speech_rate pitch estimator.

Fundamental frequency with YIN, vectorized in NumPy: the optimized speech_rate pitch estimator.

Why not ``librosa.pyin``: pyin runs a Viterbi pass over every pitch bin (quadratic in the bins)
and, like ``librosa.yin``, JIT-compiles numba code on its first call, which every Dagster run
process pays again (more than the whole optimized analysis of a short clip: see benchmark/results/README.md).
YIN (de Cheveigné and Kawahara, 2002) is pyin's first stage; the tests check that its pitch stays
within tolerance of pyin's on the sample corpus's speech.

Frames are centered (frame i covers ``i * hop`` as pyin's are), so times compare one to one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from video_assets.analyzers.speech_rate.presets import Config


def yin(
    samples: np.ndarray,
    sr: int,
    fmin: float = 65.0,
    fmax: float = 2093.0,
    frame_length: int = 1024,
    hop_length: int = 256,
    threshold: float = 0.1,
    voicing_threshold: float = 0.25,
) -> tuple[np.ndarray, np.ndarray]:
    """samples: float32 mono (N,). Returns (f0_hz, voiced), one value per centered frame
    (``1 + N // hop_length`` frames); f0 is NaN where unvoiced.

    threshold: YIN's absolute threshold on the cumulative mean normalized difference (the first
    dip below it is the period); voicing_threshold: a frame whose best dip stays above this is
    unvoiced (noise, breath, silence).
    """
    samples = np.asarray(samples, dtype=np.float32)
    win = frame_length // 2  # the integration window; lags go up to frame_length - win
    tau_min = max(1, int(np.floor(sr / fmax)))
    tau_max = min(frame_length - win, int(np.ceil(sr / fmin)))
    if tau_max <= tau_min + 1:
        raise ValueError(f"frame_length {frame_length} too short for fmin {fmin} Hz at {sr} Hz")
    padded = np.pad(samples, frame_length // 2)
    n_frames = 1 + len(samples) // hop_length
    needed = (n_frames - 1) * hop_length + frame_length
    if padded.size < needed:
        padded = np.pad(padded, (0, needed - padded.size))
    frames = np.lib.stride_tricks.sliding_window_view(padded, frame_length)[::hop_length][:n_frames]  # a view
    # A block of frames at a time: each frame's pitch is its own, and a whole track's float64 frames,
    # spectra and difference functions at once cost ~60 kB per frame (1.3 GB for 6 minutes of speech).
    parts = [_yin_block(frames[i : i + YIN_BLOCK_FRAMES], sr, win, tau_min, tau_max, threshold, voicing_threshold)
             for i in range(0, n_frames, YIN_BLOCK_FRAMES)]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


# Frames per block in ``yin``: ~30 MB of working arrays, the same pitch as one pass over the track.
YIN_BLOCK_FRAMES = 512


def _yin_block(view: np.ndarray, sr: int, win: int, tau_min: int, tau_max: int, threshold: float,
               voicing_threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """YIN on a block of frames (rows): (f0_hz, voiced) per row."""
    frame_length = view.shape[1]
    frames = view.astype(np.float64)

    # d(tau) = sum_j (x_j - x_{j+tau})^2 over j < win, as energy terms minus twice the
    # cross-correlation of the window with the frame (one FFT pair per frame).
    n_fft = 1 << int(np.ceil(np.log2(2 * frame_length)))
    head = np.fft.rfft(frames[:, :win], n_fft)
    full = np.fft.rfft(frames, n_fft)
    corr = np.fft.irfft(np.conj(head) * full, n_fft)[:, : tau_max + 1]
    sq = np.concatenate([np.zeros((frames.shape[0], 1)), np.cumsum(frames**2, axis=1)], axis=1)
    energy0 = sq[:, win][:, None]
    taus = np.arange(tau_max + 1)
    energy_tau = sq[:, taus + win] - sq[:, taus]
    diff = np.maximum(energy0 + energy_tau - 2.0 * corr, 0.0)

    # Cumulative mean normalized difference: d'(0) = 1, d'(tau) = d(tau) * tau / sum_{1..tau} d.
    cum = np.cumsum(diff[:, 1:], axis=1)
    cmnd = np.ones_like(diff)
    with np.errstate(divide="ignore", invalid="ignore"):
        cmnd[:, 1:] = np.where(cum > 0, diff[:, 1:] * taus[1:] / cum, 1.0)

    band = cmnd[:, tau_min : tau_max + 1]
    # The first lag under the threshold, walked down to its local minimum; else the global minimum.
    below = band < threshold
    first = np.where(below.any(axis=1), below.argmax(axis=1), -1)
    best = band.argmin(axis=1)
    idx = np.where(first >= 0, first, best)
    rows = np.arange(band.shape[0])
    for _ in range(band.shape[1]):  # descend to the dip's bottom (a few steps at most)
        nxt = np.minimum(idx + 1, band.shape[1] - 1)
        step = (band[rows, nxt] < band[rows, idx]) & (first >= 0)
        if not step.any():
            break
        idx = np.where(step, nxt, idx)
    tau = idx + tau_min

    # Parabolic interpolation on d' for a sub-sample period.
    left = cmnd[rows, np.maximum(tau - 1, 0)]
    mid = cmnd[rows, tau]
    right = cmnd[rows, np.minimum(tau + 1, tau_max)]
    denom = left - 2.0 * mid + right
    with np.errstate(divide="ignore", invalid="ignore"):
        shift = np.where(np.abs(denom) > 1e-12, 0.5 * (left - right) / denom, 0.0)
    shift = np.clip(shift, -1.0, 1.0)
    period = tau + shift

    voiced = (mid < voicing_threshold) & (sq[:, -1] > 1e-8)
    f0 = np.where(voiced, sr / period, np.nan)
    return f0.astype(np.float64), voiced



def pitch_track(samples: np.ndarray, config: Config, regions: list[tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
    """(times_s, f0_hz) of voiced frames only."""
    import librosa

    sr = config.pitch_sample_rate
    if config.pitch_voiced_only:
        pieces = [(a, samples[int(a * 16000) : int(b * 16000)]) for a, b in regions]
    else:
        pieces = [(0.0, samples)]
    times, f0s = [], []
    for offset, piece in pieces:
        if sr != 16000:
            piece = librosa.resample(piece, orig_sr=16000, target_sr=sr)
        if piece.size < config.pitch_frame:
            continue
        if config.pitch_method == "yin":
            f0, voiced = yin(piece, sr, config.pitch_fmin, config.pitch_fmax, config.pitch_frame, config.pitch_hop)
        else:
            f0, voiced, _ = librosa.pyin(
                piece, fmin=config.pitch_fmin, fmax=config.pitch_fmax, sr=sr,
                frame_length=config.pitch_frame, hop_length=config.pitch_hop, resolution=config.pitch_resolution,
            )
        t = offset + librosa.frames_to_time(np.arange(f0.size), sr=sr, hop_length=config.pitch_hop)
        keep = voiced & np.isfinite(f0)
        times.append(t[keep])
        f0s.append(f0[keep])
    if not times:
        return np.zeros(0), np.zeros(0)
    return np.concatenate(times), np.concatenate(f0s)
