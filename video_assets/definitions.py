"""The code location: every asset, check, job, sensor and schedule, with default resources."""

import warnings

import dagster as dg

from resources.corpus import VideoCorpus
from resources.easyocr import EasyOcrResource
from resources.qwen import QwenResource
from resources.speech import SpeechModelsResource
from resources.yolo import YoloResource
from resources.storage import VideoAssetsIOManager
from video_assets.assets import ingest
from video_assets.assets import object_detection as object_detection_assets
from video_assets.assets import qwen2_vl_temporal as qwen_assets
from video_assets.assets import speech_rate as speech_rate_assets
from video_assets.assets import text_overlay as text_overlay_assets
from video_assets.assets.report import corpus_report
from video_assets.checks import CheckSettings
from video_assets.jobs import canary_parity_job, corpus_job
from video_assets.schedules import canary_parity_schedule, corpus_backfill_schedule
from video_assets.sensors import alerts_sensor, corpus_sensor

warnings.filterwarnings("ignore", category=dg.BetaWarning)
warnings.filterwarnings("ignore", category=dg.PreviewWarning)


def default_resources() -> dict[str, object]:
    return {
        "io_manager": VideoAssetsIOManager(),
        "corpus": VideoCorpus(),
        "check_settings": CheckSettings(),
        speech_rate_assets.RESOURCE_KEY: SpeechModelsResource(),
        object_detection_assets.RESOURCE_KEY: YoloResource(),
        text_overlay_assets.RESOURCE_KEY: EasyOcrResource(),
        qwen_assets.RESOURCE_KEY: QwenResource(),
    }


ingest_defs = dg.Definitions(assets=[ingest.video_file, ingest.video_frames, ingest.audio_track])

speech_rate_defs = dg.Definitions(
    assets=[speech_rate_assets.speech_rate, speech_rate_assets.speech_rate_baseline],
    asset_checks=speech_rate_assets.speech_rate_checks,
)

object_detection_defs = dg.Definitions(
    assets=[object_detection_assets.object_detection, object_detection_assets.object_detection_baseline],
    asset_checks=object_detection_assets.object_detection_checks,
)

text_overlay_defs = dg.Definitions(
    assets=[text_overlay_assets.text_overlay, text_overlay_assets.text_overlay_baseline],
    asset_checks=text_overlay_assets.text_overlay_checks,
)

qwen_defs = dg.Definitions(
    assets=[qwen_assets.qwen2_vl_temporal, qwen_assets.qwen2_vl_temporal_baseline],
    asset_checks=qwen_assets.qwen2_vl_temporal_checks,
)

report_defs = dg.Definitions(assets=[corpus_report])

operations_defs = dg.Definitions(
    jobs=[corpus_job, canary_parity_job],
    sensors=[corpus_sensor, alerts_sensor],
    schedules=[corpus_backfill_schedule, canary_parity_schedule],
)

ALL_ASSETS = [a for d in (ingest_defs, speech_rate_defs, object_detection_defs, text_overlay_defs, qwen_defs) for a in d.assets]
ALL_CHECKS = [c for d in (speech_rate_defs, object_detection_defs, text_overlay_defs, qwen_defs) for c in d.asset_checks]

defs = dg.Definitions.merge(
    ingest_defs,
    speech_rate_defs,
    object_detection_defs,
    text_overlay_defs,
    qwen_defs,
    report_defs,
    operations_defs,
    dg.Definitions(resources=default_resources()),
)
