"""qwen2_vl_temporal with a tiny random-init Qwen2-VL saved and loaded like a real checkpoint:
the real processor, vision tower and generate; outputs are random words (never results)."""

import os

import dagster as dg
import pytest

from resources.model_cache import MissingWeightsError
from resources.qwen import QwenResource, SegmentRequest, TransformersBackend, resolve_model_path
from video_assets.analyzers import qwen2_vl_temporal as core
from video_assets.media.decode import decode_frames


@pytest.fixture(scope="module")
def tiny_path():
    path, label = resolve_model_path("random:tiny", "VIDEO_ASSETS_QWEN_BASELINE", os.environ["VIDEO_ASSETS_MODEL_CACHE"])
    assert label == "random-init"
    return path


@pytest.fixture(scope="module")
def backend(tiny_path):
    return TransformersBackend(tiny_path, "random:tiny", "cpu", "float32", "sdpa")


@pytest.fixture(scope="module")
def bundle(video):
    return decode_frames(video("cafe_cat"), core.ANALYZER.sampling_plans()).trimmed(6.0)  # a whole number of 2 s segments


def test_segments_cover_the_video_with_their_frames(bundle, backend):
    config = core.Config(preset="t", frames_per_segment=2, min_pixels=128 * 28 * 28, max_pixels=256 * 28 * 28,
                         batch_segments=4, max_new_tokens=4)
    table = core.run(bundle, config, backend).tables["segments"]
    assert table.start_s.tolist() == [0.0, 2.0, 4.0] and table.end_s.tolist() == [2.0, 4.0, 6.0]
    for row in table.itertuples():
        assert len(row.frame_times_s) == 2
        assert all(row.start_s <= t < row.end_s for t in row.frame_times_s)
    assert table.frame_times_s.iloc[0] == pytest.approx([0.48, 1.48], abs=0.02)  # centres of 0-1 s and 1-2 s at 25 fps
    assert (table.generated_tokens <= 4).all()


@pytest.mark.parametrize("config", [core.BASELINE, core.OPTIMIZED], ids=["baseline", "optimized"])
def test_pixel_budget_holds(bundle, backend, config):
    frames = next(bundle.segments(core.plan(config)))[2]
    assert len(frames) == config.frames_per_segment
    [out] = backend.describe([SegmentRequest([f.image for f in frames], "describe")], config.min_pixels, config.max_pixels, 2)
    assert len(out.image_grids) == config.frames_per_segment
    for t, h, w in out.image_grids:
        pixels = h * w * 14 * 14
        assert config.min_pixels <= pixels <= config.max_pixels
    assert out.visual_tokens == sum(t * h * w for t, h, w in out.image_grids) // 4


def test_visual_tokens_drop_more_than_3x(bundle, backend):
    tokens = {}
    for config in (core.BASELINE, core.OPTIMIZED):
        frames = next(bundle.segments(core.plan(config)))[2]
        [out] = backend.describe([SegmentRequest([f.image for f in frames], "describe")], config.min_pixels, config.max_pixels, 1)
        tokens[config.preset] = out.visual_tokens
    assert tokens["baseline"] / tokens["optimized"] >= 3.0


def test_batching_segments_gives_the_same_descriptions(bundle, backend):
    one = core.Config(preset="t", frames_per_segment=2, min_pixels=128 * 28 * 28, max_pixels=256 * 28 * 28, batch_segments=1, max_new_tokens=8)
    many = core.Config(**{**one.as_dict(), "batch_segments": 3})
    a = core.run(bundle, one, backend).tables["segments"]
    b = core.run(bundle, many, backend).tables["segments"]
    assert a.description.tolist() == b.description.tolist()
    assert a.prompt_tokens.tolist() == b.prompt_tokens.tolist()


def test_degeneration_flag():
    assert core.loops("the cat sits on the mat the cat sits on the mat the cat sits on the mat")
    assert not core.loops("A cat sits on a wooden table while the camera pans slowly to the right.")
    assert core.repeats_previous("A red cup on a table.", "a red cup on a table")
    assert not core.repeats_previous("A red cup on a table.", "An astronaut in an orange suit smiles.")


def test_parity_uses_sentence_embeddings():
    import pandas as pd

    seg = lambda texts: {"segments": pd.DataFrame({"start_s": [0.0, 2.0], "description": texts})}  # noqa: E731
    a = seg(["A cat looks at the camera.", "A cup of coffee on a wooden table."])
    close = seg(["A cat is looking into the camera.", "Coffee in a cup on a table."])
    far = seg(["A rocket launches into the sky.", "An astronaut smiles in a spacesuit."])
    # The encoder comes from the qwen resource, through the model cache (loaded once per process).
    models = QwenResource()
    assert core.ANALYZER.parity(a, a, models).score == pytest.approx(1.0, abs=1e-4)
    assert core.ANALYZER.parity(a, close, models).score > 0.7 > core.ANALYZER.parity(a, far, models).score
    assert models.text_encoder() is models.text_encoder()


def test_missing_production_model_names_the_setting(tmp_path):
    resource = QwenResource(baseline_model=str(tmp_path / "no-such-checkpoint"), cache_root=str(tmp_path))
    with pytest.raises(MissingWeightsError, match="VIDEO_ASSETS_QWEN_BASELINE"):
        resource.load("baseline")


def test_assets_and_checks_through_materialize(corpus_dir, materialize_analyzer):
    resource = QwenResource(baseline_model="random:tiny", optimized_model="random:tiny")
    result, mats, checks = materialize_analyzer("qwen2_vl_temporal", resource, corpus_dir, "rocket_story")
    assert result.success
    md = mats["qwen2_vl_temporal"]
    assert md["weights"].value == "random-init" and "WARNING" in md
    assert md["segments"].value == 6 and md["visual_tokens_per_segment"].value == 504
    assert mats["qwen2_vl_temporal_baseline"]["visual_tokens_per_segment"].value == 1530
    assert "not meaningful" in checks["qwen2_vl_temporal_parity"].description
    assert checks["qwen2_vl_temporal_parity"].severity == dg.AssetCheckSeverity.WARN
