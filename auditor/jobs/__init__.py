"""The jobs: the only rooms that compose I/O, one module per job.  Each takes `now` (or, where a
job runs on, a clock), the settings and the catalogs as arguments; the CLI calls one job per command."""
