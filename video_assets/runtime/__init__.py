"""Plain helpers every layer may use: ``settings`` (environment variables and their defaults, in
one place) and ``resilience`` (out-of-memory inside a step: half the batch, then the CPU)."""
