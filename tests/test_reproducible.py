"""A partition's tables depend on its video, preset and model alone.

For every analyzer, the sample corpus (each clip cut to its first seconds, so every analyzer fits
the suite's time) goes through the real assets three ways, in one process with one loaded model:
each video in a run of its own, then all videos as one multi-partition step (what a backfill run
does) in corpus order, then as one step in the reverse order (a second instance whose dynamic
partitions were added the other way round). The stored Parquet tables must be identical: text
equal and floats equal to the last bit, since the same kernels ran on the same machine.
"""

import subprocess
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from resources.audio_events import AudioEventModelsResource
from resources.corpus import VideoCorpus
from resources.faces import FaceModelsResource
from resources.ocr import OcrResource
from resources.qwen import QwenResource
from resources.ray_pool import ModelPools
from resources.speech import SpeechModelsResource
from resources.storage import VideoAssetsIOManager
from resources.yolo import YoloResource
from video_assets.analyzers import ANALYZERS
from video_assets.defs.assets import ingest
from video_assets.defs.checks import CheckSettings
from video_assets.definitions import ALL_ASSETS

CLIP_SECONDS = 4


@pytest.fixture(scope="module")
def short_corpus(corpus_dir, tmp_path_factory) -> tuple[Path, list[str]]:
    out = tmp_path_factory.mktemp("short_corpus")
    names = sorted(p.stem for p in corpus_dir.glob("*.mp4"))
    for name in names:
        subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(corpus_dir / f"{name}.mp4"),
                        "-t", str(CLIP_SECONDS), "-c", "copy", str(out / f"{name}.mp4")], check=True)
    return out, names


@pytest.fixture(scope="module")
def stored_inputs(short_corpus, tmp_path_factory):
    """Frames and audio of every short clip, decoded once into one storage root."""
    corpus, names = short_corpus
    root = tmp_path_factory.mktemp("reproducible_store")
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("videos", names)
    resources = {"io_manager": VideoAssetsIOManager(root=str(root)), "corpus": VideoCorpus(root=str(corpus))}
    for name in names:
        assert dg.materialize([ingest.video_file, ingest.video_frames, ingest.audio_track], instance=instance,
                              partition_key=name, resources=resources).success
    return root, corpus, names


RESOURCES = {
    "qwen": lambda: QwenResource(baseline_model="random:tiny", optimized_model="random:tiny"),
    "ocr": OcrResource,
    "yolo": YoloResource,
    "speech_models": SpeechModelsResource,
    "faces": FaceModelsResource,
    "audio_events": AudioEventModelsResource,
}


def _tables(io: VideoAssetsIOManager, keys: list[str], partitions: list[str]) -> dict[tuple[str, str], pd.DataFrame]:
    return {(k, p): io.load_partition(dg.AssetKey(k), p) for k in keys for p in partitions}


@pytest.mark.parametrize("spec", ANALYZERS, ids=[s.name for s in ANALYZERS])
def test_tables_are_the_same_alone_and_in_a_step_in_either_order(spec, stored_inputs):
    root, corpus, names = stored_inputs
    io = VideoAssetsIOManager(root=str(root))
    resources = {"io_manager": io, "corpus": VideoCorpus(root=str(corpus)), "model_pools": ModelPools(), "check_settings": CheckSettings()} | ({spec.model: RESOURCES[spec.model]()} if spec.model else {})
    keys = [spec.asset_key(t, "optimized") for t in spec.tables]
    main = dg.AssetKey(keys[0])
    assets = [a for a in ALL_ASSETS if main in getattr(a, "keys", ())]
    upstream = [ingest.video_file, ingest.video_frames, ingest.audio_track]

    alone_instance = dg.DagsterInstance.ephemeral()
    alone_instance.add_dynamic_partitions("videos", names)
    for name in names:
        result = dg.materialize([*upstream, *assets], selection=assets, instance=alone_instance, partition_key=name, resources=resources)
        assert result.success
    alone = _tables(io, keys, names)

    steps = {}
    for order in (names, names[::-1]):
        instance = dg.DagsterInstance.ephemeral()
        instance.add_dynamic_partitions("videos", order)
        result = dg.materialize([*upstream, *assets], selection=assets, instance=instance, resources=resources,
                                tags={"dagster/asset_partition_range_start": order[0], "dagster/asset_partition_range_end": order[-1]})
        assert result.success
        mats = [e for e in result.get_asset_materialization_events() if e.asset_key == main]
        assert sorted(e.partition for e in mats) == names
        step = mats[0].materialization.metadata
        assert step["partitions_in_step"].value == len(names)
        assert list(step["per_partition"].value) == order  # one step, analyzed in this order
        steps[tuple(order)] = _tables(io, keys, names)

    if spec.name != "object_detection":  # random-init YOLO finds nothing at the preset's threshold: see below
        assert any(not df.empty for df in alone.values()), "nothing to compare: every table is empty"
    for order, tables in steps.items():
        for (key, partition), df in alone.items():
            # Exact: same text, floats equal to the last bit.
            pd.testing.assert_frame_equal(tables[(key, partition)], df, check_exact=True, obj=f"{key}[{partition}] in step {order}")


