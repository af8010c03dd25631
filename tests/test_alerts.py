"""The alert sensor against a real HTTP server on 127.0.0.1: failed checks and runs are posted
once, with asset, partition, measured value, target and a run link; a failing webhook is retried
and never crashes the sensor or loses an alert."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import dagster as dg
import pytest

from video_assets.defs.sensors import post_alerts


class Webhook:
    def __init__(self):
        self.received: list[dict] = []
        self.fail_next = 0  # answer this many requests with HTTP 500
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if hook.fail_next > 0:
                    hook.fail_next -= 1
                    self.send_response(500)
                else:
                    hook.received.append(json.loads(body))
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture
def webhook():
    hook = Webhook()
    yield hook
    hook.close()


def test_failed_checks_and_runs_are_posted_once(webhook, corpus_dir, bad_inputs, materialize_analyzer, artifacts):
    from resources.speech import SpeechModelsResource
    from video_assets.defs.checks import CheckSettings

    instance = dg.DagsterInstance.ephemeral()
    # A speed check that fails (an unreachable target) ...
    materialize_analyzer("speech_rate", SpeechModelsResource(), corpus_dir, "rocket_story", instance=instance,
                         check_settings=CheckSettings(rtf_targets={"speech_rate:cpu": 0.001}))
    # ... and a run that fails (an empty file).
    from resources.corpus import VideoCorpus
    from resources.storage import VideoAssetsIOManager
    from video_assets.defs.assets import ingest

    instance.add_dynamic_partitions("videos", ["empty"])
    failed = dg.materialize([ingest.video_file, ingest.audio_track], selection=[ingest.audio_track], instance=instance,
                            partition_key="empty", raise_on_error=False,
                            resources={"io_manager": VideoAssetsIOManager(root=str(bad_inputs["empty"].parent / "store")),
                                       "corpus": VideoCorpus(root=str(bad_inputs["empty"].parent))})
    assert not failed.success

    webhook.fail_next = 1  # the first post fails once and is retried within the tick
    ctx = dg.build_sensor_context(instance=instance)
    post_alerts(ctx, url=webhook.url, backoff_s=0.01)
    texts = [m["text"] for m in webhook.received]
    assert len(texts) == 2, texts
    check = next(t for t in texts if "speech_rate_speed" in t)
    assert "`speech_rate`" in check and "`rocket_story`" in check and "target: 0.001" in check and "/runs/" in check
    run = next(t for t in texts if t.startswith("*run failed"))
    assert "`empty`" in run and "file is empty" in run
    (artifacts / "alerts_received.json").write_text(json.dumps(webhook.received, indent=2))

    # Next tick: nothing new, nothing posted again.
    post_alerts(dg.build_sensor_context(instance=instance, cursor=ctx.cursor), url=webhook.url, backoff_s=0.01)
    assert len(webhook.received) == 2


def test_a_down_webhook_loses_nothing(webhook, bad_inputs):
    from resources.corpus import VideoCorpus
    from resources.storage import VideoAssetsIOManager
    from video_assets.defs.assets import ingest

    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("videos", ["text_file"])
    dg.materialize([ingest.video_file, ingest.audio_track], selection=[ingest.audio_track], instance=instance,
                   partition_key="text_file", raise_on_error=False,
                   resources={"io_manager": VideoAssetsIOManager(root=str(bad_inputs["text_file"].parent / "store")),
                              "corpus": VideoCorpus(root=str(bad_inputs["text_file"].parent))})
    webhook.fail_next = 10  # down for the whole tick
    ctx = dg.build_sensor_context(instance=instance)
    result = post_alerts(ctx, url=webhook.url, backoff_s=0.01)
    assert isinstance(result, dg.SkipReason) and webhook.received == []
    webhook.fail_next = 0  # back up: the same alert goes out on the next tick
    post_alerts(dg.build_sensor_context(instance=instance, cursor=ctx.cursor), url=webhook.url, backoff_s=0.01)
    assert len(webhook.received) == 1 and "not a readable video file" in webhook.received[0]["text"]


def test_no_webhook_no_posts():
    result = post_alerts(dg.build_sensor_context(instance=dg.DagsterInstance.ephemeral()), url="")
    assert "not set" in result.skip_message
