"""Captions drawn as short videos draw them: white with a black outline, black on a coloured
rounded box, a karaoke line whose current word is yellow, colour emoji after the words; coming on
at once, popping in or cross-fading. ``build`` composites them over the scenes and takes each
caption's box for the ground truth from the patch drawn here."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from video_assets.sample.specs import Caption

WIDTH, HEIGHT = 1080, 1920
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf",
)
EMOJI_FONT = "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"
BOX_FILL = (255, 196, 40, 255)  # an amber box behind black text
KARAOKE_FILL = (255, 226, 0, 255)  # the word being said


def _font(size: int) -> ImageFont.FreeTypeFont:
    for path in FONT_CANDIDATES:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    raise RuntimeError(
        "No DejaVu Sans Bold font found; install the Debian package fonts-dejavu-core "
        "(make demo and make test do this)."
    )


def _emoji_image(emoji: str, size: int) -> Image.Image:
    """Colour emoji (Noto Color Emoji: one bitmap size, 109 px) scaled to a caption's font size."""
    if not Path(EMOJI_FONT).exists():
        raise RuntimeError("No Noto Color Emoji font; install the Debian package fonts-noto-color-emoji (make demo and make test do this).")
    font = ImageFont.truetype(EMOJI_FONT, 109)
    probe = ImageDraw.Draw(Image.new("RGBA", (1, 1)))
    x0, y0, x1, y1 = (int(v) for v in probe.textbbox((0, 0), emoji, font=font, embedded_color=True))
    image = Image.new("RGBA", (x1 - x0, y1 - y0), (0, 0, 0, 0))
    ImageDraw.Draw(image).text((-x0, -y0), emoji, font=font, embedded_color=True)
    return image.resize((max(1, round(image.width * size / 109)), size), Image.Resampling.LANCZOS)


def _draw(cap: Caption, highlight: int | None = None) -> Image.Image:
    """A caption's RGBA patch in its style (``highlight``: the karaoke word drawn in yellow)."""
    font = _font(cap.size)
    boxed = cap.style == "box"
    stroke = 0 if boxed else max(3, cap.size // 14)
    spacing = cap.size // 4
    probe = ImageDraw.Draw(Image.new("RGBA", (1, 1)))
    x0, y0, x1, y1 = probe.textbbox((0, 0), cap.text, font=font, stroke_width=stroke, align="center", spacing=spacing)
    x0, y0, x1, y1 = int(np.floor(x0)), int(np.floor(y0)), int(np.ceil(x1)), int(np.ceil(y1))
    pad = round(cap.size * 0.35) if boxed else 2
    emoji = _emoji_image(cap.emoji, cap.size) if cap.emoji else None
    gap = cap.size // 4 if emoji else 0
    w = x1 - x0 + 2 * pad + (gap + emoji.width if emoji else 0)
    h = max(y1 - y0 + 2 * pad, emoji.height + 4 if emoji else 0)
    patch = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(patch)
    if boxed:
        draw.rounded_rectangle((0, 0, w - 1, h - 1), radius=round(cap.size * 0.3), fill=BOX_FILL)
    ink = (0, 0, 0, 255) if boxed else (255, 255, 255, 255)
    origin = (pad - x0, pad - y0 + (h - (y1 - y0 + 2 * pad)) // 2)
    draw.text(origin, cap.text, font=font, fill=ink, stroke_width=stroke, stroke_fill=(0, 0, 0, 255), align="center", spacing=spacing)
    if highlight is not None:  # karaoke: the current word over the line, in yellow (one line of text)
        words = cap.text.split(" ")
        before = " ".join(words[:highlight]) + (" " if highlight else "")
        left = probe.textlength(before, font=font)
        draw.text((origin[0] + left, origin[1]), words[highlight], font=font, fill=KARAOKE_FILL, stroke_width=stroke, stroke_fill=(0, 0, 0, 255))
    if emoji is not None:
        patch.alpha_composite(emoji, (x1 - x0 + pad + gap, (h - emoji.height) // 2))
    return patch


def _place(cap: Caption, size: tuple[int, int]) -> tuple[int, int]:
    w, h = size
    if w > WIDTH:
        raise ValueError(f"caption {cap.text!r} is wider than the frame")
    return (WIDTH - w) // 2, int(round(cap.center_y * HEIGHT - h / 2))


def render_caption(cap: Caption) -> tuple[np.ndarray, tuple[int, int]]:
    """Render a caption once as an RGBA patch; returns the patch and its top-left corner."""
    patch = _draw(cap)
    return np.asarray(patch), _place(cap, patch.size)


# Pop-in: the chunk grows from POP_FROM of its size over POP_S. Cross-fade: its opacity ramps over
# FADE_S centred on its start and on its end, so neighbours overlap while one replaces the other
# (the truth's window is where it is at least half opaque).
POP_S, POP_FROM, FADE_S = 0.1, 0.7, 0.12


class CaptionLayer:
    """One caption's look at time t: its patch (the karaoke word of the moment, the pop's scale)
    and opacity, or None while it is not on screen."""

    def __init__(self, cap: Caption):
        self.cap = cap
        if cap.style == "karaoke":
            self.patches = [_draw(cap, k) for k in range(len(cap.text.split(" ")))]
        else:
            self.patches = [_draw(cap)]

    def at(self, t: float) -> tuple[np.ndarray, tuple[int, int], float] | None:
        cap = self.cap
        half = FADE_S / 2 if cap.enter == "fade" else 0.0
        if not cap.start - half <= t < cap.end + half:
            return None
        k = min(len(self.patches) - 1, int((t - cap.start) / (cap.end - cap.start) * len(self.patches))) if t >= cap.start else 0
        patch, alpha = self.patches[k], 1.0
        if cap.enter == "pop" and t < cap.start + POP_S:
            scale = POP_FROM + (1 - POP_FROM) * (t - cap.start) / POP_S
            patch = patch.resize((max(1, round(patch.width * scale)), max(1, round(patch.height * scale))), Image.Resampling.BILINEAR)
        if cap.enter == "fade":
            alpha = min(1.0, (t - cap.start + half) / FADE_S, (cap.end + half - t) / FADE_S)
        return np.asarray(patch), _place(cap, patch.size), alpha
