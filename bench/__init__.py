"""Benchmarks (not tests): ``python -m bench [dq|lead|all]``; see docs/benchmarks.md."""
