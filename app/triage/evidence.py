"""Facts a maintainer looks for first, pulled out of the report with regular expressions.

The extraction is deliberately literal: it reports what the text says (a version line, a GPU
name, the last exception) and never guesses, so the rationale can cite it and a reviewer can
trust it.
"""

from __future__ import annotations

import re

_VERSION = r"v?(\d+\.\d+(?:\.\d+)?(?:[.\-+][0-9A-Za-z.]+)?)"

ENGINE_VERSION_PATTERNS = [
    ("vLLM", re.compile(r"\bvllm(?:[ =_-]*version)?\s*(?:==|:|\s)\s*" + _VERSION, re.I)),
    ("SGLang", re.compile(r"\bsglang(?:[ =_-]*version)?\s*(?:==|:|\s)\s*" + _VERSION, re.I)),
    ("TensorRT-LLM", re.compile(r"\btensorrt[_-]llm(?:[ =_-]*version)?\s*(?:==|:|\s)\s*" + _VERSION, re.I)),
    ("DeepSpeed", re.compile(r"\bdeepspeed(?:[ =_-]*version)?\s*(?:==|:|\s)\s*" + _VERSION, re.I)),
    ("MLC-LLM", re.compile(r"\bmlc[_-]?(?:llm|ai)[\w-]*\s*(?:==|:|\s)\s*" + _VERSION, re.I)),
    ("Ollama", re.compile(r"\bollama(?:[ =_-]*version(?: is)?)?\s*(?:==|:|\s)\s*" + _VERSION, re.I)),
    ("llama.cpp", re.compile(r"\bversion:\s*(\d{3,5}\s*\([0-9a-f]{6,}\))|\b(b\d{4,5})\b")),
]
LIBRARY_PATTERNS = {
    "torch": re.compile(r"\b(?:py)?torch(?:\s+version)?\s*(?:==|:|\s)\s*" + _VERSION, re.I),
    "transformers": re.compile(r"\btransformers(?:\s+version)?\s*(?:==|:|\s)\s*" + _VERSION, re.I),
    "python": re.compile(r"\bpython\s*(?:version)?\s*(?:==|:|\s)\s*(3\.\d+(?:\.\d+)?)", re.I),
    "triton": re.compile(r"\btriton\s*(?:==|:|\s)\s*" + _VERSION, re.I),
}
CUDA_PATTERN = re.compile(r"\bCUDA(?:\s*Version)?\s*[:=]?\s*(\d{2}\.\d(?:\.\d+)?)|\bcu(1[12]\d)\b", re.I)
DRIVER_PATTERN = re.compile(r"\bDriver\s*Version\s*[:=]?\s*(\d{3}\.\d+(?:\.\d+)?)", re.I)
ROCM_PATTERN = re.compile(r"\bROCm\s*(?:version)?\s*[:=]?\s*(\d\.\d+(?:\.\d+)?)", re.I)
GPU_PATTERN = re.compile(
    r"\b((?:NVIDIA\s+)?(?:GeForce\s+)?(?:RTX\s*\d{4}(?:\s*Ti)?|GTX\s*\d{3,4}|[AHLBV]100|H200|H20|GH200|A10G?|A30|A40|A6000|L4|L40S?|T4|P100|K80|B200)"
    r"|MI\d{3}X?|Radeon\s+\w+|Apple\s+M\d(?:\s+(?:Pro|Max|Ultra))?|Jetson\s+\w+|Intel\s+Arc\s+\w+)\b",
    re.I,
)
BACKEND_PATTERN = re.compile(r"\b(CUDA|ROCm|HIP|Metal|Vulkan|WebGPU|OpenCL|SYCL|CPU|NCCL|cuBLAS|TensorRT)\b")
QUANTIZATION_PATTERN = re.compile(
    r"\b(AWQ|GPTQ|FP8|INT8|INT4|W4A16|W8A8|SmoothQuant|bitsandbytes|GGUF|Q\d_K(?:_[SML])?|Q\d_\d|IQ\d_\w+|"
    r"q\d?f\d{2}_\d|bf16|fp16|float16|bfloat16|fp32|nf4|marlin)\b",
    re.I,
)
PARALLELISM_PATTERN = re.compile(
    r"(?:--)?(tensor[_-]parallel[_-]size|pipeline[_-]parallel[_-]size|tp[_-]size|pp[_-]size|world[_-]size|"
    r"num[_-]gpus|\btp\b|\bpp\b|mp[_-]size|--gpus)\s*[=: ]\s*(\d+)",
    re.I,
)
MODEL_PATTERN = re.compile(
    r"\b((?:meta-llama|mistralai|Qwen|google|microsoft|deepseek-ai|tiiuae|bigscience|EleutherAI|facebook|"
    r"TheBloke|lmsys|mosaicml|THUDM|01-ai|baichuan-inc|internlm|openai|NousResearch|HuggingFaceH4|llava-hf|"
    r"nvidia|bigcode|Salesforce|mlc-ai|unsloth)/[\w.\-]+|[\w.\-]+\.gguf)\b"
)
MODEL_FAMILY_PATTERN = re.compile(
    r"\b(Llama[- ]?\d(?:\.\d)?[\w-]*|Mistral[\w-]*|Mixtral[\w-]*|Qwen\d?(?:\.\d)?[\w-]*|Gemma[\w-]*|Phi-?\d[\w-]*|"
    r"DeepSeek[\w-]*|Falcon[\w-]*|GPT-?J|GPT-?NeoX?|OPT-\d+\w*|BLOOM\w*|Baichuan\w*|ChatGLM\w*|Vicuna\w*|LLaVA[\w-]*|"
    r"StarCoder\w*|Yi-\d+\w*|InternLM\w*|BERT|RoBERTa)\b",
    re.I,
)
ERROR_LINE_PATTERN = re.compile(
    r"^\s*((?:[\w.]+\.)?\w*(?:Error|Exception|Interrupt|Warning)\b:?.*|.*\bCUDA error\b.*|.*Segmentation fault.*|"
    r".*core dumped.*|.*Assertion .* failed.*|.*\bAborted\b.*|.*\bterminate called\b.*|.*\bfatal error\b.*|"
    r".*\bout of memory\b.*|.*\bNCCL (?:error|WARN).*|.*\bTimeout\b.*|.*\bKilled\b.*)$",
    re.I | re.M,
)
FRAME_PATTERN = re.compile(r'File "([^"]+)", line (\d+), in (\S+)')


