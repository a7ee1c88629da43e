"""README's performance tables (Markdown) from scripts/bench.py results files.

    .venv/bin/python scripts/bench_table.py [artifacts/bench.json ...]

One column per corpus size found in the files (a later file's size replaces an earlier one's); under
the tables, each run's date, engine and machine load, which the figures cannot be read without.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STEP_LABELS = {
    "floor": "floor: pyarrow `read_json` + sha256 of raw files",
    "validate_j2": "`zoomnews validate --jobs 2`",
    "validate_j1": "`zoomnews validate --jobs 1`",
    "validate_bad_j2": "`validate --jobs 2`, 1 bad span / 1,000 docs",
    "validate_released_j2": "`validate --jobs 2`, release built (level 5)",
    "jsonschema": "per-record `jsonschema` (records/s)",
    "jsonschema_rs": "per-record `jsonschema-rs` (records/s)",
    "json_to_parquet": "anchor: pyarrow JSON → Parquet",
    "build_j2": "`zoomnews build --jobs 2`",
    "build_j1": "`zoomnews build --jobs 1`",
    "iter_batches": "anchor: `iter_batches` (rows/s)",
    "stream_arrow": "streaming, Arrow batches (rows/s)",
    "iter_batches_pylist": "anchor: `iter_batches` + `to_pylist` (rows/s)",
    "stream_iter_rows": "streaming, `zoomnews.iter_rows` (rows/s)",
    "stream_dicts": "streaming, `for row in dataset` (rows/s)",
    "load_dataset_cold": "`load_dataset` cold",
    "load_dataset_warm": "`load_dataset` warm",
}


def num(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"


def ratio_cell(row: dict) -> str:
    value = row["value"]
    if isinstance(value, dict):
        text = f"{num(value['median'])}× ({num(value['min'])}–{num(value['max'])})"
    else:
        text = f"{num(value)} MiB" if "MiB" in row["what"] and "/" not in row["what"] else f"{num(value)}×"
    if row["status"]:
        text += f" **{row['status']}**" + ("\\*" if row.get("indicative") else "")
    return text


def step_cell(step: dict, label: str) -> str:
    if "error" in step:
        return "error"
    seconds = step["seconds"]["median"]
    text = f"{num(step['rate']['median'])}/s" if "rate" in step and "/s" in label else f"{seconds:,.2f} s"
    peak = step.get("peak_mib")
    return text + (f", {peak:,.0f} MiB" if peak else "")


def main(paths: list[str]) -> int:
    sizes: dict[int, tuple[dict, dict]] = {}
    runs = []
    for path in paths or [str(ROOT / "artifacts" / "bench.json")]:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        runs.append((path, data["meta"], sorted(int(s) for s in data["sizes"])))
        for size, figures in data["sizes"].items():
            sizes[int(size)] = (figures, data["meta"])
    order = sorted(sizes)
    header = "| | target | " + " | ".join(f"{s // 1000}k documents" for s in order) + " |"
    print(header)
    print("|---|---|" + "---|" * len(order))
    whats: list[tuple[str, str, str]] = []
    for size in order:
        for row in sizes[size][0]["ratios"]:
            key = row["what"].split(" / at 100k")[0] if "peak RSS" in row["what"] else row["what"]
            if key not in [w for w, _, _ in whats]:
                whats.append((key, row["target"] or "—", row["kind"]))
    for what, target, kind in whats:
        cells = []
        for size in order:
            found = [r for r in sizes[size][0]["ratios"] if (r["what"].split(" / at 100k")[0] if "peak RSS" in r["what"] else r["what"]) == what]
            cells.append(ratio_cell(found[0]) if found else "not run")
        label = what.strip() if kind == "issue 16" else f"{what.strip()} ({kind})"
        print(f"| {label} | {target.replace('>=', '≥').replace('<=', '≤').replace('x', '×')} | " + " | ".join(cells) + " |")
    print()
    print("| step (median) | " + " | ".join(f"{s // 1000}k documents" for s in order) + " |")
    print("|---|" + "---|" * len(order))
    names = [n for n in STEP_LABELS if any(n in sizes[s][0]["steps"] for s in order)]
    for name in names:
        print(f"| {STEP_LABELS[name]} | " + " | ".join(step_cell(sizes[s][0]["steps"][name], STEP_LABELS[name]) if name in sizes[s][0]["steps"] else "not run" for s in order) + " |")
    print()
    for path, meta, run_sizes in runs:
        share = meta.get("other_cpu_share", {})
        seen = meta.get("load1_seen", {})
        print(f"- {', '.join(f'{s // 1000}k' for s in run_sizes)}: run {meta['started'][:16].replace('T', ' ')}, engine `{meta.get('engine', 'working tree')}`, "
              f"{meta['repeats']} interleaved repeats after {meta['warmup']} warm-up; 1-min load average {seen.get('min', 0):.2f}–{seen.get('max', 0):.2f} "
              f"on {meta['cpu_count']} CPUs; other processes used a median {100 * share.get('median', 0):.0f}% (max {100 * share.get('max', 0):.0f}%) "
              f"of the CPUs while a step ran ({share.get('loaded_runs', '?')} of {share.get('runs', '?')} runs at 10% or more).")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
