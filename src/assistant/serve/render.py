"""What the browser shows, as HTML: one escaping rule, answers with their own sources, tables.

The rule: every text that comes from documents or users reaches the browser through
`esc` (html.escape) exactly once, inside HTML built here; the UI shows that HTML as it
is (the chat with Markdown off, the rest in gr.HTML), so nothing is escaped twice and
no Markdown of a document (`**`, `## Goals`) is read as formatting or shown raw.
Text the server writes about itself (errors, ingestion warnings) goes through
`public_text` first, so no absolute server path reaches the browser.
"""

from __future__ import annotations

import html
import re
from typing import Any, Iterable, Sequence

from assistant.models import Answer, Citation

EMPTY_INDEX = "No documents indexed yet: upload on the Documents tab or run `assistant ingest`."
# The chat's fixed texts, in the language of the question (Answer.language, or the
# typed question's script before there is an answer).
MESSAGES = {
    "en": {"not_in_docs": "Not in the documents.", "closest": "Closest passages (not an answer)", "why": "Why: {reason}",
           "sources": "Sources", "warnings": "Warnings", "searching": "Searching the documents…",
           "empty_index": EMPTY_INDEX, "failed": "Something went wrong while answering",
           "bad_question": "The question cannot be taken", "whole_doc": "Open the whole document",
           "copy": "Copy answer with citations", "quoted": "quoted", "queued": "queued",
           "lead_title": "Word for word from the quote below", "check": "check this figure in the original"},
    "zh": {"not_in_docs": "文件中没有答案。", "closest": "最接近的段落（不是答案）", "why": "原因：{reason}",
           "sources": "出处", "warnings": "警告", "searching": "正在检索文件…",
           "empty_index": "尚未索引任何文件：请在“Documents”页上传，或运行 `assistant ingest`。",
           "failed": "回答时出错", "bad_question": "无法处理这个问题", "whole_doc": "打开全文",
           "copy": "复制答案及出处", "quoted": "原文", "queued": "排队中",
           "lead_title": "逐字摘自下面的引文", "check": "请核对原文中的这个数字"},
}
_FULL_DOC_CHARS = 200_000  # longer documents show a window around the quote

