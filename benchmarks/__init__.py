"""`make bench`: every budget measured as a ratio against a baseline taken in the same run."""