def _first(pattern: re.Pattern, text: str) -> str | None:
    match = pattern.search(text)
    if not match:
        return None
    return next((group for group in match.groups() if group), match.group(0)).strip()


def _unique(values: list[str], limit: int) -> list[str]:
    seen: dict[str, str] = {}
    for value in values:
        key = re.sub(r"\s+", " ", value.strip()).lower()
        if key and key not in seen:
            seen[key] = re.sub(r"\s+", " ", value.strip())
    return list(seen.values())[:limit]


def error_lines(text: str, limit: int = 6) -> list[str]:
    lines = [match.group(0).strip()[:300] for match in ERROR_LINE_PATTERN.finditer(text)]
    return _unique(lines, limit)


def extract_evidence(title: str, body: str, engine: str | None = None) -> dict:
    """Return the facts found in the report, leaving out those it does not state."""
    text = f"{title}\n{body}"
    evidence: dict = {}

    if engine:
        evidence["engine"] = engine
    for name, pattern in ENGINE_VERSION_PATTERNS:
        version = _first(pattern, text)
        if version and (engine is None or engine == name):
            evidence["engine_version"] = version
            evidence.setdefault("engine", name)
            break

    models = _unique([match.group(1) for match in MODEL_PATTERN.finditer(text)], 3)
    models = models or _unique([match.group(1) for match in MODEL_FAMILY_PATTERN.finditer(text)], 3)
    if models:
        evidence["models"] = models
    quantization = _unique([match.group(1) for match in QUANTIZATION_PATTERN.finditer(text)], 4)
    if quantization:
        evidence["quantization"] = quantization
    gpus = _unique([re.sub(r"^(?:NVIDIA\s+)?(?:GeForce\s+)?", "", match.group(1), flags=re.I) for match in GPU_PATTERN.finditer(text)], 3)
    if gpus:
        evidence["hardware"] = gpus
    backends = _unique([match.group(1) for match in BACKEND_PATTERN.finditer(text)], 4)
    if backends:
        evidence["backends"] = backends

    versions = {}
    for key, pattern in (("cuda", CUDA_PATTERN), ("driver", DRIVER_PATTERN), ("rocm", ROCM_PATTERN)):
        value = _first(pattern, text)
        if value:
            if key == "cuda" and value.isdigit():
                value = f"{value[:-1]}.{value[-1]}"  # a wheel tag such as cu121 means CUDA 12.1
            versions[key] = value
    for key, pattern in LIBRARY_PATTERNS.items():
        value = _first(pattern, text)
        if value:
            versions[key] = value
    if versions:
        evidence["versions"] = versions

    parallelism = {}
    for match in PARALLELISM_PATTERN.finditer(text):
        parallelism.setdefault(match.group(1).lower().lstrip("-").replace("-", "_"), int(match.group(2)))
    if parallelism:
        evidence["parallelism"] = parallelism

    errors = error_lines(body)
    if errors:
        evidence["error_signature"] = errors[-1]
        evidence["error_lines"] = errors
    frames = FRAME_PATTERN.findall(body)
    if frames:
        path, line, function = frames[-1]
        evidence["innermost_frame"] = f"{path}:{line} in {function}"
    return evidence
