// The dashboard: summary numbers, classes over time, accuracy against reviews and calibration.

import { legend, reliabilityDiagram, stackedBarChart } from "./charts.js";
import { api, clearMessage, el, percent, setupTokenForm, showMessage } from "./common.js";

const FIELD_NAMES = {
  symptom: "Symptom",
  root_cause_category: "Root-cause category",
  root_cause: "Root cause",
  phase: "Phase",
  component: "Component",
};
const NO_REVIEWS = "No reviews yet: these numbers appear once reviewers accept or correct predictions.";

let accuracyData = null;
let countsChart = null;

function byId(id) {
  return document.getElementById(id);
}

function number(value, digits = 0) {
  if (value === null || value === undefined) {
    return "–";
  }
  return value.toLocaleString("en", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

// ---------------------------------------------------------------- summary

async function loadSummary() {
  const summary = await api("/v1/stats/summary");
  const cards = [
    ["Predictions", number(summary.predictions), `${number(summary.by_llm)} by the model, the rest by the local predictor`],
    ["Reviewed", number(summary.reviewed), summary.predictions ? `${percent(summary.reviewed / summary.predictions)} of all predictions` : ""],
    ["Need review", percent(summary.needs_review_rate), "confidence below the review threshold"],
    ["Abstained", percent(summary.abstention_rate), "no root cause given"],
    ["Tokens", number(summary.prompt_tokens + summary.completion_tokens), `${number(summary.prompt_tokens)} prompt, ${number(summary.completion_tokens)} completion`],
    ["Estimated cost", number(summary.estimated_cost, 2), "at the configured prices per million tokens"],
    ["Mean latency", summary.latency_ms_mean === null ? "–" : `${number(summary.latency_ms_mean, 0)} ms`, "per prediction"],
  ];
  byId("summary").replaceChildren(
    ...cards.map(([name, value, hint]) =>
      el("div", { className: "stat" }, el("span", { className: "stat-name" }, name), el("span", { className: "stat-value" }, value), el("span", { className: "stat-hint" }, hint)),
    ),
  );
}

// ---------------------------------------------------------------- classes over time

// Every bucket from the first to the last, so that a week without predictions shows as a gap.
function allBuckets(buckets, interval) {
  if (!buckets.length) {
    return [];
  }
  const sorted = [...buckets].sort();
  const last = sorted[sorted.length - 1];
  const result = [];
  const date = new Date(`${sorted[0]}T00:00:00Z`);
  while (result.length < 400) {
    const text = date.toISOString().slice(0, 10);
    result.push(text);
    if (text >= last) {
      break;
    }
    if (interval === "day") {
      date.setUTCDate(date.getUTCDate() + 1);
    } else if (interval === "week") {
      date.setUTCDate(date.getUTCDate() + 7);
    } else {
      date.setUTCMonth(date.getUTCMonth() + 1);
    }
  }
  // Should a bucket fall between the steps, it is still shown.
  return [...new Set([...result, ...sorted])].sort();
}

async function loadCounts() {
  const field = byId("counts-field").value;
  const interval = byId("counts-interval").value;
  const data = await api(`/v1/stats/counts?field=${encodeURIComponent(field)}&interval=${encodeURIComponent(interval)}`);
  const box = byId("counts-chart");
  const legendBox = byId("counts-legend");
  countsChart = null;
  if (!data.rows.length) {
    box.replaceChildren(el("p", { className: "muted empty" }, "No predictions yet."));
    legendBox.replaceChildren();
    return;
  }

  const counts = new Map();
  const totals = new Map();
  for (const row of data.rows) {
    const label = row.label ?? "(none)";
    if (!counts.has(row.bucket)) {
      counts.set(row.bucket, new Map());
    }
    counts.get(row.bucket).set(label, (counts.get(row.bucket).get(label) || 0) + row.count);
    totals.set(label, (totals.get(label) || 0) + row.count);
  }
  // The most frequent class sits at the bottom of each bar and first in the legend.
  const series = [...totals.keys()].sort((a, b) => totals.get(b) - totals.get(a) || a.localeCompare(b));
  const buckets = allBuckets([...counts.keys()], interval);

  const title = `Predictions per ${interval} by ${FIELD_NAMES[field].toLowerCase()}`;
  countsChart = { buckets, series, counts, title };
  drawCounts();
  legendBox.replaceChildren(legend(series));
}

// The chart is drawn at the width of its box, so that its text keeps the page's font size.
function drawCounts() {
  if (countsChart) {
    const box = byId("counts-chart");
    box.replaceChildren(stackedBarChart({ ...countsChart, width: Math.max(box.clientWidth, 480) }));
  }
}

// ---------------------------------------------------------------- accuracy

function bar(value) {
  const fill = el("span", { className: "bar-fill high" });
  fill.style.width = `${Math.round((value || 0) * 100)}%`;
  return el("span", { className: "confidence-cell" }, el("span", { className: "bar" }, fill), el("span", { className: "confidence" }, percent(value)));
}

async function loadAccuracy() {
  accuracyData = null;
  renderPerClass();
  accuracyData = await api("/v1/stats/accuracy");
  const box = byId("accuracy");
  const anyReviews = Object.values(accuracyData).some((entry) => entry.reviewed > 0);
  if (!anyReviews) {
    box.replaceChildren(el("p", { className: "muted empty" }, NO_REVIEWS));
  } else {
    box.replaceChildren(
      el(
        "table",
        { className: "data-table", id: "accuracy-table" },
        el("thead", {}, el("tr", {}, el("th", {}, "Field"), el("th", { className: "num" }, "Reviewed"), el("th", {}, "Accuracy"))),
        el(
          "tbody",
          {},
          Object.entries(FIELD_NAMES).map(([field, name]) => {
            const entry = accuracyData[field] || { reviewed: 0, accuracy: null };
            return el(
              "tr",
              { "data-field": field },
              el("th", { scope: "row" }, name),
              el("td", { className: "num" }, number(entry.reviewed)),
              el("td", {}, entry.reviewed ? bar(entry.accuracy) : el("span", { className: "muted" }, "–")),
            );
          }),
        ),
      ),
    );
  }
  renderPerClass();
}

function confusionMatrix(confusion) {
  const largest = Math.max(1, ...confusion.matrix.flat());
  return el(
    "details",
    { className: "confusion" },
    el("summary", {}, "Confusion matrix (rows: label given by the review, columns: prediction)"),
    el(
      "div",
      { className: "scroll" },
      el(
        "table",
        { className: "data-table matrix" },
        el(
          "thead",
          {},
          el("tr", {}, el("th", {}, ""), confusion.labels.map((label) => el("th", { className: "num", title: label }, label))),
        ),
        el(
          "tbody",
          {},
          confusion.matrix.map((row, rowIndex) =>
            el(
              "tr",
              {},
              el("th", { scope: "row" }, confusion.labels[rowIndex]),
              row.map((count, columnIndex) => {
                const cell = el("td", { className: columnIndex === rowIndex ? "num diagonal-cell" : "num" }, count ? String(count) : "");
                // Shade by count, so the large cells stand out at a glance.
                cell.style.setProperty("--shade", (count / largest).toFixed(2));
                return cell;
              }),
            ),
          ),
        ),
      ),
    ),
  );
}

function renderPerClass() {
  const box = byId("per-class");
  const field = byId("accuracy-field").value;
  if (!accuracyData) {
    box.replaceChildren();
    return;
  }
  const entry = accuracyData[field];
  if (!entry || !entry.reviewed) {
    box.replaceChildren(el("p", { className: "muted empty" }, `No reviews of the ${FIELD_NAMES[field].toLowerCase()} yet.`));
    return;
  }
  const rows = Object.entries(entry.per_class).sort((a, b) => b[1].support - a[1].support || a[0].localeCompare(b[0]));
  box.replaceChildren(
    el(
      "table",
      { className: "data-table", id: "per-class-table" },
      el(
        "thead",
        {},
        el("tr", {}, el("th", {}, "Class"), el("th", { className: "num" }, "Precision"), el("th", { className: "num" }, "Recall"), el("th", { className: "num" }, "Reviewed")),
      ),
      el(
        "tbody",
        {},
        rows.map(([label, scores]) =>
          el(
            "tr",
            {},
            el("th", { scope: "row" }, label),
            el("td", { className: "num" }, percent(scores.precision)),
            el("td", { className: "num" }, percent(scores.recall)),
            el("td", { className: "num" }, number(scores.support)),
          ),
        ),
      ),
    ),
    confusionMatrix(entry.confusion),
  );
}

// ---------------------------------------------------------------- calibration

async function loadCalibration() {
  const field = byId("calibration-field").value;
  const data = await api(`/v1/stats/calibration?field=${encodeURIComponent(field)}`);
  const numbers = byId("calibration-numbers");
  const box = byId("calibration-chart");
  if (!data.reviewed) {
    numbers.textContent = "";
    box.replaceChildren(el("p", { className: "muted empty" }, NO_REVIEWS));
    return;
  }
  numbers.textContent = `${number(data.reviewed)} reviewed predictions · expected calibration error ${number(data.ece, 3)}`;
  const title = `Reliability of the ${FIELD_NAMES[field].toLowerCase()} confidence`;
  box.replaceChildren(reliabilityDiagram(data.bins, { size: 360, title }));
}

// ---------------------------------------------------------------- start

// Each section loads on its own. A failure shows in that section and once in the message bar.
async function run(loader, boxId) {
  try {
    await loader();
  } catch (error) {
    byId(boxId).replaceChildren(el("p", { className: "muted empty" }, "Could not be loaded."));
    throw error;
  }
}

async function refresh() {
  clearMessage();
  const results = await Promise.allSettled([
    run(loadSummary, "summary"),
    run(loadCounts, "counts-chart"),
    run(loadAccuracy, "accuracy"),
    run(loadCalibration, "calibration-chart"),
  ]);
  const failure = results.find((result) => result.status === "rejected");
  if (failure) {
    showMessage(failure.reason.message, "error");
  }
}

async function reload(loader, boxId) {
  clearMessage();
  try {
    await run(loader, boxId);
  } catch (error) {
    showMessage(error.message, "error");
  }
}

byId("counts-field").addEventListener("change", () => reload(loadCounts, "counts-chart"));
byId("counts-interval").addEventListener("change", () => reload(loadCounts, "counts-chart"));
byId("accuracy-field").addEventListener("change", renderPerClass);
byId("calibration-field").addEventListener("change", () => reload(loadCalibration, "calibration-chart"));

let resizeTimer;
window.addEventListener("resize", () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(drawCounts, 150);
});
setupTokenForm(refresh);
refresh();
