"""The committed query set over the sample corpus: what a person would type, and where the answer
is (the video, the source, and the caption or spoken sentence whose time window the first hit
must overlap). Caption queries, speech phrases, German ones among them; semantic queries in German
that share no word with their answer, and cross-lingual ones (an English query for German speech and
the reverse)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Query:
    text: str
    video: str
    source: str  # caption | speech
    answer: str  # the caption text, or the spoken sentence, whose window holds the answer
    mode: str = "keyword"
    kind: str = ""  # "german": German by meaning; "cross-lingual": one language's query for the other's speech


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
    # German by meaning (semantic), few or no words shared with the answer
    Query("mein Lieblingslokal in der Innenstadt", "german_cafe", "speech", "Heute zeige ich euch mein liebstes Café in der Stadt.", mode="semantic", kind="german"),
    Query("das Getränk schmeckt hervorragend", "german_cafe", "speech", "Der Kaffee ist größer als gedacht und schmeckt wunderbar.", mode="semantic", kind="german"),
    Query("mein Haustier ist daheim", "german_cafe", "speech", "Meine Katze wartet schon zu Hause auf mich.", mode="semantic", kind="german"),
    Query("Grüße aus einer Stadt am Rhein", "german_cafe", "caption", "Schöne Grüße aus Köln", mode="semantic", kind="german"),
    Query("Bahnreise in die Hauptstadt", "mixed_trip", "speech", "Wir fahren heute mit dem Zug nach Berlin und bleiben dort drei Tage.", mode="semantic", kind="german"),
    Query("ich zeige euch eine Wanderung am Wasser", "bilingual_walk", "speech",
          "Also, ab jetzt geht es auf Deutsch weiter, und ich zeige euch meinen schönsten Spaziergang am Fluss.", mode="semantic", kind="german"),
    Query("ein Heißgetränk mit Seeblick", "bilingual_walk", "speech", "Am Ende gibt es noch einen Kaffee mit Blick auf das Wasser.", mode="semantic", kind="german"),
    Query("Rezept für eine Gemüsesuppe", "bilingual_kitchen", "caption", "Tomatensuppe in 10 Minuten", mode="semantic", kind="german"),
    # across the languages: English queries for German speech, German queries for English speech
    Query("we are taking the train to the capital", "mixed_trip", "speech", "Wir fahren heute mit dem Zug nach Berlin und bleiben dort drei Tage.", mode="semantic", kind="cross-lingual"),
    Query("a cup of coffee with a view of the water", "bilingual_walk", "speech", "Am Ende gibt es noch einen Kaffee mit Blick auf das Wasser.", mode="semantic", kind="cross-lingual"),
    Query("das Motorrad ist schnell", "city_ride", "speech", "Then the motorcycle comes out, and it is fast.", mode="semantic", kind="cross-lingual"),
    Query("wir wollten den Raketenstart sehen", "rocket_story", "speech", "We went to see the launch.", mode="semantic", kind="cross-lingual"),
    Query("das Wetter ist schön und der Fluss ist nah", "bilingual_walk", "speech", "The weather is great and the river is right next to us.", mode="semantic", kind="cross-lingual"),
)


def answer_window(query: Query, clip_truth: dict) -> tuple[float, float]:
    """The time window of the query's answer in the clip's ground truth."""
    if query.source == "caption":  # a caption, or a line auto-caption chunks form
        cap = next(c for c in clip_truth["captions"] + clip_truth.get("lines", []) if c["text"] == query.answer)
        return cap["start"], cap["end"]
    utt = next(u for u in clip_truth["speech"]["utterances"] if u["text"] == query.answer)
    return utt["start"], utt["end"]


def is_hit(query: Query, hit, clip_truth: dict) -> bool:
    """The right video and source, and a span overlapping the answer's window."""
    if hit.video != query.video or hit.source != query.source:
        return False
    start, end = answer_window(query, clip_truth)
    return min(end, hit.end_s) > max(start, hit.start_s)
