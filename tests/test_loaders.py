"""ingest.loaders on real files written into tmp_path (no mocks)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from ingest import loaders
from ingest.loaders import (
    SUPPORTED_SUFFIXES,
    LoadedDocument,
    LoadError,
    iter_document_files,
    load_document,
    read_text_file,
)


def write(path: Path, content: str | bytes, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode(encoding)
    path.write_bytes(content)
    return path


def make_pdf(path: Path, pages: list[list[str]], title: str | None = None) -> Path:
    pdf = canvas.Canvas(str(path), pagesize=A4)
    if title:
        pdf.setTitle(title)
    for lines in pages:
        y = 780
        for line in lines:
            pdf.drawString(72, y, line)
            y -= 20
        pdf.showPage()
    pdf.save()
    return path


# --------------------------------------------------------------------------- txt / md


def test_supported_suffixes():
    assert SUPPORTED_SUFFIXES == {".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx"}


def test_txt_front_matter_becomes_metadata_and_is_removed(tmp_path):
    path = write(
        tmp_path / "soe.txt",
        "---\n"
        'title: "SOE reform: 2024 priorities"\n'
        "issuer: SASAC Reform Office\n"
        "date: 2024-02-05\n"
        "doc_type: briefing\n"
        "tags: [soe, reform]\n"
        "priority: 2\n"
        "nested: {a: 1}\n"
        "---\n"
        "Complete more than 70% of the main tasks by the end of the year.\n",
    )
    doc = load_document(path)
    assert isinstance(doc, LoadedDocument)
    assert doc.text == "Complete more than 70% of the main tasks by the end of the year."
    meta = doc.metadata
    assert meta["title"] == "SOE reform: 2024 priorities"
    assert meta["issuer"] == "SASAC Reform Office"
    assert meta["date"] == "2024-02-05"  # YAML gives a datetime.date
    assert meta["doc_type"] == "briefing"
    assert meta["tags"] == "soe, reform"
    assert meta["priority"] == 2
    assert "nested" not in meta  # not a scalar
    assert (meta["format"], meta["encoding"], meta["language"]) == ("txt", "utf-8", "en")
    assert meta["source"] == str(path)


def test_txt_without_front_matter_title_and_minimal_cleaning(tmp_path):
    raw = (
        "\n\n  \nState-owned   enterprise reform\t \r\n"
        "Coverage reached 61.3%\x1b and ２０２４ targets “hold”.  \r\n"
        "\n\n\n\n\n"
        "Next paragraph.\x07\n\n\n"
    )
    doc = load_document(write(tmp_path / "plain.txt", raw))
    assert doc.text == (
        "State-owned   enterprise reform\n"
        "Coverage reached 61.3% and ２０２４ targets “hold”.\n"
        "\n\n"  # five blank lines collapse to two
        "Next paragraph."
    )
    assert doc.metadata["title"] == "State-owned   enterprise reform"
    assert doc.metadata["issuer"] == ""
    assert doc.metadata["date"] is None
    assert doc.metadata["doc_type"] == "document"


def test_nul_past_the_binary_sniff_window_is_removed(tmp_path):
    head = "Policy text line.\n" * 600  # > 8 KiB, so the NUL below is not sniffed as binary
    doc = load_document(write(tmp_path / "late_nul.txt", head + "Tail\x00 end.\n"))
    assert doc.text == head + "Tail end."


def test_title_falls_back_to_truncated_first_line_then_stem(tmp_path):
    long_line = "word " * 60
    doc = load_document(write(tmp_path / "long.txt", long_line + "\nmore"))
    assert doc.metadata["title"] == long_line[:120].rstrip()
    assert len(doc.metadata["title"]) <= 120
    only_markers = write(tmp_path / "markers.md", "---\ntitle: ''\n---\n#\n##\n")
    assert load_document(only_markers).metadata["title"] == "markers"


def test_malformed_front_matter_is_kept_as_text(tmp_path):
    raw = "---\ntitle: [unclosed\nissuer: : :\n---\nBody text stays.\n"
    doc = load_document(write(tmp_path / "bad.md", raw))
    assert doc.text == raw.strip("\n")
    assert doc.metadata["title"] == "---"


def test_markdown_and_chinese_headings_with_offsets(tmp_path):
    raw = (
        "# Action plan\n\nIntro.\n\n## Targets\n\nBy 2025.\n\n"
        "一、总体要求\n坚持稳中求进。\n"
        "（二）重点任务。推进国有经济布局优化和结构调整，提高核心竞争力，增强核心功能。\n"
        "三、" + "长" * 45 + "没有句号的长行不是标题\n"
        "#hashtag is not a heading\n"
    )
    doc = load_document(write(tmp_path / "plan.md", raw))
    assert doc.metadata["title"] == "Action plan"
    assert doc.metadata["format"] == "md"
    assert [h for _, h in doc.headings] == ["Action plan", "Targets", "一、总体要求", "（二）重点任务"]
    for offset, heading in doc.headings:
        line = doc.text[offset:].split("\n", 1)[0]
        assert heading.lstrip("# ") in line and (offset == 0 or doc.text[offset - 1] == "\n")
    assert doc.text[doc.headings[1][0]:].startswith("## Targets")


@pytest.mark.parametrize("sidecar_name", ["report.md.meta.yaml", "report.meta.yaml"])
def test_sidecar_metadata_overrides_front_matter(tmp_path, sidecar_name):
    write(tmp_path / "report.md", "---\ntitle: From front matter\nissuer: Old\n---\nText.\n")
    write(tmp_path / sidecar_name, "issuer: NDRC\ndate: 2023/7/14\nlanguage: en\nformat: xlsx\n")
    meta = load_document(tmp_path / "report.md").metadata
    assert meta["title"] == "From front matter"
    assert meta["issuer"] == "NDRC"
    assert meta["date"] == "2023-07-14"
    assert meta["format"] == "md"  # a fact about the file, not overridable


def test_sidecar_applies_to_pdf_and_bad_sidecar_is_reported(tmp_path):
    pdf = make_pdf(tmp_path / "scan.pdf", [["Some text"]])
    write(tmp_path / "scan.pdf.meta.yaml", "title: Official title\ndate: 2024年3月5日\n")
    meta = load_document(pdf).metadata
    assert (meta["title"], meta["date"]) == ("Official title", "2024-03-05")
    write(tmp_path / "scan.pdf.meta.yaml", "title: [broken\n")
    with pytest.raises(LoadError, match="bad metadata file scan.pdf.meta.yaml"):
        load_document(pdf)


# --------------------------------------------------------------------------- encodings


def test_gb18030_chinese_round_trip(tmp_path):
    original = "一、总体要求\n深化国有企业改革，完成70%以上任务。"
    path = write(tmp_path / "zh.txt", original, encoding="gb18030")
    assert read_text_file(path) == (original, "gb18030")
    doc = load_document(path)
    assert doc.text == original
    assert doc.metadata["encoding"] == "gb18030"
    assert doc.metadata["language"] == "zh"
    assert doc.headings == [(0, "一、总体要求")]


def test_big5_is_not_mistaken_for_gb18030(tmp_path):
    original = "國有企業改革深化提升行動，完成主要任務。"
    text, encoding = read_text_file(write(tmp_path / "tw.txt", original, encoding="big5"))
    assert text == original
    assert encoding != "gb18030"


def test_utf16_and_utf8_bom(tmp_path):
    original = "Reform 改革 text\nsecond line"
    doc = load_document(write(tmp_path / "u16.txt", original, encoding="utf-16"))
    assert doc.text == original
    assert doc.metadata["encoding"] == "utf-16"
    assert doc.metadata["language"] == "mixed"
    bom = write(tmp_path / "bom.md", "\ufeff---\ntitle: BOM\n---\nBody", encoding="utf-8")
    doc = load_document(bom)
    assert (doc.text, doc.metadata["title"], doc.metadata["encoding"]) == ("Body", "BOM", "utf-8")


# --------------------------------------------------------------------------- html

PAGE = """<!doctype html>
<html><head><title>Guidelines on SOE Reform</title>
<meta name="author" content="State Council">
<meta name="DC.Date" content="2024-01-31T09:00:00+08:00">
<meta name="description" content="Key tasks for 2024">
<style>body { color: red }</style>
<script>var secret = "SCRIPT BODY TEXT";</script>
</head><body>
<header>Site banner</header>
<nav><a href="/">Home</a> | <a href="/news">News</a></nav>
<div role="navigation">Breadcrumb trail</div>
<p>Outside the main element</p>
<main>
  <h1>Guidelines</h1>
  <p>The reform   shall be
     <b>deepened</b> in 2024.</p>
  <h2>Targets</h2>
  <ul><li>Cover 70% of firms</li><li>Exit <i>incompetent</i> managers</li></ul>
  <table><tr><th>Year</th><th>Share</th></tr><tr><td>2025</td><td>70%</td></tr></table>
  line one<br>line two
  <script>document.write("inline script text")</script>
  <aside>Related links</aside>
