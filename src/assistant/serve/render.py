"""What the browser shows: escaping, source cards, the chat's Markdown, plain text, fixed messages.

Everything that comes from documents or users and ends up in HTML goes through
`esc` (html.escape) exactly once; Markdown shown in the chat goes through
`md_escape`, so a document that contains `<script>` shows it as text. Text the
server writes about itself (errors, ingestion warnings) goes through
`public_text` first, so no absolute server path reaches the browser.
"""

from __future__ import annotations

import html
import re
from typing import Any

from assistant.models import Answer, Citation

EMPTY_INDEX = "No documents indexed yet: upload on the Documents tab or run `assistant ingest`."
# The chat's fixed texts, in the language of the question (Answer.language, or the
# typed question's script before there is an answer).
MESSAGES = {
    "en": {"not_in_docs": "Not in the documents.",
           "banner": "Not in the documents: the indexed documents do not answer this question.",
           "closest": "Closest passages", "closest_note": "Closest passages (not an answer)", "why": "Why",
           "sources": "Sources", "warnings": "Warnings", "searching": "Searching the documents…",
           "empty_index": EMPTY_INDEX, "failed": "Something went wrong while answering",
           "bad_question": "The question cannot be taken"},
    "zh": {"not_in_docs": "文件中没有答案。",
           "banner": "文件中没有答案：已索引的文件不能回答这个问题。",
           "closest": "最接近的段落", "closest_note": "最接近的段落（不是答案）", "why": "原因",
           "sources": "出处", "warnings": "警告", "searching": "正在检索文件…",
           "empty_index": "尚未索引任何文件：请在“Documents”页上传，或运行 `assistant ingest`。",
           "failed": "回答时出错", "bad_question": "无法处理这个问题"},
}
_FULL_DOC_CHARS = 200_000  # longer documents show a window around the quote

CSS = """
.src-card{border:1px solid var(--border-color-primary);border-radius:8px;padding:10px 12px;margin:8px 0;
  background:var(--background-fill-secondary);overflow-wrap:anywhere}
.src-card .src-head{font-weight:600}
.src-card .src-meta{font-size:.9em;opacity:.8;margin-bottom:6px}
.src-card .src-para{white-space:pre-wrap;line-height:1.45}
.src-card mark{background:#fde68a;color:#111;padding:0 2px;border-radius:2px}
.src-card details{margin-top:6px}
.src-card .src-full{white-space:pre-wrap;max-height:420px;overflow:auto;border-top:1px dashed var(--border-color-primary);
  padding-top:6px;margin-top:6px;font-size:.92em}
.src-refusal{border-left:4px solid #d97706;padding:6px 10px;margin:6px 0;font-weight:600}
.src-warning{border-left:4px solid #dc2626;padding:6px 10px;margin:6px 0}
.export-link{display:inline-block;padding:6px 14px;border:1px solid var(--border-color-primary);border-radius:6px;
  text-decoration:none;font-weight:600}
"""


def msg(key: str, lang: str = "en") -> str:
    return MESSAGES.get(lang, MESSAGES["en"])[key]


def question_language(text: str) -> str:
    from assistant.answer.compose import text_language

    return text_language(text or "")


# ---------------------------------------------------------------------------- escaping

def esc(value: Any) -> str:
    """Text from documents or users, made safe for HTML (quotes included)."""
    return html.escape("" if value is None else str(value), quote=True)


_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}#|~$])")


def md_escape(value: Any) -> str:
    """Text made safe for a Markdown component: HTML-escaped, Markdown punctuation backslashed."""
    return _MD_SPECIAL.sub(r"\\\1", esc(value))


def download_link(url: str, label: str) -> str:
    """A link to one of this user's exports (`exports.Exports`), for a gr.HTML component."""
    return f'<a class="export-link" href="{esc(url)}" download>⬇ {esc(label)}</a>'


def safe_md(text: str) -> str:
    """Markdown from our own modules, with any raw HTML from documents neutralised
    (`<` and an already backslashed `\\<` both become the `&lt;` entity)."""
    return re.sub(r"\\?<", "&lt;", text or "")


# ---------------------------------------------------------------------------- server paths

# An absolute file-system path (POSIX, or a Windows drive path) that does not sit inside a
# URL or a word: `/srv/data/chroma` or `C:\data`, not `http://host/x`, `and/or` or `1/2`.
_ABS_PATH = re.compile(r"(?<![\w/.:~-])(?:/|[A-Za-z]:[\\/])(?:[^\s/\\'\"`<>|]+[/\\])*([^\s/\\'\"`<>|,;)]*)")


def public_text(value: Any) -> str:
    """A message about the server (an error, an ingestion warning) with absolute paths cut to
    their last part, `…/chroma`: the log keeps the full text for the administrator."""
    return _ABS_PATH.sub(lambda m: f"…/{m[1]}" if m[1] else "…", "" if value is None else str(value))


# ---------------------------------------------------------------------------- source cards

def _para_bounds(text: str, start: int, end: int, limit: int = 500) -> tuple[int, int]:
    """The paragraph around text[start:end] (blank line or line break), at most `limit` chars each side."""
    a = max(text.rfind("\n", 0, start) + 1, start - limit, 0)
    b = text.find("\n", end)
    b = len(text) if b < 0 else b
    b = min(b, end + limit)
    return a, b


