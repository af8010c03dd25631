"""links: sound and footage fingerprints, the on-disk index, groups (generated music, real speech
from the sample corpus' recordings). Ground truth: one music bed under several voice-overs, at
offsets, sped up, 6 s of it, 10 dB under speech; two decoy songs of the same style; one clip
re-uploaded four ways and unrelated clips."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from video_assets.links import FootageIndex, SoundIndex, build, footage, sound, synth

SR = 16000
pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")

T = "thorsten_{}.flac"
VOICES = {  # one voice-over per clip, real recordings: a shared voice recording would be a shared sound too
    "a_original": ("librispeech_2412-153948-0000.flac",),
    "b_offset": tuple(T.format(h) for h in ("1386ecbb98a8f46dd0b0eb75d68ee0d0", "2b0d202fa8b36fa7b01322fa78225358",
                                            "c7c110c6a5bcbc6145494cecbf9bd0ba")),
    "c_sped": ("jfk_inaugural_ask_not.flac",),
    "d_six_s": ("ami_ES2011a_headset0_40-46s.flac",),
    "e_under10": tuple(T.format(h) for h in ("d2211c12c486ab34f1b85611d25953a3", "e3b0d27c39d2a719d60f4ad335f04b15",
                                             "eca9d4cc394847e6876b4ba43c046c5c")),
    "x_decoy1": tuple(T.format(f"sample0{i}-gt") for i in (1, 2, 3, 4)),
    "y_decoy2": ("ljspeech_LJ002-0020.flac", "ljspeech_LJ002-0035.flac"),
}


def _sound_clips(voice_db: float | None) -> dict:
    """name -> (fingerprint, offset into the bed where it starts, speed); offset None: not the bed.
    ``voice_db``: the music's level under the voice-overs (RMS dB); None: the music alone."""
    bed = synth.music(45, seed=1)
    if voice_db is None:
        v = {k: np.zeros(1, np.float32) for k in VOICES}
        mix = lambda voice, music: music  # noqa: E731
    else:
        v = {k: synth.recording(*names) for k, names in VOICES.items()}
        mix = lambda voice, music: synth.mix(voice, music, voice_db)  # noqa: E731
    clips = {
        "a_original": (mix(v["a_original"], bed[0:30 * SR]), 0.0, 1.0),
        "b_offset": (mix(v["b_offset"], bed[9 * SR:34 * SR]), 9.0, 1.0),
        "c_sped": (mix(v["c_sped"], synth.speed_up(bed[4 * SR:40 * SR], 1.2)), 4.0, 1.2),
        "d_six_s": (mix(v["d_six_s"][: 6 * SR], bed[20 * SR:26 * SR]), 20.0, 1.0),
        "e_under10": (mix(v["e_under10"], bed[14 * SR:40 * SR]), 14.0, 1.0),
        "x_decoy1": (mix(v["x_decoy1"], synth.music(30, seed=2)), None, 1.0),
        "y_decoy2": (mix(v["y_decoy2"], synth.music(30, seed=3)), None, 1.0),
    }
    if voice_db is not None:  # a voice alone, no bed: a sung line (steady notes, as music has) that matches nothing
        clips["z_sung"] = (synth.recording("vocadito_1.flac")[: 20 * SR], None, 1.0)
    return {k: (sound.fingerprint(a), off, sp) for k, (a, off, sp) in clips.items()}


@pytest.fixture(scope="module")
def sound_corpus():
    """The music reused without a voice on top: offsets, +20 % speed, 6 s of it; two decoy songs."""
    return _sound_clips(None)


@pytest.fixture(scope="module")
def voiced_corpus():
    """The same reuses, each under its own voice-over (real speech), the music 10 dB under it (RMS)."""
    return _sound_clips(-10.0)


def _index_all(index_cls, fps, folder, order):
    idx = index_cls(folder)
    matches = []
    for name in order:
        matches += idx.query(name, fps[name])
        idx.add(name, fps[name])
    return idx, matches


def test_sound_pairs_recall_precision_offsets(sound_corpus, tmp_path):
    _check_sound_pairs(sound_corpus, tmp_path)