CSS = """
#chat .ans p{margin:0 0 .5em}
#chat a.cite{font-weight:600;text-decoration:none;padding:0 1px;border-radius:3px;white-space:nowrap}
#chat a.cite:hover,#chat a.cite:focus{background:var(--color-accent-soft);text-decoration:underline}
.sources{margin-top:10px;border-top:1px solid var(--border-color-primary);padding-top:6px}
.sources-head{font-weight:600;font-size:.9em;opacity:.85;margin-bottom:2px}
.src-card{border:1px solid var(--border-color-primary);border-radius:8px;padding:8px 10px;margin:6px 0;
  background:var(--background-fill-secondary);overflow-wrap:anywhere;scroll-margin:16px}
.src-card.src-flash{animation:src-flash 1.6s ease-out}
@keyframes src-flash{0%{box-shadow:0 0 0 3px #f59e0b}100%{box-shadow:0 0 0 0 transparent}}
.src-head{font-weight:600}
.src-n{display:inline-block;min-width:1.6em;text-align:center;border-radius:4px;background:var(--color-accent-soft);
  margin-right:4px}
.src-meta{font-size:.85em;opacity:.8;margin-bottom:4px}
.src-lead{margin:2px 0 6px;font-size:1.05em}
.src-tag{font-size:.75em;text-transform:uppercase;letter-spacing:.04em;border:1px solid currentColor;
  border-radius:4px;padding:0 4px;margin-left:6px;opacity:.65;vertical-align:middle}
.src-para{line-height:1.45}
.src-card mark{background:#fde68a;color:#111;padding:0 2px;border-radius:2px}
.src-card details{margin-top:6px}
.src-card summary{cursor:pointer}
.src-full{position:relative;max-height:420px;overflow:auto;border-top:1px dashed var(--border-color-primary);
  padding-top:6px;margin-top:6px;font-size:.92em;line-height:1.45}
.ans-refusal,.src-refusal{border-left:4px solid #d97706;padding:4px 10px;margin:4px 0}
.src-warning{border-left:4px solid #dc2626;padding:4px 10px;margin:6px 0}
.ans-why{font-style:italic;opacity:.9;margin:4px 0}
.plain-text{display:none}
button.copy-answer{margin-top:6px;font-size:.85em;border:1px solid var(--border-color-primary);border-radius:6px;
  padding:2px 10px;background:var(--background-fill-primary);cursor:pointer}
.queued-tag{font-size:.75em;border:1px solid currentColor;border-radius:4px;padding:0 4px;margin-left:6px;opacity:.7}
.ans-streaming .cursor{animation:blink 1s steps(1) infinite}
@keyframes blink{50%{opacity:0}}
#ask-status{min-height:1.4em;font-size:.9em;opacity:.85}
.export-link{display:inline-block;padding:6px 14px;border:1px solid var(--border-color-primary);border-radius:6px;
  text-decoration:none;font-weight:600}
.msg-ok{color:#15803d}.msg-bad{color:#b91c1c;font-weight:600}.msg-warn{color:#b45309}
.file-results{margin:4px 0;padding-left:0;list-style:none}
.file-results li{margin:2px 0}
.data-table-wrap{overflow-x:auto;max-height:640px;overflow-y:auto;border:1px solid var(--border-color-primary);
  border-radius:8px}
.data-table-wrap table.data-table{width:100%;border:none;margin:0;border-collapse:collapse;font-family:var(--font);
  font-size:.92em;table-layout:auto}
.data-table-wrap table.data-table th{position:sticky;top:0;background:var(--background-fill-secondary);
  text-align:left;padding:6px 8px;font-weight:600;z-index:1;border:none}
.data-table-wrap table.data-table td{padding:6px 8px;vertical-align:top;border:none;
  border-top:1px solid var(--border-color-primary)}
.data-table-wrap table.data-table tr{border:none}
table.data-table td.c-nowrap{white-space:nowrap}
table.data-table td.c-wide{min-width:18em}
table.data-table td.c-doc{min-width:10em}
table.data-table td.c-muted{opacity:.75;font-size:.9em}
table.data-table tr.garbled td{background:rgba(220,38,38,.07)}
table.data-table tr.garbled td.c-check{color:#b91c1c;font-weight:600}
@media (max-width:720px){
  .data-table-wrap{border:none;max-height:none}
  .data-table-wrap table.data-table thead{display:none}
  .data-table-wrap table.data-table,.data-table-wrap table.data-table tbody,.data-table-wrap table.data-table tr,
  .data-table-wrap table.data-table td{display:block;width:auto}
  .data-table-wrap table.data-table tr{border:1px solid var(--border-color-primary);border-radius:8px;margin:0 0 8px;
    padding:6px 2px}
  .data-table-wrap table.data-table td{border:none;padding:2px 8px;white-space:normal;min-width:0}
  .data-table-wrap table.data-table td:empty{display:none}
  .data-table-wrap table.data-table td::before{content:attr(data-label) ": ";font-weight:600;opacity:.8}
}
"""

# Runs once in the page head: the chat's own links and buttons (Gradio keeps ids and
# classes in messages but drops scripts and handlers, so the page listens for them).
HEAD = """<script>
(() => {
  const flash = el => { el.classList.remove('src-flash'); void el.offsetWidth; el.classList.add('src-flash'); };
  const copy = async text => {
    try { await navigator.clipboard.writeText(text); return true; } catch (e) {}
    const t = document.createElement('textarea'); t.value = text; document.body.appendChild(t); t.select();
    let ok = false; try { ok = document.execCommand('copy'); } catch (e) {} t.remove(); return ok;
  };
  // For a while (10 s) after a [n] click, keep the card in view: the chat may still scroll itself to
  // the bottom after its last update. A wheel or touch of the reader's own ends it at once.
  const keep = card => {
    const box = card.closest('.bubble-wrap');
    if (!box) return;
    let mine = false;
    const stop = () => { box.removeEventListener('scroll', check); mine = true; };
    const check = () => {
      if (mine) return;
      const r = card.getBoundingClientRect(), b = box.getBoundingClientRect();
      if (r.bottom < b.top || r.top > b.bottom) card.scrollIntoView({block: 'center'});
    };
    box.addEventListener('scroll', check);
    box.addEventListener('wheel', stop, {once: true, passive: true});
    box.addEventListener('touchstart', stop, {once: true, passive: true});
    setTimeout(stop, 10000);
  };
  document.addEventListener('click', ev => {
    const el = ev.target instanceof Element ? ev.target : null;
    const cite = el && el.closest('a.cite');
    if (cite) {
      const card = document.getElementById(decodeURIComponent(cite.getAttribute('href').slice(1)));
      if (!card) return;
      ev.preventDefault();
      card.scrollIntoView({block: 'center'});
      flash(card);
      keep(card);
      return;
    }
    const btn = el && el.closest('button.copy-answer');
    if (btn) {
      const src = btn.parentElement.querySelector('.plain-text');
      if (src) copy(src.textContent).then(ok => { btn.dataset.done = ok ? '1' : '0';
        btn.textContent = (ok ? '✓ ' : '✗ ') + btn.textContent.replace(/^[✓✗] /, ''); });
    }
  }, true);
  // "Open the whole document": scroll its box to the highlighted passage
  document.addEventListener('toggle', ev => {
    const d = ev.target;
    if (!(d instanceof Element) || !d.classList.contains('src-doc') || !d.open) return;
    const full = d.querySelector('.src-full'), m = full && full.querySelector('mark');
    if (m) full.scrollTop = Math.max(0, m.offsetTop - full.clientHeight / 3);
  }, true);
})();
</script>"""


