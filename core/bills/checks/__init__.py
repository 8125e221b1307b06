"""Utility-bill checks: one module per check, file name = contract name (see core/bills)."""
