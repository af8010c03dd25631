"""Decoding against the source: frames kept, timestamps, shapes, orientation, audio; bad input."""

import subprocess

import numpy as np
import pytest

from video_assets.media.decode import MediaError, decode_audio, decode_frames
from video_assets.media.frames import AudioTrack, FrameBundle
from video_assets.media.sampling import SamplingPlan

PLANS = [
    SamplingPlan("full", every_s=0.5),
    SamplingPlan("small", every_n_frames=10, max_side=640),
]


def ffmpeg_frame(path: str, index: int) -> np.ndarray:
    """Reference frame from the ffmpeg CLI (which applies the display matrix itself), as RGB."""
    import cv2

    png = subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", path, "-vf", f"select=eq(n\\,{index})",
         "-frames:v", "1", "-f", "image2pipe", "-vcodec", "png", "-"],
        check=True, capture_output=True,
    ).stdout
    return cv2.cvtColor(cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def test_frames_match_the_plan_and_the_source(video, ground_truth):
    path = video("city_ride")
    bundle = decode_frames(path, PLANS, codec="raw")
    truth = ground_truth["clips"]["city_ride"]
    assert bundle.info.frame_count == int(truth["duration"] * truth["fps"]) == 420
    assert (bundle.info.width, bundle.info.height, bundle.info.rotation) == (1080, 1920, 0)
    expected = sorted(set(range(0, 420, 15)) | set(range(0, 420, 10)))
    assert bundle.source_index == expected
    assert np.allclose(bundle.pts_s, np.array(expected) / 30.0, atol=1e-3)
    sizes = dict(zip(bundle.source_index, bundle.sizes))
    assert sizes[15] == (1080, 1920) and sizes[10] == (360, 640) and sizes[30] == (1080, 1920)
    # Pixel-exact against FFmpeg for a native-size frame (raw codec: no JPEG loss).
    i = bundle.source_index.index(45)
    ours = bundle.image(i)
    ref = ffmpeg_frame(path, 45)
    assert ours.shape == ref.shape == (1920, 1080, 3)
    assert np.abs(ours.astype(int) - ref.astype(int)).mean() < 1.0


def test_select_resizes_to_the_plan_and_round_trips(video):
    bundle = decode_frames(video("cafe_cat"), PLANS)  # jpeg, 25 fps
    again = FrameBundle.from_parquet_bytes(bundle.to_parquet_bytes())
    frames = again.select(PLANS[1])
    assert [f.source_index for f in frames] == list(range(0, 300, 10))
    assert all(f.image.shape == (640, 360, 3) for f in frames)
    assert abs(frames[3].pts_s - 30 / 25.0) < 1e-3
    with pytest.raises(LookupError, match="re-materialize video_frames"):
        again.select(SamplingPlan("other", every_n_frames=7))


def test_rotation_metadata_gives_upright_frames(bad_inputs):
    path = str(bad_inputs["rotated"])
    bundle = decode_frames(path, [SamplingPlan("full", every_s=0.5)], codec="raw")
    assert bundle.info.rotation == 90
    assert (bundle.info.width, bundle.info.height) == (1920, 1080)
    ours = bundle.image(0)
    ref = ffmpeg_frame(path, 0)
    assert ours.shape == ref.shape == (1080, 1920, 3)
    assert np.abs(ours.astype(int) - ref.astype(int)).mean() < 1.0


def test_audio_is_16k_mono_and_as_long_as_the_video(video):
    track = decode_audio(video("city_ride"))
    assert track.has_audio and track.sample_rate == 16000 and track.samples.dtype == np.float32
    assert abs(track.duration_s - 14.0) < 0.05
    assert 0.1 < np.abs(track.samples).max() <= 1.0
    again = AudioTrack.from_npz_bytes(track.to_npz_bytes())
    assert np.array_equal(again.samples, track.samples) and again.has_audio


def test_video_without_audio_gives_an_explicit_empty_track(video):
    track = decode_audio(video("quiet_coffee"))
    assert not track.has_audio and track.samples.size == 0 and track.video_duration_s == 10.0


@pytest.mark.parametrize(
    "name, message",
    [
        ("empty", "file is empty"),
        ("truncated", "truncated|no decodable|not a readable"),
        ("text_file", "not a readable video file"),
        ("unsupported_codec", "unsupported video codec|no decodable|decoding failed"),
    ],
)
def test_bad_input_names_the_file_and_the_cause(bad_inputs, name, message):
    path = str(bad_inputs[name])
    with pytest.raises(MediaError, match=message) as err:
        decode_frames(path, PLANS)
    assert path in str(err.value)


def test_missing_file(tmp_path):
    with pytest.raises(MediaError, match="file not found"):
        decode_audio(str(tmp_path / "nope.mp4"))
