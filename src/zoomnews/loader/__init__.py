"""Load releases through `datasets`, streamed or not (step 4)."""
