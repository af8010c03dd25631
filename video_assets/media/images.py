"""One stored image: how a frame is encoded, decoded and sized, and shown inline in Dagster's UI.

Its own module because frames (``frames.py``), the frame store and the analyzers' previews all
need it, and none of them needs the others for it.
"""

from __future__ import annotations

import base64

import numpy as np

from video_assets.media.sampling import fit_long_side

FRAME_CODECS = ("jpeg", "png", "raw")


def encode_image(image: np.ndarray, codec: str, quality: int = 95) -> bytes:
    """image: uint8 RGB (H, W, 3)."""
    import cv2

    if codec == "raw":
        return np.ascontiguousarray(image, dtype=np.uint8).tobytes()
    bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    if codec == "jpeg":
        ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    elif codec == "png":
        ok, buf = cv2.imencode(".png", bgr, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    else:
        raise ValueError(f"unknown frame codec {codec!r}; use one of {FRAME_CODECS}")
    if not ok:
        raise RuntimeError(f"could not encode frame as {codec}")
    return buf.tobytes()


def decode_image(data: bytes, codec: str, width: int, height: int) -> np.ndarray:
    import cv2

    if codec == "raw":
        return np.frombuffer(data, dtype=np.uint8).reshape(height, width, 3)
    bgr = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if bgr is None:
        raise ValueError("stored frame could not be decoded (corrupt frame store?)")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def gray_of(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """An RGB (or grey) image in grey at ``size`` (w, h), resized by area."""
    import cv2

    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
    return gray if (gray.shape[1], gray.shape[0]) == tuple(size) else cv2.resize(gray, tuple(size), interpolation=cv2.INTER_AREA)


def decode_jpeg_gray(data: bytes, width: int, size: tuple[int, int]) -> np.ndarray:
    """A stored JPEG ``width`` wide in grey at ``size`` (w, h): decoded at the nearest reduced scale
    (libjpeg scales in the DCT: a 1080x1920 frame as 540x960 grey in about half a colour decode's
    time), then resized by area if that is not ``size`` exactly."""
    import cv2

    ratio = width / size[0]
    flag = {1: cv2.IMREAD_GRAYSCALE, 2: cv2.IMREAD_REDUCED_GRAYSCALE_2, 4: cv2.IMREAD_REDUCED_GRAYSCALE_4,
            8: cv2.IMREAD_REDUCED_GRAYSCALE_8}[max(k for k in (1, 2, 4, 8) if ratio >= k or k == 1)]
    gray = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), flag)
    if gray is None:
        raise ValueError("stored frame could not be decoded (corrupt frame store?)")
    return gray_of(gray, size)


def resize_to(image: np.ndarray, max_side: int | None) -> np.ndarray:
    import cv2

    h, w = image.shape[:2]
    tw, th = fit_long_side(w, h, max_side)
    if (tw, th) == (w, h):
        return image
    return cv2.resize(image, (tw, th), interpolation=cv2.INTER_AREA)


def image_mime(data: bytes) -> str:
    """``image/jpeg`` or ``image/png``, from the bytes' signature."""
    return "image/jpeg" if data[:2] == b"\xff\xd8" else "image/png"


def image_markdown(data: bytes, alt: str) -> str:
    """Inline a PNG or JPEG in Markdown metadata so the Dagster UI shows it without a file server."""
    return f"![{alt}](data:{image_mime(data)};base64,{base64.b64encode(data).decode()})"
