"""Asset checks, two per analyzer: speed (realtime factor against the profile's target) and parity
(optimized against its ``*_baseline`` twin on the same partition, with the analyzer's own measure).

Check names are ``<analyzer>_speed`` and ``<analyzer>_parity`` (constants below). Parity needs the
baseline twin, which only canary partitions get; the regular corpus job runs speed checks only.
"""

from typing import Any

import dagster as dg
from pydantic import Field

from video_assets.assets.analysis import AnalyzerAssetSpec
from video_assets.partitions import videos_partitions_def


def speed_check_name(analyzer: str) -> str:
    return f"{analyzer}_speed"


def parity_check_name(analyzer: str) -> str:
    return f"{analyzer}_parity"


class CheckSettings(dg.ConfigurableResource):
    """Thresholds. Speed targets default to each analyzer's ``SPEED_TARGET_RTF`` (GPU: the seed
    plan's targets over its 68.4 s video; CPU: from our benchmark); override per analyzer here."""

    rtf_targets: dict[str, float] = Field(default_factory=dict, description="'<analyzer>:<gpu|cpu>' -> realtime factor")
    error_factor: float = Field(default=2.0, description="ERROR (not WARN) when the realtime factor exceeds target x this")
    parity_thresholds: dict[str, float] = Field(default_factory=dict, description="'<analyzer>' -> minimum parity score")

    def rtf_target(self, spec: AnalyzerAssetSpec, profile: str) -> float:
        return float(self.rtf_targets.get(f"{spec.name}:{profile}", spec.core.SPEED_TARGET_RTF[profile]))


def latest_materialization_metadata(instance: dg.DagsterInstance, key: dg.AssetKey, partition: str) -> dict[str, Any] | None:
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=key, asset_partitions=[partition]), limit=1
    ).records
    if not records:
        return None
    mat = records[0].asset_materialization
    return {k: v.value for k, v in (mat.metadata if mat else {}).items()}


def evaluate_speed(spec: AnalyzerAssetSpec, metadata: dict[str, Any], partition: str, settings: CheckSettings) -> dg.AssetCheckResult:
    per = (metadata.get("per_partition") or {}).get(partition, {})
    rtf = per.get("realtime_factor", metadata.get("realtime_factor"))
    profile = metadata.get("profile", "cpu")
    target = settings.rtf_target(spec, profile)
    common = {"realtime_factor": rtf, "target_rtf": round(target, 4), "profile": profile, "seconds": per.get("seconds", metadata.get("seconds"))}
    if rtf is None:
        return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.WARN, metadata=common, description="no realtime factor recorded (empty video?)")
    if rtf <= target:
        return dg.AssetCheckResult(passed=True, metadata=common, description=f"realtime factor {rtf:.3f} <= target {target:.3f} ({profile})")
    severity = dg.AssetCheckSeverity.ERROR if rtf > target * settings.error_factor else dg.AssetCheckSeverity.WARN
    return dg.AssetCheckResult(
        passed=False, severity=severity, metadata=common,
        description=f"realtime factor {rtf:.3f} above target {target:.3f} ({profile})",
    )


STEP_SUMMARY_KEY = "partitions_in_step"


def per_partition(context: dg.AssetCheckExecutionContext, key: dg.AssetCheckKey, evaluate):
    """Evaluate a check for each partition of its step. A backfill step covers up to 8 videos, and
    Dagster records a check result against one partition only, so for a step over several each
    partition's own evaluation is logged with its partition, and the step's result (required by
    Dagster) summarizes them without a partition (``STEP_SUMMARY_KEY`` in its metadata; alerts skip it)."""
    keys = list(context.partition_keys)
    if len(keys) == 1:
        yield evaluate(keys[0])
        return
    results = {k: evaluate(k) for k in keys}
    for k, r in results.items():
        yield dg.AssetCheckEvaluation(asset_key=key.asset_key, check_name=key.name, passed=r.passed, metadata=r.metadata,
                                      severity=r.severity, description=r.description, partition=k)
    failed = [k for k, r in results.items() if not r.passed]
    errors = any(results[k].severity == dg.AssetCheckSeverity.ERROR for k in failed)
    yield dg.AssetCheckResult(
        passed=not failed, severity=dg.AssetCheckSeverity.ERROR if errors else dg.AssetCheckSeverity.WARN,
        metadata={STEP_SUMMARY_KEY: len(keys), "failed_partitions": ", ".join(failed) or "none"},
        description=f"{len(keys)} partitions in this step, {len(failed)} failed; each partition's evaluation is recorded on its own",
    )


