"""Settings of the autosave benchmark's server (bench/autosave.py): the product's settings with
a bench-only URLconf (`bench/autosave_urls.py`: the real URLs plus the bare floor view). Never
used by the product."""

from pmo_platform.settings import *  # noqa: F403

ROOT_URLCONF = "bench.autosave_urls"
