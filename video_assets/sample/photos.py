"""The photographs behind the sample clips: loading them (scikit-image's data), laying them out
the TikTok way (fitted to the width over a blurred copy, both panning), and where their faces are
on screen, for the ground truth (``PHOTO_FACES``)."""

from __future__ import annotations

import numpy as np
from PIL import Image

from video_assets.sample.drawing import HEIGHT, WIDTH
from video_assets.sample.specs import FACE_VISIBLE, PHOTO_FACES, ClipSpec, Scene


def load_image(name: str, crop: tuple[int, int, int, int] | None = None) -> np.ndarray:
    import skimage.data

    if name == "motorcycle":
        img = skimage.data.stereo_motorcycle()[0]
    else:
        img = getattr(skimage.data, name)()
    if img.ndim == 2:
        img = np.stack([img] * 3, axis=-1)
    if crop is not None:
        y0, y1, x0, x1 = crop
        img = img[y0:y1, x0:x1]
    return np.ascontiguousarray(img[..., :3])


def cover(img: np.ndarray, width: int, height: int) -> np.ndarray:
    """Scale an image to cover width x height (aspect kept), so a crop can pan across it."""
    h, w = img.shape[:2]
    scale = max(width / w, height / h)
    size = (int(np.ceil(w * scale)), int(np.ceil(h * scale)))
    return np.asarray(Image.fromarray(img).resize(size, Image.Resampling.BICUBIC))


def scene_layers(image: np.ndarray, pan: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """The TikTok look: the photo fitted to the width over a blurred, darkened copy of itself.

    The whole photo stays visible (a detector sees the whole cat, not its eye), and both layers are
    made a little larger than the frame so they can pan.
    """
    from PIL import ImageFilter

    bg = Image.fromarray(cover(image, int(WIDTH * 1.1), int(HEIGHT * 1.05)))
    bg = np.asarray(bg.filter(ImageFilter.GaussianBlur(24))).astype(np.float32) * 0.55
    h, w = image.shape[:2]
    fg_w = int(WIDTH * (1 + 0.1 * pan))  # the wider, the further (and faster) it pans
    fg = np.asarray(Image.fromarray(image).resize((fg_w, int(round(h * fg_w / w))), Image.Resampling.BICUBIC))
    return bg.astype(np.uint8), fg


def faces_truth(spec: ClipSpec) -> list[dict]:
    """Per scene, the faces of its photo (``PHOTO_FACES``) that stay at least ``FACE_VISIBLE``
    inside the frame from the scene's start to its end: the photo layer's geometry is that of
    ``build._frames`` (it moves in a straight line, so both ends bound the scene)."""
    out = []
    for scene in spec.scenes:
        count = sum(min(visible(scene, box, p) for p in (0.0, 1.0)) >= FACE_VISIBLE for box in PHOTO_FACES.get(scene.image, ()))
        out.append({"start": scene.start, "end": scene.end, "count": int(count)})
    return out


def visible(scene: Scene, box: tuple[int, int, int, int], progress: float) -> float:
    """The share of a face box (photo pixels) inside the frame at ``progress`` through the scene."""
    h, w = load_image(scene.image, scene.crop).shape[:2]
    oy, ox = (scene.crop[0], scene.crop[2]) if scene.crop else (0, 0)
    fg_w = int(WIDTH * (1 + 0.1 * scene.pan))
    scale, fg_h = fg_w / w, int(round(h * fg_w / w))
    fx = int(round((1 - progress) * (fg_w - WIDTH)))
    fy = (HEIGHT - fg_h) // 2 + int(round((progress - 0.5) * 60 * scene.pan))
    x0, x1 = (box[0] - ox) * scale - fx, (box[2] - ox) * scale - fx
    y0, y1 = (box[1] - oy) * scale + fy, (box[3] - oy) * scale + fy
    inside = max(0.0, min(x1, WIDTH) - max(x0, 0)) * max(0.0, min(y1, HEIGHT) - max(y0, 0))
    return inside / ((x1 - x0) * (y1 - y0))
