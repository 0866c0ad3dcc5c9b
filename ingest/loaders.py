"""Turn a file on disk into clean text plus metadata.

The cleaned `text` is the single reference string: chunk spans, page spans,
heading offsets and citation quotes all point into it. Cleaning is therefore
deliberately minimal (newlines, control characters, trailing spaces, runs of
blank lines) and never touches words, figures or punctuation, so an editor can
always find a quoted passage in the source file.

Every failure a user can cause (wrong type, empty, binary, too big, corrupt,
encrypted, bomb) is raised as `LoadError` with a short human message.
"""

from __future__ import annotations

import datetime as dt
import re
import stat
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ingest.layout import rebuild
from ingest.metadata import describe, meaningful_issuer, meaningful_title
from ingest.text import cjk_ratio, has_cjk

KIB = 1024
MIB = 1024 * KIB
MAX_FILE_BYTES = 50 * MIB
MAX_PDF_PAGES = 2_000
MAX_PDF_CHARS = 20_000_000
MAX_UNZIPPED_BYTES = 200 * MIB
MAX_ZIP_RATIO = 100
ZIP_RATIO_MIN_BYTES = 10 * MIB

_FORMATS = {
    ".txt": "txt",
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".docx": "docx",
}
SUPPORTED_SUFFIXES: frozenset[str] = frozenset(_FORMATS)
_DOC_TYPES = {"html": "web page"}  # everything else is a plain "document"
_SIDECAR_SUFFIX = ".meta.yaml"
_TITLE_MAX = 120
_BINARY_SNIFF_BYTES = 8 * KIB


class LoadError(Exception):
    """A file that cannot be loaded; the message says why in plain words."""


@dataclass
class LoadedDocument:
    path: Path
    text: str
    metadata: dict
    pages: list[tuple[int, int, int]] = field(default_factory=list)
    headings: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class _Extract:
    """What a format reader found, before the shared metadata defaults are applied."""

    text: str
    metadata: dict = field(default_factory=dict)
    encoding: str = ""
    pages: list[tuple[int, int, int]] = field(default_factory=list)
    headings: list[tuple[int, str]] = field(default_factory=list)


# --------------------------------------------------------------------------- entry points


