"""``python -m video_assets.sample.links DIR``: the links clips and their ground_truth.json."""

import sys

from video_assets.sample.links.writer import main

sys.exit(main())
