"""Benchmarks for issue 16: zoomnews validate and build against their floors, side by side in one run.

    .venv/bin/python scripts/bench.py [--docs 10000,100000,300000] [--repeats 3] [--warmup 1]
                                      [--only validate,build,load] [--keep] [--work /tmp/zoomnews-bench]
                                      [--out artifacts/bench.json] [--engine GIT-REF] [--wait-idle 600]

For every size, on the same synthetic corpus (scripts/synth_corpus.py) and in the same run:

  validate  `zoomnews validate PATH --jobs N` as users run it (the CLI in a subprocess: interpreter
            start-up, imports and release checks included), --jobs 1 and 2, on the clean corpus and
            on a copy with one bad span per 1,000 documents (a wrong end offset, a level-3 problem:
            ZN302/ZN301), against the FLOOR: a minimal program reading every source file with Arrow's
            multi-threaded JSON reader (pyarrow.json.read_json, use_threads=True) and reading and
            hashing (sha256) every raw file. Also informational: validate on a checkout holding its
            built release (level 5 included), and per-record jsonschema / jsonschema-rs rates on a
            sample spread evenly over every span layer.
  build     `zoomnews build PATH --jobs N` (1 and 2) against pyarrow: every source through
            read_json into Parquet (zstd), plus the raw texts into a Parquet column.
  load      the path README recommends, load_dataset(checkout, config[, streaming=True]) with its
            features cast, against pyarrow.parquet iter_batches over the same files at the same batch
            size (10,000 rows: the releases' row groups, which datasets reads a batch at); Python
            dicts through zoomnews.iter_rows and `for row in dataset` against iter_batches+to_pylist;
            load_dataset cold and warm.

How it measures (why: an independent re-run found the old figures flattering):
  * every step is a fresh child process, timed from the outside (spawn to exit); its CPU time
    (user+sys) and peak RSS come from os.wait4 — that child's own rusage, not the cumulative
    RUSAGE_CHILDREN maximum; a sampler also sums the PSS of the child's process tree every 100 ms
    when it has worker processes (wait4's ru_maxrss is the largest single process, not the sum);
  * the machine's load is recorded around every run: os.getloadavg() before and after, and from
    /proc/stat the CPU time every other process used while the child ran (a direct measure of
    interference; the 1-minute load average lags and is smoothed over a minute);
  * every step gets the same number of repeats, interleaved A B C … A B C … so drift hits all steps
    alike, after --warmup unrecorded passes (page cache, bytecode); figures are medians with min-max;
    a ratio is taken per pass (the two steps ran minutes apart at most) and its median reported;
  * children are pinned to --cores CPUs (2) when the machine has more; --wait-idle waits before each
    run for other processes to leave the CPUs (up to that many seconds, then runs anyway, flagged);
  * the engine measured is fixed for the whole run: the working tree's src/ is fingerprinted before
    and after (a warning if it changed mid-run), or --engine REF measures a commit exported under
    --work (before/after comparisons of an engine rewrite while others edit the working tree).
Wall ratios use the whole child (start-up included) for the CLI and for the floors alike; the
load-group rates use each child's own timer from the load_dataset call / first file open to the
last row (imports excluded on both sides), and the per-record anchors time parsing and validating only.

The corpora live under --work (default /tmp/zoomnews-bench, outside the repository): clean-N,
bad-N (span layers rewritten, the rest hard-linked), build-N and load-N (hard-linked copies that
`build` writes releases into). With --keep they are reused when their fingerprint (size, seed,
synth_corpus.py) matches and kept afterwards; without it they are made afresh and removed.
300k documents take about 6 GB there with every group and a few minutes to generate.

Figures are printed and written to --out, never asserted. Exit status 0 unless a step failed.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STEPS_SCRIPT = ROOT / "scripts" / "bench_steps.py"
SYNTH = ROOT / "scripts" / "synth_corpus.py"
LAYER_FILES = ("annotations/zones.jsonl", "annotations/entities.jsonl", "annotations/timexes.jsonl", "annotations/quotes.jsonl")
BAD_EVERY = 1000  # one bad span per this many documents
BYTES_PER_DOC = 22_000  # disk estimate for clean + bad + build + load + caches, measured at 10k documents with margin
MiB = 1 << 20
LOADED = 0.10  # a run during which other processes used this share of the CPUs or more is flagged as loaded


# ---- measuring one child --------------------------------------------------------------------------

CLK_TCK = os.sysconf("SC_CLK_TCK")


def machine_cpu() -> dict:
    """Seconds of CPU time the whole machine has spent busy, idle and stolen (from /proc/stat)."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return {"busy": (user + nice + system + irq + softirq) / CLK_TCK, "idle": (idle + iowait) / CLK_TCK, "steal": steal / CLK_TCK}


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def _pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class TreeSampler(threading.Thread):
    """Every `interval` s: if the child has descendants, the summed PSS of its whole process tree."""

    def __init__(self, pid: int, interval: float = 0.1):
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak_kib, self.max_procs = pid, interval, 0, 1
        self.halt = threading.Event()

    def run(self):
        while not self.halt.wait(self.interval):
            children = _children_map()
            tree, stack = [], [self.pid]
            while stack:
                p = stack.pop()
                tree.append(p)
                stack += children.get(p, [])
            if len(tree) > 1:
                self.max_procs = max(self.max_procs, len(tree))
                self.peak_kib = max(self.peak_kib, sum(_pss_kib(p) for p in tree))


