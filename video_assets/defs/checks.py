"""Asset checks, two per analyzer: speed (realtime factor against the profile's target) and parity
(optimized against its ``*_baseline`` twin on the same partition, with the analyzer's own measure);
an analyzer's own checks of its result (``Analyzer.result_checks``, e.g. ``speech_rate_coverage``:
WARN when speech came back with no words), evaluated in its step as speed is; and ``decode_gaps``
on ``video_frames`` and ``audio_track`` (WARN: damaged stretches decoded around).

Check names are ``<analyzer>_speed`` and ``<analyzer>_parity`` (``Analyzer.speed_check`` and
``.parity_check``: one home). The speed check is evaluated inside the analyzer's own step (a
``check_spec`` of its multi-asset: its inputs are the step's own timings), so it costs no step of
its own; parity needs the baseline twin, which only canary partitions get, so it is a check op of
its own, run by the canary parity job.
"""

from typing import Any

import dagster as dg
from pydantic import Field

from video_assets.analyzers import Analyzer
from video_assets.defs.partitions import videos_partitions_def


class CheckSettings(dg.ConfigurableResource):
    """Thresholds. Speed targets default to each analyzer's ``speed_target_rtf`` and parity
    thresholds to its ``parity_threshold``; override per analyzer here."""

    rtf_targets: dict[str, float] = Field(default_factory=dict, description="'<analyzer>:<gpu|cpu>' -> realtime factor")
    error_factor: float = Field(default=2.0, description="ERROR (not WARN) when the realtime factor exceeds target x this")
    parity_thresholds: dict[str, float] = Field(default_factory=dict, description="'<analyzer>' -> minimum parity score")

    def rtf_target(self, analyzer: Analyzer, profile: str) -> float:
        return float(self.rtf_targets.get(f"{analyzer.name}:{profile}", analyzer.speed_target_rtf[profile]))

    def parity_threshold(self, analyzer: Analyzer) -> float | None:
        """An override, or None: the analyzer's own parity decides (its threshold and any other criteria)."""
        value = self.parity_thresholds.get(analyzer.name)
        return None if value is None else float(value)


def speed_key(spec: Analyzer) -> dg.AssetCheckKey:
    return dg.AssetCheckKey(dg.AssetKey(spec.main_key("optimized")), spec.speed_check)


def evaluate_speed(spec: Analyzer, metadata: dict[str, Any], partition: str, settings: CheckSettings) -> dg.AssetCheckResult:
    """One partition's speed against its target, from the step's metadata (plain values)."""
    key = speed_key(spec)
    per = (metadata.get("per_partition") or {}).get(partition, {})
    rtf = per.get("realtime_factor", metadata.get("realtime_factor"))
    profile = metadata.get("profile", "cpu")
    target = settings.rtf_target(spec, profile)
    common = {"realtime_factor": rtf, "target_rtf": round(target, 4), "profile": profile, "seconds": per.get("seconds", metadata.get("seconds"))}
    where = {"asset_key": key.asset_key, "check_name": key.name}
    if rtf is None:
        return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.WARN, metadata=common, description="no realtime factor recorded (empty video?)", **where)
    if rtf <= target:
        return dg.AssetCheckResult(passed=True, metadata=common, description=f"realtime factor {rtf:.3f} <= target {target:.3f} ({profile})", **where)
    severity = dg.AssetCheckSeverity.ERROR if rtf > target * settings.error_factor else dg.AssetCheckSeverity.WARN
    return dg.AssetCheckResult(
        passed=False, severity=severity, metadata=common,
        description=f"realtime factor {rtf:.3f} above target {target:.3f} ({profile})", **where,
    )


def speed_check_spec(spec: Analyzer) -> dg.AssetCheckSpec:
    """The speed check, declared on the optimized multi-asset and evaluated in its step (``speed_results``)."""
    key = speed_key(spec)
    return dg.AssetCheckSpec(name=key.name, asset=key.asset_key, partitions_def=videos_partitions_def,
                             description=f"{spec.name}: realtime factor of this materialization against the target for the hardware in use.")


def speed_results(spec: Analyzer, metadata: dict[str, Any], keys: list[str], settings: CheckSettings):
    """The speed check's results for the partitions of the step that just materialized them."""
    yield from per_partition(keys, speed_key(spec), lambda p: evaluate_speed(spec, metadata, p, settings))


def result_check_key(spec: Analyzer, name: str) -> dg.AssetCheckKey:
    return dg.AssetCheckKey(dg.AssetKey(spec.main_key("optimized")), name)


def result_check_specs(spec: Analyzer) -> list[dg.AssetCheckSpec]:
    """The analyzer's own checks of its result, declared on the optimized multi-asset and evaluated
    in its step (``result_check_results``), as the speed check is."""
    return [dg.AssetCheckSpec(name=name, asset=result_check_key(spec, name).asset_key, partitions_def=videos_partitions_def,
                              description=f"{spec.name}: {about}") for name, about in spec.result_checks.items()]


def evaluate_result_check(spec: Analyzer, name: str, tables: dict) -> dg.AssetCheckResult:
    """One partition's tables judged by the analyzer (``Analyzer.result_check``): WARN or ERROR as it says."""
    outcome = spec.result_check(name, tables)
    key = result_check_key(spec, name)
    severity = dg.AssetCheckSeverity.ERROR if outcome.severity == "error" else dg.AssetCheckSeverity.WARN
    return dg.AssetCheckResult(asset_key=key.asset_key, check_name=key.name, passed=outcome.passed, metadata=outcome.metadata,
                               description=outcome.description, **({} if outcome.passed else {"severity": severity}))


