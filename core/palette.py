"""The colours charts give severities and reading sources, so every chart reads the same."""

SEVERITY_COLOURS = {"low": "#f2c94c", "medium": "#f2994a", "high": "#eb5757"}
SOURCE_COLOURS = {"platform": "#2f80ed", "raw": "#27ae60"}
