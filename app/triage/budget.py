"""Fit an issue into a token budget without losing what matters for triage.

Kept in this order of priority: the title, the opening of the description, error lines and stack
traces (with a line of context), version and environment lines, then the end of the report.
Cuts are marked with "[…]" so the model knows text is missing.
"""

from __future__ import annotations

import re

from app.llm.tokens import count_tokens, truncate_to_tokens

CUT_MARK = "[…]"
_IMPORTANT_LINE = re.compile(
    r"(Traceback|Error|Exception|error:|CUDA|ROCm|Metal|Vulkan|Segmentation fault|core dumped|Assert|"
    r"abort|Killed|OOM|out of memory|NCCL|hang|stuck|deadlock|File \".*\", line \d+|"
    r"version|==\d|\bv?\d+\.\d+\.\d+\b|nvidia-smi|Driver|GPU|torch|transformers|python|OS:|Ubuntu|Windows|macOS)",
    re.I,
)


def fit_issue(title: str, body: str, budget: int, model: str | None = None) -> tuple[str, bool]:
    """Return the report text within `budget` tokens, and whether anything was cut."""
    body = body or ""
    full = f"Title: {title}\n\n{body}".rstrip()
    if count_tokens(full, model) <= budget:
        return full, False

    title_line = f"Title: {title[:500]}"
    remaining = budget - count_tokens(title_line, model) - 8
    lines = body.splitlines()
    costs = [count_tokens(line, model) + 1 for line in lines]

    keep = [False] * len(lines)
    head_budget = int(remaining * 0.4)
    spent = 0
    for index, cost in enumerate(costs):
        if spent + cost > head_budget:
            break
        keep[index] = True
        spent += cost

    # Error lines and traces, each with the line before it, newest last: the end of a trace names the error.
    important_budget = spent + int(remaining * 0.45)
    important = [index for index, line in enumerate(lines) if _IMPORTANT_LINE.search(line)]
    for index in sorted(important, key=lambda position: -position):
        for position in (index - 1, index):
            if 0 <= position < len(lines) and not keep[position] and spent + costs[position] <= important_budget:
                keep[position] = True
                spent += costs[position]

    for index in range(len(lines) - 1, -1, -1):
        if keep[index]:
            continue
        if spent + costs[index] > remaining:
            break
        keep[index] = True
        spent += costs[index]

    parts = [title_line, ""]
    cut = False
    for index, line in enumerate(lines):
        if keep[index]:
            if cut:
                parts.append(CUT_MARK)
                cut = False
            parts.append(line[:2000])
        else:
            cut = True
    if cut:
        parts.append(CUT_MARK)
    text = "\n".join(parts)
    # Per-line counts miss merges across line breaks and the cut marks; trim what they missed.
    if count_tokens(text, model) > budget:
        text = truncate_to_tokens(text, budget - 3, model) + "\n" + CUT_MARK
    return text, True
