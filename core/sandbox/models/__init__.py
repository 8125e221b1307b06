"""Sandbox model files: each public module defining ``MODEL`` or ``MODELS`` is a page.

Start from ``_example.py`` (files starting with ``_`` are not registered).
"""
