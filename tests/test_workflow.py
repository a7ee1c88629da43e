"""An annotator's workflow as a state machine: add documents, add/edit/delete spans, shuffle and
format, release, diff. After every step the repository validates and is canonical; every release
diff equals exactly the edits made since the previous release."""

import hashlib

from hypothesis import settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from strategies import KINDS, UNLINKED, corpora, line_extents, scratch_dir, slugs, texts, token_spans
from zoomnews.release.building import build_release
from zoomnews.tools.diff import diff
from zoomnews.sources.canonical import format_repo
from zoomnews.checks.validation import validate_repo


class AnnotatorWorkflow(RuleBasedStateMachine):
    @initialize(spec=corpora(max_documents=2))
    def start(self, spec):
        self.spec = spec
        self.root = scratch_dir("flow-") / "repo"
        self.minor = 0
        self.repo = spec.write(self.root, self.version)
        build_release(self.repo)
        self.snapshot()
        self.fresh = 1000  # new ids are never reused, so an id names one annotation for the whole history

    def snapshot(self):
        """What the last release holds: the oracle the next release's diff is checked against."""
        self.released_entities = {(e["doc_id"], e["id"]): dict(e) for e in self.spec.records["entity"]}
        self.released_documents = set(self.spec.texts)

    @property
    def version(self):
        return f"1.{self.minor}.0"

    def save(self):
        self.repo = self.spec.write_sources(self.root, self.version)

    def entities(self):
        return self.spec.records["entity"]

    @rule(doc_id=slugs, text=texts())
    def add_document(self, doc_id, text):
        if doc_id in self.spec.texts:
            return
        self.spec.texts[doc_id] = text
        raw = text.encode("utf-8")
        r = self.spec.records
        r["document"].append({**r["document"][0], "doc_id": doc_id, "source_file": f"{doc_id}.txt", "sha256": hashlib.sha256(raw).hexdigest()})
        r["article"].append({**r["article"][0], "doc_id": doc_id, "article_index": 0})
        for n, (start, end) in enumerate(line_extents(text), start=1):
            r["zone"].append({**r["zone"][0], "doc_id": doc_id, "id": f"z{n}", "start": start, "end": end, "text": text[start:end], "article_index": 0})
        self.save()

    @rule(data=st.data())
    def add_entity(self, data):
        doc_id = data.draw(st.sampled_from(sorted(self.spec.texts)))
        text = self.spec.texts[doc_id]
        taken = [(e["start"], e["end"]) for e in self.entities() if e["doc_id"] == doc_id]
        free = [(s, e) for s, e in data.draw(token_spans(text, 4)) if all(e <= a or b <= s for a, b in taken)]
        if not free:
            return
        start, end = free[0]
        self.fresh += 1
        new_id = f"e{self.fresh}"
        label = data.draw(st.sampled_from(UNLINKED))
        self.entities().append({"doc_id": doc_id, "id": new_id, "start": start, "end": end, "text": text[start:end], "label": label,
                                "entity_id": None, "annotator": "a1", "method": "manual", "guideline": "1.0.0"})
        self.save()

    @precondition(lambda self: self.entities())
    @rule(data=st.data())
    def relabel_entity(self, data):
        entity = data.draw(st.sampled_from(self.entities()))
        if entity["entity_id"] is not None:
            return
        label = data.draw(st.sampled_from([l for l in UNLINKED if l != entity["label"]]))
        entity["label"] = label
        self.save()

    @precondition(lambda self: self.entities())
    @rule(data=st.data())
    def delete_entity(self, data):
        entity = data.draw(st.sampled_from(self.entities()))
        self.entities().remove(entity)
        self.save()

    @rule(seed=st.integers(0, 2**16))
    def shuffle_then_format(self, seed):
        import random

        path = self.repo.path(KINDS["entity"].source)
        before = path.read_bytes()
        lines = before.decode("utf-8").splitlines(keepends=True)
        random.Random(seed).shuffle(lines)
        path.write_text("".join(lines), encoding="utf-8")
        format_repo(self.repo)
        assert path.read_bytes() == before

    @rule()
    def release(self):
        previous = self.version
        self.minor += 1
        self.save()
        build_release(self.repo)
        result = diff(self.repo, previous, self.version)
        entities = result["entities"]
        before, now = self.released_entities, {(e["doc_id"], e["id"]): e for e in self.entities()}
        added, removed = set(now) - set(before), set(before) - set(now)
        changed = {k for k in set(now) & set(before) if now[k] != before[k]}
        span = lambda r: (r["doc_id"], r["start"], r["end"])
        # the diff pairs a removed and an added annotation on the same span as one change (a renumbering)
        for old in sorted(removed):
            twin = next((new for new in sorted(added) if span(now[new]) == span(before[old])), None)
            if twin:
                removed.discard(old), added.discard(twin), changed.add(old)
        assert {(r["doc_id"], r["id"]) for r in entities.added} == added
        assert {(r["doc_id"], r["id"]) for r in entities.removed} == removed
        assert {(c["key"]["doc_id"], c["key"]["id"]) for c in entities.changed} == changed
        assert {r["doc_id"] for r in result["documents"].added} == set(self.spec.texts) - self.released_documents
        assert not result["documents"].removed and not result["documents"].changed
        self.snapshot()

    @invariant()
    def valid_and_canonical(self):
        assert validate_repo(self.repo).problems == []
        assert format_repo(self.repo, check=True) == []


AnnotatorWorkflow.TestCase.settings = settings(settings.default, max_examples=max(10, settings.default.max_examples // 4), stateful_step_count=8)
TestAnnotatorWorkflow = AnnotatorWorkflow.TestCase
