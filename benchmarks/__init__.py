"""`make bench`: each figure of BENCHMARKS.md measured beside its reference in one run.

`python -m benchmarks [--quick] [--only NAME ...]`; the figures are listed in `registry`, one
module each, and printed and saved by `report`.
"""
