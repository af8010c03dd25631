"""The code location: every asset, check, job, sensor and schedule, with default resources.

One ``dg.Definitions`` per concern (ingest, each analyzer from the registry, the report, the
automation, the resources), merged once. Analyzer code versions come from the model resources
bound here, so what the UI shows as stale is what these resources would change.
"""

import warnings

import dagster as dg

from resources import model_resources
from resources.corpus import VideoCorpus
from resources.corpus_index import CorpusIndexResource
from resources.ray_pool import ModelPools
from resources.storage import VideoAssetsIOManager
from video_assets.cluster import executor
from video_assets.analyzers import ANALYZERS
from video_assets.defs.assets import ingest
from video_assets.defs.assets.analysis import analyzer_definitions
from video_assets.defs.assets.corpus_report import corpus_report
from video_assets.defs.assets.insights import corpus_index, video_profile
from video_assets.defs.assets.links import corpus_links, footage_fingerprint, sound_fingerprint
from video_assets.defs.checks import CheckSettings
from video_assets.defs.jobs import canary_parity_job, corpus_job, links_job
from video_assets.defs import pool_wait
from video_assets.runtime import memory
from video_assets.defs.schedules import canary_parity_schedule, corpus_backfill_schedule
from video_assets.defs.sensors import alerts_sensor, corpus_sensor, links_sensor

warnings.filterwarnings("ignore", category=dg.BetaWarning)
warnings.filterwarnings("ignore", category=dg.PreviewWarning)
# A run waiting for a pool slot sleeps instead of spinning (Dagster 1.13; the module says why).
pool_wait.install()
# Frame-sized arrays mapped on their own, so a step's freed frames go back to the system (#50).
memory.bounded_heap()


def default_resources() -> dict[str, object]:
    """Every resource, configured from the environment. Model resources only for the model
    families some registered analyzer declares."""
    families = model_resources()
    wanted = sorted({a.model for a in ANALYZERS if a.model})
    missing = [m for m in wanted if m not in families]
    if missing:
        raise KeyError(f"analyzers declare model resources {missing} that resources.model_resources() does not list")
    return {
        "io_manager": VideoAssetsIOManager(),
        "corpus": VideoCorpus(),
        "index": CorpusIndexResource(),
        "check_settings": CheckSettings(),
        "model_pools": ModelPools(),
        **{key: families[key]() for key in wanted},
    }


def _concerns(resources: dict[str, object]) -> list[dg.Definitions]:
    peers = {a.model: resources[a.model] for a in ANALYZERS if a.model and a.model in resources}
    return [
        dg.Definitions(assets=[ingest.video_file, ingest.video_frames, ingest.audio_track]),
        *[analyzer_definitions(a, resources.get(a.model) if a.model else None, peers) for a in ANALYZERS],
        dg.Definitions(assets=[video_profile, corpus_index]),
        dg.Definitions(assets=[sound_fingerprint, footage_fingerprint, corpus_links]),
        dg.Definitions(assets=[corpus_report]),
        dg.Definitions(
            jobs=[corpus_job, canary_parity_job, links_job],
            sensors=[corpus_sensor, alerts_sensor, links_sensor],
            schedules=[corpus_backfill_schedule, canary_parity_schedule],
        ),
        dg.Definitions(resources=resources, executor=executor.executor()),
    ]


# Built in a function: Dagster loads a code location module that holds exactly one Definitions
# object at module scope.
defs = dg.Definitions.merge(*_concerns(default_resources()))
ALL_ASSETS = list(defs.assets)
ALL_CHECKS = list(defs.asset_checks)


def analyzer_asset(name: str, preset: str = "optimized") -> dg.AssetsDefinition:
    """The analyzer's multi-asset for a preset (its main table's key names it)."""
    from video_assets.analyzers import by_name

    key = dg.AssetKey(by_name(name).main_key(preset))
    return next(a for a in ALL_ASSETS if isinstance(a, dg.AssetsDefinition) and key in a.keys)
