"""Ingestion into a real Chroma index with the real embedding model."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from assistant.config import Settings
from assistant.core import Assistant
from assistant.store import IndexError_, IndexStore
from ingest.chunking import chunk_text, count_tokens
from ingest.pipeline import Ingestor
from ingest.quality import garbled_figures


def _write(d, name, text):
    p = d / name
    p.write_text(text, encoding="utf-8")
    return p


def test_chunk_spans_match_text_and_fit_window(policy_dir):
    text = (policy_dir / "soe-reform-priorities-2024.txt").read_text()
    chunks = chunk_text(text, "seed", max_tokens=60)
    assert len(chunks) > 5
    for c in chunks:
        assert text[c.start:c.end] == c.text
        assert count_tokens(c.text) <= 60
    # every sentence-bearing character is covered by some chunk
    covered = set()
    for c in chunks:
        covered.update(range(c.start, c.end))
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace() and i > 200)


def test_chinese_text_is_chunked_on_chinese_punctuation():
    text = "一、总体要求\n力争年底前完成70%以上主体任务。确保一季度开展考核！各地要抓好落实？\n" * 6
    chunks = chunk_text(text, "zh", max_tokens=40)
    assert all(text[c.start:c.end] == c.text for c in chunks)
    # chunks end on a Chinese full stop or at the end of a line (a heading), never mid-sentence
    assert all(c.text.endswith(("。", "！", "？")) or text[c.end:c.end + 1] in ("\n", "") for c in chunks)
    assert len(chunks) > 1


def test_garbled_figures_flagged_in_seed(policy_dir):
    text = (policy_dir / "soe-reform-priorities-2024.txt").read_text()
    flags = garbled_figures(text)
    found = {text[f["start"]:f["end"]] for f in flags}
    assert "613%" in found
    assert "1More" in found
    # a growth rate over 100% is not a garbled share
    assert garbled_figures("Investment grew 150% year on year.") == []


def test_ingest_report_idempotent_update_and_prune(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _write(corpus, "a.txt", "Alpha plan. The city will plant 500 trees by 2026.\n\nIt will also build two parks.")
    _write(corpus, "b.md", "# Beta\n\nBeta text about 30% of bus routes going electric by 2027.")
    _write(corpus, "broken.xlsx", "not really a spreadsheet")
    _write(corpus, "empty.txt", "")
    settings = Settings(data_dir=tmp_path / "data")

    first = Ingestor(settings).run([corpus])
    assert (first.added, first.updated, first.unchanged, first.removed) == (2, 0, 0, 0)
    assert first.chunks_written == first.chunks_total > 0
    skipped = {w.file.rsplit("/", 1)[-1]: w.message for w in first.warnings if w.kind == "skipped"}
    assert "unsupported" in skipped["broken.xlsx"] and "empty" in skipped["empty.txt"]

    again = Ingestor(settings).run([corpus])
    assert (again.added, again.updated, again.unchanged, again.chunks_written) == (0, 0, 2, 0)

    _write(corpus, "a.txt", "Alpha plan. The city will plant 800 trees by 2026.\n\nIt will also build two parks.")
    (corpus / "b.md").unlink()
    changed = Ingestor(settings).run([corpus])
    assert (changed.updated, changed.removed, changed.unchanged) == (1, 1, 0)
    store = IndexStore(settings, "minilm")
    docs = store.documents()
    assert [d.doc_id for d in docs] == ["a"]
    assert "800 trees" in docs[0].text
    ids, texts, _ = store.all_chunks()
    assert all("b#" not in i for i in ids) and not any("500 trees" in t for t in texts)

    kept = Ingestor(settings).run([corpus], prune=False)
    assert kept.removed == 0


def test_interrupted_ingest_is_completed_without_duplicates(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(4):
        _write(corpus, f"doc{i}.txt", f"Document {i}. " + " ".join(f"Sentence {j} of document {i} mentions {j * 7}%." for j in range(40)))
    settings = Settings(data_dir=tmp_path / "data")
    calls = {"n": 0}
    original = IndexStore.upsert_documents

    def crash_after_two(self, records, complete=True):
        if complete:  # the commit markers of one buffer
            calls["n"] += 1
            if calls["n"] == 3:
                raise KeyboardInterrupt("simulated Ctrl-C")
        return original(self, records, complete=complete)

    monkeypatch.setattr(IndexStore, "upsert_documents", crash_after_two)
    with pytest.raises(KeyboardInterrupt):
        Ingestor(settings, buffer_chunks=2).run([corpus])
    monkeypatch.setattr(IndexStore, "upsert_documents", original)
    done = {d for d, r in IndexStore(settings, "minilm").document_records().items() if r.get("complete")}
    assert 0 < len(done) < 4  # the crash left some documents committed and some not

    resumed = Ingestor(settings).run([corpus])
    assert resumed.added + resumed.updated + resumed.unchanged == 4
    clean = Settings(data_dir=tmp_path / "clean")
    Ingestor(clean).run([corpus])
    ids_resumed = sorted(IndexStore(settings, "minilm").all_chunks()[0])
    ids_clean = sorted(IndexStore(clean, "minilm").all_chunks()[0])
    assert ids_resumed == ids_clean
    assert len(ids_resumed) == len(set(ids_resumed))


def test_wrong_embedding_model_is_a_clear_error(tmp_path):
    corpus = tmp_path / "c"
    corpus.mkdir()
    _write(corpus, "a.txt", "Some policy text with a target of 10% by 2030.")
    settings = Settings(data_dir=tmp_path / "data")
    Ingestor(settings).run([corpus])
    with pytest.raises(IndexError_, match="rebuild"):
        IndexStore(settings, "use-m3")
    with pytest.raises(IndexError_, match="assistant ingest"):
        IndexStore(Settings(data_dir=tmp_path / "nothing"), "minilm")


def test_docs_metadata_and_cleaned_text_stored(assistant, policy_dir):
    docs = assistant.documents()
    seed = docs["soe-reform-priorities-2024"]
    assert seed.metadata["issuer"] == "SASAC Reform Office"
    assert seed.metadata["doc_type"] == "briefing"
    assert not seed.metadata.get("date")
    assert seed.metadata["author"] == "Li Xinping"
    assert any(w["message"].startswith("share of 613%") for w in seed.warnings)
    plan = docs["river-basin-plan"]
    assert plan.metadata["date"] == "2025-02-10" and plan.metadata["chunks"] >= 1
    assert "4.2 billion yuan" in plan.text and not plan.text.startswith("---")


def test_store_fingerprint_is_a_cheap_token_that_changes_on_every_write(tmp_path):
    from assistant.config import get_settings
    from assistant.store import IndexStore

    store = IndexStore(get_settings(data_dir=tmp_path), "test-model", dim=3, create=True)
    unit = np.array([1.0, 0.0, 0.0], dtype=np.float32)
    store.upsert_document("a", "text", {"title": "A"}, unit, [], [])
    first = store.fingerprint()
    assert first == store.fingerprint()  # reading does not change it
    store.mark_incomplete("a")
    second = store.fingerprint()
    assert second != first
    store.delete_document("a")
    assert store.fingerprint() not in (first, second)
    assert store.state.get(ids=["generation"])["ids"] == ["generation"]


def test_relpath_seams_and_unreadable_files_through_the_pipeline(tmp_path):
    from reportlab.pdfgen import canvas

    from ingest.loaders import load_document

    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    _write(corpus / "sub", "note.txt", "A note. The province will build 12 schools by 2027.")
    pdf = canvas.Canvas(str(corpus / "speech.pdf"))
    for n, topic in enumerate(("health", "schools", "roads"), start=1):
        pdf.drawString(72, 800, "Running Head of the Speech")
        pdf.drawString(72, 760, f"Paragraph {n} of the speech says that spending on {topic} will rise in")
        pdf.drawString(72, 746, f"the coming year, and the sentence about {topic} runs on to the next page of")
        pdf.drawString(300, 40, str(n))
        pdf.showPage()
    pdf.save()
    (corpus / "random.pdf").write_bytes(bytes(range(256)) * 8)
    settings = Settings(data_dir=tmp_path / "data")
    report = Ingestor(settings).run([corpus])
    assert report.added == 2
    skipped = {w.file.rsplit("/", 1)[-1]: w.message for w in report.warnings if w.kind == "skipped"}
    assert skipped["random.pdf"].startswith("skipped: cannot read PDF")
    store = IndexStore(settings, "minilm")
    docs = {d.doc_id: d for d in store.documents()}
    assert docs["note"].metadata["relpath"] == "sub/note.txt"
    assert docs["speech"].metadata["relpath"] == "speech.pdf"
    assert docs["speech"].metadata["seams"] == load_document(corpus / "speech.pdf").metadata["seams"]
    assert len(docs["speech"].metadata["seams"]) == 2 and "Running Head" not in docs["speech"].text
    _, _, metas = store.all_chunks()
    assert {m["relpath"] for m in metas} == {"sub/note.txt", "speech.pdf"}
    single = Ingestor(Settings(data_dir=tmp_path / "one")).run([corpus / "sub" / "note.txt"])
    assert single.added == 1
    assert IndexStore(Settings(data_dir=tmp_path / "one"), "minilm").documents()[0].metadata["relpath"] == "note.txt"


def test_chinese_documents_get_chunks_of_comparable_meaning():
    from ingest.chunking import token_budget

    zh = "。".join(f"第{i}项任务要在年底前完成，各地区各部门要加强组织领导，确保各项措施落到实处" for i in range(40)) + "。"
    en = " ".join(f"Task {i} must be completed by the end of the year, and every region and department must "
                  "strengthen leadership so that each measure is carried out." for i in range(40))
    zh_chunks = chunk_text(zh, "zh", max_tokens=token_budget(180, "zh"))
    en_chunks = chunk_text(en, "en", max_tokens=token_budget(180, "en"))
    zh_chars = np.median([len(c.text) for c in zh_chunks])
    en_chars = np.median([len(c.text) for c in en_chunks])
    assert token_budget(180, "zh") > 180 == token_budget(180, "en")
    # one Chinese character carries roughly what three English ones do
    assert 0.25 <= zh_chars / en_chars <= 0.5
    assert all(count_tokens(c.text) <= token_budget(180, "zh") for c in zh_chunks)


def test_dense_search_is_wide_enough_for_the_candidate_pool(tmp_path):
    """Retrieval asks Chroma for 100-300 neighbours: with HNSW's default ef_search (100) that
    search is approximate and differs between processes. New indexes are built wide, and an
    index built with the default is widened when it is opened."""
    from assistant.store import SEARCH_EF, make_client

    settings = Settings(data_dir=tmp_path / "data")
    store = IndexStore(settings, "minilm", dim=4, create=True)
    assert store.chunks.configuration["hnsw"]["ef_search"] == SEARCH_EF
    del store
    old = Settings(data_dir=tmp_path / "old")
    client = make_client(old)
    client.create_collection(f"{old.collection}_chunks", embedding_function=None,
                             configuration={"hnsw": {"space": "cosine"}}, metadata={"embedding_model": "minilm"})
    assert client.get_collection(f"{old.collection}_chunks").configuration["hnsw"]["ef_search"] < SEARCH_EF
    del client
    reopened = IndexStore(old, "minilm")
    assert reopened.chunks.configuration["hnsw"]["ef_search"] == SEARCH_EF


def test_dense_search_is_exact_and_the_same_for_every_build_of_an_index(assistant):
    """Below EXACT_SEARCH_MAX_CHUNKS the dense ranking is a product with every chunk vector, so
    it equals brute force over the stored embeddings, whatever graph Chroma built; above it,
    the approximate HNSW search still answers."""
    import numpy as np

    from assistant.retrieval import ChunkTable

    r = assistant.retriever
    table = r.table
    assert table.vectors is not None and len(table.vectors) == len(table.ids)
    q = np.asarray(assistant.embeddings.embed_query("board of directors of pilot firms"), dtype=np.float32)
    ids, vecs = assistant.store.chunk_vectors()
    brute = np.argsort(-(vecs @ (q / np.linalg.norm(q))), kind="stable")[:10]
    assert [table.ids[i] for i, _ in table.nearest(q, 10)] == [ids[i] for i in brute]
    mask = np.array([i % 2 == 0 for i in range(len(table.ids))])
    assert all(mask[i] for i, _ in table.nearest(q, 10, mask))
    approximate = ChunkTable(assistant.store, exact_max=0)
    assert approximate.vectors is None
    hnsw = [cid for cid, _ in assistant.store.query(q, 3)]
    assert hnsw and set(hnsw) <= set(table.ids)
