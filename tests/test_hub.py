"""Weights named by a hub id resolve locally first and fail in seconds without a network."""

import pytest

from resources import hub
from resources.model_cache import MissingWeightsError, get_or_load


def test_a_closed_hub_is_probed_once_and_the_error_names_the_setting(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("VIDEO_ASSETS_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # loopback, nothing listens: refused at once
    monkeypatch.setattr(hub, "_probes", {})
    with pytest.raises(MissingWeightsError, match="SOME_SETTING") as first:
        hub.resolve_hf("nobody/not-cached-here", "SOME_SETTING")
    assert "127.0.0.1:9 unreachable" in str(first.value)
    assert list(hub._probes) == ["127.0.0.1"]
    hub._probes["127.0.0.1"] = "remembered"  # the second resolution reads the memo, no new probe
    with pytest.raises(MissingWeightsError, match="remembered"):
        hub.resolve_hf("nobody/other-model", "SOME_SETTING")


def test_offline_mode_fails_without_probing(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(hub, "_probes", {})
    with pytest.raises(MissingWeightsError, match="offline mode"):
        hub.resolve_hf("nobody/not-cached-here", "SOME_SETTING")
    assert hub._probes == {}


def test_a_local_folder_wins(tmp_path):
    assert hub.resolve_hf(str(tmp_path), "SOME_SETTING") == str(tmp_path)


def test_missing_weights_are_remembered_for_the_process():
    calls = []

    def loader():
        calls.append(1)
        raise MissingWeightsError("set X")

    for _ in range(3):
        with pytest.raises(MissingWeightsError, match="set X"):
            get_or_load(("test-missing", "once"), loader)
    assert len(calls) == 1
