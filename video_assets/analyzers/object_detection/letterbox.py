"""Pre- and post-processing shared by every engine: letterbox, confidence filter, NMS."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


STRIDE = 32


@dataclass(frozen=True)
class Letterbox:
    """How frames of one size map into the network input: scale, then pad to (height, width)."""

    scale: float
    pad_x: int
    pad_y: int
    width: int
    height: int

    @classmethod
    def for_size(cls, w: int, h: int, imgsz: int, rect: bool) -> "Letterbox":
        scale = imgsz / max(w, h)
        nw, nh = int(round(w * scale)), int(round(h * scale))
        if rect:
            tw, th = int(np.ceil(nw / STRIDE) * STRIDE), int(np.ceil(nh / STRIDE) * STRIDE)
        else:
            tw = th = imgsz
        return cls(scale=scale, pad_x=(tw - nw) // 2, pad_y=(th - nh) // 2, width=tw, height=th)

    def apply(self, image: np.ndarray) -> np.ndarray:
        """uint8 RGB (h, w, 3) -> float32 (3, height, width) in [0, 1], grey (114) padding as Ultralytics does."""
        import cv2

        h, w = image.shape[:2]
        nw, nh = int(round(w * self.scale)), int(round(h * self.scale))
        resized = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_LINEAR) if (nw, nh) != (w, h) else image
        canvas = np.full((self.height, self.width, 3), 114, dtype=np.uint8)
        canvas[self.pad_y : self.pad_y + nh, self.pad_x : self.pad_x + nw] = resized
        return canvas.transpose(2, 0, 1).astype(np.float32) / 255.0


def postprocess(raw: np.ndarray, box: Letterbox, w: int, h: int, conf: float, iou: float, max_det: int) -> list[np.ndarray]:
    """Raw head output -> per image an array (n, 6): x0, y0, x1, y1 (normalized to the frame), confidence, class."""
    import torch
    from ultralytics.utils.nms import non_max_suppression

    preds = non_max_suppression(torch.from_numpy(np.ascontiguousarray(raw, dtype=np.float32)), conf_thres=conf, iou_thres=iou, max_det=max_det)
    out = []
    for p in preds:
        p = p.numpy()
        if p.size:
            p[:, [0, 2]] = ((p[:, [0, 2]] - box.pad_x) / box.scale / w).clip(0, 1)
            p[:, [1, 3]] = ((p[:, [1, 3]] - box.pad_y) / box.scale / h).clip(0, 1)
        out.append(p)
    return out