def others_share(window: float = 1.0) -> float:
    """The share of the machine's CPUs other processes kept busy over the next `window` seconds."""
    before, own = machine_cpu(), os.times()
    time.sleep(window)
    after, own_after = machine_cpu(), os.times()
    busy = after["busy"] - before["busy"] - ((own_after.user - own.user) + (own_after.system - own.system))
    return max(0.0, busy) / (window * (os.cpu_count() or 1))


def wait_idle(limit: float, below: float) -> float | None:
    """Wait (at most `limit` s) until other processes use less than `below` of the CPUs; the seconds
    waited, or None when the machine stayed busy (the run goes ahead and says so)."""
    start = time.perf_counter()
    while others_share() >= below:
        if time.perf_counter() - start > limit:
            return None
    return time.perf_counter() - start


def run_child(cmd: list[str], env: dict, log: Path, cpus: set[int] | None) -> dict:
    """Run one command, its stdout and stderr to `log`; wall, CPU, peak RSS and the machine's load."""
    preexec = (lambda: os.sched_setaffinity(0, cpus)) if cpus else None
    load_before, cpu_before = os.getloadavg(), machine_cpu()
    self_before = os.times()
    with open(log, "wb") as out:
        start = time.perf_counter()
        child = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, preexec_fn=preexec)
        sampler = TreeSampler(child.pid)
        sampler.start()
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)  # Popen must not wait for it again
        sampler.halt.set()
        sampler.join()
    cpu_after, load_after, self_after = machine_cpu(), os.getloadavg(), os.times()
    child_cpu = usage.ru_utime + usage.ru_stime
    own_cpu = (self_after.user - self_before.user) + (self_after.system - self_before.system)
    ncpu = os.cpu_count() or 1
    other = max(0.0, (cpu_after["busy"] - cpu_before["busy"]) - child_cpu - own_cpu)
    return {
        "rc": child.returncode, "wall": wall, "cpu_user": usage.ru_utime, "cpu_sys": usage.ru_stime, "cpu": child_cpu,
        "maxrss_mib": usage.ru_maxrss / 1024, "tree_pss_mib": sampler.peak_kib / 1024 or None, "procs": sampler.max_procs,
        "load_before": list(load_before), "load_after": list(load_after),
        "other_cpu_s": other, "other_cpu_share": other / (wall * ncpu) if wall else None,
        "steal_s": cpu_after["steal"] - cpu_before["steal"], "harness_cpu_s": own_cpu,
    }


# ---- corpora --------------------------------------------------------------------------------------

def _file_sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _fingerprint(docs: int, seed: int, synth: Path) -> dict:
    """What the generated bytes depend on: size, seed, the generator and the schemas it copies."""
    schemas = hashlib.sha256(b"".join(_file_sha(p).encode() for p in sorted((synth.parents[1] / "schema").glob("*.json"))))
    return {"documents": docs, "seed": seed, "synth_corpus": _file_sha(synth), "schema": schemas.hexdigest()[:16]}


def _marker(folder: Path) -> dict | None:
    try:
        return json.loads((folder / ".bench-corpus.json").read_text())
    except (OSError, ValueError):
        return None


def _write_marker(folder: Path, data: dict) -> None:
    (folder / ".bench-corpus.json").write_text(json.dumps(data) + "\n")


def _link_copy(src: Path, dst: Path, rewrite: tuple[str, ...] = ()) -> None:
    """A copy of a checkout's sources: raw texts and JSON Lines hard-linked (zoomnews writes files by
    atomic replace, never in place, so links stay safe), README.md and small files copied; `rewrite`
    paths are left out for the caller to write. No releases/."""
    def copy(s, d):
        rel = Path(s).relative_to(src).as_posix()
        if rel in rewrite:
            return d
        if rel.startswith("corpus/") or rel.startswith("annotations/"):
            os.link(s, d)
        else:
            shutil.copy2(s, d)
        return d

    shutil.copytree(src, dst, copy_function=copy, ignore=shutil.ignore_patterns("releases", ".bench-corpus.json"))


def make_clean(work: Path, docs: int, seed: int, keep: bool, synth: Path) -> tuple[Path, dict]:
    folder, want = work / f"clean-{docs}", _fingerprint(docs, seed, synth)
    marker = _marker(folder)
    if keep and marker and marker.get("fingerprint") == want:
        return folder, marker
    shutil.rmtree(folder, ignore_errors=True)
    partial = work / f"clean-{docs}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    print(f"generating {docs:,} documents into {folder} ...", flush=True)
    start = time.perf_counter()
    out = subprocess.run([sys.executable, str(synth), str(partial), "--documents", str(docs), "--seed", str(seed)],
                         check=True, capture_output=True, text=True)
    counts = json.loads(out.stdout.strip().splitlines()[-1])
    files = [p for p in partial.rglob("*") if p.is_file()]
    data = {"fingerprint": want, "counts": counts, "generated_in_s": round(time.perf_counter() - start, 1),
            "source_bytes": sum(p.stat().st_size for p in files if p.suffix == ".jsonl"),
            "raw_bytes": sum(p.stat().st_size for p in files if p.suffix == ".txt"), "raw_files": sum(p.suffix == ".txt" for p in files)}
    _write_marker(partial, data)
    partial.rename(folder)
    return folder, data


