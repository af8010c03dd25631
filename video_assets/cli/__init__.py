"""Front ends for people: ``main`` (the ``video-assets`` command), ``demo`` (``make demo``) and
``console`` (progress bars on the terminal, everything else to a log file). They run the Dagster
layer in-process."""