def highlight(text: str, start: int, end: int, a: int = 0, b: int | None = None) -> str:
    """text[a:b] as escaped HTML with text[start:end] in <mark>."""
    b = len(text) if b is None else b
    start, end = max(start, a), min(end, b)
    if start >= end:
        return esc(text[a:b])
    return f"{esc(text[a:start])}<mark>{esc(text[start:end])}</mark>{esc(text[end:b])}"


def source_card(c: Citation, doc_text: str | None, label: str = "") -> str:
    """One source card: title, issuer, date, the quote highlighted in its paragraph, and the whole document."""
    source = re.split(r"[\\/]", c.source or "")[-1]  # the file name, not the server's path
    meta = " · ".join(esc(x) for x in (c.issuer, c.date, f"page {c.page}" if c.page else "", source) if x)
    text_ok = doc_text is not None and doc_text[c.start:c.end] == c.quote
    if text_ok:
        a, b = _para_bounds(doc_text, c.start, c.end)
        para = ("…" if a > 0 and doc_text[a - 1] != "\n" else "") + highlight(doc_text, c.start, c.end, a, b) + \
               ("…" if b < len(doc_text) and doc_text[b] != "\n" else "")
        if len(doc_text) <= _FULL_DOC_CHARS:
            full = highlight(doc_text, c.start, c.end)
            note = ""
        else:
            fa, fb = max(0, c.start - _FULL_DOC_CHARS // 2), min(len(doc_text), c.end + _FULL_DOC_CHARS // 2)
            full = highlight(doc_text, c.start, c.end, fa, fb)
            note = f" (characters {fa:,}–{fb:,} of {len(doc_text):,})"
        details = (f'<details><summary>Open the whole document{esc(note)}</summary>'
                   f'<div class="src-full">{full}</div></details>')
    else:
        para = f"<mark>{esc(c.quote)}</mark>"
        details = ""
    return (f'<div class="src-card" data-doc="{esc(c.doc_id)}" data-n="{c.n}">'
            f'<div class="src-head">{esc(label or f"[{c.n}]")} {esc(c.title or c.doc_id)}</div>'
            f'<div class="src-meta">{meta}</div>'
            f'<div class="src-para">{para}</div>{details}</div>')


def sources_html(ans: Answer, docs: dict) -> str:
    """The HTML under the chat: refusal banner, warnings, and one card per citation (or related passage)."""
    parts = []
    lang = ans.language
    if ans.refused:
        parts.append(f'<div class="src-refusal">{esc(msg("banner", lang))}'
                     + (f' {esc(msg("closest", lang))}:' if ans.related else "") + "</div>")
    for w in ans.warnings:
        if not w.startswith("refused:"):
            parts.append(f'<div class="src-warning">⚠️ {esc(w)}</div>')
    for c in (ans.related if ans.refused else ans.citations):
        d = docs.get(c.doc_id)
        parts.append(source_card(c, d.text if d is not None else None))
    return "\n".join(parts)


# ---------------------------------------------------------------------------- the chat message

def _cite_line(c: Citation) -> str:
    bits = [b for b in (c.issuer, c.date, f"p. {c.page}" if c.page else "") if b]
    return f"[{c.n}] {c.title or c.doc_id}" + (f" ({', '.join(bits)})" if bits else "")


def answer_body(ans: Answer) -> str:
    """The answer's own text, without the refusal's appended passages."""
    return ans.answer.split("\n\n")[0] if ans.refused else ans.answer


def answer_markdown(ans: Answer, body: str | None = None, final: bool = True) -> str:
    """The chat message (escaped Markdown) for an answer; `body` lets the UI stream part of it."""
    body = answer_body(ans) if body is None else body
    lang = ans.language
    if ans.refused:
        out = f"**{msg('not_in_docs', lang)}** " + md_escape(body)
        if final:
            reason = next((w[len("refused:"):].strip() for w in ans.warnings if w.startswith("refused:")), "")
            if reason:
                out += f"\n\n_{msg('why', lang)}: {md_escape(reason)}_"
            if ans.related:
                out += f"\n\n{msg('closest_note', lang)}:\n" + "\n".join(
                    f"- {md_escape(_cite_line(c))}: “{md_escape(c.quote)}”" for c in ans.related)
        return out
    out = md_escape(body)
    if final:
        if ans.citations:
            out += f"\n\n**{msg('sources', lang)}**\n" + "\n".join(f"- {md_escape(_cite_line(c))}" for c in ans.citations)
        warns = [w for w in ans.warnings if not w.startswith("refused:")]
        if warns:
            out += "\n\n" + "\n".join(f"⚠️ {md_escape(w)}" for w in warns)
    return out


def answer_plain(ans: Answer) -> str:
    """Plain text for 'copy answer with citations'."""
    lang = ans.language
    if ans.refused:
        out = f"{msg('not_in_docs', lang)} " + answer_body(ans)
        cits, head = ans.related, msg("closest", lang)
    else:
        out, cits, head = ans.answer, ans.citations, msg("sources", lang)
    if cits:
        out += f"\n\n{head}:\n" + "\n".join(f"{_cite_line(c)}: \"{c.quote}\"" for c in cits)
    warns = [w for w in ans.warnings if not w.startswith("refused:")]
    if warns:
        out += f"\n\n{msg('warnings', lang)}:\n" + "\n".join(f"- {w}" for w in warns)
    return out


def stream_pieces(text: str) -> list[str]:
    """Split an answer into sentence-sized pieces (after a citation marker or sentence end)."""
    pieces = [p for p in re.split(r"(?<=\])\s+|(?<=[.!?。！？])\s+(?=[^\s\[])", text) if p]
    return pieces or [text]