def msg(key: str, lang: str = "en") -> str:
    return MESSAGES.get(lang, MESSAGES["en"])[key]


def question_language(text: str) -> str:
    from assistant.answer.compose import text_language

    return text_language(text or "")


# ---------------------------------------------------------------------------- escaping

def esc(value: Any) -> str:
    """Text from documents or users, made safe for HTML (quotes included)."""
    return html.escape("" if value is None else str(value), quote=True)


def download_link(url: str, label: str) -> str:
    """A link to one of this user's exports (`exports.Exports`), for a gr.HTML component."""
    return f'<a class="export-link" href="{esc(url)}" download>⬇ {esc(label)}</a>'


def safe_md(text: str) -> str:
    """Markdown from our own modules (the training brief and quiz), with any raw HTML from documents
    neutralised (`<` and an already backslashed `\\<` both become the `&lt;` entity) and a document's
    own bold markers, which those modules quote backslashed (`\\*\\*`), dropped rather than shown."""
    return re.sub(r"(?:\\\*){2,}", "", re.sub(r"\\?<", "&lt;", text or ""))


def note_html(text: str, kind: str = "") -> str:
    """A one-line message (status, error, result) for a gr.HTML component."""
    icon = {"bad": "❌ ", "warn": "⚠️ ", "ok": "✅ ", "info": "ℹ️ "}.get(kind, "")
    return f'<div class="msg-{esc(kind or "plain")}">{icon}{esc(text)}</div>'


# ---------------------------------------------------------------------------- server paths

# An absolute file-system path (POSIX, or a Windows drive path) that does not sit inside a
# URL or a word: `/srv/data/chroma` or `C:\data`, not `http://host/x`, `and/or` or `1/2`.
_ABS_PATH = re.compile(r"(?<![\w/.:~-])(?:/|[A-Za-z]:[\\/])(?:[^\s/\\'\"`<>|]+[/\\])*([^\s/\\'\"`<>|,;)]*)")


def public_text(value: Any) -> str:
    """A message about the server (an error, an ingestion warning) with absolute paths cut to
    their last part, `…/chroma`: the log keeps the full text for the administrator."""
    return _ABS_PATH.sub(lambda m: f"…/{m[1]}" if m[1] else "…", "" if value is None else str(value))


# ---------------------------------------------------------------------------- document text as HTML

# Markdown a document may carry, dropped from what is shown: heading hashes at a line
# start, bold markers, and "* " bullets (shown as "• "). The text's offsets stay those of
# the document, so highlights still fall on the quoted characters.
_MARKUP = re.compile(r"(?m)^[ \t]*#{1,6}[ \t]+|^[ \t]*\*\*+[ \t]*|\*\*+|^[ \t]*\*[ \t]+")


