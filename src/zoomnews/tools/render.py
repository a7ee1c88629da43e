"""`zoomnews render`: a release as a self-contained static site (no server, no CDN; works from file://).

Pages: an index of documents with provenance and counts per layer; one page per document with its
zones, entities, timexes and quotations marked in the text; one page per statement aligning every
outlet's quote of it with word-level differences; one page per entity and per speaker listing their
mentions. Every mark carries a visible text tag (type, value, link), so no information is carried by
colour alone; marks are focusable and show their details on focus as on hover; every page has a legend.

Overlapping annotations are drawn as nested fragments; every fragment carries its annotation's
`data-layer` and `data-id`, so a page's annotations can be counted exactly.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from jinja2 import DictLoader, Environment, select_autoescape

from zoomnews.tools.diff import state
from zoomnews.tools.statements import text_ops

LAYER_ORDER = {"zone": 0, "quote": 1, "source": 2, "cue": 3, "entity": 4, "timex": 5}
ENTITY_COLOURS = {  # light backgrounds for black text: contrast ratio above 7:1 for all of them
    "PERSON": "#ffe0b2", "NORP": "#f0f4c3", "FAC": "#d7ccc8", "ORG": "#bbdefb", "GPE": "#c8e6c9", "LOC": "#b2dfdb",
    "PRODUCT": "#e1bee7", "EVENT": "#ffcdd2", "WORK_OF_ART": "#f8bbd0", "LAW": "#cfd8dc", "LANGUAGE": "#dcedc8",
    "MONEY": "#fff9c4", "PERCENT": "#ffecb3", "QUANTITY": "#e6ee9c", "ORDINAL": "#d1c4e9", "CARDINAL": "#c5cae9",
}


@dataclass
class Mark:
    layer: str
    id: str
    start: int
    end: int
    tag: str  # the visible label
    tip: str  # details on hover and focus
    css: str
    link: str | None = None


def fragments(text: str, marks: list[Mark]) -> list[tuple[str, list[Mark], list[Mark]]]:
    """The text cut at every mark boundary: (piece, marks covering it outermost first, marks starting here)."""
    cuts = sorted({0, len(text), *(m.start for m in marks), *(m.end for m in marks)})
    ordered = sorted(marks, key=lambda m: (m.start, -m.end, LAYER_ORDER[m.layer]))
    pieces = []
    for a, b in zip(cuts, cuts[1:]):
        covering = sorted((m for m in ordered if m.start <= a and b <= m.end), key=lambda m: (LAYER_ORDER[m.layer], m.start, -m.end))
        pieces.append((text[a:b], covering, [m for m in covering if m.start == a]))
    return pieces


def document_marks(doc: dict, layers: dict[str, list[dict]], entities: dict, speakers: dict) -> list[Mark]:
    marks = []
    for z in layers["zones"]:
        marks.append(Mark("zone", z["id"], z["start"], z["end"], z["label"], f"zone {z['id']}: {z['label']} (article {z['article_index']})", "zone"))
    for e in layers["entities"]:
        linked = entities.get(e["entity_id"])
        tip = f"{e['label']} {e['id']}" + (f" → {e['entity_id']}: {linked['name']}" if linked else " (not linked)")
        marks.append(Mark("entity", e["id"], e["start"], e["end"], e["label"], tip, f"ent ent-{e['label']}",
                          f"../entities/{e['entity_id']}.html" if linked else None))
    for t in layers["timexes"]:
        tag = f"{t['type']} {t['value']}" + (f" {t['mod']}" if t["mod"] else "") + (" DCT" if t["creation_time"] else "")
        marks.append(Mark("timex", t["id"], t["start"], t["end"], tag, f"timex {t['id']}: {tag}", "timex"))
    for q in layers["quotes"]:
        speaker = speakers.get(q["speaker"], {"name": q["speaker"]})
        tip = f"{q['type']} quote {q['id']}, speaker {speaker['name']}, statement {q['statement_id']}"
        marks.append(Mark("quote", q["id"], q["start"], q["end"], f"{q['type']} quote ▸ {speaker['name']}", tip, "quote",
                          f"../speakers/{q['speaker']}.html"))
        for part in ("source", "cue"):
            if q[f"{part}_start"] is not None:
                marks.append(Mark(part, q["id"], q[f"{part}_start"], q[f"{part}_end"], f"{part} of {q['id']}", f"{part} of quote {q['id']}", part))
    return marks


LEGEND_TEXT = 'Zoom said on Monday: "We will stop direct sales."'


def legend_pieces() -> list:
    """The legend's sample sentence, marked by document_marks and fragments like any page (no links)."""
    text = LEGEND_TEXT
    span = lambda words: (text.index(words), text.index(words) + len(words))
    record = lambda words, **fields: {"id": fields.pop("id"), "start": span(words)[0], "end": span(words)[1], **fields}
    quote = record('We will stop direct sales.', id="q1", type="direct", speaker="zoom-spokesperson", statement_id="s1")
    for part, words in (("source", "Zoom"), ("cue", "said")):
        quote.update({f"{part}_start": span(words)[0], f"{part}_end": span(words)[1]})
    layers = {"zones": [record(text, id="z1", label="body", article_index=0)],
              "entities": [record("Zoom", id="e1", label="ORG", entity_id="zoom")],
              "timexes": [record("Monday", id="t1", type="DATE", value="2020-08-03", mod=None, creation_time=False)],
              "quotes": [quote]}
    marks = document_marks({}, layers, {"zoom": {"name": "Zoom"}}, {"zoom-spokesperson": {"name": "Zoom spokesperson"}})
    return fragments(text, [Mark(**{**m.__dict__, "link": None}) for m in marks])