def test_detections_do_not_depend_on_the_other_videos_of_a_step(stored_inputs):
    """Random-init YOLO scores stay under the optimized preset's threshold, so the test above
    compares empty detection tables. Here the same loaded engine runs the same preset with a
    threshold low enough for random weights to return boxes: each video alone, then all in one
    order and in the other, as a step hands them over. Same boxes, to the last bit."""
    import dataclasses

    from video_assets.analyzers import object_detection as core

    root, _, names = stored_inputs
    io = VideoAssetsIOManager(root=str(root))
    frames = {n: io.load_partition(dg.AssetKey("video_frames"), n) for n in names}
    model = YoloResource().load("optimized").model
    config = dataclasses.replace(core.OPTIMIZED, conf=1e-4)
    alone = {n: core.run(frames[n], config, model).tables for n in names}
    assert sum(len(t["detections"]) for t in alone.values()) > 0
    for order in (names, names[::-1]):
        for n in order:
            again = core.run(frames[n], config, model).tables
            for table, df in alone[n].items():
                pd.testing.assert_frame_equal(again[table], df, check_exact=True, obj=f"{table}[{n}] in order {order}")


FRAME_ANALYZERS = [s for s in ANALYZERS if s.input == "video_frames"]


@pytest.mark.parametrize("spec", FRAME_ANALYZERS, ids=[s.name for s in FRAME_ANALYZERS])
def test_tables_do_not_depend_on_the_frame_batch(spec, stored_inputs, tmp_path):
    """Frames are stored and read in row groups (``VIDEO_ASSETS_FRAME_BATCH``). The same stored
    frames re-written one frame per row group, five, and all frames in one give the
    same tables to the last bit as all frames held in memory (as before frames streamed): the batch
    changes memory, never results. Object detection runs
    with a threshold low enough for random-init weights to return boxes."""
    import dataclasses

    from video_assets.media.framestore import open_bundle, write_bundle

    root, _, names = stored_inputs
    io = VideoAssetsIOManager(root=str(root))
    model = RESOURCES[spec.model]().load("optimized").model if spec.model else None
    config = spec.presets["optimized"]
    if spec.name == "object_detection":
        config = dataclasses.replace(config, conf=1e-4)
    compared = 0
    # Four clips with something for every frame analyzer in their first 4 s: auto-caption chunks
    # (text followed between samples), a cut at 3.5 s (caption_drill), captions and objects.
    for name in [n for n in names if n in ("auto_captions", "caption_drill", "cafe_cat", "tips_countdown")]:
        stored = io.load_partition(dg.AssetKey("video_frames"), name)
        variants = {}
        for batch in (1, 5, len(stored)):
            path = tmp_path / f"{name}-{batch}.frames.parquet"
            write_bundle(stored, str(path), batch=batch)
            variants[f"batch {batch}"] = open_bundle(str(path))
        assert len(variants["batch 5"].data.group_starts) == -(-len(stored) // 5)
        in_memory = dataclasses.replace(stored, data=[stored.data[i] for i in range(len(stored))])
        reference = spec.process(in_memory, config, model).tables
        compared += sum(len(df) for df in reference.values())
        for label, bundle in variants.items():
            tables = spec.process(bundle, config, model).tables
            for table, df in reference.items():
                pd.testing.assert_frame_equal(tables[table], df, check_exact=True, obj=f"{spec.name}.{table}[{name}] {label}")
    assert compared > 0, "nothing to compare: every table is empty"