def test_sound_pairs_under_voice_overs(voiced_corpus, tmp_path):
    _check_sound_pairs(voiced_corpus, tmp_path)


def _check_sound_pairs(sound_corpus, tmp_path):
    fps = {k: v[0] for k, v in sound_corpus.items()}
    _, matches = _index_all(SoundIndex, fps, tmp_path / "sound", sorted(fps))
    truth = {k for k, v in sound_corpus.items() if v[1] is not None}
    expected = {tuple(sorted(p)) for p in __import__("itertools").combinations(sorted(truth), 2)}
    found = {tuple(sorted((m.query, m.other))) for m in matches}
    tp = found & expected
    recall, precision = len(tp) / len(expected), len(tp) / max(1, len(found))
    assert precision == 1.0, sorted(found - expected)
    assert recall >= 0.95, sorted(expected - found)
    for m in matches:
        _, oq, sq = sound_corpus[m.query]
        _, oo, so = sound_corpus[m.other]
        # t in query -> bed time oq + sq t -> other time (oq + sq t - oo) / so
        assert m.offset_s == pytest.approx((oq - oo) / so, abs=0.2), m
        assert m.speed == pytest.approx(sq / so, rel=0.02), m


def test_sound_groups_independent_of_order_and_removal(sound_corpus, tmp_path):
    fps = {k: v[0] for k, v in sound_corpus.items()}
    names = sorted(fps)
    _, m1 = _index_all(SoundIndex, fps, tmp_path / "one", names)
    idx, m2 = _index_all(SoundIndex, fps, tmp_path / "two", names[::-1])
    s1, _, l1 = build(names, m1)
    s2, _, l2 = build(names, m2)
    assert list(s1.videos.map(tuple)) == list(s2.videos.map(tuple)) == [("a_original", "b_offset", "c_sped", "d_six_s", "e_under10")]
    assert l1.sound_id.tolist() == l2.sound_id.tolist()
    assert (l1.set_index("video").loc["x_decoy1", "sound_id"]) == ""
    assert l1.set_index("video").loc["c_sped", "sound_uses"] == 5
    # The first video leaves: nothing points at it, the rest stay a group.
    idx.remove("a_original")
    assert "a_original" not in idx.videos()
    rest = [n for n in names if n != "a_original"]
    s3, _, l3 = build(rest, m2)
    assert "a_original" not in sum(s3.videos.map(list).tolist(), [])
    assert set(l3.video) == set(rest)
    again = idx.query("d_six_s", fps["d_six_s"])
    assert "a_original" not in {m.other for m in again}


@pytest.fixture(scope="module")
def footage_corpus():
    orig = synth.clip_frames(11, 12.0)
    frames = {
        "orig": orig,
        "letterbox": [(t, synth.letterbox_over_blur(im, scale=0.8)) for t, im in orig],
        "mirrored": [(t, im[:, ::-1].copy()) for t, im in orig],
        "cropped": [(t, synth.reencode(synth.crop(im), quality=35, shrink=0.7)) for t, im in orig],
        "captioned": [(t, synth.reencode(synth.caption(im, "wait for it"))) for t, im in orig],
        "other1": synth.clip_frames(12, 12.0),
        "other2": synth.clip_frames(13, 12.0),
        # Shares one 3 s shot with "orig" (its first shot) and is otherwise its own: shared footage.
        "shares_shot": orig[:6] + synth.clip_frames(14, 12.0)[6:],
    }
    return {k: footage.fingerprint(v) for k, v in frames.items()}


