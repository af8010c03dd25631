"""The sample corpus' clips, as data: scenes (photographs, with the objects in them), captions
(text, timing, placement, style, the hard patterns each shows) and speech (text, rate, pauses),
in the terms of ``specs``. ``build`` renders them and writes the ground truth from these same specs."""

from __future__ import annotations

from video_assets.sample.specs import (  # noqa: F401 - the corpus' vocabulary, imported from here too
    CAPTION_ENTRANCES, CAPTION_STYLES, HARD_PATTERNS, Caption, ClipSpec, Music, Scene, Utterance, chunks,
)

CLIPS: tuple[ClipSpec, ...] = (
    ClipSpec(
        name="city_ride",
        duration=14.0,
        fps=30,
        scenes=(
            Scene("astronaut", 0.0, 7.0, ("person",)),
            Scene("motorcycle", 7.0, 14.0, ("motorcycle",)),
        ),
        captions=(
            Caption("WAIT FOR IT", 0.5, 3.5, 0.18, 110),
            Caption("Best ride of the year", 4.0, 9.0, 0.78, 80),
            Caption("Follow for more", 10.0, 13.5, 0.5, 64),
        ),
        utterances=(
            Utterance("Today I am taking you on the best ride of the year.", 0.4),
            Utterance("First we meet my friend, who has been to space.", 4.6),
            Utterance("Then the motorcycle comes out, and it is fast.", 8.9),
        ),
        wpm=160,
    ),
    ClipSpec(
        name="cafe_cat",
        duration=12.0,
        fps=25,
        scenes=(
            Scene("chelsea", 0.0, 6.0, ("cat",)),
            Scene("coffee", 6.0, 12.0, ("cup",)),
        ),
        captions=(
            Caption("Meet my cat", 0.3, 5.5, 0.2, 96),
            Caption("Coffee time", 6.2, 11.5, 0.82, 96),
        ),
        utterances=(
            Utterance("This is my cat and she runs the whole house.", 0.3),
            Utterance("Every morning she waits next to the coffee.", 4.3),
            Utterance("Honestly the coffee is the best part of the day.", 8.0),
        ),
        wpm=200,
    ),
    ClipSpec(
        name="quiet_coffee",
        duration=10.0,
        fps=30,
        scenes=(
            Scene("coffee", 0.0, 5.0, ("cup",)),
            Scene("astronaut", 5.0, 10.0, ("person",)),
        ),
        captions=(
            Caption("No sound needed", 0.5, 4.5, 0.15, 90),
            Caption("Just vibes", 5.5, 9.5, 0.85, 100),
        ),
        has_audio=False,
    ),
    ClipSpec(
        name="rocket_story",
        duration=11.0,
        fps=30,
        scenes=(
            Scene("rocket", 0.0, 5.5, ()),
            Scene("chelsea", 5.5, 11.0, ("cat",)),
        ),
        captions=(
            Caption("Launch day", 0.4, 5.0, 0.12, 100),
            Caption("The cat was not impressed", 6.0, 10.5, 0.7, 56),
        ),
        utterances=(
            Utterance("We went to see the launch.", 0.5),
            Utterance("It was loud.", 3.6),
            Utterance("My cat did not care at all.", 6.2),
        ),
        wpm=120,
    ),
    # Captions nobody tuned for: every pattern of HARD_PATTERNS, over busy photos with two cuts.
    ClipSpec(
        name="caption_drill",
        duration=10.0,
        fps=30,
        scenes=(
            Scene("motorcycle", 0.0, 3.5, ("motorcycle",)),
            Scene("astronaut", 3.5, 7.0, ("person",)),
            Scene("chelsea", 7.0, 10.0, ("cat",)),
        ),
        captions=(
            Caption("We are late", 0.2, 1.8, 0.5, 84, ("same_place_fast",)),
            Caption("GO", 1.8, 3.2, 0.5, 84, ("one_word", "same_place_fast")),
            Caption("see you at the finish", 3.2, 4.8, 0.5, 72, ("lowercase", "same_place_fast", "busy_cut")),
            Caption("Doors open 7:45", 5.0, 9.8, 0.16, 80, ("digits_colon", "busy_cut")),
            Caption("Two lines of text\nread as one caption", 6.0, 9.6, 0.74, 64, ("two_line", "busy_cut")),
            Caption("Livestream starts 12:30 tonight", 0.5, 9.5, 0.93, 40, ("small_text", "digits_colon", "busy_cut")),
        ),
        has_audio=False,
    ),
    # German end to end: captions with umlauts and ß, German speech (espeak-ng -v de), a cut.
    ClipSpec(
        name="german_cafe",
        duration=14.0,
        fps=30,
        scenes=(
            Scene("coffee", 0.0, 7.0, ("cup",)),
            Scene("chelsea", 7.0, 14.0, ("cat",)),
        ),
        captions=(
            Caption("Größer als gedacht", 0.5, 6.5, 0.18, 90),
            Caption("Süßes Frühstück", 2.5, 6.5, 0.8, 80),
            Caption("Schöne Grüße aus Köln", 7.5, 13.5, 0.8, 76),
        ),
        utterances=(
            Utterance("Heute zeige ich euch mein liebstes Café in der Stadt.", 0.4),
            Utterance("Der Kaffee ist größer als gedacht und schmeckt wunderbar.", 4.6),
            Utterance("Meine Katze wartet schon zu Hause auf mich.", 9.4),
        ),
        wpm=150,
        voice="de",
        caption_language="de",
    ),
    # Captions and speech need not share a language: English captions over German speech.
    ClipSpec(
        name="mixed_trip",
        duration=12.0,
        fps=30,
        scenes=(
            Scene("rocket", 0.0, 6.0, ()),
            Scene("astronaut", 6.0, 12.0, ("person",)),
        ),
        captions=(
            Caption("Big trip ahead", 0.5, 5.5, 0.15, 96),
            Caption("See you in Berlin", 6.5, 11.5, 0.82, 84),
        ),
        utterances=(
            Utterance("Ich habe so etwas noch nie gesehen. Es war einfach unglaublich laut.", 0.4),
            Utterance("Wir fahren heute mit dem Zug nach Berlin und bleiben dort drei Tage.", 6.2),
        ),
        wpm=130,
        voice="de",
    ),
    # Captions that change while they look alike (numbered tips, a countdown, a price), and a photo
    # with text printed on it (the brand on the motorcycle's tank, panning with the picture).
    ClipSpec(
        name="tips_countdown",
        duration=18.0,
        fps=30,
        scenes=(
            Scene("coffee", 0.0, 6.0, ("cup",)),
            Scene("astronaut", 6.0, 11.0, ("person",)),
            Scene("motorcycle", 11.0, 18.0, ("motorcycle",), crop=(100, 400, 200, 700), text=("YAMAHA",)),
        ),
        captions=(
            Caption("Tip 1 of 4: drink water", 0.5, 3.0, 0.15, 72, ("numbered",)),
            Caption("Tip 2 of 4: sleep early", 3.0, 5.5, 0.82, 72, ("numbered",)),
            Caption("Tip 3 of 4: walk daily", 5.5, 8.0, 0.15, 72, ("numbered",)),
            Caption("Tip 4 of 4: call a friend", 8.0, 10.5, 0.82, 72, ("numbered",)),
            Caption("3", 10.5, 11.5, 0.3, 220, ("countdown",)),
            Caption("2", 11.5, 12.5, 0.3, 220, ("countdown",)),
            Caption("1", 12.5, 13.5, 0.3, 220, ("countdown",)),
            Caption("Only $19.99 today", 13.5, 15.5, 0.86, 76, ("one_digit",)),
            Caption("Only $18.99 today", 15.5, 17.5, 0.86, 76, ("one_digit",)),
        ),
        has_audio=False,
    ),
    # Code-switching creators (bilingual German accounts): English first, then German ...
    ClipSpec(
        name="bilingual_walk",
        duration=22.0,
        fps=30,
        scenes=(
            Scene("astronaut", 0.0, 9.5, ("person",)),
            Scene("coffee", 9.5, 22.0, ("cup",)),
        ),
        captions=(
            Caption("My favourite walk", 0.5, 8.5, 0.16, 84),
            Caption("Jetzt auf Deutsch", 9.8, 20.5, 0.16, 84),
        ),
        utterances=(
            Utterance("Hi everyone, today I am showing you my favourite walk in the city.", 0.4, "en-us"),
            Utterance("The weather is great and the river is right next to us.", 5.3, "en-us"),
            Utterance("Also, ab jetzt geht es auf Deutsch weiter, und ich zeige euch meinen schönsten Spaziergang am Fluss.", 9.6, "de"),
            Utterance("Am Ende gibt es noch einen Kaffee mit Blick auf das Wasser.", 16.8, "de"),
        ),
        wpm=150,
        voice="en-us",
    ),
    # ... and German first, then English: the same recipe told twice.
    ClipSpec(
        name="bilingual_kitchen",
        duration=22.0,
        fps=30,
        scenes=(
            Scene("coffee", 0.0, 11.0, ("cup",)),
            Scene("chelsea", 11.0, 22.0, ("cat",)),
        ),
        captions=(
            Caption("Tomatensuppe\nin 10 Minuten", 0.5, 10.5, 0.8, 72),
            Caption("Tomato soup\nin 10 minutes", 11.2, 21.0, 0.8, 72),
        ),
        utterances=(
            Utterance("Hallo zusammen, heute koche ich mit euch eine einfache Tomatensuppe.", 0.4, "de"),
            Utterance("Dafür brauchen wir nur frische Tomaten, Zwiebeln und etwas Knoblauch.", 5.6, "de"),
            Utterance("And now for my English speaking friends, here is the same recipe in English.", 11.2, "en-us"),
            Utterance("You only need fresh tomatoes, onions and a little garlic.", 17.0, "en-us"),
        ),
        wpm=150,
        voice="de",
        caption_language="de",
    ),
    # Auto-captions (the platforms' and CapCut's style): 1-3 words at a time, 0.3-0.8 s each, centred,
    # back to back, over panning photos and a cut; the second sentence pops in, the third cross-fades.
    ClipSpec(
        name="auto_captions",
        duration=12.0,
        fps=30,
        scenes=(
            Scene("astronaut", 0.0, 6.0, ("person",), pan=3.0),
            Scene("motorcycle", 6.0, 12.0, ("motorcycle",), pan=3.0),
        ),
        captions=(
            *chunks("a", 0.4, (("NOBODY", 0.6), ("TELLS YOU", 0.6), ("HOW", 0.4), ("LONELY IT", 0.7), ("FEELS", 0.6))),
            *chunks("b", 3.7, (("TO MOVE", 0.5), ("TO A NEW", 0.6), ("CITY", 0.8), ("SO", 0.4), ("I STARTED", 0.6)),
                    enter="pop", extra=("pop_in",)),
            *chunks("c", 7.2, (("INVITE", 0.4), ("PEOPLE", 0.5), ("OVER", 0.3), ("FOR", 0.4), ("DINNER", 0.6),
                               ("AND IT", 0.5), ("CHANGED", 0.6), ("EVERYTHING", 0.8)), enter="fade", extra=("cross_fade",)),
        ),
        utterances=(
            Utterance("Nobody tells you how lonely it feels", 0.4),
            Utterance("to move to a new city, so I started", 3.7),
            Utterance("invite people over for dinner, and it changed everything.", 7.2),
        ),
        wpm=170,
    ),
    # The rest of the family: a karaoke line, boxed text, outlined text over a fast pan, an emoji caption.
    ClipSpec(
        name="caption_styles",
        duration=12.0,
        fps=30,
        scenes=(
            Scene("chelsea", 0.0, 6.0, ("cat",), pan=4.0),
            Scene("coffee", 6.0, 12.0, ("cup",), pan=4.0),
        ),
        captions=(
            Caption("this is how I edit my videos", 0.5, 4.5, 0.72, 64, ("karaoke",), style="karaoke"),
            Caption("Link in bio", 1.0, 5.5, 0.2, 72, ("boxed",), style="box"),
            Caption("Watch till the end", 6.2, 9.0, 0.5, 96, ("busy_pan",)),
            Caption("Best day ever", 9.2, 11.8, 0.78, 84, ("emoji",), emoji="\U0001F389\U0001F525"),
            Caption("Part 2", 6.5, 11.5, 0.12, 72, ("boxed",), style="box"),
        ),
        has_audio=False,
    ),
    ClipSpec(
        # A creator talking to the camera from the first second over a quiet music bed, then a sung
        # part over the bed (no face: the cup), then talking again with no music.
        name="studio_talk",
        duration=15.0,
        fps=30,
        scenes=(
            Scene("camera", 0.0, 6.0, ("person",)),
            Scene("coffee", 6.0, 10.5, ("cup",)),
            Scene("astronaut", 10.5, 15.0, ("person",)),
        ),
        captions=(Caption("STUDIO SESSION", 0.5, 5.5, 0.82, 100),),
        utterances=(
            Utterance("Welcome back to the studio, I am glad you are here.", 0.6),
            Utterance("That was the song, now back to the talk.", 10.9),
        ),
        music=(Music(0.0, 6.0, "bed", 0.15), Music(6.0, 10.5, "song", 0.5)),
        wpm=160,
    ),
)
