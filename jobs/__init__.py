"""Command-line entry points and the scheduler worker (wiring only; logic lives in core)."""