def test_footage_reuploads(footage_corpus, tmp_path):
    _, matches = _index_all(FootageIndex, footage_corpus, tmp_path / "footage", list(footage_corpus))
    reup = {tuple(sorted((m.query, m.other))) for m in matches if m.kind == "reupload"}
    copies = ["captioned", "cropped", "letterbox", "mirrored", "orig"]
    expected = {tuple(sorted(p)) for p in __import__("itertools").combinations(copies, 2)}
    assert not (reup - expected), sorted(reup - expected)
    assert len(reup & expected) / len(expected) >= 0.95, sorted(expected - reup)
    shared = {tuple(sorted((m.query, m.other))) for m in matches if m.kind == "shared_footage"}
    assert ("orig", "shares_shot") in shared
    assert not any("other" in a or "other" in b for a, b in reup | shared)
    first_seen = {k: i for i, k in enumerate(footage_corpus)}
    _, groups, links = build(list(footage_corpus), matches, first_seen)
    re = groups[groups.kind == "reupload"]
    assert len(re) == 1 and sorted(re.videos.iloc[0]) == copies and re.first_video.iloc[0] == "orig"
    by = links.set_index("video").reupload_of
    assert by["orig"] == "" and by["mirrored"] == "orig" and by["other1"] == "" and by["shares_shot"] == ""
    # Added the other way round: the same groups.
    _, back = _index_all(FootageIndex, footage_corpus, tmp_path / "back", list(footage_corpus)[::-1])
    _, groups2, links2 = build(list(footage_corpus), back, first_seen)
    assert groups2[groups2.kind == "reupload"].videos.map(sorted).tolist() == re.videos.map(sorted).tolist()
    assert links2.reupload_of.tolist() == links.reupload_of.tolist()


def test_index_merges_and_drops_removed(tmp_path):
    rng = np.random.default_rng(0)
    idx = SoundIndex(tmp_path / "s")
    fps = {}
    for i in range(9):
        n = 500
        fps[f"v{i}"] = sound.SoundFingerprint(np.sort(rng.uniform(0, 900, n)).astype(np.float32),
                                              rng.uniform(7.3, 11.8, n).astype(np.float32), 30.0)
        idx.add(f"v{i}", fps[f"v{i}"])
    runs = idx.store.manifest()["runs"]
    assert len(runs) <= 4  # merged like a binary counter
    idx.remove("v3")
    idx.add("v9", fps["v0"])  # a merge after the removal purges v3's postings
    assert "v3" not in idx.videos()
    hits = idx.query("q", fps["v0"])
    assert {m.other for m in hits} == {"v0", "v9"}


@pytest.mark.parametrize("inline", [False, True])
def test_postings_lookup_is_exact(tmp_path, inline):
    """The bucket table over scrambled keys finds exactly the postings a plain dict finds: every
    posting of an asked key (duplicates, keys past the largest stored, key 0 and 2**32-1), none of
    another key, items still beside their keys after merges and a removal."""
    from video_assets.links.postings import PostingStore

    rng = np.random.default_rng(3)
    store = PostingStore(tmp_path / "p", inline=inline)
    truth: dict[str, list[tuple[int, float]]] = {}
    for i in range(7):
        n = int(rng.integers(50, 400))
        keys = np.concatenate([rng.integers(0, 1 << 12, n // 2), rng.integers(0, 1 << 32, n - n // 2, dtype=np.uint64)]).astype(np.uint32)
        keys[:3] = (0, 0xFFFFFFFF, 77)
        times = rng.uniform(0, 30, n).astype(np.float32)
        store.add([(f"v{i}", keys, np.arange(n), {"time": times})])
        truth[f"v{i}"] = list(zip(keys.tolist(), times.tolist()))
    store.remove(["v2"])
    store.add([("v7", np.array([77, 5], np.uint32), np.arange(2), {"time": np.array([1.5, 2.5], np.float32)})])  # merges
    truth["v7"] = [(77, 1.5), (5, 2.5)]
    del truth["v2"]
    asked = np.array(sorted({k for v in truth.values() for k, _ in v[:40]}) + [77, 77, 123456789, 0xFFFFFFFE], np.uint32)
    got = set()
    for run, q, rows, live in store.lookup(asked):
        vid = np.asarray(run.items["video"])[rows]
        for qi, v, t in zip(q.tolist(), vid.tolist(), np.asarray(run.items["time"])[rows].tolist()):
            if live[v]:
                got.add((qi, run.videos[v], int(asked[qi]), t))
    want = {(qi, v, k, t) for qi, a in enumerate(asked.tolist()) for v, ps in truth.items() for k, t in ps if k == a}
    assert got == want