def _context(text: str, start: int, end: int, width: int = 60) -> tuple[str, str, str]:
    return text[max(0, start - width):start], text[start:end], text[end:end + width]


TEMPLATES = {
    "base.html": """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} · zoomnews {{ version }}</title><link rel="stylesheet" href="{{ root }}style.css"></head>
<body><a class="skip" href="#main">Skip to content</a>
<header><nav aria-label="site"><a href="{{ root }}index.html">Documents</a> · <a href="{{ root }}statements/index.html">Statements</a> ·
<a href="{{ root }}entities/index.html">Entities</a> · <a href="{{ root }}speakers/index.html">Speakers</a></nav>
<p class="release">zoomnews release {{ version }}</p></header>
<main id="main"><h1>{{ title }}</h1>{% block body %}{% endblock %}</main>
{% include "legend.html" %}</body></html>""",
    "marks.html": """{% macro marked(pieces) %}{% for piece, covering, starting in pieces %}{% for m in covering %}<span class="{{ m.css }}" data-layer="{{ m.layer }}" data-id="{{ m.id }}"{% if m in starting %} tabindex="0" data-tip="{{ m.tip }}" aria-label="{{ m.tip }}"{% endif %}>{% if m in starting %}{% if m.link %}<a class="tag" href="{{ m.link }}">{{ m.tag }}</a>{% else %}<span class="tag">{{ m.tag }}</span>{% endif %}{% endif %}{% endfor %}{{ piece }}{% for m in covering %}</span>{% endfor %}{% endfor %}{% endmacro %}""",
    "legend.html": """{% from "marks.html" import marked %}<aside class="legend" aria-label="legend"><h2>Legend</h2>
<p>A sentence marked as the document pages mark text (drawn by the same code):</p>
<div class="sample" lang="en">{{ marked(legend_pieces) }}</div><ul>
<li>Every mark's tag stands at its start: a <span class="tag">zone label</span> where a zone begins; an entity's <span class="tag">TYPE</span>
before the mention, its background colour repeating the type; a timex's <span class="tag">TYPE value</span> before the expression (dotted underline);
a quotation's <span class="tag">type quote ▸ speaker</span> before the quoted content (grey, italic), linking to the speaker;
<span class="tag">source of q</span> (underlined) and <span class="tag">cue of q</span> (double underline) before who is quoted and the reporting verb.</li>
<li>Statements: each outlet's exact words, with <del>words the reference has and this quote lacks</del> and <ins>words only this quote has</ins> marked on them; … for the part of the statement it does not reproduce.</li>
</ul><p>Tab moves between marks; a focused mark shows its details.</p></aside>""",
    "index.html": """{% extends "base.html" %}{% block body %}
<table><caption>{{ documents|length }} documents</caption><thead><tr><th scope="col">document</th><th scope="col">outlet</th><th scope="col">title</th>
<th scope="col">published</th><th scope="col">derived from</th>{% for l in layers %}<th scope="col">{{ l }}</th>{% endfor %}</tr></thead><tbody>
{% for d in documents %}<tr><td><a href="docs/{{ d.doc_id }}.html">{{ d.doc_id }}</a></td><td>{{ d.outlet }}</td><td>{{ d.title }}</td>
<td>{{ d.published }} ({{ d.published_evidence }})</td><td>{% for r in d.derived_from %}{{ r.outlet or r.url or r|string }}{% endfor %}</td>
{% for l in layers %}<td class="num" data-layer="{{ l }}">{{ counts[d.doc_id][l] }}</td>{% endfor %}</tr>{% endfor %}</tbody></table>
{% endblock %}""",
    "document.html": """{% extends "base.html" %}{% from "marks.html" import marked %}{% block body %}
<dl class="provenance"><dt>outlet</dt><dd>{{ doc.outlet }}</dd><dt>published</dt><dd>{{ doc.published }} ({{ doc.published_evidence }}: {{ doc.published_reason }})</dd>
<dt>authors</dt><dd>{{ doc.authors|join(", ") or "none stated" }}</dd><dt>sha256</dt><dd><code>{{ doc.sha256 }}</code></dd>
<dt>counts</dt><dd>{% for l, n in counts.items() %}{{ l }} {{ n }}{% if not loop.last %}, {% endif %}{% endfor %}</dd></dl>
<div class="text" lang="en">{{ marked(pieces) }}</div>
{% endblock %}""",
    "statement.html": """{% extends "base.html" %}{% block body %}
<p>{{ statement.description }} — {{ statement.channel }}, {{ statement.date or "undated" }}, speaker <a href="../speakers/{{ statement.speaker }}.html">{{ speaker_name }}</a>.</p>
<p>Reference wording (the longest direct quote): “{{ reference }}”</p>
<table><thead><tr><th scope="col">document</th><th scope="col">quote</th><th scope="col">type</th><th scope="col">as quoted, against the reference</th></tr></thead><tbody>
{% for q in quotes %}<tr><td><a href="../docs/{{ q.doc_id }}.html">{{ q.doc_id }}</a></td><td>{{ q.id }}</td><td>{{ q.type }}</td>
<td class="diff">{% for op, words in q.ops %}{% if op == "removed" %}<del>{{ words }}</del>{% elif op == "added" %}<ins>{{ words }}</ins>{% else %}<span class="{{ op }}">{{ words }}</span>{% endif %}{% endfor %}</td></tr>{% endfor %}
</tbody></table>{% endblock %}""",
    "mentions.html": """{% extends "base.html" %}{% block body %}
<p>{{ about }}</p><table><thead><tr><th scope="col">document</th><th scope="col">id</th><th scope="col">mention in context</th></tr></thead><tbody>
{% for m in mentions %}<tr><td><a href="../docs/{{ m.doc_id }}.html">{{ m.doc_id }}</a></td><td>{{ m.id }}</td><td>…{{ m.before }}<mark>{{ m.text }}</mark>{{ m.after }}…</td></tr>{% endfor %}
</tbody></table>{% endblock %}""",
    "list.html": """{% extends "base.html" %}{% block body %}<ul class="list">{% for href, name, note in items %}<li><a href="{{ href }}">{{ name }}</a> — {{ note }}</li>{% endfor %}</ul>{% endblock %}""",
}

