"""Read the sources: schemas, strict JSONL, Arrow tables of source files, the canonical form, offsets (data flow, step 1)."""
