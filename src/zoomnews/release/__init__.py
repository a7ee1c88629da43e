"""Build and release: configs and their features, training views, Parquet shards, the release transaction, manifest, Croissant, card (step 3)."""
