"""The committed query set over the sample corpus: what a person would type, and where the answer
is (the video, the source, and the caption or spoken sentence whose time window the first hit
must overlap). Caption queries, speech phrases, German ones among them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Query:
    text: str
    video: str
    source: str  # caption | speech
    answer: str  # the caption text, or the spoken sentence, whose window holds the answer
    mode: str = "keyword"


QUERIES: tuple[Query, ...] = (
    Query("best ride", "city_ride", "caption", "Best ride of the year"),
    Query("follow for more", "city_ride", "caption", "Follow for more"),
    Query("meet my cat", "cafe_cat", "caption", "Meet my cat"),
    Query("doors open", "caption_drill", "caption", "Doors open 7:45"),
    Query("livestream", "caption_drill", "caption", "Livestream starts 12:30 tonight"),
    Query("launch day", "rocket_story", "caption", "Launch day"),
    Query("not impressed", "rocket_story", "caption", "The cat was not impressed"),
    Query("vibes", "quiet_coffee", "caption", "Just vibes"),
    Query("big trip", "mixed_trip", "caption", "Big trip ahead"),
    Query("sleep early", "tips_countdown", "caption", "Tip 2 of 4: sleep early"),
    Query("Größer als gedacht", "german_cafe", "caption", "Größer als gedacht"),
    Query("Grüße aus Köln", "german_cafe", "caption", "Schöne Grüße aus Köln"),
    Query("motorcycle comes out", "city_ride", "speech", "Then the motorcycle comes out, and it is fast."),
    Query("runs the whole house", "cafe_cat", "speech", "This is my cat and she runs the whole house."),
    Query("waits next to the coffee", "cafe_cat", "speech", "Every morning she waits next to the coffee."),
    Query("see the launch", "rocket_story", "speech", "We went to see the launch."),
    Query("Katze wartet zu Hause", "german_cafe", "speech", "Meine Katze wartet schon zu Hause auf mich."),
    Query("Zug nach Berlin", "mixed_trip", "speech", "Wir fahren heute mit dem Zug nach Berlin und bleiben dort drei Tage."),
    Query("a cat that does not care", "rocket_story", "speech", "My cat did not care at all.", mode="semantic"),
    Query("my friend who went to space", "city_ride", "speech", "First we meet my friend, who has been to space.", mode="semantic"),
)


def answer_window(query: Query, clip_truth: dict) -> tuple[float, float]:
    """The time window of the query's answer in the clip's ground truth."""
    if query.source == "caption":
        cap = next(c for c in clip_truth["captions"] if c["text"] == query.answer)
        return cap["start"], cap["end"]
    utt = next(u for u in clip_truth["speech"]["utterances"] if u["text"] == query.answer)
    return utt["start"], utt["end"]


def is_hit(query: Query, hit, clip_truth: dict) -> bool:
    """The right video and source, and a span overlapping the answer's window."""
    if hit.video != query.video or hit.source != query.source:
        return False
    start, end = answer_window(query, clip_truth)
    return min(end, hit.end_s) > max(start, hit.start_s)