def load_document(path: Path, max_bytes: int = MAX_FILE_BYTES) -> LoadedDocument:
    """Load one file of a supported type; raise LoadError with a readable reason otherwise."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise LoadError(f"unsupported file type {suffix or '(no extension)'} (supported: {supported})")
    fmt = _FORMATS[suffix]
    try:
        _check_size(path, max_bytes)
        extract = _READERS[fmt](path)
        sidecar = _read_sidecar(path)
    except OSError as exc:
        raise LoadError(f"cannot read file: {exc.strerror or exc}") from exc
    if not extract.text.strip():
        raise LoadError("PDF has no text layer (scanned?)" if fmt == "pdf" else "no text found in the file")
    metadata = _finish_metadata(path, fmt, extract, sidecar)
    return LoadedDocument(path, extract.text, metadata, extract.pages, extract.headings)


def read_text_file(path: Path) -> tuple[str, str]:
    """Decode a text file, guessing its encoding; returns (text, encoding name)."""
    return _decode(Path(path).read_bytes())


def iter_document_files(root: Path) -> Iterator[Path]:
    """Every regular file under `root`, sorted, skipping hidden entries and `*.meta.yaml`
    sidecars. Symlinks are followed only when they resolve inside `root`, so a link
    cannot pull in files from elsewhere; each real file is yielded once."""
    root = Path(root)
    real_root = root.resolve()
    yield from _walk(root, real_root, {real_root})


def _walk(folder: Path, real_root: Path, seen: set[Path]) -> Iterator[Path]:
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.startswith(".") or entry.name.endswith(_SIDECAR_SUFFIX):
            continue
        try:
            real = entry.resolve()
        except (OSError, RuntimeError):  # symlink loop or unreadable link
            continue
        if real in seen or not real.is_relative_to(real_root):
            continue
        seen.add(real)
        if real.is_dir():
            yield from _walk(entry, real_root, seen)
        elif real.is_file():
            yield entry


def _check_size(path: Path, max_bytes: int) -> None:
    """Refuse before reading: a huge or special file must never be read into memory."""
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        raise LoadError("not a regular file")
    if info.st_size == 0:
        raise LoadError("file is empty")
    if info.st_size > max_bytes:
        raise LoadError(f"file is {_size(info.st_size)}, over the {_size(max_bytes)} limit")


def _size(n: int) -> str:
    if n >= MIB:
        return f"{n / MIB:.1f} MiB"
    if n >= KIB:
        return f"{n / KIB:.1f} KiB"
    return f"{n} bytes"


# --------------------------------------------------------------------------- decoding

_BOMS = (  # UTF-32 first: its little-endian BOM starts with the UTF-16 one
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
_CONTROL_BYTES = frozenset(range(0, 9)) | frozenset(range(14, 32))


def _decode(data: bytes) -> tuple[str, str]:
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec), codec.removesuffix("-sig")
            except UnicodeDecodeError as exc:
                raise LoadError(f"cannot decode text as {codec}: {exc.reason}") from exc
    if _looks_binary(data[:_BINARY_SNIFF_BYTES]):
        raise LoadError("looks binary, not text")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    gb = _try_gb18030(data)
    if gb is not None:
        return gb, "gb18030"
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise LoadError("looks binary, not text")
    return str(best), best.encoding


def _looks_binary(sample: bytes) -> bool:
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b in _CONTROL_BYTES)
    return controls > 0.1 * len(sample)


def _try_gb18030(data: bytes) -> str | None:
    """GB18030 text when the bytes are plausibly mainland Chinese.

    charset-normalizer often calls short GB text big5 or cp949, so GB18030 is tried
    first. But Big5, Shift-JIS and Latin-1 bytes also decode "cleanly" as GB18030
    into rare characters; real simplified Chinese stays almost entirely inside the
    common GB2312 set, which is what tells them apart.
    """
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        return None
    hanzi = [c for c in text[:200_000] if has_cjk(c)]
    if not hanzi:
        return None
    common = sum(1 for c in hanzi if _in_gb2312(c))
    return text if common >= 0.9 * len(hanzi) else None


def _in_gb2312(char: str) -> bool:
    try:
        char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


# --------------------------------------------------------------------------- cleaning

_OTHER_BREAKS = re.compile(r"\r\n?|[\x0b\x0c]")  # CR, CRLF, vertical tab, form feed
_C0_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f]")
_TRAILING_SPACE = re.compile(r"[^\S\n]+$", re.MULTILINE)
_EXTRA_BLANK_LINES = re.compile(r"\n{4,}")  # 3+ blank lines


def _normalise_newlines(text: str) -> str:
    return _OTHER_BREAKS.sub("\n", text)


def clean_text(text: str) -> str:
    """Minimal, quote-preserving cleanup (see module docstring); idempotent."""
    text = _C0_CONTROLS.sub("", _normalise_newlines(text))
    text = _TRAILING_SPACE.sub("", text)
    text = _EXTRA_BLANK_LINES.sub("\n\n\n", text)
    return text.strip("\n")


# --------------------------------------------------------------------------- txt / md

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?P<yaml>.*?)^(?:---|\.\.\.)[ \t]*$\n?", re.MULTILINE | re.DOTALL)
_MD_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_CN_NUMBER = "一二三四五六七八九十百零"
_CN_HEADING = re.compile(
    rf"^[ \t\u3000]*(?:[{_CN_NUMBER}]+、|[（(][{_CN_NUMBER}]+[）)]|第[{_CN_NUMBER}]+(?:章|节|部分))"
)
_CN_HEADING_MAX = 40


def _read_plain(path: Path) -> _Extract:
    raw, encoding = read_text_file(path)
    if not raw.strip():
        raise LoadError("file is empty")
    front, body = _split_front_matter(_normalise_newlines(raw))
    text = clean_text(body)
    headings = _text_headings(text)
    metadata = {}
    first_h1 = next((h for _, h, level in headings if level == 1), None)
    if first_h1:
        metadata["title"] = first_h1
    metadata.update(front)
    return _Extract(text, metadata, encoding, headings=[(off, h) for off, h, _ in headings])


def _split_front_matter(text: str) -> tuple[dict, str]:
    """(front matter, rest). Anything that is not a YAML mapping between leading
    `---` lines is ordinary text and is kept."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        data = yaml.safe_load(match["yaml"])
    except yaml.YAMLError:
        data = _simple_front_matter(match["yaml"])
        if not data:
            return {}, text
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return {}, text
    return data, text[match.end():]


_SIMPLE_KEY = re.compile(r"^([A-Za-z_][\w-]*):[ \t]*(.*?)[ \t]*$")


