"""The web layer: a JSON API (`/healthz`, `POST /api/ask`) and the Gradio UI at `/`.

    api.py      FastAPI routes; mounts the UI
    auth.py     users, roles, passwords
    render.py   escaping, source cards, the chat's Markdown (everything shown in the browser)
    state.py    what the API and the UI share
    uploads.py  file names and the rules for uploaded files
    ui/         the Gradio Blocks, one module per tab
"""

from assistant.serve.api import create_app

__all__ = ["create_app"]
