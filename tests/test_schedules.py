"""The nightly backfill finds missing and stale partitions from Dagster's versioning records, and
an analyzer step over several videos loads its model once."""

import json

import dagster as dg

from resources import model_cache
from resources.corpus import VideoCorpus
from resources.ray_pool import ModelPools
from resources.speech import SpeechModelsResource
from resources.storage import VideoAssetsIOManager
from video_assets.defs.assets import ingest
from video_assets.defs.checks import CheckSettings
from video_assets.definitions import analyzer_asset, defs
from video_assets.defs.schedules import backfill_requests, stale_asset_partitions

KEYS = [dg.AssetKey(k) for k in ("audio_track", "speech_rate", "speech_rate_summary")]
PARTITIONS = ["cafe_cat", "rocket_story"]


def _resources(tmp_path, corpus_dir, **speech):
    return {"io_manager": VideoAssetsIOManager(root=str(tmp_path)), "corpus": VideoCorpus(root=str(corpus_dir)),
            "speech_models": SpeechModelsResource(**speech), "model_pools": ModelPools(), "check_settings": CheckSettings()}


def test_backfill_of_two_videos_loads_the_model_once_and_then_nothing_is_stale(tmp_path, corpus_dir, artifacts):
    import shutil

    from video_assets.cli.demo import register_partitions

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for p in PARTITIONS:
        shutil.copy(corpus_dir / f"{p}.mp4", corpus / f"{p}.mp4")
    corpus_dir = corpus
    instance = dg.DagsterInstance.ephemeral()
    assert register_partitions(instance, str(corpus)) == PARTITIONS  # as the sensor does: partitions + observed versions
    graph = defs.get_repository_def().asset_graph
    assert stale_asset_partitions(instance, graph, KEYS, PARTITIONS) == {(k, p) for k in KEYS for p in PARTITIONS}

    assets = [ingest.video_file, ingest.audio_track, analyzer_asset("speech_rate")]
    for p in PARTITIONS:
        assert dg.materialize(assets, selection=[ingest.audio_track], instance=instance, partition_key=p,
                              resources=_resources(tmp_path, corpus_dir)).success
    before = sum(n for key, n in model_cache.LOAD_COUNTS.items() if key[0] == "whisper")
    # One run over both videos (what the backfill launches under BackfillPolicy.multi_run), with a
    # thread count no other test uses, so this process has not loaded that recognizer yet.
    result = dg.materialize(assets, selection=[analyzer_asset("speech_rate")], instance=instance, resources=_resources(tmp_path, corpus_dir, cpu_threads=1),
                            tags={"dagster/asset_partition_range_start": PARTITIONS[0], "dagster/asset_partition_range_end": PARTITIONS[-1]})
    assert result.success
    loads = sum(n for key, n in model_cache.LOAD_COUNTS.items() if key[0] == "whisper") - before
    assert loads == 1
    mats = [e for e in result.get_asset_materialization_events() if e.asset_key == dg.AssetKey("speech_rate")]
    assert sorted(e.partition for e in mats) == PARTITIONS
    md = mats[0].materialization.metadata
    assert md["partitions_in_step"].value == 2 and md["model_loaded_in_this_step"].value is True
    assert set(md["per_partition"].value) == set(PARTITIONS)
    assert all(p["seconds"] > 0 and p["rows"] > 0 for p in md["per_partition"].value.values())
    (artifacts / "backfill_model_loads.json").write_text(json.dumps({
        "partitions": PARTITIONS, "whisper_loads_in_the_run": loads,
        "speech_rate_metadata": {k: md[k].value for k in ("partitions_in_step", "model_loaded_in_this_step", "model_load_seconds")},
        "per_partition": md["per_partition"].value,
    }, indent=2))
    assert stale_asset_partitions(instance, graph, KEYS, PARTITIONS) == set()

    # The file behind one video changes: the sensor records a new data version for video_file.
    instance.report_runless_asset_event(dg.AssetObservation("video_file", partition="cafe_cat", tags={"dagster/data_version": "0" * 16}))
    assert stale_asset_partitions(instance, graph, KEYS, PARTITIONS) == {(k, "cafe_cat") for k in KEYS}


def test_schedule_requests_decoding_first_then_analysis_in_runs_of_eight():
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("videos", ["a_new_video"])
    [request] = backfill_requests(instance, defs.get_repository_def().asset_graph)
    assert request.requires_backfill_daemon() and request.tags["video_assets/part"] == "decoding"
    assert request.asset_graph_subset.asset_keys == {dg.AssetKey("video_frames"), dg.AssetKey("audio_track")}