def _simple_front_matter(block: str) -> dict:
    """Hand-written front matter is often not strict YAML ("title: A: B" has two
    colons). Read it as one `key: value` per line when every line has that shape."""
    data = {}
    for line in block.splitlines():
        if not line.strip():
            continue
        m = _SIMPLE_KEY.match(line)
        if not m or m.group(2)[:1] in set("[]{}:&*!|>%@`#"):
            return {}
        value = m.group(2)
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        data[m.group(1)] = value
    return data


def _text_headings(text: str) -> list[tuple[int, str, int]]:
    """(offset, heading, level) for Markdown headings and Chinese numbered headings
    (一、… / （二）… / 第三章…); Chinese ones count as level 0."""
    found = []
    offset = 0
    for line in text.split("\n"):
        heading = _line_heading(line)
        if heading:
            found.append((offset, *heading))
        offset += len(line) + 1
    return found


def _line_heading(line: str) -> tuple[str, int] | None:
    md = _MD_HEADING.match(line)
    if md and md[2]:
        return md[2], len(md[1])
    if _CN_HEADING.match(line):
        # A run-in heading ("（一）坚持稳中求进。正文……") ends at the first full stop.
        head = line.strip(" \t\u3000").split("。", 1)[0]
        if len(head) <= _CN_HEADING_MAX:
            return head, 0
    return None


# --------------------------------------------------------------------------- html

_HTML_DROP = ["script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe", "svg", "template"]
_HTML_PARAGRAPHS = {
    "p", "div", "section", "article", "main", "blockquote", "table", "ul", "ol", "dl",
    "figure", "figcaption", "address", "hr", "h1", "h2", "h3", "h4", "h5", "h6",
}
_HTML_LINES = {"li", "tr", "dt", "dd", "caption", "br"}
_HTML_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_HTML_META = {"author": "issuer", "date": "date", "dc.date": "date", "description": "description"}
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")  # HTML whitespace only; NBSP and U+3000 are content


def _read_html(path: Path) -> _Extract:
    from bs4 import BeautifulSoup

    raw, encoding = read_text_file(path)
    if not raw.strip():
        raise LoadError("file is empty")
    soup = BeautifulSoup(raw, "lxml")
    for tag in soup.find_all(_HTML_DROP) + soup.find_all(attrs={"role": "navigation"}):
        if not tag.decomposed:  # may sit inside one removed earlier
            tag.decompose()
    metadata = _html_metadata(soup)
    for key, value in _html_info_tables(soup).items():
        metadata.setdefault(key, value) if key != "title" else metadata.update(title=value)
    root = soup.find("main") or soup.find("article") or soup.body or soup
    writer = _HtmlWriter()
    try:
        writer.walk(root)
    except RecursionError as exc:
        raise LoadError("HTML is nested too deeply to read") from exc
    text = clean_text(writer.finish())
    metadata["seams"] = _markup_seams(text, writer.nodes)
    return _Extract(text, metadata, encoding, headings=_locate(text, writer.headings))


def _markup_seams(text: str, nodes: list[str]) -> list[int]:
    """Offsets where two text nodes meet inside a line: in the page source markup sits
    there ("具体指标：</span><span>到2022年"), so a quote must be cut there to be verbatim."""
    seams = []
    pos = 0
    for node in nodes:
        piece = _HTML_SPACE.sub(" ", node).strip(" ")
        if not piece:
            continue
        at = text.find(piece, pos)
        if at < 0:
            continue
        line_start = text.rfind("\n", 0, at) + 1
        if at > line_start and at > pos - 1 and pos > 0:
            seams.append(at)
        pos = at + len(piece)
    return sorted(set(seams))


def _html_metadata(soup) -> dict:
    metadata = {}
    for meta in soup.find_all("meta"):
        key = _HTML_META.get(str(meta.get("name", "")).lower())
        if key and meta.get("content"):
            metadata.setdefault(key, meta["content"].strip())
    for tag in (soup.find("title"), soup.find("h1")):
        title = _HTML_SPACE.sub(" ", tag.get_text(" ")).strip() if tag else ""
        if title:
            metadata["title"] = title
            break
    return metadata


# Labels of the "document information" tables that government sites put above the text
# (gov.cn: 索引号 / 发文机关 / 标题 / 发文字号 / 成文日期 / 发布日期).
_INFO_LABELS = {
    "title": {"标题", "题名", "名称", "title"},
    "issuer": {"发文机关", "发布机构", "发文单位", "制发机关", "issuer", "author", "publisher", "agency"},
    "doc_number": {"发文字号", "文号", "documentnumber", "docno", "referenceno"},
    "date": {"成文日期", "印发日期", "date", "dateissued", "issued"},
    "published": {"发布日期", "publicationdate", "published"},
}
_LABEL_OF = {label: key for key, labels in _INFO_LABELS.items() for label in labels}


