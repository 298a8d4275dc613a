// Small chart functions that draw inline SVG: stacked bars over time and a reliability diagram.
// Every text in a chart is set as text content, so labels from the data cannot inject markup.

const SVG_NS = "http://www.w3.org/2000/svg";

// Ten distinct colours come first. After them, hues spaced by the golden angle stay apart
// well enough for the 28 root-cause leaves.
const BASE_COLOURS = [
  "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
  "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
];

export function colourFor(index) {
  if (index < BASE_COLOURS.length) {
    return BASE_COLOURS[index];
  }
  const hue = Math.round((index * 137.508) % 360);
  return `hsl(${hue} 55% 52%)`;
}

function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== null && value !== undefined) {
      element.setAttribute(name, String(value));
    }
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) {
      element.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }
  return element;
}

// Round tick values (1, 2 or 5 times a power of ten) from 0 up to at least `max`. Counts ask
// for whole steps, since a tick at 0.5 predictions means nothing.
export function niceTicks(max, { wanted = 5, whole = false } = {}) {
  if (!(max > 0)) {
    return [0, 1];
  }
  const rough = max / wanted;
  const power = 10 ** Math.floor(Math.log10(rough));
  let step = [1, 2, 5, 10].map((factor) => factor * power).find((candidate) => candidate >= rough);
  if (whole) {
    step = Math.max(1, Math.round(step));
  }
  const steps = Math.ceil(max / step - 1e-9);
  return Array.from({ length: steps + 1 }, (_, index) => Number((index * step).toPrecision(12)));
}

/**
 * Stacked bars: one bar per bucket, one coloured segment per series.
 * counts: Map from bucket to Map from series label to count.
 */
export function stackedBarChart({ buckets, series, counts, width = 760, height = 280, title = "" }) {
  const margin = { top: 12, right: 12, bottom: 40, left: 48 };
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;

  const totals = buckets.map((bucket) => [...(counts.get(bucket) || new Map()).values()].reduce((a, b) => a + b, 0));
  const ticks = niceTicks(Math.max(...totals, 1), { whole: true });
  const top = ticks[ticks.length - 1];
  const y = (value) => margin.top + plotHeight - (value / top) * plotHeight;

  const chart = svg("svg", {
    viewBox: `0 0 ${width} ${height}`,
    class: "chart stacked-bars",
    role: "img",
    "aria-label": title,
  });

  // Horizontal grid lines with their values on the left.
  for (const tick of ticks) {
    chart.append(
      svg("line", { x1: margin.left, x2: width - margin.right, y1: y(tick), y2: y(tick), class: "grid" }),
      svg("text", { x: margin.left - 6, y: y(tick) + 4, class: "tick", "text-anchor": "end" }, String(tick)),
    );
  }

  const band = plotWidth / Math.max(buckets.length, 1);
  const barWidth = Math.min(band * 0.72, 64);
  // Label at most about twelve buckets so that the dates do not overlap.
  const labelEvery = Math.ceil(buckets.length / 12);

  buckets.forEach((bucket, position) => {
    const x = margin.left + band * position + (band - barWidth) / 2;
    let stacked = 0;
    series.forEach((label, index) => {
      const count = counts.get(bucket)?.get(label) || 0;
      if (!count) {
        return;
      }
      const rect = svg(
        "rect",
        {
          x,
          y: y(stacked + count),
          width: barWidth,
          height: Math.max(y(stacked) - y(stacked + count), 0.5),
          fill: colourFor(index),
          class: "segment",
          "data-series": label,
        },
        svg("title", {}, `${label}, ${bucket}: ${count}`),
      );
      chart.append(rect);
      stacked += count;
    });
    if (position % labelEvery === 0) {
      chart.append(
        svg("text", { x: x + barWidth / 2, y: height - margin.bottom + 16, class: "tick", "text-anchor": "middle" }, bucket),
      );
    }
  });

  chart.append(
    svg("line", { x1: margin.left, x2: width - margin.right, y1: y(0), y2: y(0), class: "axis" }),
  );
  return chart;
}

// A legend as an HTML list: a colour swatch and the label of each series.
export function legend(series) {
  const list = document.createElement("ul");
  list.className = "legend";
  series.forEach((label, index) => {
    const item = document.createElement("li");
    const swatch = document.createElement("span");
    swatch.className = "swatch";
    swatch.style.background = colourFor(index);
    item.append(swatch, document.createTextNode(label));
    list.append(item);
  });
  return list;
}

/**
 * Reliability diagram: for each confidence bin, the share of reviewed predictions that were
 * right, drawn against the diagonal of perfect calibration. Dot areas follow the bin counts.
 */
export function reliabilityDiagram(bins, { size = 320, title = "" } = {}) {
  const margin = { top: 12, right: 12, bottom: 44, left: 48 };
  const plot = size - margin.left - margin.right;
  const x = (value) => margin.left + value * plot;
  const y = (value) => margin.top + plot - value * plot;
  const height = margin.top + plot + margin.bottom;

  const chart = svg("svg", {
    viewBox: `0 0 ${size} ${height}`,
    class: "chart reliability",
    role: "img",
    "aria-label": title,
  });

  for (const tick of [0, 0.2, 0.4, 0.6, 0.8, 1]) {
    chart.append(
      svg("line", { x1: x(0), x2: x(1), y1: y(tick), y2: y(tick), class: "grid" }),
      svg("text", { x: x(0) - 6, y: y(tick) + 4, class: "tick", "text-anchor": "end" }, tick.toFixed(1)),
      svg("text", { x: x(tick), y: y(0) + 16, class: "tick", "text-anchor": "middle" }, tick.toFixed(1)),
    );
  }
  chart.append(
    svg("text", { x: x(0.5), y: height - 6, class: "axis-title", "text-anchor": "middle" }, "stored confidence"),
    svg(
      "text",
      { x: 12, y: y(0.5), class: "axis-title", "text-anchor": "middle", transform: `rotate(-90 12 ${y(0.5)})` },
      "right according to reviews",
    ),
  );

  // Each bin's accuracy as a pale column over the bin's width, so gaps to the diagonal show.
  for (const bin of bins) {
    chart.append(
      svg(
        "rect",
        {
          x: x(bin.lower) + 1,
          y: y(bin.accuracy),
          width: Math.max(x(bin.upper) - x(bin.lower) - 2, 1),
          height: y(0) - y(bin.accuracy),
          class: "bin",
        },
        svg("title", {}, `${bin.lower.toFixed(1)}–${bin.upper.toFixed(1)}: ${bin.count} reviewed, ${(bin.accuracy * 100).toFixed(0)} % right`),
      ),
    );
  }

  chart.append(svg("path", { d: `M ${x(0)} ${y(0)} L ${x(1)} ${y(1)}`, class: "diagonal" }));

  if (bins.length) {
    const line = bins.map((bin, index) => `${index ? "L" : "M"} ${x(bin.confidence)} ${y(bin.accuracy)}`).join(" ");
    chart.append(svg("path", { d: line, class: "curve" }));
    const largest = Math.max(...bins.map((bin) => bin.count));
    for (const bin of bins) {
      chart.append(
        svg(
          "circle",
          { cx: x(bin.confidence), cy: y(bin.accuracy), r: 3 + 5 * Math.sqrt(bin.count / largest), class: "point" },
          svg("title", {}, `mean confidence ${(bin.confidence * 100).toFixed(0)} %, ${(bin.accuracy * 100).toFixed(0)} % right, ${bin.count} reviewed`),
        ),
      );
    }
  }

  chart.append(svg("rect", { x: x(0), y: y(1), width: plot, height: plot, class: "frame" }));
  return chart;
}
