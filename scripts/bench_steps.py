"""The steps scripts/bench.py runs that are not the zoomnews CLI: its anchors and the loading paths.

    .venv/bin/python scripts/bench_steps.py STEP ARG...

Each step runs in a fresh interpreter started by bench.py (which times it from the outside and
reads its CPU time and peak RSS with wait4); the step prints one JSON line: what it read, and
`seconds`, its own time from after the imports to the end of the work (the streaming steps also
`setup`: the load_dataset call alone, before the first row). Imports stay inside the
steps so that each child loads only what it needs — the floor's wall time then holds no more
start-up than a minimal program doing the same reading would.
"""

from __future__ import annotations

import json
import os
import sys
import time


def _source_files(repo: str) -> list[str]:
    """Every JSON Lines source of a checkout: corpus/, annotations/ and annotations/registry/."""
    found = []
    for top in ("corpus", "annotations"):
        for folder, dirs, files in os.walk(os.path.join(repo, top)):
            dirs[:] = sorted(d for d in dirs if d != "raw")
            found += [os.path.join(folder, f) for f in sorted(files) if f.endswith(".jsonl")]
    return found


def _raw_files(repo: str) -> list[str]:
    folder = os.path.join(repo, "corpus", "raw")
    return sorted(os.path.join(folder, e.name) for e in os.scandir(folder) if e.is_file())


def step_floor(repo: str) -> dict:
    """The floor validate is held to: Arrow's multi-threaded JSON reader over every source file, then
    every raw text read and hashed (sha256) — the least any validator of these files must do."""
    import hashlib

    import pyarrow.json as pj

    start = time.perf_counter()
    options = pj.ReadOptions(use_threads=True)
    rows = sum(pj.read_json(f, read_options=options).num_rows for f in _source_files(repo))
    raw = 0
    for path in _raw_files(repo):
        with open(path, "rb") as f:
            data = f.read()
        hashlib.sha256(data).hexdigest()
        raw += 1
    return {"seconds": time.perf_counter() - start, "records": rows, "raw_files": raw}


def step_json_to_parquet(repo: str, out: str) -> dict:
    """Build's anchor: every source file through pyarrow's multi-threaded JSON reader into Parquet
    (zstd, pyarrow's default level), and the raw texts into one Parquet column, as build stores them."""
    import pyarrow as pa
    import pyarrow.json as pj
    import pyarrow.parquet as pq

    start = time.perf_counter()
    os.makedirs(out, exist_ok=True)
    options = pj.ReadOptions(use_threads=True)
    rows = 0
    for n, f in enumerate(_source_files(repo)):
        table = pj.read_json(f, read_options=options)
        rows += table.num_rows
        pq.write_table(table, os.path.join(out, f"{n:02d}-{os.path.basename(f)}.parquet"), compression="zstd")
    names, texts = [], []
    for path in _raw_files(repo):
        with open(path, "rb") as f:
            texts.append(f.read().decode("utf-8"))
        names.append(os.path.basename(path))
    pq.write_table(pa.table({"source_file": names, "text": texts}), os.path.join(out, "texts.parquet"), compression="zstd")
    return {"seconds": time.perf_counter() - start, "records": rows, "raw_files": len(texts)}


LAYERS = ("zones", "entities", "timexes", "quotes")
KIND_OF = {"zones": "zone", "entities": "entity", "timexes": "timex", "quotes": "quote"}


