"""Many documents at once: worker processes (:mod:`.pipeline`), one named row per finding
(:mod:`.rows`) and the table writers (:mod:`.writers`)."""
