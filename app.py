"""Start the web app: `python app.py [--port 7860] [--host 127.0.0.1] [--no-index]`.

Settings come from ASSISTANT_* environment variables (see src/assistant/config.py).
On first start, when the index is empty and ASSISTANT_CORPUS_DIR exists, the
corpus is indexed before the server starts (skip with --no-index).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))  # run from a checkout without `pip install -e .`
sys.path.insert(0, str(Path(__file__).resolve().parent))


def main(argv: list[str] | None = None) -> int:
    from assistant.config import get_settings

    settings = get_settings()
    parser = argparse.ArgumentParser(description="Policy document assistant (web UI + JSON API).")
    parser.add_argument("--port", type=int, default=settings.port, help=f"port (default {settings.port}, ASSISTANT_PORT)")
    parser.add_argument("--host", default=settings.host, help=f"interface (default {settings.host}, ASSISTANT_HOST)")
    parser.add_argument("--no-index", action="store_true", help="do not index the corpus folder on first start")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    import uvicorn

    from assistant.core import Assistant
    from assistant.serve import create_app

    from assistant.store import IndexError_

    assistant = Assistant(settings)
    try:  # a read-only data folder, an unreachable Chroma server...: one clear line, exit 1, no traceback
        if not args.no_index and not assistant.has_index() and Path(settings.corpus_dir).is_dir():
            print(f"Index is empty: indexing {settings.corpus_dir} ...", flush=True)
            r = assistant.ingest([str(settings.corpus_dir)], progress=False)
            print(f"Indexed: {r.added} added, {r.updated} updated, {r.unchanged} unchanged, {r.removed} removed; "
                  f"{r.chunks_written} chunks written, {r.chunks_total} in the index ({r.seconds:.1f} s).", flush=True)
            for w in r.warnings:
                print(f"  warning: {w.file}: {w.message}", flush=True)
        if assistant.has_index():
            assistant.documents()  # load the model and the lexical index now, not on the first question
        else:
            print("No documents indexed yet: upload on the Documents tab or run `assistant ingest`.", flush=True)
    except IndexError_ as exc:
        print(f"Error: {exc}", file=sys.stderr, flush=True)
        return 1

    app = create_app(assistant)
    shown = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    print(f"Policy document assistant running at http://{shown}:{args.port}/  (API: POST /api/ask, GET /healthz)",
          flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
