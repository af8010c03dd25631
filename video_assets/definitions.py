"""The code location: every asset, check, job, sensor and schedule, with default resources."""

import warnings

import dagster as dg

from resources.corpus import VideoCorpus
from resources.ocr import OcrResource
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
        text_overlay_assets.RESOURCE_KEY: OcrResource(),
        qwen_assets.RESOURCE_KEY: QwenResource(),
    }


# One Definitions per concern, merged below. Built in a function: Dagster loads a code location
# module that holds exactly one Definitions object at module scope.
ANALYZER_MODULES = (qwen_assets, text_overlay_assets, object_detection_assets, speech_rate_assets)
ALL_ASSETS = [ingest.video_file, ingest.video_frames, ingest.audio_track] + [
    asset for m in ANALYZER_MODULES for asset in (getattr(m, m.SPEC.name), getattr(m, f"{m.SPEC.name}_baseline"))
]
ALL_CHECKS = [check for m in ANALYZER_MODULES for check in getattr(m, f"{m.SPEC.name}_checks")]


def _concerns() -> list[dg.Definitions]:
    analyzers = [
        dg.Definitions(
            assets=[getattr(m, m.SPEC.name), getattr(m, f"{m.SPEC.name}_baseline")],
            asset_checks=getattr(m, f"{m.SPEC.name}_checks"),
        )
        for m in ANALYZER_MODULES
    ]
    return [
        dg.Definitions(assets=[ingest.video_file, ingest.video_frames, ingest.audio_track]),
        *analyzers,
        dg.Definitions(assets=[corpus_report]),
        dg.Definitions(
            jobs=[corpus_job, canary_parity_job],
            sensors=[corpus_sensor, alerts_sensor],
            schedules=[corpus_backfill_schedule, canary_parity_schedule],
        ),
        dg.Definitions(resources=default_resources()),
    ]


defs = dg.Definitions.merge(*_concerns())