def text_html(text: str, a: int = 0, b: int | None = None, marks: Sequence[tuple[int, int]] = ()) -> str:
    """text[a:b] as HTML: escaped once, Markdown markers dropped, line breaks kept,
    each (start, end) of `marks` (document offsets, in order, not overlapping) in <mark>."""
    b = len(text) if b is None else b
    cuts: list[tuple[int, int, str]] = []  # (start, end, replacement) of markup inside [a, b)
    for m in _MARKUP.finditer(text, a, b):
        cuts.append((m.start(), m.end(), "• " if m.group().strip() == "*" else ""))
    marks = [(max(s, a), min(e, b)) for s, e in marks if min(e, b) > max(s, a)]
    points = sorted({a, b, *(p for s, e, _ in cuts for p in (s, e)), *(p for s, e in marks for p in (s, e))})
    out, open_mark, ci = [], False, 0
    for p, q in zip(points, points[1:]):
        inside = any(s <= p and q <= e for s, e in marks)
        if inside != open_mark:
            out.append("<mark>" if inside else "</mark>")
            open_mark = inside
        while ci < len(cuts) and cuts[ci][1] <= p:
            ci += 1
        cut = cuts[ci] if ci < len(cuts) and cuts[ci][0] <= p else None  # cuts are points: all in or all out
        if cut is not None:
            if p == cut[0]:
                out.append(cut[2])
            continue
        out.append(esc(text[p:q]))
    if open_mark:
        out.append("</mark>")
    return "".join(out).replace("\r\n", "\n").replace("\n", "<br>")


def _para_bounds(text: str, start: int, end: int, limit: int = 500) -> tuple[int, int]:
    """The paragraph around text[start:end] (line breaks), at most `limit` chars each side."""
    a = max(text.rfind("\n", 0, start) + 1, start - limit, 0)
    b = text.find("\n", end)
    b = len(text) if b < 0 else b
    return a, min(b, end + limit)


# ---------------------------------------------------------------------------- the lead above a quote

def _rows_in(doc, start: int, end: int) -> list:
    """The document's ledger rows (flagged as the ledger flags them) whose statement overlaps [start, end)."""
    from assistant.ledger import document_rows

    return [r for r in document_rows(doc) if r.start < end and r.end > start]


def _find(quote: str, phrase: str) -> str | None:
    """`phrase` as it is written in `quote` (case aside), or None."""
    if not phrase:
        return None
    i = quote.lower().find(phrase.lower())
    return quote[i:i + len(phrase)] if i >= 0 else None


def evidence_lead(question: str, pieces: list[Citation], doc) -> tuple[str, str, bool] | None:
    """The asked figure or date of a cited sentence, word for word from its quote:
    (main phrase, second phrase, flagged), e.g. ("more than 70%", "by the end of the year").
    Figures and deadlines are the ones the targets ledger found in the sentence; the
    question's answer type says which one is asked. None when the quote holds neither."""
    from assistant.answer.question import answer_type

    kind = answer_type(question or "")
    if kind not in ("percent", "amount", "number", "date") or doc is None:
        return None
    quote = " ".join(c.quote for c in pieces)
    years = set(re.findall(r"(?<!\d)(?:19|20)\d\d(?!\d)", question))
    best, best_score = None, -1
    for r in _rows_in(doc, min(c.start for c in pieces), max(c.end for c in pieces)):
        figure = None
        if r.value:
            figure = (_find(quote, f"{r.comparator} {r.value}") or _find(quote, f"{r.comparator}{r.value}")
                      or _find(quote, r.value))
        deadline = _find(quote, r.deadline)
        if kind == "percent" and not (figure and re.search(r"%|percent|per cent|百分|成", figure)):
            continue
        if kind in ("amount", "number") and not figure:
            continue
        if kind == "date" and not deadline:
            continue
        main, second = (deadline, figure) if kind == "date" else (figure, deadline)
        score = 2 * bool(years and any(y in (r.deadline_norm or "") for y in years)) + bool(second)
        if score > best_score:
            best, best_score = (main, second or "", r.garbled), score
    return best


def lead_html(lead: tuple[str, str, bool] | None, lang: str) -> str:
    if not lead:
        return ""
    main, second, flagged = lead
    rest = f" · {esc(second)}" if second else ""
    flag = f' <span class="msg-bad">⚠ {esc(msg("check", lang))}</span>' if flagged else ""
    return (f'<div class="src-lead" title="{esc(msg("lead_title", lang))}"><strong>{esc(main)}</strong>{rest}'
            f'<span class="src-tag">{esc(msg("quoted", lang))}</span>{flag}</div>')


