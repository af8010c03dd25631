"""Jobs: what the corpus sensor and the schedules launch."""

import dagster as dg

from video_assets.assets import ANALYZER_SPECS
from video_assets.checks import speed_check_name
from video_assets.partitions import videos_partitions_def

CORPUS_JOB_NAME = "corpus_job"


def speed_check_keys() -> list[dg.AssetCheckKey]:
    return [
        dg.AssetCheckKey(dg.AssetKey(s.asset_key(s.table_names()[0], "optimized")), speed_check_name(s.name))
        for s in ANALYZER_SPECS
    ]


# Everything a new or changed video needs: decoding, the optimized analyzers and their speed checks.
# Baseline twins and parity checks are left to the canary parity job (the slow original configuration).
corpus_selection = dg.AssetSelection.groups("ingest", "analysis").without_checks() | dg.AssetSelection.checks(
    *speed_check_keys()
)

corpus_job = dg.define_asset_job(
    name=CORPUS_JOB_NAME,
    selection=corpus_selection,
    partitions_def=videos_partitions_def,
    description="Decode a video and run every optimized analyzer on it, with speed checks.",
)
