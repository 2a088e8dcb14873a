"""A scenario's result: one line on stdout, `<out>/<date>-<scenario>.json` and a PNG chart beside it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from rustok.bench import SCENARIO_NAMES
from rustok.bench.runner import Bench


@dataclass
class Figure:
    name: str           # what was measured, e.g. "commits/s, event path on"
    value: float
    unit: str           # "commits/s", "ms", ...


@dataclass
class Result:
    scenario: str
    figure: Figure
    reference: Figure | None
    goal: str                       # as in issue 11, e.g. "ratio >= 0.8"
    goal_value: float
    goal_on: str                    # "ratio", "figure" (higher is better) or "figure_max" (lower is better)
    rounds: list[dict]              # one dict per round: the raw values of that round
    load_before: list[float]
    load_after: list[float]
    settings: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)       # further figures (e.g. p99, the worker's rate)
    notes: list[str] = field(default_factory=list)
    charts: list[dict] = field(default_factory=list)  # panels for report.chart
    ratio_override: float | None = None             # a ratio that is not figure / reference (lag: achieved / target)
    also_met: bool = True                            # a second condition of the goal (lag: p99)

    @property
    def ratio(self) -> float | None:
        if self.ratio_override is not None:
            return self.ratio_override
        if self.reference is None or not self.reference.value:
            return None
        return self.figure.value / self.reference.value

    @property
    def met(self) -> bool:
        if self.goal_on == "ratio":
            return self.also_met and self.ratio is not None and self.ratio >= self.goal_value
        if self.goal_on == "figure_max":
            return self.also_met and self.figure.value <= self.goal_value
        return self.also_met and self.figure.value >= self.goal_value

    def line(self) -> str:
        text = f"{self.scenario}: {self.figure.name} {_fmt(self.figure.value)} {self.figure.unit}"
        if self.reference is not None:
            text += (f"; reference ({self.reference.name}) {_fmt(self.reference.value)} {self.reference.unit}; "
                     f"ratio {self.ratio:.2f}")
        for key, value in self.extra.items():
            if isinstance(value, (int, float)) and key.endswith(("_ms", "_per_s", "_s")):
                text += f"; {key} {_fmt(value)}"
        return text + f"  [goal {self.goal}: {'met' if self.met else 'NOT met'}]"


def _fmt(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def write(bench: Bench, result: Result) -> tuple[Path, Path]:
    bench.out.mkdir(parents=True, exist_ok=True)
    date = bench.started.strftime("%Y-%m-%d")
    stem = bench.out / f"{date}-{result.scenario}"
    doc = {
        "scenario": result.scenario,
        "date": bench.started.isoformat(timespec="seconds"),
        "figure": vars(result.figure),
        "reference": vars(result.reference) if result.reference else None,
        "ratio": round(result.ratio, 4) if result.ratio is not None else None,
        "goal": result.goal,
        "goal_met": result.met,
        "rounds": len(result.rounds),
        "round_values": result.rounds,
        "load_average": {"before": result.load_before, "after": result.load_after},
        "machine": bench.machine(),
        "size": bench.size_facts(),
        "settings": result.settings,
        "extra": result.extra,
        "notes": result.notes,
    }
    json_path = stem.with_suffix(".json")
    json_path.write_text(json.dumps(doc, indent=2, default=str) + "\n")
    png_path = stem.with_suffix(".png")
    chart(png_path, result, doc)
    return json_path, png_path


def chart(path: Path, result: Result, doc: dict) -> None:
    """One figure, one panel per entry of result.charts:
    {"kind": "rounds", "title", "ylabel", "series": {name: [value per round]}}
    {"kind": "latency", "title", "series": {name: [latency ms, ...]}}          (distribution)
    {"kind": "timeline", "title", "xlabel", "ylabel", "x": [...], "y": [...]}  (e.g. lag over time)"""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = result.charts or [{"kind": "rounds", "title": result.figure.name, "ylabel": result.figure.unit,
                                "series": {result.figure.name: [result.figure.value]}}]
    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4.2), squeeze=False)
    for ax, panel in zip(axes[0], panels):
        kind = panel["kind"]
        if kind == "rounds":
            for name, values in panel["series"].items():
                ax.plot(range(1, len(values) + 1), values, marker="o", label=name)
            ax.set_xlabel("round")
            ax.set_ylabel(panel.get("ylabel", ""))
            ax.set_ylim(bottom=0)
            ax.set_xticks(range(1, max((len(v) for v in panel["series"].values()), default=1) + 1))
        elif kind == "latency":
            data = {k: v for k, v in panel["series"].items() if v}
            if data:
                import numpy as np

                hi = max(max(v) for v in data.values())
                lo = max(min(min(v) for v in data.values()), 0.01)
                bins = np.logspace(np.log10(lo), np.log10(max(hi, lo * 1.01)), 60)
                for name, values in data.items():
                    ax.hist(values, bins=bins, histtype="step", label=f"{name} (n={len(values):,})")
                ax.set_xscale("log")
            ax.set_xlabel(panel.get("xlabel", "latency, ms (log)"))
            ax.set_ylabel(panel.get("ylabel", "transactions"))
        elif kind == "timeline":
            ax.plot(panel["x"], panel["y"], marker=".", linestyle="none" if panel.get("scatter") else "-",
                    markersize=2)
            ax.set_xlabel(panel.get("xlabel", "s"))
            ax.set_ylabel(panel.get("ylabel", ""))
            if panel.get("log"):
                ax.set_yscale("log")
        ax.set_title(panel.get("title", ""), fontsize=10)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    verdict = "met" if result.met else "NOT met"
    ratio = f", ratio {result.ratio:.2f}" if result.ratio is not None else ""
    fig.suptitle(f"rustok bench {result.scenario} ({doc['size']['name']}): {_fmt(result.figure.value)} "
                 f"{result.figure.unit}{ratio}; goal {result.goal} {verdict}\n{doc['date']}, load "
                 f"{'/'.join(map(str, result.load_before))} -> {'/'.join(map(str, result.load_after))}, "
                 f"{doc['machine']['cores']} cores, PostgreSQL {doc['machine']['postgres']}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


ORDER = SCENARIO_NAMES


def markdown_table(out: Path, date: str | None = None) -> str:
    """The figures of the JSON files in `out` of one date (default: the latest) as a Markdown table."""
    docs = {}
    for path in sorted(Path(out).glob("*.json")):
        doc = json.loads(path.read_text())
        docs.setdefault(doc["date"][:10], {})[doc["scenario"]] = doc
    if not docs:
        return "(no results)"
    date = date or max(docs)
    rows = ["| scenario | figure | same-run reference | ratio | goal | met | load average before → after | rounds |",
            "|---|---|---|---|---|---|---|---|"]
    for name in ORDER:
        doc = docs[date].get(name)
        if doc is None:
            continue
        fig = doc["figure"]
        ref = doc["reference"]
        extra = doc.get("extra", {})
        figure = f"{_fmt(fig['value'])} {fig['unit']}"
        if name == "lag":
            figure = f"p50 {_fmt(extra['p50_ms'])} ms, p99 {_fmt(extra['p99_ms'])} ms"
        if name == "projector" and extra.get("worker_events_per_s") is not None:
            figure += f" (worker: {_fmt(extra['worker_events_per_s'])}/s)"
        reference = f"{_fmt(ref['value'])} {ref['unit']}" if ref else "—"
        ratio = f"{doc['ratio']:.2f}" if doc.get("ratio") is not None else "—"
        load = doc["load_average"]
        rows.append(f"| `{name}` | {figure} | {reference} | {ratio} | {doc['goal']} | "
                    f"{'yes' if doc['goal_met'] else '**no**'} | {'/'.join(map(str, load['before']))} → "
                    f"{'/'.join(map(str, load['after']))} | {doc['rounds']}{' chunks' if name == 'import' else ''} |")
    return "\n".join(rows)


if __name__ == "__main__":  # python -m rustok.bench.report [DIR [DATE]]
    import sys

    print(markdown_table(Path(sys.argv[1] if len(sys.argv) > 1 else "bench/results"),
                         sys.argv[2] if len(sys.argv) > 2 else None))
