"""Policy Q&A assistant: cited answers over reform-policy documents."""

from assistant.config import Settings, get_settings
from assistant.models import Answer, Citation, IngestReport

__all__ = ["Assistant", "Answer", "Citation", "IngestReport", "Settings", "get_settings"]


def __getattr__(name):  # lazy: importing the package must not load torch
    if name == "Assistant":
        from assistant.core import Assistant

        return Assistant
    raise AttributeError(name)