def _html_info_tables(soup) -> dict:
    """Read and remove tables of "label: value" cells (page metadata, not the text)."""
    found: dict = {}
    for table in soup.find_all("table"):
        if table.decomposed or table.find("table"):
            continue
        rows = [[_HTML_SPACE.sub(" ", c.get_text(" ")).strip() for c in tr.find_all(["td", "th"])] for tr in table.find_all("tr")]
        cells = [c for row in rows for c in row if c]
        labels = [c for c in cells if len(c) <= 16 and c.endswith((":", "："))]
        if not labels or (len(labels) < 2 and len(labels) < len(cells)) or 3 * len(labels) < len(cells):
            continue
        for row in rows:
            for label, value in zip(row, row[1:]):
                key = _LABEL_OF.get(re.sub(r"[\s\u3000:：]+", "", label).lower())
                if key and value and not value.endswith((":", "：")):
                    found.setdefault(key, value)
        table.decompose()
    return found


class _HtmlWriter:
    """Flattens an HTML tree into lines: block elements break lines (paragraph-level
    ones leave a blank line), inline text joins with single spaces, cells with " | "."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.line: list[str] = []
        self.pending_breaks = 0
        self.headings: list[str] = []
        self.nodes: list[str] = []  # every text node, in order, to find where markup was cut out

    def walk(self, node) -> None:
        from bs4 import NavigableString, Tag
        from bs4.element import PreformattedString

        for child in node.children:
            if isinstance(child, Tag):
                self._element(child)
            elif isinstance(child, NavigableString) and not isinstance(child, PreformattedString):
                self.line.append(str(child))
                self.nodes.append(str(child))

    def _element(self, tag) -> None:
        name = tag.name
        if name == "pre":
            self._break(2)
            self._emit(tag.get_text().strip("\n"))
            self._break(2)
            return
        if name in ("td", "th") and "".join(self.line).strip():
            self.line.append(" | ")
        breaks = 2 if name in _HTML_PARAGRAPHS else 1 if name in _HTML_LINES else 0
        self._break(breaks)
        self.walk(tag)
        line = self._break(breaks)
        if name in _HTML_HEADINGS and line:
            self.headings.append(line)

    def _break(self, newlines: int) -> str:
        """End the current line if `newlines` > 0; returns the line that was ended."""
        if not newlines:
            return ""
        line = _HTML_SPACE.sub(" ", "".join(self.line)).strip(" ")
        self.line = []
        self._emit(line)
        self.pending_breaks = max(self.pending_breaks, newlines)
        return line

    def _emit(self, text: str) -> None:
        if not text:
            return
        if self.parts:
            self.parts.append("\n" * self.pending_breaks)
        self.parts.append(text)
        self.pending_breaks = 0

    def finish(self) -> str:
        self._break(1)
        return "".join(self.parts)


def _locate(text: str, headings: list[str]) -> list[tuple[int, str]]:
    """Offsets of headings (in document order) inside the final cleaned text."""
    found = []
    pos = 0
    for heading in headings:
        heading = clean_text(heading).strip()
        at = text.find(heading, pos) if heading else -1
        if at >= 0:
            found.append((at, heading))
            pos = at + len(heading)
    return found


# --------------------------------------------------------------------------- pdf


def _read_pdf(path: Path, max_pages: int = MAX_PDF_PAGES, max_chars: int = MAX_PDF_CHARS) -> _Extract:
    try:
        return _extract_pdf(path, max_pages, max_chars)
    except LoadError:
        raise
    except Exception as exc:  # pypdf raises many types on malformed files
        raise LoadError(f"cannot read PDF: {_reason(exc)}") from exc


def _extract_pdf(path: Path, max_pages: int, max_chars: int) -> _Extract:
    from pypdf import PasswordType, PdfReader

    reader = PdfReader(path)
    if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
        raise LoadError("PDF is encrypted and needs a password")
    if len(reader.pages) > max_pages:
        raise LoadError(f"PDF has {len(reader.pages):,} pages, over the {max_pages:,}-page limit")
    texts: list[str] = []
    numbers: list[int] = []
    total = 0
    for number, page in enumerate(reader.pages, start=1):
        page_text = clean_text(page.extract_text() or "")
        if not page_text.strip():
            continue
        texts.append(page_text)
        numbers.append(number)
        total += len(page_text)
        if total > max_chars:
            raise LoadError(f"PDF text is over the {max_chars:,}-character limit")
    flow = rebuild(texts, numbers)
    metadata = {"seams": flow.seams} if flow.seams else {}
    info = reader.metadata or {}
    title, author = (str(info.get(key) or "").strip() for key in ("/Title", "/Author"))
    if meaningful_title(title):
        metadata["title"] = title
    if meaningful_issuer(author):
        metadata["issuer"] = author
    headings = [(off, h) for off, h, _ in _text_headings(flow.text)]
    return _Extract(flow.text, metadata, pages=flow.pages, headings=headings)


def _reason(exc: Exception) -> str:
    """First line of an exception message: enough to act on, no traceback."""
    lines = str(exc).strip().splitlines()
    return lines[0][:200] if lines else type(exc).__name__


# --------------------------------------------------------------------------- docx


def check_zip_archive(
    path: Path,
    max_total: int = MAX_UNZIPPED_BYTES,
    max_ratio: float = MAX_ZIP_RATIO,
    ratio_min_bytes: int = ZIP_RATIO_MIN_BYTES,
) -> None:
    """Refuse a zip bomb before any library unpacks it: too much data in total, or one
    big entry compressed far beyond what real documents achieve."""
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise LoadError("not a zip archive (corrupt or not really a .docx)") from exc
    total = sum(e.file_size for e in entries)
    if total > max_total:
        raise LoadError(f"unpacks to {_size(total)}, over the {_size(max_total)} limit")
    for entry in entries:
        ratio = entry.file_size / max(entry.compress_size, 1)
        if entry.file_size > ratio_min_bytes and ratio > max_ratio:
            raise LoadError(f"entry {entry.filename} is compressed {ratio:,.0f}:1 (zip bomb?)")


def _read_docx(path: Path) -> _Extract:
    try:
        check_zip_archive(path)
        return _extract_docx(path)
    except LoadError as exc:
        raise LoadError(f"cannot read docx: {exc}") from exc
    except Exception as exc:  # python-docx / lxml raise many types on malformed files
        raise LoadError(f"cannot read docx: {_reason(exc)}") from exc


def _extract_docx(path: Path) -> _Extract:
    """Paragraphs separated by blank lines; consecutive list paragraphs (Word numbering
    or a List style) by a newline, so a list of short items reads as one list; tables
    as one line per row, cells joined with " | " (a one-column table is prose: one
    paragraph per cell paragraph)."""
    import docx
    from docx.table import Table

    document = docx.Document(str(path))
    pieces: list[str] = []
    headings: list[str] = []
    prev_list = False
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            rows = _docx_table(item)
            if rows:
                pieces += ["\n\n", rows]
            prev_list = False
            continue
        if not item.text.strip():
            continue
        is_list = _docx_is_list(item)
        pieces += ["\n" if is_list and prev_list else "\n\n", item.text]
        prev_list = is_list
        style = getattr(item.style, "name", "") or ""
        if style.startswith(("Heading", "Title")):
            headings.append(item.text)
    text = clean_text("".join(pieces[1:]))
    located = _locate(text, headings)
    metadata = _docx_properties(document)
    if not metadata.get("title") and located:
        metadata["title"] = located[0][1]
    return _Extract(text, metadata, headings=located)


def _docx_is_list(paragraph) -> bool:
    ppr = paragraph._p.pPr
    if ppr is not None and ppr.numPr is not None:
        return True
    return (getattr(paragraph.style, "name", "") or "").startswith("List")


def _docx_table(table) -> str:
    rows = []
    for row in table.rows:
        cells, last = [], None
        for cell in row.cells:
            if cell._tc is not last:  # a merged cell is repeated once per grid column
                cells.append(cell)
            last = cell._tc
        if len(cells) == 1:  # a one-column table frames prose
            rows += [p.text for p in cells[0].paragraphs if p.text.strip()]
            continue
        texts = [_HTML_SPACE.sub(" ", c.text).strip() for c in cells]
        if any(texts):
            rows.append(" | ".join(texts))
    # a framed paragraph stands alone; rows of cells follow each other line by line
    out = ""
    for row in rows:
        if out:
            out += "\n" if " | " in row else "\n\n"
        out += row
    return out


def _docx_properties(document) -> dict:
    """Title and author from the core properties when they are meaningful (not a
    template leftover, not the person who typed the file)."""
    props = document.core_properties
    title, author = (props.title or "").strip(), (props.author or "").strip()
    found = {"title": title} if meaningful_title(title) else {}
    if meaningful_issuer(author):
        found["issuer"] = author
    return found


_READERS: dict[str, Callable[[Path], _Extract]] = {
    "txt": _read_plain,
    "md": _read_plain,
    "html": _read_html,
    "pdf": _read_pdf,
    "docx": _read_docx,
}


# --------------------------------------------------------------------------- metadata

_ISO_LIKE = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")


def _read_sidecar(path: Path) -> dict:
    """`report.pdf.meta.yaml` (or `report.meta.yaml`) next to the file, if any.
    A sidecar the user wrote but that cannot be parsed is an error, not silently ignored."""
    for candidate in (path.with_name(path.name + _SIDECAR_SUFFIX), path.with_name(path.stem + _SIDECAR_SUFFIX)):
        if not candidate.is_file():
            continue
        try:
            data = yaml.safe_load(read_text_file(candidate)[0])
        except (yaml.YAMLError, LoadError) as exc:
            raise LoadError(f"bad metadata file {candidate.name}: {_reason(exc)}") from exc
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise LoadError(f"bad metadata file {candidate.name}: expected key: value pairs")
        return data
    return {}


def _finish_metadata(path: Path, fmt: str, extract: _Extract, sidecar: dict) -> dict:
    """Defaults, then what the file says about itself, then the sidecar; `format` and
    `encoding` are facts about the file and cannot be overridden."""
    metadata = {
        "title": "",
        "issuer": "",
        "date": None,
        "doc_type": _DOC_TYPES.get(fmt, "document"),
        "source": str(path),
        "language": _language(extract.text),
    }
    found = dict(extract.metadata)
    seams = found.pop("seams", [])
    metadata.update(describe(extract.text, title=str(found.get("title") or sidecar.get("title") or "")))
    metadata.update(_scalars(found))
    metadata.update(_scalars(sidecar))
    for key in ("title", "issuer", "doc_type", "source", "language"):
        metadata[key] = str(metadata[key]).strip()
    metadata["title"] = metadata["title"] or _first_line_title(extract.text) or path.stem
    metadata["date"] = _iso_date(metadata["date"])
    if "published" in metadata:
        metadata["published"] = _iso_date(metadata["published"]) or str(metadata["published"])
    metadata["format"] = fmt
    metadata["encoding"] = extract.encoding
    metadata["relpath"] = path.name  # the pipeline makes it relative to the folder it ingests
    metadata["seams"] = list(seams)
    return metadata


def _scalars(raw: dict) -> dict:
    """Keep only values that fit a flat metadata store (Chroma takes scalars only)."""
    out = {}
    for key, value in raw.items():
        if isinstance(value, (list, tuple)):
            items = [_scalar(v) for v in value]
            value = ", ".join(str(v) for v in items if v is not None)
        else:
            value = _scalar(value)
        if value is not None:
            out[str(key)] = value
    return out


def _scalar(value):
    if isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return None


def _iso_date(value) -> str | None:
    """YYYY-MM-DD from a date, an ISO timestamp, or 2024/3/5, 2024.03.05, 2024年3月5日."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    match = _ISO_LIKE.match(value) if isinstance(value, str) else None
    if not match:
        return None
    try:
        return dt.date(*(int(g) for g in match.groups())).isoformat()
    except ValueError:
        return None


def _first_line_title(text: str) -> str:
    for line in text.split("\n"):
        line = re.sub(r"^#{1,6}(?:\s+|$)", "", line.strip()).strip()
        if line:
            return line[:_TITLE_MAX].rstrip()
    return ""


def _language(text: str) -> str:
    """Chinese ("zh") when CJK characters dominate the letters, "en" when there are almost none."""
    share = cjk_ratio("".join(c for c in _spread_sample(text) if c.isalpha()))
    if share >= 0.5:
        return "zh"
    if share < 0.05:
        return "en"
    return "mixed"


def _spread_sample(text: str, size: int = 100_000, pieces: int = 20) -> str:
    """Slices from across a long text: language is a whole-document property, and
    counting every character of a 50 MiB file would take seconds."""
    if len(text) <= size:
        return text
    step, width = len(text) // pieces, size // pieces
    return "".join(text[i:i + width] for i in range(0, len(text), step))