STYLE = """body{font-family:system-ui,sans-serif;color:#111;background:#fff;margin:0 auto;max-width:75rem;padding:1rem;line-height:1.6}
a{color:#0b4f9c}a:focus,[tabindex]:focus{outline:3px solid #b35900;outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #999;padding:.25rem .5rem;text-align:left;vertical-align:top}.num{text-align:right}
.text,.sample{white-space:pre-wrap;border:1px solid #999;padding:1rem}
.tag{font-size:.75em;font-weight:600;background:#222;color:#fff;border-radius:3px;padding:0 .25em;margin:0 .2em}
.zone{}.ent{border-radius:3px;padding:0 .1em}
.timex{text-decoration:underline dotted 2px}.quote{background:#eee;font-style:italic}
.source{text-decoration:underline solid 2px}.cue{text-decoration:underline double}
[data-tip]{position:relative}[data-tip]:hover::after,[data-tip]:focus::after{content:attr(data-tip);position:absolute;left:0;top:1.6em;z-index:2;
background:#222;color:#fff;font-style:normal;font-size:.8rem;padding:.2rem .4rem;white-space:nowrap}
del{background:#ffd7d5;color:#111}ins{background:#d3f5d9;color:#111}.elided{color:#444}
.legend{border-top:1px solid #999;margin-top:2rem}
""" + "".join(f".ent-{label}{{background:{colour}}}" for label, colour in ENTITY_COLOURS.items()) + "\n"


