"""The daily DQ job and its stages."""
