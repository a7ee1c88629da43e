"""Plant known bugs one at a time and check that the property tests catch each (mutation testing).

    .venv/bin/python scripts/mutants.py [NAME-PART]

Each mutant is a one-line edit of the library; the file is restored afterwards whatever happens.
A mutant is *caught* when the named property tests fail with it in place.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROPERTIES = ["tests/test_properties.py", "tests/test_offsets.py", "tests/test_workflow.py", "tests/test_schema_properties.py",
              "tests/test_fastpath.py", "tests/test_scoring.py", "tests/test_validate.py"]

# name, file, original text, mutated text
MUTANTS = [
    ("off-by-one: UTF-16 -> code point conversion", "src/zoomnews/offsets.py",
     '        return index\n', '        return index + (offsets > 0)\n'),
    ("off-by-one: UTF-8 width boundary (U+0800 counted as 2 bytes)", "src/zoomnews/offsets.py",
     "[p < 0x80, p < 0x800, p < 0x10000]", "[p < 0x80, p <= 0x800, p < 0x10000]"),
    ("off-by-one: tokens end one code point early", "src/zoomnews/offsets.py",
     "        spans.append((s, e))\n", "        spans.append((s, e - 1 if e - s > 1 else e))\n"),
    ("build drops the last row of every flat config", "src/zoomnews/configs.py",
     "        tables[config] = table_from_rows(rows, features[config])", "        tables[config] = table_from_rows(rows[:-1] if len(rows) > 1 else rows, features[config])"),
    ("build drops the last nested span of the default config", "src/zoomnews/configs.py",
     "        columns[column] = pa.ListArray.from_arrays(pa.array(offsets), struct)", "        offsets[-1] = max(offsets[-2], offsets[-1] - 1) if len(offsets) > 1 else offsets[-1]\n        columns[column] = pa.ListArray.from_arrays(pa.array(offsets), struct)"),
    ("build reorders ClassLabel names (labels decode wrongly)", "src/zoomnews/features.py",
     "        return ClassLabel(names=list(names))", "        return ClassLabel(names=sorted(names))"),
    ("validator: overlap rule (ZN305) disabled", "src/zoomnews/validation.py",
     "        problems.extend(span_checks.overlap_problems(tables[name], documents, good[name]))", "        pass"),
    ("validator: registry references (ZN403) disabled", "src/zoomnews/validation.py",
     "            if value is not None and value not in known:", "            if False:"),
    ("validator: text == doc[start:end] (ZN302) compares lengths only", "src/zoomnews/spans.py",
     "        matches[rows] = np.add.reduceat(~equal, np.cumsum(lengths) - lengths) == 0", "        matches[rows] = True"),
    ("fmt: records not sorted", "src/zoomnews/formatting.py",
     "    return \"\".join(iter_lines(sorted(records, key=canonical_key(kind)), kind.fields))", "    return \"\".join(iter_lines(list(records), kind.fields))"),
    ("validate fast path: canonical-line check disabled", "src/zoomnews/fastpath.py",
     "    return bool(pc.all(pc.equal(pc.cast(canonical, pa.large_string()), lines)).as_py())", "    return True"),
    ("validate fast path: overlap rule skipped", "src/zoomnews/fastpath.py",
     "        if span_checks.overlap_problems(spans[name], documents, good[name]):", "        if False:"),
    ("validate fast path: escaped strings encoded as if plain", "src/zoomnews/fastpath.py",
     "        if escapes:\n", "        if False:\n"),
    ("validate fast path: a line lost at each block boundary", "src/zoomnews/fastpath.py",
     "            rest = chunk[cut:]\n", "            rest = chunk[cut:]\n            cut = chunk.rfind(b\"\\n\", 0, max(cut - 1, 0)) + 1\n"),
    ("validate fast path: duplicate keys let through", "src/zoomnews/fastpath.py",
     "    return not pc.any(same).as_py()", "    return True"),
    ("validate: canonical lines' order not checked", "src/zoomnews/validation.py",
     "            if all(a <= b for a, b in zip(keys, keys[1:])):", "            if True:"),
    ("scorer: partial matches counted as full", "src/zoomnews/scoring.py",
     "            if schema == \"partial\":\n                counts.partial += 1", "            if schema == \"partial\":\n                counts.correct += 1"),
    ("diff: changed fields ignored", "src/zoomnews/diff.py",
     "        if fields:\n            result.changed.append", "        if False:\n            result.changed.append"),
]


def run_properties() -> int:
    env = {**os.environ, "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "HYPOTHESIS_PROFILE": "mutants"}
    return subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *PROPERTIES],
                          cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode


def main() -> int:
    """Every mutant, or those whose name contains the first argument."""
    chosen = [m for m in MUTANTS if len(sys.argv) < 2 or sys.argv[1] in m[0]]
    missed = 0
    for name, relative, original, mutated in chosen:
        path = ROOT / relative
        source = path.read_text(encoding="utf-8")
        if source.count(original) != 1:
            print(f"STALE   {name}: the original text is not found exactly once in {relative}")
            missed += 1
            continue
        try:
            path.write_text(source.replace(original, mutated), encoding="utf-8")
            caught = run_properties() != 0
        finally:
            path.write_text(source, encoding="utf-8")
        missed += not caught
        print(f"{'caught ' if caught else 'MISSED '} {name}")
    print(f"{len(chosen) - missed} of {len(chosen)} mutants caught")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