def render_site(repo, out: Path, version: str, progress=None) -> dict[str, int]:
    """Write the site for release `version` into `out`; returns page counts per kind. `progress`:
    called as progress(pages written, pages) (see zoomnews.progress)."""
    layers = state(repo, version)
    env = Environment(loader=DictLoader(TEMPLATES), autoescape=select_autoescape(default=True, default_for_string=True))
    env.globals["legend_pieces"] = legend_pieces()
    entities = {e["id"]: e for e in layers["entity_registry"]}
    speakers = {s["id"]: s for s in layers["speaker_registry"]}
    statements = {s["id"]: s for s in layers["statement_registry"]}
    by_doc = {layer: defaultdict(list) for layer in ("zones", "entities", "timexes", "quotes")}
    for layer in by_doc:
        for r in layers[layer]:
            by_doc[layer][r["doc_id"]].append(r)
    documents = sorted(layers["documents"], key=lambda d: d["doc_id"])
    texts = {d["doc_id"]: d["text"] for d in documents}
    counts = {d["doc_id"]: {l: len(by_doc[l][d["doc_id"]]) for l in by_doc} for d in documents}
    from zoomnews.formats import PROTECTED
    from zoomnews.safeio import replace_folder

    return replace_folder(Path(out), lambda folder: _write_site(folder, version, env, layers, by_doc, documents, texts, counts,
                                                                 entities, speakers, statements, progress),
                          "render", repo.root, PROTECTED)


def _write_site(out: Path, version, env, layers, by_doc, documents, texts, counts, entities, speakers, statements,
                progress=None) -> dict[str, int]:
    for folder in ("docs", "statements", "entities", "speakers"):
        (out / folder).mkdir(parents=True)
    (out / "style.css").write_text(STYLE, encoding="utf-8")
    written, total = [0], len(documents) + len(statements) + len(entities) + len(speakers) + 4  # + the 4 index pages

    def page(path: str, template: str, root: str, **values):
        (out / path).write_text(env.get_template(template).render(version=version, root=root, **values), encoding="utf-8")
        written[0] += 1
        if progress is not None:
            progress(written[0], total)

    page("index.html", "index.html", "", title="Documents", documents=documents, layers=list(by_doc), counts=counts)
    for d in documents:
        doc_layers = {l: by_doc[l][d["doc_id"]] for l in by_doc}
        marks = document_marks(d, doc_layers, entities, speakers)
        page(f"docs/{d['doc_id']}.html", "document.html", "../", title=d["title"], doc=d, counts=counts[d["doc_id"]],
             pieces=fragments(d["text"], marks))
    quotes_of = defaultdict(list)
    for q in sorted(layers["quotes"], key=lambda q: (q["doc_id"], q["start"])):
        quotes_of[q["statement_id"]].append(q)
    for sid, statement in statements.items():
        members = quotes_of.get(sid, [])
        direct = [q for q in members if q["type"] == "direct"] or members
        reference = max(direct, key=lambda q: len(q["text"]))["text"] if direct else ""
        rows = [{**q, "ops": text_ops(reference, q["text"])} for q in members]
        page(f"statements/{sid}.html", "statement.html", "../", title=f"Statement {sid}", statement=statement,
             speaker_name=speakers.get(statement["speaker"], {"name": statement["speaker"]})["name"], reference=reference, quotes=rows)
    page("statements/index.html", "list.html", "../", title="Statements",
         items=[(f"{sid}.html", sid, f"{len(quotes_of.get(sid, []))} quote(s), {len({q['doc_id'] for q in quotes_of.get(sid, [])})} document(s)") for sid in statements])
    mentions_of = defaultdict(list)
    for e in layers["entities"]:
        if e["entity_id"]:
            mentions_of[e["entity_id"]].append(e)
    for eid, entity in entities.items():
        rows = [{"doc_id": m["doc_id"], "id": m["id"], **dict(zip(("before", "text", "after"), _context(texts[m["doc_id"]], m["start"], m["end"])))}
                for m in sorted(mentions_of.get(eid, []), key=lambda m: (m["doc_id"], m["start"]))]
        page(f"entities/{eid}.html", "mentions.html", "../", title=entity["name"], about=f"{entity['type']}; aliases: {', '.join(entity['aliases']) or 'none'}", mentions=rows)
    page("entities/index.html", "list.html", "../", title="Entities",
         items=[(f"{eid}.html", e["name"], f"{e['type']}, {len(mentions_of.get(eid, []))} mention(s)") for eid, e in entities.items()])
    for spid, speaker in speakers.items():
        rows = [{"doc_id": q["doc_id"], "id": q["id"], **dict(zip(("before", "text", "after"), _context(texts[q["doc_id"]], q["start"], q["end"], 30)))}
                for q in sorted(layers["quotes"], key=lambda q: (q["doc_id"], q["start"])) if q["speaker"] == spid]
        page(f"speakers/{spid}.html", "mentions.html", "../", title=speaker["name"],
             about=f"{speaker['kind']}, affiliation {speaker['affiliation'] or 'none'}; quotations attributed:", mentions=rows)
    page("speakers/index.html", "list.html", "../", title="Speakers",
         items=[(f"{spid}.html", s["name"], s["kind"]) for spid, s in speakers.items()])
    return {"documents": len(documents), "statements": len(statements), "entities": len(entities), "speakers": len(speakers)}
