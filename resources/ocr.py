"""text_overlay's OCR engine per preset, loaded once per process.

The baseline is always EasyOCR, as the original pipeline was (parity is measured against it).
The optimized preset runs the engine named by ``engine`` (``VIDEO_ASSETS_OCR_ENGINE``): ``easyocr``,
``rapidocr`` (PP-OCRv6 small from the rapidocr wheel), or ``auto`` (the default), chosen per device
by measurement (docs/captions.md; ``benchmark/results/results.json``): on a CPU RapidOCR read every caption
at a tenth of EasyOCR's time; on a GPU EasyOCR runs in PyTorch on the card, where this project's
RapidOCR has no GPU runtime (onnxruntime here is the CPU build).
"""

from __future__ import annotations

from pydantic import Field

from resources.device import cpu_threads, resolve_device
from resources.easyocr import candidate_dirs, load_easyocr_engine, preflight_easyocr, random_files, warm_up
from resources.model_cache import MissingWeightsError, get_or_load
from resources.models import AnalyzerModels, LoadedModels
from resources.rapidocr import load_rapidocr_engine, openvino_available, preflight_rapidocr
from video_assets.runtime import settings

ENGINES = ("easyocr", "rapidocr")
RUNTIMES = ("openvino", "onnxruntime")


def auto_engine(device: str) -> str:
    """The optimized preset's engine where none is named: the faster one measured on that device."""
    return "easyocr" if device.startswith("cuda") else "rapidocr"


class OcrResource(AnalyzerModels):
    """EasyOCR (``VIDEO_ASSETS_OCR_LANGUAGES``, weights folder, download switch) and RapidOCR."""

    engine: str = Field(default_factory=lambda: settings.env("VIDEO_ASSETS_OCR_ENGINE", "auto"),
                        description="the optimized preset's engine: auto (rapidocr on a CPU, easyocr on a GPU), "
                                    "easyocr or rapidocr (VIDEO_ASSETS_OCR_ENGINE)")
    languages: str = Field(default_factory=lambda: settings.env("VIDEO_ASSETS_OCR_LANGUAGES", "en"))
    model_dir: str = Field(default_factory=lambda: settings.env("VIDEO_ASSETS_OCR_MODEL_DIR", ""))
    download: bool = Field(default_factory=lambda: settings.env("VIDEO_ASSETS_OCR_DOWNLOAD", "0") == "1")
    rapidocr_det_side: int = Field(default=640, description="RapidOCR detector: longest side in px (640: the smallest that found every caption of the sample corpus, docs/captions.md)")
    rapidocr_runtime: str = Field(default_factory=lambda: settings.env("VIDEO_ASSETS_OCR_RUNTIME", "openvino"),
                                  description="RapidOCR detector on a CPU: openvino or onnxruntime (VIDEO_ASSETS_OCR_RUNTIME)")

    def language_list(self) -> list[str]:
        return [lang.strip() for lang in self.languages.split(",") if lang.strip()]

    def engine_for(self, preset: str) -> str:
        engine = "easyocr" if preset == "baseline" else self.engine
        if engine == "auto":
            return auto_engine(resolve_device(self.device))
        if engine not in ENGINES:
            raise MissingWeightsError(f"VIDEO_ASSETS_OCR_ENGINE={engine!r}: use one of {['auto', *ENGINES]}")
        return engine

    def model_id(self, preset: str) -> str:
        if self.engine_for(preset) == "rapidocr":
            # "openvino" runs the recognizer in float32 on OpenVINO too (rec-f32): tables made before differ in confidences
            runtime = "openvino,rec-f32" if self.rapidocr_runtime == "openvino" else self.rapidocr_runtime
            return f"rapidocr[PP-OCRv6-small,det{self.rapidocr_det_side},{runtime}]"
        return f"easyocr[{','.join(self.language_list())}]"

    def weights_label(self) -> str:
        folders = candidate_dirs(self.model_dir)
        return "random-init" if folders and random_files(folders[0]) else "real"

    def preflight(self, preset: str) -> str:
        if self.engine_for(preset) == "rapidocr":
            return preflight_rapidocr()
        return preflight_easyocr(self.language_list(), self.model_dir, self.download)

    def load(self, preset: str) -> LoadedModels:
        device = resolve_device(self.device)
        threads = cpu_threads(self.cpu_threads)
        engine = self.engine_for(preset)
        if engine == "rapidocr":
            if self.rapidocr_runtime not in RUNTIMES:
                raise MissingWeightsError(f"VIDEO_ASSETS_OCR_RUNTIME={self.rapidocr_runtime!r}: use one of {list(RUNTIMES)}")
            runtime = self.rapidocr_runtime if self.rapidocr_runtime == "onnxruntime" or openvino_available() else "onnxruntime"
            loaded, new = get_or_load(("rapidocr", self.rapidocr_det_side, device, threads, runtime),
                                      lambda: load_rapidocr_engine(self.rapidocr_det_side, device, threads, runtime))
            model = loaded.model
            detail = (f"PP-OCRv6 small, detector at {self.rapidocr_det_side} px, runtime {model.runtime}"
                      + ("" if runtime == self.rapidocr_runtime else " (openvino is not installed)"))
        else:
            langs = self.language_list()
            loaded, new = get_or_load(("easyocr", tuple(langs), device, self.model_dir),
                                      lambda: load_easyocr_engine(langs, device, self.model_dir, self.download, threads))
            model, folder = loaded.model
            warm_s = 0.0
            if preset == "optimized":
                warmed, warmed_now = get_or_load(("easyocr-warm", tuple(langs), device, self.model_dir), lambda: warm_up(model))
                warm_s = warmed.load_seconds if warmed_now else 0.0
            random = random_files(folder)
            detail = f"weights from {folder}" + (f", random-init: {', '.join(random)}" if random else "") + (f", warm-up {warm_s:.2f} s" if warm_s else "")
            return LoadedModels(
                model=model, model_id=self.model_id(preset), device=device, weights="random-init" if random else "real",
                load_seconds=(loaded.load_seconds if new else 0.0) + warm_s, loaded_now=new, detail=detail,
            )
        return LoadedModels(
            model=model, model_id=self.model_id(preset), device=device, weights="real",
            load_seconds=loaded.load_seconds if new else 0.0, loaded_now=new, detail=detail,
        )
