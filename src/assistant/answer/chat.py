"""Chat-model backends for generated answers (opt-in), and running a chain under a deadline.

    ASSISTANT_LLM=openai   ASSISTANT_LLM_BASE_URL=http://127.0.0.1:8000/v1  ASSISTANT_LLM_MODEL=...   (vLLM, LM Studio, llama.cpp server, hosted API)
    ASSISTANT_LLM=ollama   ASSISTANT_LLM_MODEL=llama3.1:8b  [ASSISTANT_LLM_BASE_URL=http://127.0.0.1:11434]
    ASSISTANT_LLM=llamacpp ASSISTANT_LLM_MODEL_PATH=/path/to/model.gguf   (pip install '.[local-llm]': llamacpp.py)

Every failure becomes an `LLMError` whose message is one line for the user
(`describe_error`); the generated-answer stage then falls back to the extractive one.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from typing import Callable

from assistant.config import Settings

HISTORY_TOKENS = 800  # budget for the conversation so far in a prompt


class LLMError(RuntimeError):
    """A problem with the LLM; the message is for the user (no traceback)."""


class LLMConfigError(LLMError):
    """ASSISTANT_LLM* settings that cannot work (missing model, package, key...)."""


class LLMUnavailable(LLMError):
    """The endpoint is down, slow, rate-limiting or refused the request."""


# ---------------------------------------------------------------- chat models

def api_key(settings: Settings) -> str | None:
    """ASSISTANT_LLM_API_KEY, else OPENAI_API_KEY; from the environment only."""
    if settings.llm_api_key is not None and settings.llm_api_key.get_secret_value():
        return settings.llm_api_key.get_secret_value()
    return os.environ.get("OPENAI_API_KEY") or None


def endpoint(settings: Settings) -> str:
    if settings.llm == "llamacpp":
        return f"llama.cpp ({model_path(settings) or 'no model file'})"
    if settings.llm == "ollama":
        return settings.llm_base_url or "http://127.0.0.1:11434"
    return settings.llm_base_url or "https://api.openai.com/v1"


def is_configured(settings: Settings) -> str | None:
    """None when the settings name a usable backend, else why not (for benchmarks/llm.py)."""
    if settings.llm == "none":
        return "no LLM is configured (ASSISTANT_LLM=none)"
    try:
        _check_config(settings)
    except LLMConfigError as exc:
        return str(exc)
    return None


def _check_config(settings: Settings) -> None:
    if settings.llm == "openai":
        if not api_key(settings) and not settings.llm_base_url:
            raise LLMConfigError(
                "ASSISTANT_LLM=openai needs ASSISTANT_LLM_BASE_URL (an OpenAI-compatible server: vLLM, LM Studio, "
                "llama.cpp server, Ollama's /v1) or an API key in ASSISTANT_LLM_API_KEY / OPENAI_API_KEY.")
        if settings.llm_base_url and not settings.llm_model:
            raise LLMConfigError("Set ASSISTANT_LLM_MODEL to the name of the model your server serves.")
    elif settings.llm == "ollama":
        if not settings.llm_model:
            raise LLMConfigError("Set ASSISTANT_LLM_MODEL to an Ollama model you have pulled (for example llama3.1:8b).")
    elif settings.llm == "llamacpp":
        try:
            import xllamacpp  # noqa: F401
        except ImportError:
            raise LLMConfigError("ASSISTANT_LLM=llamacpp needs the llama.cpp runtime, which is not installed: "
                                 "pip install '.[local-llm]' (prebuilt wheels, nothing to compile).") from None
        path = model_path(settings)
        if not path:
            raise LLMConfigError("ASSISTANT_LLM=llamacpp needs ASSISTANT_LLM_MODEL_PATH=/path/to/model.gguf "
                                 "(a GGUF chat model on disk; nothing is downloaded).")
        if not os.path.isfile(path):
            raise LLMConfigError(f"The GGUF model file {path} does not exist (ASSISTANT_LLM_MODEL_PATH).")
    elif settings.llm != "none":
        raise LLMConfigError(f"Unknown ASSISTANT_LLM={settings.llm!r}: use none, openai, ollama or llamacpp.")


def model_path(settings: Settings) -> str | None:
    """The GGUF file for llamacpp: ASSISTANT_LLM_MODEL_PATH, else an ASSISTANT_LLM_MODEL ending in .gguf."""
    if settings.llm_model_path:
        return str(settings.llm_model_path)
    if settings.llm_model and settings.llm_model.lower().endswith(".gguf"):
        return settings.llm_model
    return None


def context_size(settings: Settings) -> int:
    """llama.cpp's context window: the sources' budget and the conversation's, counted with
    cl100k (a small model's tokenizer can need half as many again), the prompt and the reply."""
    return max(4096, int(1.5 * (settings.llm_context_tokens + HISTORY_TOKENS)) + 400 + settings.llm_max_tokens)


def chat_model(settings: Settings):
    """The LangChain chat model the settings choose. Raises LLMConfigError with a
    message for the user when it cannot be built."""
    _check_config(settings)
    kind, timeout = settings.llm, float(settings.llm_timeout)
    if kind == "openai":
        from langchain_openai import ChatOpenAI

        return ChatOpenAI(model=settings.llm_model or "gpt-4o-mini", base_url=settings.llm_base_url,
                          api_key=api_key(settings) or "not-needed", timeout=timeout, max_retries=0,
                          temperature=settings.llm_temperature)
    if kind == "ollama":
        try:
            from langchain_ollama import ChatOllama
        except ImportError:
            raise LLMConfigError("ASSISTANT_LLM=ollama needs langchain-ollama: pip install langchain-ollama") from None
        return ChatOllama(model=settings.llm_model, base_url=endpoint(settings), temperature=settings.llm_temperature,
                          num_ctx=max(4096, settings.llm_context_tokens + HISTORY_TOKENS + 1024),
                          num_predict=settings.llm_max_tokens, client_kwargs={"timeout": timeout})
    if kind == "llamacpp":
        from assistant.answer.llamacpp import ChatLlamaCpp, runtime

        path = model_path(settings)
        try:
            rt = runtime(path, context_size(settings), settings.llm_threads)
        except Exception as exc:  # not a GGUF file, an unknown architecture, out of memory
            raise LLMConfigError(f"llama.cpp could not load {path} ({str(exc).strip() or type(exc).__name__}): "
                                 "ASSISTANT_LLM_MODEL_PATH must name a GGUF chat model.") from None
        return ChatLlamaCpp(rt=rt, temperature=settings.llm_temperature, max_tokens=settings.llm_max_tokens, timeout=timeout)
    raise LLMConfigError("No LLM is configured (ASSISTANT_LLM=none).")


def describe_error(exc: BaseException, settings: Settings) -> LLMError:
    """A one-line, user-facing message for whatever the chat model raised."""
    if isinstance(exc, LLMError):
        return exc
    where = endpoint(settings)
    status = getattr(exc, "status_code", None) or getattr(getattr(exc, "response", None), "status_code", None)
    name = type(exc).__name__
    text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else name
    if "Timeout" in name or isinstance(exc, TimeoutError):
        return LLMUnavailable(f"The LLM at {where} did not answer within {settings.llm_timeout:g} s.")
    if status == 429 or "RateLimit" in name:
        return LLMUnavailable(f"The LLM at {where} is rate-limiting requests (HTTP 429); try again later.")
    if status in (401, 403) or "Authentication" in name or "PermissionDenied" in name:
        return LLMUnavailable(f"The LLM at {where} rejected the request (HTTP {status or 401}): check ASSISTANT_LLM_API_KEY.")
    if status == 404 or "NotFound" in name:
        return LLMUnavailable(f"The LLM at {where} answered HTTP 404: check ASSISTANT_LLM_BASE_URL and ASSISTANT_LLM_MODEL "
                              f"({settings.llm_model or 'unset'}).")
    if isinstance(status, int):
        return LLMUnavailable(f"The LLM at {where} answered HTTP {status}: {text}")
    if "Connect" in name or isinstance(exc, ConnectionError) or "connection" in text.lower():
        return LLMUnavailable(f"Could not connect to the LLM at {where} ({text}).")
    return LLMUnavailable(f"The LLM at {where} failed ({name}: {text}).")


# ---------------------------------------------------------------- running under a deadline

def run_chain(chain, inputs: dict, timeout: float, on_token: Callable[[str], None] | None = None,
              settings: Settings | None = None) -> tuple[str, float | None]:
    """Invoke (or stream, with `on_token`) a chain in a daemon thread; give up after
    `timeout` seconds without a reply (streamed: without a token). Returns the text
    and the seconds to the first token (None when not streamed)."""
    q: queue.Queue = queue.Queue()

    def work():
        try:
            if on_token is None:
                q.put(("text", chain.invoke(inputs)))
            else:
                for piece in chain.stream(inputs):
                    q.put(("token", piece))
            q.put(("done", None))
        except BaseException as exc:  # handed to the caller's thread
            q.put(("error", exc))

    t0 = time.monotonic()
    threading.Thread(target=work, daemon=True, name="assistant-llm").start()
    parts: list[str] = []
    first: float | None = None
    while True:
        try:
            kind, value = q.get(timeout=max(timeout, 0.01))
        except queue.Empty:
            where = endpoint(settings) if settings else "the endpoint"
            raise LLMUnavailable(f"The LLM at {where} did not answer within {timeout:g} s.") from None
        if kind == "error":
            raise value
        if kind == "text":
            parts.append(str(value))
        elif kind == "token":
            if value:
                if first is None:
                    first = time.monotonic() - t0
                parts.append(value)
                on_token(value)
        else:
            return "".join(parts), first


__all__ = ["LLMError", "LLMConfigError", "LLMUnavailable", "api_key", "endpoint", "is_configured", "chat_model",
           "describe_error", "run_chain", "model_path", "context_size", "HISTORY_TOKENS"]
