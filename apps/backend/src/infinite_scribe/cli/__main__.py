"""`python -m infinite_scribe.cli`: the `scribe` command, as tests and benchmarks start it."""

from infinite_scribe.cli import main

main()