# ---------------------------------------------------------------------------- source cards

def group_citations(cits: Iterable[Citation]) -> dict[int, list[Citation]]:
    """Citations by number: a sentence cut by page furniture is several pieces with one `n`."""
    out: dict[int, list[Citation]] = {}
    for c in cits:
        out.setdefault(c.n, []).append(c)
    return out


def card_id(key: str, n: int) -> str:
    return f"{key}-{n}"


def source_card(pieces: list[Citation], doc, key: str = "src", lead: tuple | None = None, lang: str = "en") -> str:
    """One source card: number and title, issuer/date/page/file, the asked figure or date,
    the quote highlighted in its paragraph, and the whole document opening at the quote."""
    c = pieces[0]
    source = re.split(r"[\\/]", c.source or "")[-1]  # the file name, not the server's path
    page = f"p. {c.page}" if c.page else ""
    meta = " · ".join(esc(x) for x in (c.issuer, c.date, page, source) if x)
    text = getattr(doc, "text", None)
    spans = [(p.start, p.end) for p in pieces]
    if text is not None and all(text[p.start:p.end] == p.quote for p in pieces):
        a, _ = _para_bounds(text, spans[0][0], spans[0][1])
        _, b = _para_bounds(text, spans[-1][0], spans[-1][1])
        para = ("…" if a > 0 and text[a - 1] != "\n" else "") + text_html(text, a, b, spans) + \
               ("…" if b < len(text) and text[b] != "\n" else "")
        fa, fb, note = 0, len(text), ""
        if len(text) > _FULL_DOC_CHARS:
            fa, fb = max(0, spans[0][0] - _FULL_DOC_CHARS // 2), min(len(text), spans[-1][1] + _FULL_DOC_CHARS // 2)
            note = f" (characters {fa:,}–{fb:,} of {len(text):,})"
        details = (f'<details class="src-doc"><summary>{esc(msg("whole_doc", lang) + note)}</summary>'
                   f'<div class="src-full">{text_html(text, fa, fb, spans)}</div></details>')
    else:  # the document changed since: the quote alone
        para = " … ".join(f"<mark>{text_html(p.quote)}</mark>" for p in pieces)
        details = ""
    return (f'<div class="src-card" id="{esc(card_id(key, c.n))}">'
            f'<div class="src-head"><span class="src-n">{c.n}</span> {esc(c.title or c.doc_id)}</div>'
            f'<div class="src-meta">{meta}</div>{lead_html(lead, lang)}'
            f'<div class="src-para">{para}</div>{details}</div>')


def cards_html(ans: Answer, docs: dict, key: str) -> str:
    """The answer's own source cards (or, for a refusal, the closest passages)."""
    cits = ans.related if ans.refused else ans.citations
    if not cits:
        return ""
    lang = ans.language
    cards = []
    for n, pieces in group_citations(cits).items():
        doc = docs.get(pieces[0].doc_id)
        lead = None if ans.refused else evidence_lead(ans.question, pieces, doc)
        cards.append(source_card(pieces, doc, key, lead, lang))
    head = msg("closest" if ans.refused else "sources", lang)
    return f'<div class="sources"><div class="sources-head">{esc(head)}</div>{"".join(cards)}</div>'


# ---------------------------------------------------------------------------- the chat message

_MARKER = re.compile(r"\[(\d{1,3})\]")


def _linked(html_text: str, key: str, numbers: set[int], titles: dict[int, str]) -> str:
    """`[n]` markers of cited numbers as links to their card (the text is already escaped)."""
    def link(m: re.Match) -> str:
        n = int(m[1])
        if n not in numbers:
            return m[0]
        return (f'<a class="cite" href="#{esc(card_id(key, n))}" title="{esc(titles.get(n, ""))}">[{n}]</a>')
    return _MARKER.sub(link, html_text)


def paragraphs_html(text: str) -> str:
    return "".join(f"<p>{text_html(p)}</p>" for p in re.split(r"\n\s*\n", text.strip()) if p.strip())


def answer_body(ans: Answer) -> str:
    """The answer's own text, without the refusal's appended passages."""
    return ans.answer.split("\n\n")[0] if ans.refused else ans.answer


def _warnings(ans: Answer) -> list[str]:
    return [w for w in ans.warnings if not w.startswith("refused:")]


def refusal_reason(ans: Answer) -> str:
    return next((w[len("refused:"):].strip() for w in ans.warnings if w.startswith("refused:")), "")


def answer_html(ans: Answer, docs: dict, key: str) -> str:
    """The chat message of a finished answer: the text with `[n]` linked to its own cards,
    warnings, the cards, and a copy button. `key` makes the card ids unique in the page."""
    lang = ans.language
    cits = ans.related if ans.refused else ans.citations
    groups = group_citations(cits)
    titles = {n: p[0].title or p[0].doc_id for n, p in groups.items()}
    if ans.refused:
        body = (f'<div class="ans-refusal"><strong>{esc(msg("not_in_docs", lang))}</strong> '
                f'{text_html(answer_body(ans))}</div>')
        reason = refusal_reason(ans)
        if reason:
            body += f'<div class="ans-why">{esc(msg("why", lang).format(reason=reason))}</div>'
    else:
        body = _linked(paragraphs_html(ans.answer), key, set(groups), titles)
    warns = "".join(f'<div class="src-warning">⚠️ {_linked(esc(w), key, set(groups), titles)}</div>'
                    for w in _warnings(ans))
    copy = (f'<button class="copy-answer" type="button">{esc(msg("copy", lang))}</button>'
            f'<pre class="plain-text">{esc(answer_plain(ans))}</pre>')
    return f'<div class="ans">{body}</div>{warns}{cards_html(ans, docs, key)}{copy}'


def streaming_html(text: str, lang: str) -> str:
    """The answer while it is made: the text so far, or that the documents are being searched."""
    if not text:
        return f'<div class="ans ans-streaming"><em>{esc(msg("searching", lang))}</em></div>'
    return f'<div class="ans ans-streaming">{paragraphs_html(text)}<span class="cursor">▍</span></div>'


def question_html(question: str, queued: bool = False, lang: str = "en") -> str:
    tag = f'<span class="queued-tag">{esc(msg("queued", lang))}</span>' if queued else ""
    return text_html(question) + tag


def _cite_line(pieces: list[Citation]) -> str:
    c = pieces[0]
    bits = [b for b in (c.issuer, c.date, f"p. {c.page}" if c.page else "") if b]
    return f"[{c.n}] {c.title or c.doc_id}" + (f" ({', '.join(bits)})" if bits else "")


def answer_plain(ans: Answer) -> str:
    """Plain text for 'copy answer with citations'."""
    lang = ans.language
    if ans.refused:
        out = f"{msg('not_in_docs', lang)} " + answer_body(ans)
        cits, head = ans.related, msg("closest", lang)
    else:
        out, cits, head = ans.answer, ans.citations, msg("sources", lang)
    groups = group_citations(cits)
    if groups:
        out += f"\n\n{head}:\n" + "\n".join(
            f"{_cite_line(p)}: \"{' … '.join(c.quote for c in p)}\"" for p in groups.values())
    if _warnings(ans):
        out += f"\n\n{msg('warnings', lang)}:\n" + "\n".join(f"- {w}" for w in _warnings(ans))
    return out


# ---------------------------------------------------------------------------- tables

def table_html(columns: Sequence[str], rows: Iterable[Sequence[Any]], elem_class: str = "",
               col_classes: dict[str, str] | None = None, row_attrs: Iterable[dict[str, str]] | None = None,
               empty: str = "Nothing to show.") -> str:
    """A readable table (proportional font, wrapping statements, one card per row on a phone);
    every cell shown as text (`text_html`: escaped once, no Markdown). `row_attrs` gives each row's class / data-* attributes."""
    col_classes = col_classes or {}
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body, attrs = [], iter(row_attrs or ())
    for row in rows:
        extra = next(attrs, {}) or {}
        attr = "".join(f' {esc(k)}="{esc(v)}"' for k, v in extra.items())
        cells = "".join(f'<td class="{esc(col_classes.get(c, ""))}" data-label="{esc(c)}">{text_html(str(v))}</td>'
                        for c, v in zip(columns, row))
        body.append(f"<tr{attr}>{cells}</tr>")
    if not body:
        return f'<div class="{esc(elem_class)} msg-plain">{esc(empty)}</div>'
    return (f'<div class="data-table-wrap {esc(elem_class)}"><table class="data-table">'
            f'<thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>')