def step_per_record(repo: str, impl: str, sample: str) -> dict:
    """The naive validator: json.loads and one schema validator call per span record. Sampled evenly
    over every layer (every k-th line of each, k chosen so about `sample` records are checked); the
    sample is read first, untimed, so `seconds` is parsing and validating only (a rate per record)."""
    if impl == "jsonschema":
        import jsonschema

        def validator_for(schema):
            return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    else:
        import jsonschema_rs

        def validator_for(schema):
            return jsonschema_rs.validator_for(schema, validate_formats=True)

    paths = {layer: os.path.join(repo, "annotations", f"{layer}.jsonl") for layer in LAYERS}
    total = 0
    for path in paths.values():
        with open(path, "rb") as f:
            total += sum(1 for _ in f)
    stride = max(1, -(-total // int(sample)))
    picked, per_layer = [], {}
    for layer, path in paths.items():
        with open(path, encoding="utf-8") as f:
            lines = [line for n, line in enumerate(f) if n % stride == 0]
        per_layer[layer] = len(lines)
        picked.append((layer, lines))
    validators = {}
    for layer in LAYERS:
        with open(os.path.join(repo, "schema", f"{KIND_OF[layer]}.schema.json"), encoding="utf-8") as f:
            validators[layer] = validator_for(json.load(f))
    start, invalid = time.perf_counter(), 0
    for layer, lines in picked:
        is_valid = validators[layer].is_valid
        for line in lines:
            if not is_valid(json.loads(line)):
                invalid += 1
    return {"seconds": time.perf_counter() - start, "records": sum(per_layer.values()), "per_layer": per_layer,
            "stride": stride, "invalid": invalid}


def _release_files(checkout: str, config: str) -> list[str]:
    releases = os.path.join(checkout, "releases")
    versions = [v for v in os.listdir(releases) if os.path.isdir(os.path.join(releases, v)) and not v.startswith(".")]
    if len(versions) != 1:
        raise SystemExit(f"expected one release in {releases}, found {versions}")
    folder = os.path.join(releases, versions[0], config)
    return sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(".parquet"))


BATCH = 10_000  # the releases' row-group size, which is what datasets' Parquet reader reads a batch at


def step_stream_arrow(checkout: str, config: str) -> dict:
    """README's fast path: load_dataset(checkout, config, streaming=True) in Arrow batches (features cast)."""
    from datasets import load_dataset

    import zoomnews  # noqa: F401 — as the README's example does (its exit hook)

    start, rows = time.perf_counter(), 0
    stream = load_dataset(checkout, config, split="train", streaming=True).with_format("arrow")
    setup = time.perf_counter() - start
    for batch in stream.iter(batch_size=BATCH):
        rows += batch.num_rows
    return {"seconds": time.perf_counter() - start, "setup": setup, "rows": rows}


def step_stream_iter_rows(checkout: str, config: str) -> dict:
    """Python dicts the documented way: zoomnews.iter_rows over the stream (its default batch size)."""
    from datasets import load_dataset

    import zoomnews

    start, rows = time.perf_counter(), 0
    stream = load_dataset(checkout, config, split="train", streaming=True)
    setup = time.perf_counter() - start
    for _ in zoomnews.iter_rows(stream):
        rows += 1
    return {"seconds": time.perf_counter() - start, "setup": setup, "rows": rows}


def step_stream_dicts(checkout: str, config: str) -> dict:
    """Plain `for row in dataset` over the stream."""
    from datasets import load_dataset

    import zoomnews  # noqa: F401

    start, rows = time.perf_counter(), 0
    stream = load_dataset(checkout, config, split="train", streaming=True)
    setup = time.perf_counter() - start
    for _ in stream:
        rows += 1
    return {"seconds": time.perf_counter() - start, "setup": setup, "rows": rows}


def step_iter_batches(checkout: str, config: str) -> dict:
    """The streaming anchor: pyarrow.parquet iter_batches over the same files at the same batch size."""
    import pyarrow.parquet as pq

    start, rows = time.perf_counter(), 0
    for path in _release_files(checkout, config):
        for batch in pq.ParquetFile(path).iter_batches(batch_size=BATCH):
            rows += batch.num_rows
    return {"seconds": time.perf_counter() - start, "rows": rows}


def step_iter_batches_pylist(checkout: str, config: str) -> dict:
    """The dicts anchor: iter_batches at the same batch size, each batch to_pylist()."""
    import pyarrow.parquet as pq

    start, rows = time.perf_counter(), 0
    for path in _release_files(checkout, config):
        for batch in pq.ParquetFile(path).iter_batches(batch_size=BATCH):
            rows += len(batch.to_pylist())
    return {"seconds": time.perf_counter() - start, "rows": rows}


def step_load_dataset(checkout: str, config: str, cache: str) -> dict:
    """load_dataset(checkout, config) into `cache` (bench.py empties it first for a cold load)."""
    from datasets import load_dataset

    start = time.perf_counter()
    dataset = load_dataset(checkout, config, split="train", cache_dir=cache)
    return {"seconds": time.perf_counter() - start, "rows": dataset.num_rows}


STEPS = {name[len("step_"):]: fn for name, fn in globals().items() if name.startswith("step_")}


if __name__ == "__main__":
    name, *args = sys.argv[1:]
    figures = STEPS[name](*args)
    print(json.dumps(figures), flush=True)
