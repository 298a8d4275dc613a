"""Write an evaluation as JSON, Markdown and PNG plots."""

from __future__ import annotations

import json
from pathlib import Path

FIELD_TITLES = {
    "symptom": "Symptom",
    "root_cause_category": "Root-cause category",
    "root_cause": "Root-cause leaf",
    "phase": "Phase",
    "component": "Component",
}


def markdown(reports: list[dict]) -> str:
    lines = []
    for data in reports:
        cost = data["cost"]
        lines += [
            f"## {data['run']}",
            "",
            f"{data['n']} issues; predictor {', '.join(data['predictor'])}; model `{data['model']}`; "
            f"prompt `{data['prompt_version']}`"
            + (f"; response format {', '.join(data['response_format'])}" if data["response_format"] else "")
            + f"; {data['seconds']:.1f} s in all.",
            "",
            "| Field | Accuracy | Macro-F1 | Majority baseline | Model alone | ECE | ECE after isotonic (5-fold) |",
            "|---|---|---|---|---|---|---|",
        ]
        for name, summary in data["fields"].items():
            alone = summary.get("model_alone_accuracy")
            lines.append(
                f"| {FIELD_TITLES[name]} | {summary['accuracy']:.3f} | {summary['macro_f1']:.3f} | "
                f"{summary['majority_accuracy']:.3f} ({summary['majority_label']}) | "
                f"{'' if alone is None else f'{alone:.3f}'} | {summary['calibration']['ece']:.3f} | "
                f"{summary['calibration_isotonic_cv']['ece']:.3f} |"
            )
        root = data["fields"]["root_cause"]
        lines += [
            "",
            f"Root-cause abstention rate: {root.get('abstention_rate', 0):.3f}. "
            f"Tokens per issue: {cost['prompt_tokens_mean']:.0f} prompt, {cost['completion_tokens_mean']:.0f} completion; "
            f"cached-prefix share {cost['cached_prefix_share_mean']:.2f}. "
            f"Latency per issue: mean {cost['latency_ms_mean']:.0f} ms, p50 {cost['latency_ms_p50']:.0f} ms, "
            f"p95 {cost['latency_ms_p95']:.0f} ms.",
            "",
            "Symptom precision against coverage:",
            "",
            "| Threshold | Coverage | Precision |",
            "|---|---|---|",
        ]
        for point in data["fields"]["symptom"]["precision_coverage"][::2]:
            lines.append(f"| {point['threshold']:.2f} | {point['coverage']:.2f} | {point['precision']:.3f} |")
        lines.append("")
    return "\n".join(lines)


def plots(data: dict, directory: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    figure, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    for name, summary in data["fields"].items():
        bins = summary["calibration"]["bins"]
        axes[0].plot([b["confidence"] for b in bins], [b["accuracy"] for b in bins], marker="o", label=FIELD_TITLES[name])
        points = summary["precision_coverage"]
        axes[1].plot([p["coverage"] for p in points], [p["precision"] for p in points], marker=".", label=FIELD_TITLES[name])
    axes[0].plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect calibration")
    axes[0].set(title="Reliability diagram", xlabel="mean confidence in bin", ylabel="accuracy in bin", xlim=(0, 1), ylim=(0, 1))
    axes[1].set(title="Precision against coverage", xlabel="share of issues kept (confidence ≥ threshold)", ylabel="precision", xlim=(0, 1.02), ylim=(0, 1.02))
    axes[0].legend(fontsize=8)
    axes[1].legend(fontsize=8)
    figure.suptitle(data["run"])
    figure.tight_layout()
    path = directory / "calibration.png"
    figure.savefig(path, dpi=110)
    plt.close(figure)
    written.append(path)

    for name in ("symptom", "root_cause_category"):
        matrix = data["fields"][name]["confusion"]
        labels = matrix["labels"]
        figure, axis = plt.subplots(figsize=(1.2 + 0.7 * len(labels), 1.0 + 0.6 * len(labels)))
        axis.imshow(matrix["matrix"], cmap="Blues")
        axis.set_xticks(range(len(labels)), labels, rotation=45, ha="right", fontsize=8)
        axis.set_yticks(range(len(labels)), labels, fontsize=8)
        for row, values in enumerate(matrix["matrix"]):
            for column, value in enumerate(values):
                if value:
                    axis.text(column, row, str(value), ha="center", va="center", fontsize=8)
        axis.set(xlabel="predicted", ylabel="gold", title=f"{FIELD_TITLES[name]}: {data['run']}")
        figure.tight_layout()
        path = directory / f"confusion-{name}.png"
        figure.savefig(path, dpi=110)
        plt.close(figure)
        written.append(path)
    return written


def write(reports: list[dict], directory: Path) -> list[Path]:
    """Write report.json, report.md and, per run, PNG plots under `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    path = directory / "report.json"
    path.write_text(json.dumps(reports, indent=2), encoding="utf-8")
    written.append(path)
    path = directory / "report.md"
    path.write_text("# Evaluation\n\n" + markdown(reports), encoding="utf-8")
    written.append(path)
    for index, data in enumerate(reports):
        run_directory = directory / f"run-{index + 1}"
        run_directory.mkdir(exist_ok=True)
        written += plots(data, run_directory)
    return written
