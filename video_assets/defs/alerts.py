"""Alerts: failed checks (speed, parity, decode gaps) and failed runs, posted to a Slack-compatible webhook.

``VIDEO_ASSETS_ALERT_WEBHOOK`` holds the URL; unset, the sensor is a no-op. Each failure is
posted once (the sensor's cursor remembers the last event it has seen); a post that fails is
retried with backoff and logged, and never crashes the sensor: the event stays unsent and is
tried again on the next tick.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from video_assets.runtime import settings


def webhook_url() -> str:
    return settings.env("VIDEO_ASSETS_ALERT_WEBHOOK", "")


def ui_base_url() -> str:
    return settings.env("VIDEO_ASSETS_UI_URL", "http://127.0.0.1:3000")


@dataclass(frozen=True)
class Alert:
    kind: str  # "check" or "run"
    title: str
    asset: str
    partition: str
    measured: str
    target: str
    run_id: str
    detail: str = ""

    def payload(self) -> dict:
        """Slack incoming-webhook JSON (``text`` plus blocks); other chat tools accept ``text`` alone."""
        link = f"{ui_base_url()}/runs/{self.run_id}" if self.run_id else ui_base_url()
        lines = [
            f"*{self.title}*",
            f"asset: `{self.asset}`  partition: `{self.partition or '-'}`",
            f"measured: {self.measured}  target: {self.target}",
        ]
        if self.detail:
            lines.append(self.detail[:500])
        lines.append(f"<{link}|open the run>")
        text = "\n".join(lines)
        return {"text": text, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}


def post(url: str, payload: dict, attempts: int = 3, backoff_s: float = 0.5, timeout_s: float = 5.0) -> tuple[bool, str]:
    """POST JSON; returns (ok, last error). Retries on network errors and 5xx."""
    body = json.dumps(payload).encode()
    error = ""
    for attempt in range(attempts):
        request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as response:
                if 200 <= response.status < 300:
                    return True, ""
                error = f"HTTP {response.status}"
        except urllib.error.HTTPError as exc:
            error = f"HTTP {exc.code}"
            if exc.code < 500:
                return False, error  # the payload or URL is wrong: retrying will not help
        except (urllib.error.URLError, OSError) as exc:
            error = str(exc)
        if attempt + 1 < attempts:
            time.sleep(backoff_s * (2**attempt))
    return False, error


def alerts_since(instance, after_id: int, limit: int = 200) -> list[tuple[int, Alert]]:
    """Failed asset-check evaluations and run failures recorded after event ``after_id``, in order."""
    import dagster as dg

    from video_assets.defs.checks import STEP_SUMMARY_KEY

    found: list[tuple[int, Alert]] = []
    for event_type in (dg.DagsterEventType.ASSET_CHECK_EVALUATION, dg.DagsterEventType.RUN_FAILURE):
        records = instance.get_event_records(
            dg.EventRecordsFilter(event_type=event_type, after_cursor=after_id), limit=limit, ascending=True
        )
        for record in records:
            event = record.event_log_entry.dagster_event
            if event is None:
                continue
            if event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
                evaluation = event.event_specific_data
                md = {k: v.value for k, v in evaluation.metadata.items()}
                if evaluation.passed or STEP_SUMMARY_KEY in md:  # a step's summary: its partitions are posted one by one
                    continue
                measured = md.get("realtime_factor", md.get("score", md.get("gaps", md.get("measured", "-"))))  # gaps: decode_gaps
                target = md.get("target_rtf", md.get("threshold", "no gap" if "gaps" in md else "see check"))
                found.append((record.storage_id, Alert(
                    kind="check", title=f"check failed: {evaluation.check_name} ({evaluation.severity.value})",
                    asset=evaluation.asset_key.to_user_string(), partition=evaluation.partition or "",
                    measured=str(measured), target=str(target), run_id=record.run_id,
                    detail=evaluation.description or "",
                )))
            else:
                run = instance.get_run_by_id(record.run_id)
                # The run's own message only lists failed steps; the cause is in the step failures.
                steps = instance.all_logs(record.run_id, of_type=dg.DagsterEventType.STEP_FAILURE)
                causes = [
                    f"{s.dagster_event.step_key}: {s.dagster_event.step_failure_data.error.message.strip()}"
                    for s in steps if s.dagster_event and s.dagster_event.step_failure_data and s.dagster_event.step_failure_data.error
                ]
                found.append((record.storage_id, Alert(
                    kind="run", title=f"run failed: {run.job_name if run else record.run_id}",
                    asset=", ".join(sorted({s.dagster_event.step_key for s in steps if s.dagster_event})) or "-",
                    partition=(run.tags.get("dagster/partition", "") if run else ""), measured="run failure", target="success",
                    run_id=record.run_id, detail="\n".join(causes) or (event.message or ""),
                )))
    return sorted(found, key=lambda pair: pair[0])