def make_bad(work: Path, clean: Path, clean_marker: dict, keep: bool) -> tuple[Path, dict]:
    """The clean corpus with the first span of document k*1000+500 given end+1 (layers in turn:
    zones, entities, timexes, quotes): one bad span per 1,000 documents, each a level-3 problem."""
    docs = clean_marker["fingerprint"]["documents"]
    folder, want = work / f"bad-{docs}", {"from": clean_marker["fingerprint"], "every": BAD_EVERY}
    marker = _marker(folder)
    if keep and marker and marker.get("fingerprint") == want:
        return folder, marker
    shutil.rmtree(folder, ignore_errors=True)
    partial = work / f"bad-{docs}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    _link_copy(clean, partial, rewrite=LAYER_FILES)
    targets = {n: LAYER_FILES[(n // BAD_EVERY) % len(LAYER_FILES)] for n in range(BAD_EVERY // 2, docs, BAD_EVERY)}
    by_layer: dict[str, set[str]] = {}
    for n, layer in targets.items():
        by_layer.setdefault(layer, set()).add(f'{{"doc_id": "synth-{n:07d}"')
    end = re.compile(r'"end": (\d+)')
    injected = 0
    for layer in LAYER_FILES:
        wanted, done = by_layer.get(layer, set()), set()
        with open(clean / layer, encoding="utf-8", newline="") as src, open(partial / layer, "w", encoding="utf-8", newline="") as dst:
            for line in src:
                head = line[: line.index(",")]
                if head in wanted and head not in done:
                    line, count = end.subn(lambda m: f'"end": {int(m.group(1)) + 1}', line, count=1)
                    assert count == 1, line
                    done.add(head)
                    injected += 1
                dst.write(line)
    data = {"fingerprint": want, "bad_spans": injected, "documents": docs}
    _write_marker(partial, data)
    partial.rename(folder)
    return folder, data


def make_copy(work: Path, clean: Path, clean_marker: dict, name: str, keep: bool) -> Path:
    docs = clean_marker["fingerprint"]["documents"]
    folder, want = work / f"{name}-{docs}", {"from": clean_marker["fingerprint"]}
    marker = _marker(folder)
    if keep and marker and marker.get("fingerprint") == want:
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    _link_copy(clean, folder)
    _write_marker(folder, {"fingerprint": want})
    return folder


def export_engine(work: Path, ref: str) -> tuple[Path, str]:
    """src/, schema/ and the generator as of git REF, exported under `work` (made once per commit)."""
    rev = git("rev-parse", "--verify", f"{ref}^{{commit}}")
    if not rev:
        raise SystemExit(f"--engine: {ref!r} is not a commit of {ROOT}")
    folder = work / f"engine-{rev[:12]}"
    if not (folder / "src" / "zoomnews").is_dir():
        partial = work / f"engine-{rev[:12]}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "src", "schema", "scripts/synth_corpus.py"], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(partial)], input=archive, check=True)
        partial.rename(folder)
    return folder, rev


def ensure_release(load: Path, clean: Path, cli: str, env: dict, engine_id: str) -> bool:
    """The release the load steps (and validate_released) read, built untimed by the engine under
    test; rebuilt when another engine built it. True when it was (re)built."""
    stamp = load / ".bench-release-engine"
    if (load / "releases").is_dir() and stamp.is_file() and stamp.read_text().strip() == engine_id:
        return False
    shutil.rmtree(load / "releases", ignore_errors=True)
    shutil.copy2(clean / "README.md", load / "README.md")  # the card as generated
    print(f"building the release the load steps read (untimed) in {load} ...", flush=True)
    subprocess.run([cli, "build", str(load)], check=True, env=env, stdout=subprocess.DEVNULL)
    stamp.write_text(engine_id + "\n")
    return True


def reset_build_dir(build: Path, clean: Path) -> None:
    """Before each timed build: no release, the card as generated (untimed)."""
    shutil.rmtree(build / "releases", ignore_errors=True)
    for leftover in build.glob(".zoomnews-tmp-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    shutil.copy2(clean / "README.md", build / "README.md")


# ---- the steps ------------------------------------------------------------------------------------

class Step:
    def __init__(self, name, group, cmd, *, expect_rc=0, before=None, unit=None, internal=False, note=""):
        self.name, self.group, self.cmd, self.expect_rc, self.before = name, group, cmd, expect_rc, before
        self.unit, self.internal, self.note = unit, internal, note


def steps_for(size: int, corpora: dict, groups: set[str], cli: str, work: Path, config: str, sample: int) -> list[Step]:
    py, bs = sys.executable, str(STEPS_SCRIPT)
    clean = str(corpora["clean"])
    out: list[Step] = []
    if "validate" in groups:
        bad, load = str(corpora["bad"]), str(corpora["load"])
        out += [
            Step("floor", "validate", [py, bs, "floor", clean], note="read_json(use_threads) of every source + sha256 of every raw file"),
            Step("validate_j2", "validate", [cli, "validate", clean, "--jobs", "2"]),
            Step("validate_j1", "validate", [cli, "validate", clean, "--jobs", "1"]),
            Step("validate_bad_j2", "validate", [cli, "validate", bad, "--jobs", "2"], expect_rc=1,
                 note=f"{corpora['bad_marker']['bad_spans']} bad spans"),
            Step("validate_released_j2", "validate", [cli, "validate", load, "--jobs", "2"], note="checkout with its release built: level 5 included"),
            Step("jsonschema", "validate", [py, bs, "per_record", clean, "jsonschema", str(sample)], unit="records", internal=True),
            Step("jsonschema_rs", "validate", [py, bs, "per_record", clean, "jsonschema_rs", str(sample)], unit="records", internal=True),
        ]
    if "build" in groups:
        build, pa_out = corpora["build"], work / f"pa-out-{size}"
        out += [
            Step("json_to_parquet", "build", [py, bs, "json_to_parquet", clean, str(pa_out)],
                 before=lambda: shutil.rmtree(pa_out, ignore_errors=True), note="read_json(use_threads) -> write_table(zstd), + texts"),
            Step("build_j2", "build", [cli, "build", str(build), "--jobs", "2"], before=lambda: reset_build_dir(build, corpora["clean"])),
            Step("build_j1", "build", [cli, "build", str(build), "--jobs", "1"], before=lambda: reset_build_dir(build, corpora["clean"])),
        ]
    if "load" in groups:
        load = str(corpora["load"])
        cold, warm = work / f"hf-cold-{size}", work / f"hf-warm-{size}"
        out += [
            Step("iter_batches", "load", [py, bs, "iter_batches", load, config], unit="rows", internal=True),
            Step("stream_arrow", "load", [py, bs, "stream_arrow", load, config], unit="rows", internal=True),
            Step("iter_batches_pylist", "load", [py, bs, "iter_batches_pylist", load, config], unit="rows", internal=True),
            Step("stream_iter_rows", "load", [py, bs, "stream_iter_rows", load, config], unit="rows", internal=True),
            Step("stream_dicts", "load", [py, bs, "stream_dicts", load, config], unit="rows", internal=True),
            Step("load_dataset_cold", "load", [py, bs, "load_dataset", load, config, str(cold)], unit="rows", internal=True,
                 before=lambda: shutil.rmtree(cold, ignore_errors=True)),
            Step("load_dataset_warm", "load", [py, bs, "load_dataset", load, config, str(warm)], unit="rows", internal=True),
        ]
    return out


PROBLEMS = re.compile(r"(\d+) problem\(s\)")


def check_run(step: Step, run: dict, log: Path, expected_bad: int) -> None:
    text = log.read_text(encoding="utf-8", errors="replace")
    if step.cmd[0].endswith("zoomnews") and step.cmd[1] == "validate":
        found = PROBLEMS.findall(text)
        run["problems"] = int(found[-1]) if found else None
    if step.cmd[0] == sys.executable:
        try:
            run["figures"] = json.loads(text.strip().splitlines()[-1])
        except (ValueError, IndexError):
            run["figures"] = None
    error = None
    if run["rc"] != step.expect_rc:
        error = f"exit {run['rc']} (expected {step.expect_rc}): " + " | ".join(text.strip().splitlines()[-3:])[:400]
    elif step.name == "validate_bad_j2" and (run.get("problems") or 0) < expected_bad:
        error = f"only {run.get('problems')} problems reported for {expected_bad} bad spans"
    elif step.name.startswith("validate") and step.expect_rc == 0 and run.get("problems"):
        error = f"{run['problems']} problems on the clean corpus"
    elif step.cmd[0] == sys.executable and not run.get("figures"):
        error = "no figures printed: " + text.strip()[-300:]
    if error:
        run["error"] = error


# ---- summaries and ratios -------------------------------------------------------------------------

def _good(runs: list[dict]) -> list[dict]:
    return [r for r in runs if "error" not in r and not r.get("warmup")]


def seconds(run: dict, step: Step) -> float:
    return run["figures"]["seconds"] if step.internal else run["wall"]


def summarize(step: Step, runs: list[dict]) -> dict:
    good = _good(runs)
    if not good:
        return {"error": next((r["error"] for r in runs if "error" in r), "no runs")}
    def spread(values):
        values = [v for v in values if v is not None]
        return {"median": statistics.median(values), "min": min(values), "max": max(values)} if values else None
    summary = {
        "runs": len(good), "failed": sum("error" in r for r in runs if not r.get("warmup")),
        "seconds": spread([seconds(r, step) for r in good]), "wall": spread([r["wall"] for r in good]),
        "cpu": spread([r["cpu"] for r in good]), "cores_used": spread([r["cpu"] / r["wall"] for r in good]),
        "maxrss_mib": max(r["maxrss_mib"] for r in good),
        "tree_pss_mib": max((r["tree_pss_mib"] or 0) for r in good) or None,
        "procs": max(r["procs"] for r in good),
        "load1_before": spread([r["load_before"][0] for r in good]), "load1_after": spread([r["load_after"][0] for r in good]),
        "other_cpu_share": spread([r["other_cpu_share"] for r in good]),
        "loaded_runs": sum(r["other_cpu_share"] >= LOADED for r in good),
    }
    summary["peak_mib"] = max(summary["maxrss_mib"], summary["tree_pss_mib"] or 0)
    if step.unit:
        summary["rate"] = spread([r["figures"][step.unit] / seconds(r, step) for r in good])
        summary["count"] = good[0]["figures"][step.unit]
    if any(r.get("problems") is not None for r in good):
        summary["problems"] = good[0].get("problems")
    return summary


def paired(results: dict, steps: dict, a: str, b: str, f) -> dict | None:
    """f(run_a, run_b) for every pass where both ran cleanly; median, min, max."""
    if a not in results or b not in results:
        return None
    ra = {r["pass"]: r for r in _good(results[a])}
    rb = {r["pass"]: r for r in _good(results[b])}
    values = [f(ra[p], rb[p], steps[a], steps[b]) for p in sorted(ra.keys() & rb.keys())]
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "pairs": len(values)}


def slower(ra, rb, sa, sb):  # time of a over time of b: >1 means a is slower
    return seconds(ra, sa) / seconds(rb, sb)


def faster(ra, rb, sa, sb):  # speed of a over speed of b (same work): time of b over time of a
    return seconds(rb, sb) / seconds(ra, sa)


def rate_ratio(ra, rb, sa, sb):  # rate of a over rate of b (different amounts of work)
    return (ra["figures"][sa.unit] / seconds(ra, sa)) / (rb["figures"][sb.unit] / seconds(rb, sb))


def cpu_slower(ra, rb, sa, sb):  # CPU time of a over CPU time of b: less sensitive to other load than wall time
    return ra["cpu"] / rb["cpu"]


def cpu_faster(ra, rb, sa, sb):
    return rb["cpu"] / ra["cpu"]


def iteration_ratio(ra, rb, sa, sb):  # rate of a, its load_dataset call left out, over rate of b
    return (ra["figures"][sa.unit] / (ra["figures"]["seconds"] - ra["figures"]["setup"])) / (rb["figures"][sb.unit] / seconds(rb, sb))


def spans_rate_ratio(spans: int):
    def f(ra, rb, sa, sb):  # validate spans/s end to end over an anchor's records/s
        return (spans / seconds(ra, sa)) / (rb["figures"][sb.unit] / seconds(rb, sb))
    return f


def ratios(size: int, results: dict, summaries: dict, steps: dict, spans: int, earlier_peaks: dict) -> list[dict]:
    rows = []

    def add(what, value, op=None, bound=None, target="", kind="issue 16", indicative=False):
        status = None
        if value is not None and op:
            v = value["median"] if isinstance(value, dict) else value
            status = "PASS" if (v <= bound if op == "<=" else v >= bound) else "MISS"
        rows.append({"what": what, "value": value, "target": target, "status": status, "kind": kind, "indicative": indicative})

    add("validate --jobs 2 / floor (wall)", paired(results, steps, "validate_j2", "floor", slower), "<=", 1.5, "<= 1.5x")
    add("validate, 1 bad span per 1,000 docs / clean (--jobs 2, wall)", paired(results, steps, "validate_bad_j2", "validate_j2", slower),
        "<=", 2.0, "<= 2x")
    add("build --jobs 2 throughput / pyarrow JSON->Parquet", paired(results, steps, "build_j2", "json_to_parquet", faster), ">=", 0.5, ">= 0.5x")
    add("validate --jobs 2 speed-up over --jobs 1", paired(results, steps, "validate_j2", "validate_j1", faster), ">=", 1.6, ">= 1.6x")
    add("build --jobs 2 speed-up over --jobs 1", paired(results, steps, "build_j2", "build_j1", faster), ">=", 1.6, ">= 1.6x")
    for what, names in (("validate", ("validate_j1", "validate_j2")), ("build", ("build_j1", "build_j2"))):
        peaks = [summaries[n]["peak_mib"] for n in names if n in summaries and "peak_mib" in summaries[n]]
        peak = max(peaks) if peaks else None
        if size < 300_000 or earlier_peaks.get(what, {}).get(100_000) is None:
            add(f"peak RSS {what} (MiB, --jobs 1 and 2)", peak, "<=", 512, "<= 512 MiB at 100k" + (" (indicative here)" if size != 100_000 else ""),
                indicative=size != 100_000)
        else:
            base = earlier_peaks[what][100_000]
            add(f"peak RSS {what} (MiB) / at 100k ({base:,.0f} MiB)", None if peak is None else peak / base, "<=", 1.15, "<= 1.15x (+15%)")
        earlier_peaks.setdefault(what, {})[size] = peak
    info = "information"
    if "validate_bad_j2" in summaries and "peak_mib" in summaries["validate_bad_j2"]:
        add("peak RSS validate, bad corpus (MiB)", summaries["validate_bad_j2"]["peak_mib"], kind=info)
    add("validate --jobs 2 / floor (CPU time)", paired(results, steps, "validate_j2", "floor", cpu_slower), kind=info)
    add("validate, bad / clean (--jobs 2, CPU time)", paired(results, steps, "validate_bad_j2", "validate_j2", cpu_slower), kind=info)
    add("build --jobs 2 / pyarrow JSON->Parquet (CPU time, as throughput)", paired(results, steps, "build_j2", "json_to_parquet", cpu_faster), kind=info)
    add("validate --jobs 1 / floor (wall)", paired(results, steps, "validate_j1", "floor", slower), kind=info)
    add("build --jobs 1 throughput / pyarrow JSON->Parquet", paired(results, steps, "build_j1", "json_to_parquet", faster), kind=info)
    add("validate with a release (level 5) / without (--jobs 2)", paired(results, steps, "validate_released_j2", "validate_j2", slower), kind=info)
    add("validate --jobs 2 spans/s / per-record jsonschema", paired(results, steps, "validate_j2", "jsonschema", spans_rate_ratio(spans)), kind=info)
    add("validate --jobs 2 spans/s / per-record jsonschema-rs", paired(results, steps, "validate_j2", "jsonschema_rs", spans_rate_ratio(spans)), kind=info)
    earlier = "earlier target"
    add("stream, Arrow batches / iter_batches (rows/s)", paired(results, steps, "stream_arrow", "iter_batches", rate_ratio), ">=", 0.7, ">= 0.7x", kind=earlier)
    add("  the same, iteration only (load_dataset call excluded)", paired(results, steps, "stream_arrow", "iter_batches", iteration_ratio),
        kind="information")
    add("stream dicts, zoomnews.iter_rows / iter_batches+to_pylist", paired(results, steps, "stream_iter_rows", "iter_batches_pylist", rate_ratio),
        ">=", 0.6, ">= 0.6x", kind=earlier)
    add("stream dicts, for row in dataset / iter_batches+to_pylist", paired(results, steps, "stream_dicts", "iter_batches_pylist", rate_ratio),
        ">=", 0.6, ">= 0.6x", kind=earlier)
    return [r for r in rows if r["value"] is not None]


# ---- output ---------------------------------------------------------------------------------------

def fmt_value(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, dict):
        return f"{fmt_value(value['median'])} [{fmt_value(value['min'])}-{fmt_value(value['max'])}]"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"


def print_size(size: int, data: dict) -> None:
    corpus = data["corpus"]
    print(f"\n=== {size:,} documents ({corpus['spans']:,} spans; {corpus['source_bytes'] / MiB:,.0f} MiB JSON Lines + "
          f"{corpus['raw_files']:,} raw files, {corpus['raw_bytes'] / MiB:,.0f} MiB) ===")
    print("(seconds: the child's wall time, start-up included; for steps with a rate, its own timer. cores: CPU/wall. "
          "RSS: wait4 peak of the largest process; tree: sampled PSS sum when it had workers. others: CPU share used by "
          "other processes meanwhile)")
    print(f"{'step':22}{'seconds med [min-max]':>26}{'CPU s':>8}{'cores':>6}{'RSS MiB':>9}{'tree':>7}"
          f"{'load1 before>after':>20}{'others':>8}  note")
    for name, s in data["steps"].items():
        if "error" in s:
            print(f"{name:22}  ERROR: {s['error'][:150]}")
            continue
        sec = s["seconds"]
        note = data["notes"].get(name, "")
        if "rate" in s:
            note = f"{fmt_value(s['rate']['median'])} {data['units'][name]}/s; " + note
        if s.get("problems") is not None:
            note = f"{s['problems']} problems; " + note
        if s["failed"]:
            note = f"{s['failed']} FAILED runs; " + note
        if s["loaded_runs"]:
            note = f"{s['loaded_runs']}/{s['runs']} runs loaded; " + note
        tree = f"{s['tree_pss_mib']:,.0f}" if s["tree_pss_mib"] else "-"
        print(f"{name:22}{fmt_value(sec):>26}{s['cpu']['median']:>8.2f}{s['cores_used']['median']:>6.2f}{s['maxrss_mib']:>9,.0f}{tree:>7}"
              f"{s['load1_before']['median']:>10.2f}>{s['load1_after']['median']:<9.2f}{100 * s['other_cpu_share']['median']:>7.0f}%  {note}")
    print(f"\n{'ratio (median of per-pass ratios [min-max])':62}{'value':>24}  {'target':30} status")
    for row in data["ratios"]:
        status = row["status"] or "-"
        if row["indicative"] and status != "-":
            status += " (indicative)"
        kind = "" if row["kind"] == "issue 16" else f"  [{row['kind']}]"
        print(f"{row['what']:62}{fmt_value(row['value']):>24}  {row['target'] or '-':30} {status}{kind}")


def src_fingerprint(src: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted((src / "zoomnews").rglob("*.py")):
        digest.update(path.relative_to(src).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def git(*args: str) -> str:
    try:
        return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def versions(env: dict) -> dict:
    out = subprocess.run([sys.executable, "-c", "import pyarrow, datasets, zoomnews, jsonschema, jsonschema_rs, json; "
                          "print(json.dumps({'pyarrow': pyarrow.__version__, 'datasets': datasets.__version__, "
                          "'zoomnews': zoomnews.__version__, 'zoomnews_file': zoomnews.__file__, 'jsonschema': jsonschema.__version__}))"],
                         capture_output=True, text=True, env=env)
    try:
        return json.loads(out.stdout)
    except ValueError:
        return {"error": out.stderr[-300:]}


def recompute(source: Path, out: Path) -> int:
    output = json.loads(source.read_text(encoding="utf-8"))
    earlier_peaks: dict = {}
    for size_text in sorted(output["sizes"], key=int):
        data, size = output["sizes"][size_text], int(size_text)
        units = data["units"]
        steps = {name: Step(name, None, command.split(), unit=units.get(name), internal=name in units,
                            expect_rc=1 if name == "validate_bad_j2" else 0, note=data["notes"].get(name, ""))
                 for name, command in data["commands"].items()}
        data["steps"] = {name: summarize(steps[name], runs) for name, runs in data["runs"].items()}
        data["ratios"] = ratios(size, data["runs"], data["steps"], steps, data["corpus"]["spans"], earlier_peaks)
        print_size(size, data)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(output, indent=1) + "\n", encoding="utf-8")
    print(f"written {out}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.splitlines()[1:]))
    parser.add_argument("--docs", default="10000,100000,300000", help="comma-separated corpus sizes, in documents")
    parser.add_argument("--repeats", type=int, default=3, help="recorded runs of every step (the same for all; interleaved)")
    parser.add_argument("--warmup", type=int, default=1, help="unrecorded passes over every step first")
    parser.add_argument("--only", default="validate,build,load", help="comma-separated groups: validate, build, load")
    parser.add_argument("--keep", action="store_true", help="reuse matching corpora under --work and keep them")
    parser.add_argument("--work", type=Path, default=Path("/tmp/zoomnews-bench"))
    parser.add_argument("--out", type=Path, default=ROOT / "artifacts" / "bench.json")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sample", type=int, default=50_000, help="records the per-record anchors check (spread over every layer)")
    parser.add_argument("--config", default="default", help="config the load group reads")
    parser.add_argument("--engine", metavar="GIT-REF", help="measure the zoomnews of this commit (src/ exported under --work, "
                        "ahead of the working tree on PYTHONPATH; the corpus generator and schemas too); default: the working tree")
    parser.add_argument("--cores", type=int, default=2, help="pin every child to this many CPUs when the machine has more")
    parser.add_argument("--wait-idle", type=float, default=0, metavar="SECONDS",
                        help="before each run, wait up to this long for other processes to use less than --idle-below of the CPUs")
    parser.add_argument("--idle-below", type=float, default=0.10, help="the share of the CPUs counted as idle enough (0.10)")
    parser.add_argument("--from-json", type=Path, metavar="RESULTS",
                        help="run nothing: recompute the summaries and ratios of an earlier results file (to --out) and print them")
    args = parser.parse_args()
    if args.from_json:
        return recompute(args.from_json, args.out)
    sizes = [int(s.replace("_", "")) for s in args.docs.split(",") if s]
    groups = {g.strip() for g in args.only.split(",") if g.strip()}
    if not groups <= {"validate", "build", "load"}:
        parser.error(f"--only: unknown group(s) {sorted(groups - {'validate', 'build', 'load'})}")
    work = args.work.resolve()
    if work == ROOT or ROOT in work.parents:
        parser.error("--work must be outside the repository")
    work.mkdir(parents=True, exist_ok=True)
    cli = str(Path(sys.executable).parent / "zoomnews")
    if not os.access(cli, os.X_OK):
        cli = shutil.which("zoomnews") or parser.error("no zoomnews command beside this Python or on PATH")
    affinity = sorted(os.sched_getaffinity(0))
    cpus = set(affinity[: args.cores]) if len(affinity) > args.cores else None

    needed = sum(sizes) * BYTES_PER_DOC
    free = shutil.disk_usage(work).free
    print(f"work dir {work}: {free / 2**30:,.1f} GiB free, about {needed / 2**30:,.1f} GiB needed (worst case, nothing cached)")
    if needed > free:
        print("not enough disk space for these sizes; use --work elsewhere or fewer --docs", file=sys.stderr)
        return 2

    env = {**os.environ, "HF_HOME": str(work / "hf-home"), "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1"}
    env.pop("PYTHONPATH", None)
    if args.engine:
        engine, rev = export_engine(work, args.engine)
        env["PYTHONPATH"] = str(engine / "src")  # ahead of the editable install's path to the working tree
        src, synth, engine_id = engine / "src", engine / "scripts" / "synth_corpus.py", f"git:{rev}"
    else:
        src, synth = ROOT / "src", SYNTH
        engine_id = f"worktree:{src_fingerprint(src)}"
    src_before, started = src_fingerprint(src), datetime.datetime.now().astimezone()
    meta = {
        "started": started.isoformat(timespec="seconds"), "command": sys.argv, "host": platform.node(), "cpu_count": os.cpu_count(),
        "affinity": affinity, "children_pinned_to": sorted(cpus) if cpus else None, "platform": platform.platform(),
        "python": platform.python_version(), "versions": versions(env), "git_head": git("rev-parse", "--short", "HEAD"),
        "engine": engine_id, "engine_src": str(src),
        "git_dirty_src": [] if args.engine else git("status", "--porcelain", "--", "src").splitlines(), "src_fingerprint": src_before,
        "repeats": args.repeats, "warmup": args.warmup, "groups": sorted(groups), "loadavg_start": list(os.getloadavg()),
        "wait_idle_s": args.wait_idle, "idle_below": args.idle_below,
        "mem_total_mib": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / MiB,
    }
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in meta['loadavg_start'])} on {os.cpu_count()} CPUs; "
          f"engine {engine_id} ({meta['versions'].get('zoomnews_file')}){' with uncommitted changes in src/' if meta['git_dirty_src'] else ''}")

    made: list[Path] = []
    output = {"meta": meta, "sizes": {}}
    earlier_peaks: dict = {}
    failed = False
    for size in sizes:
        clean, clean_marker = make_clean(work, size, args.seed, args.keep, synth)
        made.append(clean)
        corpora = {"clean": clean}
        if "validate" in groups:
            corpora["bad"], corpora["bad_marker"] = make_bad(work, clean, clean_marker, args.keep)
            made.append(corpora["bad"])
        if "build" in groups:
            corpora["build"] = make_copy(work, clean, clean_marker, "build", args.keep)
            made.append(corpora["build"])
        if groups & {"validate", "load"}:
            load = make_copy(work, clean, clean_marker, "load", args.keep)
            made.append(load)
            corpora["load"] = load
            rebuilt = ensure_release(load, clean, cli, env, engine_id)
        else:
            rebuilt = False
        if "load" in groups:
            warm = work / f"hf-warm-{size}"
            made += [warm, work / f"hf-cold-{size}", work / f"pa-out-{size}"]
            if not warm.is_dir() or not args.keep or rebuilt:
                shutil.rmtree(warm, ignore_errors=True)
                subprocess.run([sys.executable, str(STEPS_SCRIPT), "load_dataset", str(load), args.config, str(warm)],
                               check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if "build" in groups and "load" not in groups:
            made.append(work / f"pa-out-{size}")
        spans = sum(clean_marker["counts"][k] for k in ("zone", "entity", "timex", "quote"))
        corpus = {"documents": size, "spans": spans, **{k: clean_marker[k] for k in ("source_bytes", "raw_bytes", "raw_files")},
                  "bad_spans": corpora["bad_marker"]["bad_spans"] if "bad_marker" in corpora else None}
        steps = steps_for(size, corpora, groups, cli, work, args.config, args.sample)
        by_name = {s.name: s for s in steps}
        results: dict[str, list[dict]] = {s.name: [] for s in steps}
        logs = work / f"logs-{size}"
        logs.mkdir(exist_ok=True)
        passes = args.warmup + args.repeats
        print(f"\n{size:,} documents: {len(steps)} steps x {passes} passes ({args.warmup} warm-up), interleaved", flush=True)
        for p in range(passes):
            warmup = p < args.warmup
            for step in steps:
                if step.before:
                    step.before()
                log = logs / f"{step.name}.{p}.log"
                waited = wait_idle(args.wait_idle, args.idle_below) if args.wait_idle else 0.0
                run = run_child(step.cmd, env, log, cpus)
                run["pass"], run["warmup"], run["waited_for_idle_s"] = p, warmup, waited
                check_run(step, run, log, corpus["bad_spans"] or 0)
                results[step.name].append(run)
                mark = "warm-up " if warmup else ""
                flag = f"  ERROR {run['error'][:120]}" if "error" in run else ""
                print(f"  pass {p} {mark}{step.name:22} {run['wall']:8.2f} s wall {run['cpu']:8.2f} s CPU {run['maxrss_mib']:7.0f} MiB"
                      f"  load {run['load_before'][0]:.2f}>{run['load_after'][0]:.2f}  others {100 * run['other_cpu_share']:.0f}%{flag}", flush=True)
        summaries = {name: summarize(by_name[name], runs) for name, runs in results.items()}
        failed |= any("error" in s or s.get("failed") for s in summaries.values())
        data = {"corpus": corpus, "steps": summaries, "ratios": ratios(size, results, summaries, by_name, spans, earlier_peaks),
                "notes": {s.name: s.note for s in steps}, "units": {s.name: s.unit for s in steps if s.unit},
                "commands": {s.name: " ".join(s.cmd) for s in steps}, "runs": results}
        output["sizes"][str(size)] = data

    meta["loadavg_end"] = list(os.getloadavg())
    meta["finished"] = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    meta["src_fingerprint_end"] = src_fingerprint(src)
    all_runs = [r for d in output["sizes"].values() for runs in d["runs"].values() for r in _good(runs)]
    if all_runs:
        shares = [r["other_cpu_share"] for r in all_runs]
        meta["other_cpu_share"] = {"median": statistics.median(shares), "max": max(shares),
                                   "loaded_runs": sum(x >= LOADED for x in shares), "runs": len(shares)}
        meta["load1_seen"] = {"min": min(min(r["load_before"][0], r["load_after"][0]) for r in all_runs),
                              "max": max(max(r["load_before"][0], r["load_after"][0]) for r in all_runs)}
    for size in sizes:
        print_size(size, output["sizes"][str(size)])
    print(f"\nrun {meta['started']} -> {meta['finished']}; load average (1/5/15 min) at start "
          f"{' '.join(f'{x:.2f}' for x in meta['loadavg_start'])}, at end {' '.join(f'{x:.2f}' for x in meta['loadavg_end'])}")
    if all_runs:
        print(f"1-min load seen around the runs: {meta['load1_seen']['min']:.2f}-{meta['load1_seen']['max']:.2f}; CPU used by other processes "
              f"while a step ran: median {100 * meta['other_cpu_share']['median']:.0f}%, max {100 * meta['other_cpu_share']['max']:.0f}% "
              f"of the machine's {os.cpu_count()} CPUs; {meta['other_cpu_share']['loaded_runs']} of {len(all_runs)} runs "
              f"had others at {100 * LOADED:.0f}% or more (a loaded machine: --jobs 2 cannot get its second core)")
    if meta["src_fingerprint_end"] != src_before:
        print("WARNING: src/ changed during the run: the figures mix versions of the engine")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(output, indent=1) + "\n", encoding="utf-8")
    print(f"written {args.out}")
    if not args.keep:
        for folder in made + [work / "hf-home"]:  # the logs (small) stay
            shutil.rmtree(folder, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
