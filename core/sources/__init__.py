"""Where meters and readings come from; the embedded default reads the warehouse's own tables."""