def result_checks_in_step(spec: Analyzer, selected, values: dict[str, dict], keys: list[str]):
    """Each selected result check for each partition of the step that just materialized them
    (``values``: table -> partition -> its table)."""
    for name in spec.result_checks:
        if result_check_key(spec, name) in selected:
            yield from per_partition(keys, result_check_key(spec, name),
                                     lambda p: evaluate_result_check(spec, name, {t: v[p] for t, v in values.items()}))


STEP_SUMMARY_KEY = "partitions_in_step"


def per_partition(keys: list[str], key: dg.AssetCheckKey, evaluate):
    """Evaluate a check for each partition of its step (``keys``). A backfill step covers up to 8 videos, and
    Dagster records a check result against one partition only, so for a step over several each
    partition's own evaluation is logged with its partition, and the step's result (required by
    Dagster) summarizes them without a partition (``STEP_SUMMARY_KEY`` in its metadata; alerts skip it)."""
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
        asset_key=key.asset_key, check_name=key.name, passed=not failed, severity=dg.AssetCheckSeverity.ERROR if errors else dg.AssetCheckSeverity.WARN,
        metadata={STEP_SUMMARY_KEY: len(keys), "failed_partitions": ", ".join(failed) or "none"},
        description=f"{len(keys)} partitions in this step, {len(failed)} failed; each partition's evaluation is recorded on its own",
    )


DECODE_GAPS_CHECK = "decode_gaps"


def decode_gaps_key(asset: str) -> dg.AssetCheckKey:
    return dg.AssetCheckKey(dg.AssetKey(asset), DECODE_GAPS_CHECK)


def decode_gaps_check_spec(asset: str) -> dg.AssetCheckSpec:
    """Declared on ``video_frames`` and ``audio_track``, evaluated in their step: a video decoded
    around damaged packets is materialized (the analyzers get what could be decoded) and warns."""
    return dg.AssetCheckSpec(name=DECODE_GAPS_CHECK, asset=asset, partitions_def=videos_partitions_def,
                             description=f"{asset}: every packet decoded; WARN names the damaged stretches decoded around.")


def evaluate_decode_gaps(asset: str, gaps: list[tuple[float, float]], duration_s: float) -> dg.AssetCheckResult:
    """WARN (never ERROR: the asset holds everything that could be decoded) for each damaged stretch."""
    from video_assets.media.gaps import describe, gap_seconds

    missing = gap_seconds(gaps)
    metadata = {"gaps": describe(gaps) or "none", "gap_seconds": round(missing, 3),
                "decoded_share": round(1.0 - missing / duration_s, 4) if duration_s > 0 else None}
    where = {"asset_key": dg.AssetKey(asset), "check_name": DECODE_GAPS_CHECK}
    if not gaps:
        return dg.AssetCheckResult(passed=True, metadata=metadata, description="every packet decoded", **where)
    return dg.AssetCheckResult(
        passed=False, severity=dg.AssetCheckSeverity.WARN, metadata=metadata, **where,
        description=f"decoded around {len(gaps)} damaged stretch(es): {describe(gaps)} ({missing:.2f} s of {duration_s:.2f} s)",
    )


def decode_gaps_results(asset: str, found: dict[str, tuple[list, float]], keys: list[str]):
    """The decode-gap check for each partition of the step (``found``: key -> (gaps, duration))."""
    yield from per_partition(keys, decode_gaps_key(asset), lambda p: evaluate_decode_gaps(asset, *found[p]))


def build_checks(spec: Analyzer) -> list[dg.AssetChecksDefinition]:
    main = dg.AssetKey(spec.main_key("optimized"))

    @dg.asset_check(
        asset=main,
        name=spec.parity_check,
        partitions_def=videos_partitions_def,
        additional_deps=[dg.AssetKey(spec.asset_key(t, "baseline")) for t in spec.tables],
        required_resource_keys={"io_manager", "check_settings"} | ({spec.model} if spec.model else set()),
        description=f"{spec.name}: optimized output against the baseline twin of the same partition ({(spec.parity.__doc__ or '').strip()}).",
    )
    def _parity(context: dg.AssetCheckExecutionContext):
        yield from per_partition(list(context.partition_keys), dg.AssetCheckKey(main, spec.parity_check), lambda p: _parity_one(context, p))

    def _parity_one(context: dg.AssetCheckExecutionContext, partition: str) -> dg.AssetCheckResult:
        check_settings: CheckSettings = context.resources.check_settings
        io = context.resources.io_manager
        try:
            baseline = {t: io.load_partition(dg.AssetKey(spec.asset_key(t, "baseline")), partition) for t in spec.tables}
        except FileNotFoundError as exc:
            return dg.AssetCheckResult(
                passed=False, severity=dg.AssetCheckSeverity.WARN,
                description=f"baseline twin missing for {partition}: materialize {spec.name}_baseline (canary parity job). {exc}",
            )
        optimized = {t: io.load_partition(dg.AssetKey(spec.asset_key(t, "optimized")), partition) for t in spec.tables}
        models = getattr(context.resources, spec.model) if spec.model else None
        report = spec.parity(baseline, optimized, models)
        threshold = check_settings.parity_threshold(spec)
        passed = report.passed if threshold is None else report.score >= threshold
        weights = models.weights_label() if models is not None else "real"
        metadata = {"score": report.score, **report.parts, "detail": report.detail}
        if models is not None:
            metadata["weights"] = weights
        if threshold is not None:
            metadata["threshold"] = threshold
        if weights != "real":
            return dg.AssetCheckResult(
                passed=passed, severity=dg.AssetCheckSeverity.WARN, metadata=metadata,
                description=f"weights: {weights}: parity {report.score:.3f} is measured but not meaningful",
            )
        return dg.AssetCheckResult(passed=passed, metadata=metadata, description=f"parity {report.score:.3f}: {report.detail}")

    return [_parity]
