"""Province-scale benchmarks for Tongchou: a synthetic province
(:mod:`bench.province`), the benchmarks (:mod:`bench.cases`) and the runner
that prints the table (:mod:`bench.run`; ``python -m bench``).  See
docs/performance.md for the targets and the figures measured."""
