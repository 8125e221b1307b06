"""The Utility bills page: bill findings (:mod:`.issues`) and the history chart (:mod:`.charts`)."""
