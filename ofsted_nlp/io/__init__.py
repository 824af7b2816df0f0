"""Files out, whole or not at all: temporary outputs put in place atomically (:mod:`.atomic`) and the
signals that must not leave half a file behind (:mod:`.interrupts`). Imports nothing of the tool above it."""
