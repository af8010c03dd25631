"""Jobs: what the corpus sensor and the schedules launch."""

from typing import Sequence

import dagster as dg

from video_assets.analyzers import ANALYZERS, by_name, names
from video_assets.defs.checks import decode_gaps_key
from video_assets.defs.partitions import videos_partitions_def

CORPUS_JOB_NAME = "corpus_job"
CANARY_PARITY_JOB_NAME = "canary_parity_job"


def speed_check_keys(analyzers=ANALYZERS) -> list[dg.AssetCheckKey]:
    return [dg.AssetCheckKey(dg.AssetKey(a.main_key()), a.speed_check) for a in analyzers]


def result_check_keys(analyzers=ANALYZERS) -> list[dg.AssetCheckKey]:
    """The analyzers' own checks of their results (evaluated in their optimized steps, as speed is)."""
    return [dg.AssetCheckKey(dg.AssetKey(a.main_key()), name) for a in analyzers for name in a.result_checks]


def decode_gaps_check_keys() -> list[dg.AssetCheckKey]:
    """The decode-gap checks of the two decoded inputs (evaluated in their own steps)."""
    return [decode_gaps_key("video_frames"), decode_gaps_key("audio_track")]


def parity_check_keys(analyzers=ANALYZERS) -> list[dg.AssetCheckKey]:
    return [dg.AssetCheckKey(dg.AssetKey(a.main_key()), a.parity_check) for a in analyzers]


# Everything a new or changed video needs: decoding, the optimized analyzers and their speed and result checks,
# then its profile and its spans in the corpus index. Baseline twins and parity checks are left to
# the canary parity job (the slow original configuration).
corpus_selection = dg.AssetSelection.groups("ingest", "analysis", "insights", "links").without_checks() | dg.AssetSelection.checks(
    *speed_check_keys(), *result_check_keys(), *decode_gaps_check_keys()
)

corpus_job = dg.define_asset_job(
    name=CORPUS_JOB_NAME,
    selection=corpus_selection,
    partitions_def=videos_partitions_def,
    description="Decode a video, run every optimized analyzer on it (with speed checks), then its profile, index spans and "
                "sound and footage fingerprints.",
)

INPUTS = ("video_frames", "audio_track")
INSIGHT_ASSETS = ("video_profile", "corpus_index")
FINGERPRINT_ASSETS = ("sound_fingerprint", "footage_fingerprint")  # per video, group "links" (defs/assets/links.py)
LINK_TABLES = ("sounds", "reuploads", "video_links")  # per corpus, group "corpus_links"
LINKS_JOB_NAME = "links_job"

links_job = dg.define_asset_job(
    name=LINKS_JOB_NAME,
    selection=dg.AssetSelection.groups("corpus_links"),
    description="Bring the corpus' sound and footage links up to date from the fingerprints (sounds, reuploads, video_links).",
)


def sensor_run_selection(analyzer_names: Sequence[str]) -> dict[str, list]:
    """What a corpus sensor run materializes when VIDEO_ASSETS_SENSOR_ANALYZERS names analyzers:
    both decoded inputs (with their decode_gaps checks), those analyzers' optimized tables (with
    their speed and result checks), the insights and the two fingerprints, as RunRequest arguments; ``{}`` (the whole corpus_job)
    without names. A name that is no analyzer fails naming the setting and the choices."""
    if not analyzer_names:
        return {}
    try:
        chosen = [by_name(name) for name in analyzer_names]
    except KeyError:
        raise ValueError(f"VIDEO_ASSETS_SENSOR_ANALYZERS={','.join(analyzer_names)}: choose from {names()}") from None
    assets = [*INPUTS, *(a.asset_key(t, "optimized") for a in chosen for t in a.tables), *INSIGHT_ASSETS, *FINGERPRINT_ASSETS]
    return {"asset_selection": [dg.AssetKey(k) for k in assets],
            "asset_check_keys": [*speed_check_keys(chosen), *result_check_keys(chosen), *decode_gaps_check_keys()]}


# The baseline twins, then every parity check, for the canary partitions (see canary.py).
canary_parity_selection = dg.AssetSelection.groups("baselines").without_checks() | dg.AssetSelection.checks(
    *parity_check_keys()
)



def parity_selection(analyzers) -> dg.AssetSelection:
    """The baseline twins of ``analyzers`` and their parity checks (the canary job's, narrowed)."""
    twins = [a.asset_key(t, "baseline") for a in analyzers for t in a.tables]
    return dg.AssetSelection.assets(*twins).without_checks() | dg.AssetSelection.checks(*parity_check_keys(analyzers))


canary_parity_job = dg.define_asset_job(
    name=CANARY_PARITY_JOB_NAME,
    selection=canary_parity_selection,
    partitions_def=videos_partitions_def,
    description="Materialize the *_baseline twins of a canary video and compare the optimized analyzers with them.",
)