def build_checks(spec: AnalyzerAssetSpec) -> list[dg.AssetChecksDefinition]:
    main = dg.AssetKey(spec.asset_key(spec.table_names()[0], "optimized"))

    @dg.asset_check(
        asset=main,
        name=speed_check_name(spec.name),
        partitions_def=videos_partitions_def,
        description=f"{spec.name}: realtime factor of the latest materialization against the target for the hardware in use.",
    )
    def _speed(context: dg.AssetCheckExecutionContext, check_settings: CheckSettings):
        def one(partition: str) -> dg.AssetCheckResult:
            metadata = latest_materialization_metadata(context.instance, main, partition)
            if metadata is None:
                return dg.AssetCheckResult(passed=False, description=f"{main.to_user_string()} has no materialization for {partition}")
            return evaluate_speed(spec, metadata, partition, check_settings)

        yield from per_partition(context, dg.AssetCheckKey(main, speed_check_name(spec.name)), one)

    @dg.asset_check(
        asset=main,
        name=parity_check_name(spec.name),
        partitions_def=videos_partitions_def,
        additional_deps=[dg.AssetKey(spec.asset_key(t, "baseline")) for t in spec.table_names()],
        required_resource_keys={"io_manager", "check_settings", spec.resource_key},
        description=f"{spec.name}: optimized output against the baseline twin of the same partition ({spec.core.parity.__doc__ or ''}).",
    )
    def _parity(context: dg.AssetCheckExecutionContext):
        yield from per_partition(context, dg.AssetCheckKey(main, parity_check_name(spec.name)), lambda p: _parity_one(context, p))

    def _parity_one(context: dg.AssetCheckExecutionContext, partition: str) -> dg.AssetCheckResult:
        check_settings: CheckSettings = context.resources.check_settings
        io = context.resources.io_manager
        try:
            baseline = {t: io.load_partition(dg.AssetKey(spec.asset_key(t, "baseline")), partition) for t in spec.table_names()}
        except FileNotFoundError as exc:
            return dg.AssetCheckResult(
                passed=False, severity=dg.AssetCheckSeverity.WARN,
                description=f"baseline twin missing for {partition}: materialize {spec.name}_baseline (canary parity job). {exc}",
            )
        optimized = {t: io.load_partition(dg.AssetKey(spec.asset_key(t, "optimized")), partition) for t in spec.table_names()}
        report = spec.core.parity(baseline, optimized)
        threshold = check_settings.parity_thresholds.get(spec.name)
        passed = report.passed if threshold is None else report.score >= threshold
        weights = getattr(context.resources, spec.resource_key).weights_label()
        metadata = {"score": report.score, **report.parts, "weights": weights, "detail": report.detail}
        if threshold is not None:
            metadata["threshold"] = threshold
        if weights != "real":
            return dg.AssetCheckResult(
                passed=passed, severity=dg.AssetCheckSeverity.WARN, metadata=metadata,
                description=f"weights: {weights}: parity {report.score:.3f} is measured but not meaningful",
            )
        return dg.AssetCheckResult(passed=passed, metadata=metadata, description=f"parity {report.score:.3f}: {report.detail}")

    return [_speed, _parity]