</main>
<footer>Copyright footer</footer>
</body></html>
"""


def test_html_keeps_main_content_and_drops_chrome(tmp_path):
    doc = load_document(write(tmp_path / "page.html", PAGE))
    assert doc.text == (
        "Guidelines\n\n"
        "The reform shall be deepened in 2024.\n\n"
        "Targets\n\n"
        "Cover 70% of firms\nExit incompetent managers\n\n"
        "Year | Share\n2025 | 70%\n\n"
        "line one\nline two"
    )
    for gone in ("SCRIPT BODY TEXT", "inline script text", "Site banner", "Home", "Breadcrumb",
                 "Outside the main", "Related links", "Copyright", "color: red"):
        assert gone not in doc.text
    assert doc.headings == [(0, "Guidelines"), (doc.text.index("Targets"), "Targets")]
    meta = doc.metadata
    assert (meta["title"], meta["issuer"], meta["date"]) == ("Guidelines on SOE Reform", "State Council", "2024-01-31")
    assert meta["description"] == "Key tasks for 2024"
    assert (meta["format"], meta["doc_type"]) == ("html", "web page")


def test_html_entities_stay_literal_text(tmp_path):
    page = (
        "<html><body><article><h1>XSS note</h1>"
        "<p>Never run &lt;script&gt;alert(1)&lt;/script&gt; here.</p></article></body></html>"
    )
    doc = load_document(write(tmp_path / "note.htm", page))
    assert "Never run <script>alert(1)</script> here." in doc.text
    assert doc.metadata["title"] == "XSS note"  # no <title>: first <h1>


# --------------------------------------------------------------------------- pdf


def test_pdf_pages_map_to_their_text(tmp_path):
    path = make_pdf(
        tmp_path / "two.pdf",
        [["First page heading", "Alpha figure 12.5%"], ["Second page", "Beta figure 70%"]],
        title="Two-page report",
    )
    doc = load_document(path)
    assert doc.metadata["title"] == "Two-page report"
    assert doc.metadata["format"] == "pdf"
    assert [p[0] for p in doc.pages] == [1, 2]
    (_, s1, e1), (_, s2, e2) = doc.pages
    assert "Alpha figure 12.5%" in doc.text[s1:e1] and "Beta" not in doc.text[s1:e1]
    assert "Beta figure 70%" in doc.text[s2:e2] and "Alpha" not in doc.text[s2:e2]
    assert doc.text[e1:s2].isspace()  # text flows on across the page break
    assert (s1, e2) == (0, len(doc.text))


def test_pdf_without_text_layer(tmp_path):
    path = tmp_path / "scan.pdf"
    pdf = canvas.Canvas(str(path))
    pdf.rect(100, 100, 200, 200, fill=1)
    pdf.showPage()
    pdf.save()
    with pytest.raises(LoadError, match=r"PDF has no text layer \(scanned\?\)"):
        load_document(path)


def test_encrypted_pdf(tmp_path):
    plain = make_pdf(tmp_path / "plain.pdf", [["Secret figures 42%"]])
    for user_password, name in (("", "open.pdf"), ("hunter2", "locked.pdf")):
        writer = PdfWriter(clone_from=PdfReader(plain))
        writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
        writer.write(tmp_path / name)
    assert "Secret figures 42%" in load_document(tmp_path / "open.pdf").text
    with pytest.raises(LoadError, match="encrypted"):
        load_document(tmp_path / "locked.pdf")


def test_pdf_page_limit(tmp_path):
    path = make_pdf(tmp_path / "many.pdf", [["one"], ["two"], ["three"]])
    with pytest.raises(LoadError, match="3 pages, over the 2-page limit"):
        loaders._read_pdf(path, max_pages=2)
    with pytest.raises(LoadError, match="character limit"):
        loaders._read_pdf(path, max_chars=5)


def test_corrupt_pdf(tmp_path):
    path = write(tmp_path / "broken.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ngarbage garbage\n")
    with pytest.raises(LoadError, match="^cannot read PDF: "):
        load_document(path)


# --------------------------------------------------------------------------- docx


def test_docx_paragraphs_headings_and_table(tmp_path):
    document = docx.Document()
    document.add_heading("Implementation Plan", level=1)
    document.add_paragraph("The plan covers   three areas.")
    document.add_paragraph("")
    document.add_heading("Targets", level=2)
    table = document.add_table(rows=2, cols=2)
    for r, row in enumerate([("Indicator", "2025"), ("Coverage", "70%")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    document.add_paragraph("Closing remark.")
    path = tmp_path / "plan.docx"
    document.save(str(path))

    doc = load_document(path)
    assert doc.text == (
        "Implementation Plan\n\nThe plan covers   three areas.\n\nTargets\n\n"
        "Indicator | 2025\nCoverage | 70%\n\nClosing remark."
    )
    assert doc.headings == [(0, "Implementation Plan"), (doc.text.index("Targets"), "Targets")]
    assert doc.metadata["title"] == "Implementation Plan"
    assert doc.metadata["format"] == "docx"


def test_docx_title_from_core_properties(tmp_path):
    document = docx.Document()
    document.core_properties.title = "Core Title"
    document.add_paragraph("Body only.")
    path = tmp_path / "core.docx"
    document.save(str(path))
    assert load_document(path).metadata["title"] == "Core Title"


def test_corrupt_docx(tmp_path):
    path = write(tmp_path / "broken.docx", b"this is not a zip archive at all")
    with pytest.raises(LoadError, match="^cannot read docx: not a zip archive"):
        load_document(path)
    with zipfile.ZipFile(tmp_path / "notword.docx", "w") as archive:
        archive.writestr("hello.txt", "a zip, but not a Word document")
    with pytest.raises(LoadError, match="^cannot read docx: "):
        load_document(tmp_path / "notword.docx")


def test_zip_bomb_docx_is_refused_before_unpacking(tmp_path):
    path = tmp_path / "bomb.docx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"\0" * (30 * 1024 * 1024))
    assert path.stat().st_size < 1024 * 1024
    with pytest.raises(LoadError, match=r"cannot read docx: entry word/document.xml is compressed .*:1 \(zip bomb\?\)"):
        load_document(path)
    with pytest.raises(LoadError, match="unpacks to 30.0 MiB, over the 20.0 MiB limit"):
        loaders.check_zip_archive(path, max_total=20 * 1024 * 1024)


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize("content", [b"", b"  \n\t\n  "])
def test_empty_file(tmp_path, content):
    with pytest.raises(LoadError, match="^file is empty$"):
        load_document(write(tmp_path / "empty.txt", content))


def test_binary_file(tmp_path):
    with pytest.raises(LoadError, match="^looks binary, not text$"):
        load_document(write(tmp_path / "image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))))
    with pytest.raises(LoadError, match="^looks binary, not text$"):
        load_document(write(tmp_path / "controls.md", bytes([1, 2, 3, 65, 4, 5, 6, 66]) * 20))


def test_unsupported_suffix(tmp_path):
    with pytest.raises(LoadError, match=r"^unsupported file type \.xlsx \(supported: .*\.docx.*\)"):
        load_document(write(tmp_path / "sheet.xlsx", b"PK"))


def test_oversized_file_is_refused_before_reading(tmp_path):
    path = write(tmp_path / "big.txt", "x" * 5000)
    with pytest.raises(LoadError, match=r"^file is 4.9 KiB, over the 1.0 KiB limit$"):
        load_document(path, max_bytes=1024)
    assert load_document(path, max_bytes=5000).text == "x" * 5000


# --------------------------------------------------------------------------- walking


def test_iter_document_files_skips_hidden_sidecars_and_outside_links(tmp_path):
    root = tmp_path / "corpus"
    outside = write(tmp_path / "outside" / "secret.txt", "private")
    write(root / "b.txt", "b")
    write(root / "a.md", "a")
    write(root / "a.md.meta.yaml", "title: A")
    write(root / "notes.xlsx", b"PK")
    write(root / ".hidden.txt", "h")
    write(root / ".git" / "config.txt", "c")
    write(root / "sub" / "c.pdf", b"%PDF")
    (root / "link_out.txt").symlink_to(outside)
    (root / "dir_out").symlink_to(outside.parent, target_is_directory=True)
    (root / "link_in.txt").symlink_to(root / "sub" / "c.pdf")
    (root / "sub" / "loop").symlink_to(root, target_is_directory=True)

    found = [p.relative_to(root).as_posix() for p in iter_document_files(root)]
    # Each real file once, first in walk order: sub/c.pdf was already reached via link_in.txt.
    assert found == ["a.md", "b.txt", "link_in.txt", "notes.xlsx"]
    assert outside.resolve() not in {p.resolve() for p in iter_document_files(root)}


def test_front_matter_that_is_not_strict_yaml_is_still_read(tmp_path):
    """Hand-written front matter with a second colon in a value is not valid YAML."""
    p = tmp_path / "note.txt"
    p.write_text("---\ntitle: Reform: results and next steps\nissuer: SASAC\ndate: 2018-02-01\n---\nBody text here.\n")
    doc = load_document(p)
    assert doc.metadata["title"] == "Reform: results and next steps"
    assert doc.metadata["issuer"] == "SASAC"
    assert doc.metadata["date"] == "2018-02-01"
    assert doc.text == "Body text here."


# --------------------------------------------------------------------------- what documents say about themselves


def test_chinese_report_date_title_and_issuer_from_the_text(tmp_path):
    raw = ("2024年国务院政府工作报告\n政府工作报告\n\n——2024年3月5日在第十四届全国人民代表大会第二次会议上\n\n"
           "各位代表：\n现在，我代表国务院，向大会报告政府工作。\n")
    meta = load_document(write(tmp_path / "report.txt", raw)).metadata
    assert (meta["title"], meta["date"], meta["issuer"]) == ("2024年国务院政府工作报告", "2024-03-05", "国务院")


def test_state_council_notice_number_and_signature(tmp_path):
    raw = ("国务院关于印发某某改革实施方案的通知\n国发〔2019〕4号\n\n各省、自治区、直辖市人民政府：\n"
           "现将《某某改革实施方案》印发给你们，请认真贯彻执行。\n国务院\n二〇一九年一月二十四日\n（此件公开发布）\n")
    meta = load_document(write(tmp_path / "notice.txt", raw)).metadata
    assert meta["doc_number"] == "国发〔2019〕4号"
    assert (meta["date"], meta["issuer"]) == ("2019-01-24", "国务院")


def test_front_matter_still_wins_and_no_date_is_guessed(tmp_path):
    raw = "---\ntitle: Given title\ndate: 2020-01-02\n---\nBudget Speech\nDelivered on 10 October 2025.\n"
    meta = load_document(write(tmp_path / "fm.md", raw)).metadata
    assert (meta["title"], meta["date"]) == ("Given title", "2020-01-02")
    undated = load_document(write(tmp_path / "plain.txt", "Annual Report\nThe year 2024 saw growth of 5%.\n")).metadata
    assert undated["date"] is None and undated["title"] == "Annual Report"


INFO_PAGE = """<div class="wrap"><table><tr><td>
<table class="bd1">
<tr><td>索 引 号：</td><td>000014349/2019-00005</td><td>主题分类：</td><td>教育</td></tr>
<tr><td>发文机关：</td><td>国务院</td><td>成文日期：</td><td>2019年01月24日</td></tr>
<tr><td>标　　题：</td><td>国务院关于印发国家职业教育改革实施方案的通知</td></tr>
<tr><td>发文字号：</td><td>国发〔2019〕4号</td><td>发布日期：</td><td>2019年02月13日</td></tr>
</table>
<table><tr><td>主 题 词：</td><td></td></tr></table>
<div id="body"><p>国务院关于印发国家职业教育<span>改革</span>实施方案的通知</p>
<p>职业教育与普通教育是两种不同教育类型，<span style="x">具有同等重要地位</span>。</p></div>
</td></tr></table></div>"""


def test_html_information_table_gives_metadata_and_leaves_the_text(tmp_path):
    doc = load_document(write(tmp_path / "page.html", INFO_PAGE))
    meta = doc.metadata
    assert meta["title"] == "国务院关于印发国家职业教育改革实施方案的通知"
    assert (meta["issuer"], meta["doc_number"], meta["date"], meta["published"]) == (
        "国务院", "国发〔2019〕4号", "2019-01-24", "2019-02-13")
    assert doc.text.startswith("国务院关于印发国家职业教育改革实施方案的通知")
    assert "索 引 号" not in doc.text and "主 题 词" not in doc.text and "|" not in doc.text
    # markup between two text nodes of a line is a seam: quotes are cut there to stay verbatim
    seams = meta["seams"]
    assert doc.text.index("改革") in seams and doc.text.index("具有同等") in seams


def test_docx_lists_stay_together_and_tables_are_rows(tmp_path):
    document = docx.Document()
    document.add_paragraph("Budget 2023-2024")
    document.add_paragraph("February 1, 2023")
    document.add_paragraph("The Budget adopts the following three priorities.")
    for item in ("Inclusive Development", "Reaching the Last Mile", "Green Growth"):
        document.add_paragraph(item, style="List Number")
    document.add_paragraph("The tax slabs are as follows.")
    table = document.add_table(rows=3, cols=2)
    for r, row in enumerate([("Total income", "Rate"), ("` 0-3 lakh", "Nil"), ("` 3-6 lakh", "5 per\ncent")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    frame = document.add_table(rows=1, cols=1)
    frame.cell(0, 0).text = "Annex text framed in a one-cell table."
    path = tmp_path / "speech.docx"
    document.save(str(path))
    doc = load_document(path)
    from ingest.text import sentence_spans

    got = [doc.text[s:e] for s, e in sentence_spans(doc.text)]
    assert "Inclusive Development\nReaching the Last Mile\nGreen Growth" in got
    assert ["Total income | Rate", "` 0-3 lakh | Nil", "` 3-6 lakh | 5 per cent"] == [g for g in got if "|" in g]
    assert "Annex text framed in a one-cell table." in got
    assert (doc.metadata["title"], doc.metadata["date"]) == ("Budget 2023-2024", "2023-02-01")


def test_meaningless_file_properties_are_ignored(tmp_path):
    document = docx.Document()
    document.core_properties.title = "Microsoft Word - draft3.docx"
    document.core_properties.author = "Jaswant"
    document.add_paragraph("Medium-Term Fiscal Strategy")
    document.add_paragraph("The strategy sets a deficit path.")
    path = tmp_path / "s.docx"
    document.save(str(path))
    meta = load_document(path).metadata
    assert meta["title"] == "Medium-Term Fiscal Strategy" and meta["issuer"] == ""
