"""Plant known bugs one at a time and check that the property tests catch each (mutation testing).

    .venv/bin/python scripts/mutants.py [NAME-PART]

Each mutant is a one-line edit of the library; the file is restored afterwards whatever happens.
A mutant is *caught* when the named property tests fail with it in place.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROPERTIES = ["tests/test_canonical_lines.py", "tests/test_properties.py", "tests/test_offsets.py", "tests/test_tokenize_fast.py", "tests/test_views_fast.py", "tests/test_workflow.py", "tests/test_schema_properties.py",
              "tests/test_source_tables.py", "tests/test_rule_oracles.py", "tests/test_messages.py", "tests/test_scoring.py",
              "tests/test_validate.py", "tests/test_shards.py", "tests/test_schema_columns.py", "tests/test_safeio.py", "tests/test_derived_from.py", "tests/test_stray_sources.py"]

CONVERTERS = ["tests/test_formats.py", "tests/test_import_safety.py", "tests/test_labelstudio.py"]  # run for the converters' mutants only

# name, file, original text, mutated text[, the tests that must catch it: PROPERTIES unless named]
MUTANTS = [
    ("off-by-one: UTF-16 -> code point conversion", "src/zoomnews/sources/offsets.py",
     '        return index\n', '        return index + (offsets > 0)\n'),
    ("off-by-one: UTF-8 width boundary (U+0800 counted as 2 bytes)", "src/zoomnews/sources/offsets.py",
     "    widths += points >= 0x800\n", "    widths += points > 0x800\n"),
    ("off-by-one: tokens end one code point early", "src/zoomnews/sources/offsets.py",
     "    starts, ends = bounds[1::3], bounds[2::3]\n", "    starts, ends = bounds[1::3], bounds[2::3] - (bounds[2::3] - bounds[1::3] > 1)\n"),
    ("build drops the last row of every block of a flat config", "src/zoomnews/release/configs.py",
     "        out[config] = table_from_arrow(table, schemas[config])", "        out[config] = table_from_arrow(table.slice(0, table.num_rows - 1) if table.num_rows > 1 else table, schemas[config])"),
    ("build writes a document's rows on both sides of a shard cut", "src/zoomnews/release/shards.py",
     "                before = int(pc.sum(pc.less(tables[config].column(\"doc_id\"), cut)).as_py() or 0)",
     "                before = int(pc.sum(pc.less_equal(tables[config].column(\"doc_id\"), cut)).as_py() or 0)"),
    ("build gives a document its second article's title, authors and date instead of its first's", "src/zoomnews/release/configs.py",
     '    first = articles.filter(pc.equal(articles.column("article_index"), 0))',
     '    first = articles.filter(pc.equal(articles.column("article_index"), articles.num_rows and 1))'),
    ("build drops the last nested span of the default config", "src/zoomnews/release/configs.py",
     "        columns[column] = pa.ListArray.from_arrays(pa.array(offsets), struct)", "        offsets[-1] = max(offsets[-2], offsets[-1] - 1) if len(offsets) > 1 else offsets[-1]\n        columns[column] = pa.ListArray.from_arrays(pa.array(offsets), struct)"),
    ("build: a quote's token spans in `attribution` take in the token that ends where they start", "src/zoomnews/release/views.py",
     '    first = np.maximum(np.searchsorted(ends, base + start_at, side="right"), lo)', '    first = np.maximum(np.searchsorted(ends, base + start_at, side="left"), lo)'),
    ("build reorders ClassLabel names (labels decode wrongly)", "src/zoomnews/release/features.py",
     "        return ClassLabel(names=list(names))", "        return ClassLabel(names=sorted(names))"),
    ("validator: overlap rule (ZN305) as 'same start' only", "src/zoomnews/checks/rules.py",
     "    later = np.flatnonzero(gstart[1:] < reach[:-1]) + 1", "    later = np.flatnonzero(gstart[1:] == gstart[:-1]) + 1"),
    ("validator: a span too long is not told from the spans it covers (ZN305 on each of them)", "src/zoomnews/checks/rules.py",
     "        covering = reached[count > 1]", "        covering = reached[count > 10**9]"),
    ("validator: a row whose doc_id names no document counts in ZN307's order", "src/zoomnews/sources/tables.py",
     "                keep &= named", "                keep &= True"),
    ("validator: a broken last line is also a missing final newline (ZN307)", "src/zoomnews/sources/tables.py",
     "    if unended is not None and not any(p.line == unended and p.code in UNREAD_LINE for p in problems):",
     "    if unended is not None:"),
    ("validator: a timex value of another type is blamed on the value (ZN407)", "src/zoomnews/checks/rules.py",
     "    fits = sorted((t for t in timeml.GRAMMAR if timeml.well_formed(t, value)), key=lambda t: t == \"SET\")",
     "    fits = []"),
    ("validator: ZN407 blames type and value alike (a dateline's wrong date waits for the next round)", "src/zoomnews/checks/rules.py",
     '      kinds=("timex",), reads=("type", "value"), excludes=blames_its_field)', '      kinds=("timex",), reads=("type", "value"), excludes=blames_fields("type", "value"))'),
    ("validator: ZN401 on every record of a document whose raw file is there but not registered", "src/zoomnews/checks/rules.py",
     " if doc_ids[int(i)].as_py() not in block.index.corpus_doc_ids]", "]"),
    ("validator: ZN404 on every span naming a lost article, not once per file", "src/zoomnews/checks/rules.py",
     "None if told or j != found[0] else block.problem(", "None if told else block.problem("),
    ("fmt: a number written as a string sorts after every number", "src/zoomnews/sources/corpus.py",
     "        return int(value)\n    return value", "        return value\n    return value"),
    ("validator: white space checked at the start of a span only (ZN304)", "src/zoomnews/checks/rules.py",
     "block.documents.space[first[known]], block.documents.space[last[known]]", "block.documents.space[first[known]], np.zeros(int(known.sum()), dtype=bool)"),
    ("validator: zone tiling (ZN306) off", "src/zoomnews/checks/rules.py",
     "    for doc in np.flatnonzero((counts > 0) & (np.diff(documents.base) > 0)):", "    for doc in np.flatnonzero((counts < 0) & (np.diff(documents.base) > 0)):"),
    ("validator: duplicate keys (ZN303) dropped for the documents' level (kept for the registries)", "src/zoomnews/checks/rules.py",
     "      kinds=by_document, reads=(\"doc_id\", \"id\", \"article_index\"), excludes=blames_everything)",
     "      kinds=(), reads=(\"doc_id\", \"id\", \"article_index\"), excludes=blames_everything)"),
    ("validator: unknown documents (ZN401) not checked for articles", "src/zoomnews/checks/rules.py",
     "      kinds=refers_to_a_document, reads=(\"doc_id\",), excludes=blames_fields(\"doc_id\"), needs=(\"document\",))", "      kinds=spans, reads=(\"doc_id\",), excludes=blames_fields(\"doc_id\"), needs=(\"document\",))"),
    ("validator: a check that needs an unread source still runs (a ZN306 per document for a folder named zones.jsonl)", "src/zoomnews/checks/rules.py",
     "        if entry.scope != scope or any(block.index.sources[kind] in block.index.unread for kind in entry.needs):", "        if entry.scope != scope:"),
    ("validator: references into an unread registry are each a ZN403", "src/zoomnews/checks/rules.py",
     "    if block.index.sources[registry] in block.index.unread:", "    if False:"),
    ("validator: an unread raw folder is a ZN106 per document", "src/zoomnews/sources/corpus.py",
     "    if RAW_DIR not in unread:", "    if True:"),
    ("validator: an unread register is a ZN105 per raw file", "src/zoomnews/sources/corpus.py",
     "    if source not in unread:", "    if True:"),
    ("validator: a doc_id mistyped in the register is also a ZN105 on the raw file it meant", "src/zoomnews/sources/corpus.py",
     "                     for stem in unregistered if stem not in meant]", "                     for stem in unregistered]", ["tests/test_messages.py"]),
    ("validator: a doc_id mistyped in the register is also a ZN413", "src/zoomnews/checks/rules.py",
     "            for i, doc_id in missing if doc_id in block.index.corpus_doc_ids or doc_id not in block.index.misnamed]", "            for i, doc_id in missing]", ["tests/test_messages.py"]),
    ("validator: misnamed documents paired by first name, not the nearest", "src/zoomnews/sources/corpus.py",
     "    scored = sorted((-difflib.SequenceMatcher(None, a, b).ratio(), a, b) for a in unraw for b in unregistered)",
     "    scored = sorted((0, a, b) for a in unraw for b in unregistered if difflib.SequenceMatcher(None, a, b).ratio() >= MISNAMED_RATIO)", ["tests/test_messages.py"]),
    ("two writers hold the repository at once (a shared lock)", "src/zoomnews/safeio.py",
     "            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)", "            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)", ["tests/test_one_writer.py"]),
    ("import writes without holding the repository", "src/zoomnews/formats/__init__.py",
     '@holds_repository("import")\n', "", ["tests/test_one_writer.py"]),
    ("validator: --jobs 2 hears of a missing final newline only from the last range", "src/zoomnews/checks/validation.py",
     "    unended = next((part.lines for part in parts if part.missing_final_newline), None)",
     "    unended = parts[-1].lines if parts[-1].missing_final_newline else None", ["tests/test_validate_ranges.py"]),
    ("validator: a cut passing over strays stops one line early", "src/zoomnews/checks/validation.py",
     "        at = start + end + 1\n", "        at = start + end + 1 if passed > 1 else at\n        end = -1 if passed > 1 else end\n", ["tests/test_validate_ranges.py"]),
    ("validator: repeated ZN403s are each a problem again", "src/zoomnews/checks/validation.py",
     'SAID_ONCE_PER_FILE = ("ZN401", "ZN403")', 'SAID_ONCE_PER_FILE = ("ZN401",)', ["tests/test_messages.py"]),
    ("import: records are not checked against their layer's schema", "src/zoomnews/formats/common.py",
     "    if failing:\n        raise ZoomnewsError(failing)\n", "", CONVERTERS),
    ("new-document: a rerun after a kill is refused (its raw file taken for another's)", "src/zoomnews/tools/registering.py",
     "        done.add(\"raw\")\n", "        raise ZoomnewsError(Problem(str(raw), None, \"ZN105\", \"a raw file is already there\"))\n", ["tests/test_reader_safety.py"]),
    ("a write leaves a killed write's temporary files beside its targets", "src/zoomnews/safeio.py",
     "        if os.path.realpath(root) in _WRITING:\n            _clear_leftovers(targets)\n", "", ["tests/test_reader_safety.py"]),
    ("release --recover obeys a journal naming any file", "src/zoomnews/release/building.py",
     "    foreign = sorted(r for r in journal[\"files\"] if r not in JOURNALLED_FILES) if ok else []", "    foreign = []", ["tests/test_release_safety.py"]),
    ("views: a span over a line break is dropped from the ner view without a word", "src/zoomnews/release/views.py",
     "            adjusted.setdefault(int(home[k]), []).append((k, CROSSES))", "            pass", ["tests/test_views.py", "tests/test_build.py"]),
    ("diff, score, render and release read a release without verifying it", "src/zoomnews/tools/diff.py",
     "        files, features, _ = release_files(layer, version, repo)",
     "        files, features, _ = __import__('zoomnews.loader.releases').loader.releases.release_files.__wrapped__(layer, version, repo) if False else (lambda e: ([str(repo.release_dir(version) / f['path']) for f in e['files']], __import__('datasets').Features.from_dict(e['features']), e['rows']))(configs[layer])",
     ["tests/test_release_safety.py"]),
    ("build of an existing version does not verify the release first", "src/zoomnews/release/building.py",
     "        if exists and (tampered := check_release(repo, version, manifest_validator(repo))):", "        if False:", ["tests/test_release_safety.py"]),
    ("import: a record changed in the tool keeps the old record's provenance", "src/zoomnews/formats/__init__.py",
     "            else:\n                stale.append(before)\n", "            else:\n                pass\n",
     ["tests/test_import_safety.py", "tests/test_formats.py"]),
    ("import: a record the tool left unchanged takes the tool's (stale) provenance", "src/zoomnews/formats/__init__.py",
     "                record.update({k: before.data.get(k) for k in PROVENANCE})", "                pass", ["tests/test_import_safety.py"]),
    ("validator: a first article's mistyped doc_id is ZN401 and the document's ZN413 too", "src/zoomnews/checks/validation.py",
     "    problems = mistyped_first_articles(problems)\n", "", ["tests/test_messages.py"]),
    ("import: a Label Studio choices result holding its region's text is refused", "src/zoomnews/formats/labelstudio.py",
     '    if r["type"] == "choices" and isinstance(value.get("text"), str):', '    if False:', ["tests/test_labelstudio.py"]),
    ("import: a cue moved in doccano or spaCy imports as the quotation losing its cue", "src/zoomnews/formats/common.py",
     "        if (part, doc_id) not in lost or (part, doc_id, start, end) in owned:  # (owned: its quotation was deleted)", "        if True:",
     ["tests/test_formats.py"]),
    ("build: a rebuild compresses at the current level, not the release's", "src/zoomnews/release/building.py",
     "    return release_encoding(manifest) if manifest_validator(repo).is_valid(manifest) else ENCODING",
     "    return ENCODING", ["tests/test_build.py"]),
    ("build: a deleted release the ledger lists is built from any sources (its ledger line rewritten)", "src/zoomnews/release/building.py",
     "        if recorded is not None and sha256_bytes(manifest_bytes) != recorded:", "        if False:", ["tests/test_build.py"]),
    ("import: a CoNLL file with CRLF lines is refused line by line", "src/zoomnews/formats/conll.py",
     '    for number, line in plain_lines(file, "CoNLL"):', '    for number, line in __import__("zoomnews.formats.common").formats.common.numbered_lines(__import__("zoomnews.formats.common").formats.common.read_text_file(file)):',
     CONVERTERS),
    ("validator: a missing raw folder is a problem without any document", "src/zoomnews/sources/corpus.py",
     "    return RawFiles(str(raw_dir), [], listed=False), [Problem(RAW_DIR, None, \"ZN101\", \"folder is missing: no registered document has its raw text\")] if registered else []",
     "    return RawFiles(str(raw_dir), [], listed=False), [Problem(RAW_DIR, None, \"ZN101\", \"folder is missing: no registered document has its raw text\")]", ["tests/test_messages.py"]),
    ("validator: registry references (ZN403) disabled", "src/zoomnews/checks/rules.py",
     "            for i in _not_in(table.column(name), known, rows)]", "            for i in _not_in(table.column(name), known, rows)[:0]]"),
    ("validator: text == doc[start:end] (ZN302) compares lengths only", "src/zoomnews/checks/rules.py",
     "pc.equal(in_documents, stored)", "pc.equal(pc.binary_length(in_documents), pc.binary_length(stored))"),
    ("validator: ZN302 counts an astral character as three UTF-8 bytes", "src/zoomnews/sources/offsets.py",
     "    widths += points >= 0x10000\n", ""),
    ("validator: ZN302 on a text longer than a string view's window compares nothing", "src/zoomnews/checks/rules.py",
     "        matches[inside[huge]] = [spans.texts[i] == documents.text(", "        matches[inside[huge]] = [True or spans.texts[i] == documents.text("),
    ("validator: ZN302's short views keep the bytes past their end", "src/zoomnews/checks/span_arrays.py",
     "        views[:, 1 + k] = word & (", "        views[:, 1 + k] = word | 0 * ("),
    ("validator: ZN408 leaves a TIME's date unchecked against its text", "src/zoomnews/checks/rules.py",
     'value_set=pa.array(["DATE", "TIME"])', 'value_set=pa.array(["DATE"])'),
    ("validator: ZN302 suggests the later of two places as near as each other", "src/zoomnews/checks/rules.py",
     "    found = min(places, key=lambda p: (abs(p - start), p))", "    found = min(places, key=lambda p: (abs(p - start), -p))"),
    ("validator: of two identical spans ZN305 names the later line, not the newer id (a copy pasted above its original)", "src/zoomnews/checks/rules.py",
     "    if same.any():\n        order = np.lexsort((_id_ranks(", "    if False:\n        order = np.lexsort((_id_ranks("),
    ("validator: ZN305's newer id is the later string (z10 before z9)", "src/zoomnews/checks/rules.py",
     'sort_keys=[("length", "ascending"), ("id", "ascending")]', 'sort_keys=[("id", "ascending")]'),
    ("validate: a row naming no document, out of order, makes every file be read whole", "src/zoomnews/checks/validation.py",
     "        if self.documents is None:\n            raise NotSorted", "        if True:\n            raise NotSorted", ["tests/test_validate_ranges.py"]),
    ("validate --jobs 2: cut_at takes a stray's line for where the file is", "src/zoomnews/checks/validation.py",
     "            if found is not None and documents is not None and found not in documents:", "            if False:",
     ["tests/test_validate_ranges.py"]),
    ("validator: ZN303 looks for repeated keys of no document (held back, they meet in no one block)", "src/zoomnews/checks/rules.py",
     '    if len(repeated) and "doc_id" in key:', '    if False:', ["tests/test_validate_ranges.py"]),
    ("reader: a line that starts no object reaches Arrow's JSON reader (null first: SIGSEGV)", "src/zoomnews/sources/tables.py",
     '[starts[lo:hi]] != ord("{")))', '[starts[lo:hi]] == ord("\\n")))', ["tests/test_reader_safety.py"]),
    ("validate: a stray last in a read is kept (the stream stops until the last block)", "src/zoomnews/checks/validation.py",
     "or (self.documents is not None and doc_ids[len(doc_ids) - 1].as_py() not in self.documents):", "or False:", ["tests/test_validate_ranges.py"]),
    ("validate --jobs 2: a problem of a whole file said once per range", "src/zoomnews/checks/validation.py",
     "    problems = list({(p.code, p.message): p for part in parts for p in part.problems if p.line is None}.values())",
     "    problems = [p for part in parts for p in part.problems if p.line is None]", ["tests/test_validate_ranges.py"]),
    ("validate: a worker killed in its range is a traceback, not ZN910", "src/zoomnews/checks/validation.py",
     "        except BrokenProcessPool:  # a worker killed", "        except ZeroDivisionError:  # a worker killed", ["tests/test_validate_ranges.py"]),
    ("validator: a span past its document's end accepted (ZN301)", "src/zoomnews/checks/rules.py",
     "(spans.end <= length)", "(spans.end <= length + 1)"),
    ("build: statements' row groups ignore the nested-quote limit", "src/zoomnews/release/shards.py",
     " or quotes + count > group_quotes):", "):"),
    ("build: raw files hashed into sources_sha256 in doc_id order, not path order", "src/zoomnews/release/manifest.py",
     "    names.sort()  # the raw files", "    names.sort(key=lambda name: name[:-len('.txt')])  # the raw files"),
    ("build: a raw file's digest read one slot off", "src/zoomnews/release/manifest.py",
     "            found[k] = every[64 * i:64 * (i + 1)]", "            found[k] = every[64 * (i - 1):64 * i] if i else every[:64]"),
    ("reader: canonical-line check disabled", "src/zoomnews/sources/tables.py",
     "    return pc.fill_null(pc.match_substring_regex(lines, schema.line_form), False).to_numpy(zero_copy_only=False)",
     "    return np.ones(len(lines), dtype=bool)"),
    ("reader: any \\u escape taken as canonical", "src/zoomnews/sources/tables.py",
     "|\\\\u00(?:0[0-7bef]|1[0-9a-f]))*", "|\\\\u[0-9a-fA-F]{4})*"),
    ("reader: a negative zero taken as canonical", "src/zoomnews/sources/tables.py",
     'INTEGER_FORM = r"(?:0|-?[1-9][0-9]*)"', 'INTEGER_FORM = r"-?(?:0|[1-9][0-9]*)"'),
    ("reader: the first line of every block after the first lost", "src/zoomnews/sources/tables.py",
     "        yield data[start:cut]\n", "        yield data[start:cut] if start == 0 else data[data.index(b\"\\n\", start) + 1:cut] or b\"{}\\n\"\n"),
    ("reader: level 2 on Arrow rows skipped", "src/zoomnews/sources/tables.py",
     "    if set(node) - SIMPLE_KEYWORDS or pa.types.is_nested(column.type):\n        return False",
     "    if True:\n        return True"),
    ("reader: a repeated key's later lines not told apart", "src/zoomnews/sources/tables.py",
     "    repeated[order[first]] = False", "    repeated[:] = False"),
    ("reader: a pattern checked by RE2 not anchored at its end", "src/zoomnews/sources/tables.py",
     '    return rf"^(?:{found.group(1)})\\z"', '    return rf"^(?:{found.group(1)})"'),
    ("reader: a key's fields added, not combined, when repeated keys are looked for", "src/zoomnews/sources/tables.py",
     "        combined, size = combined * distinct + codes, size * distinct", "        combined, size = combined + codes, size * distinct"),
    ("validate: a name longer than the raw files' names matched by its first letters", "src/zoomnews/sources/corpus.py",
     "k is not None and len(k) <= self.array.dtype.itemsize", "k is not None"),
    ("validator: a check's span subset taken by position, not by row", "src/zoomnews/checks/span_arrays.py",
     "        pick = np.flatnonzero(rows[self.rows])", "        pick = np.flatnonzero(rows[:len(self.rows)])"),
    ("validate: the order shortcut taken though the last row's key is a repeat", "src/zoomnews/sources/tables.py",
     "    return not same.any()", "    return True"),
    ("validate: rows' order not checked (ZN307)", "src/zoomnews/sources/tables.py",
     "        found = [] if plain else first_out_of_order(kept, order)", "        found = []"),
    ("validate: a failing level-2 field still read by later checks", "src/zoomnews/sources/tables.py",
     "    if invalid.null_count == len(invalid):", "    if True:"),
    ("scorer: partial matches counted as full", "src/zoomnews/tools/scoring.py",
     "            if schema == \"partial\":\n                counts.partial += 1", "            if schema == \"partial\":\n                counts.correct += 1"),
    ("build: a group of documents' training views take every span of the block", "src/zoomnews/release/views.py",
     "        return layer.filter(pc.is_in(layer.column(\"doc_id\"), value_set=pa.array(doc_ids, type=pa.string())))", "        return layer"),
    ("build: ClassLabel integers from the declared names read backwards", "src/zoomnews/release/configs.py",
     "value_set=pa.array(feature[\"names\"], type=pa.string())", "value_set=pa.array(feature[\"names\"][::-1], type=pa.string())"),
    ("schemas: a property no one column type holds admitted (ZN113)", "src/zoomnews/sources/schemas.py",
     "        if arrow_type(node) is None:\n", "        if arrow_type(node) is None and node is False:\n"),
    ("release: a boolean property declared as a string column", "src/zoomnews/release/features.py",
     '        return Value("bool")', '        return Value("string")'),
    ("safeio: an output folder replaced though a file in it was edited since zoomnews wrote it", "src/zoomnews/safeio.py",
     "if recorded.get(relative) != digest)", "if relative not in recorded)"),
    ("validate: a document derived from itself passes (ZN414)", "src/zoomnews/checks/rules.py",
     "        if source == own[row]:\n", "        if False:\n"),
    ("validate: a derived_from doc_id checked against the block's documents only (ZN414)", "src/zoomnews/checks/rules.py",
     "        elif source not in block.index.corpus_doc_ids:", "        elif source not in block.index.doc_ids:"),
    ("validate: a stray .jsonl file in annotations/registry/ not reported (ZN116)", "src/zoomnews/sources/corpus.py",
     "if f\"{relative_dir}/{d}\" != RAW_DIR)", "if f\"{relative_dir}/{d}\" not in (RAW_DIR, \"annotations/registry\"))"),
    ("validate: a line sharing a key but not a copy left out of the later checks (ZN303 hides its own mistakes)", "src/zoomnews/checks/rules.py",
     "        flags.append((row if copy else -1, ", "        flags.append((row, "),
    ("validator: a flagged row skipped by every later check, not only by those reading the blamed fields", "src/zoomnews/checks/rules.py",
     "            if name in fields:\n                found |= rows", "            found |= rows"),
    ("validator: ZN306 judges a document whose zone failed an earlier check (the zone's text called a gap)", "src/zoomnews/checks/rules.py",
     " or doc_id in unjudged:", ":"),
    ("validator: an unknown entity_id of a type that links to nothing reported as ZN403 too", "src/zoomnews/checks/rules.py",
     "rows & linkable.to_numpy(zero_copy_only=False)", "rows"),
    ("reader: a misspelt key's missing field left readable by later checks", "src/zoomnews/sources/tables.py",
     "                bad.update([extra, meant[extra]] if extra in meant else [extra])", "                bad.update([extra])"),
    ("tokens: a token may end inside a grapheme cluster (an emoji's skin tone, a ZWJ sequence its own token)", "src/zoomnews/sources/offsets.py",
     "    joined = meet & (bounds[cluster] != ends[:-1]) & (blank[bounds[cluster + 1]] == blank[bounds[cluster]])",
     "    joined = meet & (bounds[cluster] != ends[:-1]) & (blank[bounds[cluster + 1]] == blank[bounds[cluster]]) & False"),
    ("diff: changed fields ignored", "src/zoomnews/tools/diff.py",
     "        if fields:\n            result.changed.append", "        if False:\n            result.changed.append"),
    ("import: an XMI with a second sofa read as if it had one (its view's annotations lost)", "src/zoomnews/formats/xmi.py",
     "    if others:\n", "    if False:\n", CONVERTERS),
    ("import: spaCy's doc.ents not read (a model's entity edits lost)", "src/zoomnews/formats/spacy.py",
     "    current = {ENTS: list(doc.ents), ", "    current = {ENTS: [], ", CONVERTERS),
    ("import: a text that is not the raw text read against its spans first (ZN601, not ZN603)", "src/zoomnews/formats/common.py",
     "        if raw is not None and doc_id in raw and text != raw[doc_id]:", "        if False:", CONVERTERS),
    ("import: a refusal stops the import at the first refused item", "src/zoomnews/formats/common.py",
     "            self.problems.extend(error.problems)\n", "            raise\n", CONVERTERS),
    ("import: brat refuses a relation to a refused T line again", "src/zoomnews/formats/brat.py",
     "        if tid in refused or target in refused:\n            continue\n", "", CONVERTERS),
    ("import: CoNLL aligns a document whose token line was refused (every later token refused again)", "src/zoomnews/formats/conll.py",
     "            documents.pop(name, None)\n", "            pass\n", CONVERTERS),
    ("import: CoNLL refuses each token line before the first document", "src/zoomnews/formats/conll.py",
     "                    current = []\n                    raise where.refuse(", "                    raise where.refuse(", CONVERTERS),
    ("import: XMI's refused annotations dropped without a word", "src/zoomnews/formats/xmi.py",
     "    refusals.raise_any()\n    return bundle, notes", "    return bundle, notes", CONVERTERS),
    ("import: spaCy's refused Docs dropped without a word", "src/zoomnews/formats/spacy.py",
     "    refusals.raise_any()\n    known.texts", "    known.texts", CONVERTERS),
    ("validate --jobs 2 waits on a FIFO in place of the document schema", "src/zoomnews/sources/schemas.py",
     "        schema = json.loads(read_bytes(path, follow=False).decode(\"utf-8\"))", "        schema = json.loads(path.read_bytes().decode(\"utf-8\"))",
     ["tests/test_reader_safety.py"]),
    ("import: a text with CRLF line endings not said to have them (ZN603)", "src/zoomnews/formats/common.py",
     '             lambda t: t.replace("\\r\\n", "\\n")),', '             lambda t: t),', CONVERTERS),
]


def run_tests(tests: list[str]) -> int:
    # this checkout's library first, even when the environment's editable install points at another one
    env = {**os.environ, "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "HYPOTHESIS_PROFILE": "mutants",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))}
    return subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests],
                          cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode


def main() -> int:
    """Every mutant, or those whose name contains the first argument."""
    chosen = [m for m in MUTANTS if len(sys.argv) < 2 or sys.argv[1] in m[0]]
    # a stopped run (kill, Ctrl-C, CI timeout) still puts the library back: left planted, a mutant was
    # once found in the working tree after its run was killed
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGHUP, lambda *_: sys.exit(129))
    missed = 0
    for name, relative, original, mutated, *tests in chosen:
        path = ROOT / relative
        source = path.read_text(encoding="utf-8")
        if source.count(original) != 1:
            print(f"STALE   {name}: the original text is not found exactly once in {relative}")
            missed += 1
            continue
        try:
            path.write_text(source.replace(original, mutated), encoding="utf-8")
            caught = run_tests(tests[0] if tests else PROPERTIES) != 0
        finally:
            path.write_text(source, encoding="utf-8")
        missed += not caught
        print(f"{'caught ' if caught else 'MISSED '} {name}", flush=True)
    print(f"{len(chosen) - missed} of {len(chosen)} mutants caught")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
