// The review page: the queue of predictions that need a human, one report in detail, and the
// accept / reject / correct actions.

import { api, clearMessage, el, percent, setupTokenForm, showMessage } from "./common.js";

const QUEUE_LIMIT = 100;

const state = {
  taxonomy: null,
  items: [],
  total: 0,
  selected: -1,
  busy: false,
  repositories: new Set(),
};

// ---------------------------------------------------------------- loading

async function loadTaxonomy() {
  state.taxonomy = await api("/v1/taxonomy");
  const select = document.getElementById("filter-symptom");
  const chosen = select.value;
  select.replaceChildren(el("option", { value: "" }, "any"));
  for (const symptom of state.taxonomy.symptoms) {
    select.append(el("option", { value: symptom.name }, symptom.name));
  }
  select.value = chosen;
}

function filterParams() {
  const params = new URLSearchParams({ limit: String(QUEUE_LIMIT) });
  const values = {
    repository: document.getElementById("filter-repository").value.trim(),
    engine: document.getElementById("filter-engine").value,
    symptom: document.getElementById("filter-symptom").value,
  };
  for (const [name, value] of Object.entries(values)) {
    if (value) {
      params.set(name, value);
    }
  }
  return params;
}

// Load the queue and select the report at `position` (the next one after a review, since the
// reviewed prediction leaves the queue).
async function loadQueue(position = 0) {
  const queue = await api(`/v1/review-queue?${filterParams()}`);
  state.items = queue.items;
  state.total = queue.total;
  for (const item of queue.items) {
    state.repositories.add(item.issue.repository);
  }
  renderQueue();
  if (state.items.length) {
    select(Math.min(position, state.items.length - 1));
  } else {
    state.selected = -1;
    renderEmptyDetail("No report waits for review with these filters.");
  }
}

async function refresh() {
  clearMessage();
  try {
    await loadTaxonomy();
    await loadQueue(0);
  } catch (error) {
    state.items = [];
    state.selected = -1;
    renderQueue();
    document.getElementById("queue-total").textContent = "The queue could not be loaded.";
    renderEmptyDetail("Enter an API token above if the service asks for one.");
    showMessage(error.message, "error");
  }
}

// ---------------------------------------------------------------- queue list

function renderQueue() {
  const total = document.getElementById("queue-total");
  if (state.items.length) {
    const shown = state.items.length < state.total ? ` (showing the ${state.items.length} least confident)` : "";
    total.textContent = `${state.total} ${state.total === 1 ? "report waits" : "reports wait"} for review${shown}.`;
  } else {
    total.textContent = "The queue is empty.";
  }

  const list = document.getElementById("queue");
  list.replaceChildren(
    ...state.items.map((item, index) =>
      el(
        "li",
        { "data-prediction-id": item.prediction.id, className: index === state.selected ? "selected" : "" },
        el(
          "button",
          { type: "button", onClick: () => select(index) },
          el("span", { className: "queue-title" }, item.issue.title || "(no title)"),
          el(
            "span",
            { className: "queue-meta" },
            el("span", { className: "queue-repo" }, `${item.issue.repository}#${item.issue.number}`),
            el("span", { className: "chip" }, item.prediction.symptom),
            el("span", { className: "confidence" }, percent(item.prediction.symptom_confidence)),
          ),
        ),
      ),
    ),
  );

  const options = document.getElementById("repository-options");
  options.replaceChildren(...[...state.repositories].sort().map((name) => el("option", { value: name })));
}

function select(index) {
  state.selected = index;
  const list = document.getElementById("queue");
  [...list.children].forEach((child, position) => {
    child.classList.toggle("selected", position === index);
    if (position === index) {
      child.querySelector("button").setAttribute("aria-current", "true");
      child.scrollIntoView({ block: "nearest" });
    } else {
      child.querySelector("button").removeAttribute("aria-current");
    }
  });
  renderDetail(state.items[index]);
}

// ---------------------------------------------------------------- detail

function renderEmptyDetail(text) {
  document.getElementById("detail").replaceChildren(el("p", { className: "muted" }, text));
}

function confidenceBar(value) {
  if (value === null || value === undefined) {
    return el("span", { className: "muted" }, "–");
  }
  const fill = el("span", { className: "bar-fill" });
  fill.style.width = `${Math.round(value * 100)}%`;
  // Low confidence is shown in a warmer colour, because it is what needs a reviewer's eye.
  let level = "high";
  if (value < 0.5) {
    level = "low";
  } else if (value < 0.75) {
    level = "mid";
  }
  fill.classList.add(level);
  return el(
    "span",
    { className: "confidence-cell" },
    el("span", { className: "bar", role: "img", "aria-label": `confidence ${percent(value)}` }, fill),
    el("span", { className: "confidence" }, percent(value)),
  );
}

function predictionTable(prediction) {
  const rows = [
    ["Symptom", prediction.symptom, prediction.symptom_confidence],
    ["Root-cause category", prediction.root_cause_category, prediction.root_cause_category_confidence],
    ["Root cause", prediction.root_cause, prediction.root_cause_confidence],
    ["Phase", prediction.phase, prediction.phase_confidence],
    ["Component", prediction.component, prediction.component_confidence],
  ];
  return el(
    "table",
    { className: "prediction-table" },
    el("thead", {}, el("tr", {}, el("th", {}, "Field"), el("th", {}, "Predicted"), el("th", {}, "Confidence"))),
    el(
      "tbody",
      {},
      rows.map(([name, label, confidence]) =>
        el(
          "tr",
          {},
          el("th", { scope: "row" }, name),
          el("td", { className: "label" }, label || el("span", { className: "muted" }, "abstained")),
          el("td", {}, confidenceBar(label ? confidence : null)),
        ),
      ),
    ),
  );
}

function humanize(key) {
  const text = key.replace(/_/g, " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function evidenceValue(value) {
  if (Array.isArray(value)) {
    if (!value.length) {
      return "–";
    }
    return value.map((part) => (typeof part === "object" ? JSON.stringify(part) : String(part))).join(", ");
  }
  if (value && typeof value === "object") {
    const entries = Object.entries(value);
    if (!entries.length) {
      return "–";
    }
    return el(
      "dl",
      { className: "pairs" },
      entries.map(([key, inner]) => [el("dt", {}, key), el("dd", {}, evidenceValue(inner))]),
    );
  }
  if (value === null || value === undefined || value === "") {
    return "–";
  }
  // Error signatures are code-like, so they keep a monospace font.
  return typeof value === "string" && value.length > 40 ? el("code", {}, value) : String(value);
}

function evidenceTable(evidence) {
  const entries = Object.entries(evidence || {});
  if (!entries.length) {
    return el("p", { className: "muted" }, "No facts were found in the report.");
  }
  return el(
    "table",
    { className: "evidence-table" },
    el(
      "tbody",
      {},
      entries.map(([key, value]) => el("tr", {}, el("th", { scope: "row" }, humanize(key)), el("td", {}, evidenceValue(value)))),
    ),
  );
}

function issueLink(url) {
  // Only http and https links are shown. Any other scheme in the payload gets no link.
  try {
    const parsed = new URL(url);
    if (parsed.protocol === "https:" || parsed.protocol === "http:") {
      return el("a", { href: parsed.href, target: "_blank", rel: "noopener noreferrer" }, "open on GitHub");
    }
  } catch {
    // not a URL
  }
  return null;
}

function labelSelect(id, groups, chosen) {
  const select = el("select", { id });
  if (!chosen) {
    select.append(el("option", { value: "" }, "— choose —"));
  }
  for (const group of groups) {
    const options = group.names.map((name) => el("option", { value: name, selected: name === chosen }, name));
    if (group.label) {
      select.append(el("optgroup", { label: group.label }, options));
    } else {
      select.append(...options);
    }
  }
  return select;
}

function actionsPanel(prediction) {
  const symptoms = [{ label: null, names: state.taxonomy.symptoms.map((symptom) => symptom.name) }];
  const causes = state.taxonomy.root_cause_categories.map((category) => ({
    label: category.name,
    names: category.leaves.map((leaf) => leaf.name),
  }));

  return el(
    "section",
    { className: "card actions" },
    el("h3", {}, "Your verdict"),
    el(
      "div",
      { className: "verdict-buttons" },
      el("button", { type: "button", id: "accept", className: "primary", onClick: accept }, "Accept", el("kbd", {}, "a")),
      el("button", { type: "button", id: "reject", className: "danger", onClick: reject }, "Reject: not a bug", el("kbd", {}, "r")),
    ),
    el(
      "form",
      { id: "correct-form", className: "correct-form", onSubmit: correct },
      el("label", {}, "Symptom", labelSelect("correct-symptom", symptoms, prediction.symptom)),
      el("label", {}, "Root cause", labelSelect("correct-root-cause", causes, prediction.root_cause)),
      el("button", { type: "submit", id: "save-correction" }, "Save correction"),
    ),
    el(
      "label",
      { className: "note" },
      "Note (optional)",
      el("textarea", { id: "note", rows: 2, maxlength: 4000, placeholder: "why, for the record" }),
    ),
  );
}

function renderDetail(item) {
  const { prediction, issue } = item;
  const labels = (issue.labels || []).map((label) => (typeof label === "string" ? label : label.name)).filter(Boolean);
  const created = new Date(prediction.created_at);

  const article = el(
    "article",
    { "data-prediction-id": prediction.id },
    el(
      "header",
      { className: "detail-header" },
      el("h2", { id: "issue-title" }, issue.title || "(no title)"),
      el(
        "p",
        { className: "meta" },
        `${issue.repository}#${issue.number}`,
        issue.engine ? ` · ${issue.engine}` : "",
        ` · prediction #${prediction.id} by ${prediction.predictor} (${prediction.model}), ${created.toLocaleString()}`,
        " · ",
        issueLink(issue.html_url),
      ),
      el(
        "p",
        { className: "chips" },
        prediction.needs_review ? el("span", { className: "chip warn" }, "needs review") : el("span", { className: "chip" }, "confident"),
        labels.map((label) => el("span", { className: "chip outline" }, label)),
      ),
    ),
    el(
      "div",
      { className: "detail-grid" },
      el("section", { className: "card" }, el("h3", {}, "Prediction"), predictionTable(prediction)),
      actionsPanel(prediction),
    ),
    el("section", { className: "card" }, el("h3", {}, "Rationale"), el("p", { id: "rationale" }, prediction.rationale || "–")),
    el(
      "div",
      { className: "detail-grid" },
      el("section", { className: "card" }, el("h3", {}, "Evidence"), evidenceTable(prediction.evidence)),
      el(
        "section",
        { className: "card" },
        el("h3", {}, "Retrieved examples"),
        prediction.examples && prediction.examples.length
          ? el("p", { className: "chips", id: "examples" }, prediction.examples.map((id) => el("span", { className: "chip outline" }, String(id))))
          : el("p", { className: "muted" }, "None."),
      ),
    ),
    el(
      "section",
      { className: "card" },
      el("h3", {}, "Report"),
      // The body is untrusted text from GitHub: it goes in as text, never as markup.
      el("pre", { id: "issue-body", className: "issue-body" }, issue.body || "(empty body)"),
    ),
  );
  document.getElementById("detail").replaceChildren(article);
}

// ---------------------------------------------------------------- actions

function current() {
  return state.selected >= 0 ? state.items[state.selected] : null;
}

function setBusy(busy) {
  state.busy = busy;
  for (const button of document.querySelectorAll("#detail button")) {
    button.disabled = busy;
  }
}

async function submitReview(body, done) {
  const item = current();
  if (!item || state.busy) {
    return;
  }
  const note = document.getElementById("note").value.trim();
  if (note) {
    body.note = note;
  }

  setBusy(true);
  try {
    await api(`/v1/predictions/${item.prediction.id}/review`, {
      method: "POST",
      body,
      headers: { "X-Review-Source": "web" },
    });
  } catch (error) {
    showMessage(error.message, "error");
    setBusy(false);
    return;
  }

  // The reviewed prediction leaves the queue, so the same position now shows the next report.
  const position = state.selected;
  showMessage(`${done} ${item.issue.repository}#${item.issue.number}.`, "success");
  try {
    await loadQueue(position);
  } catch (error) {
    showMessage(error.message, "error");
  }
  state.busy = false;
}

function accept() {
  submitReview({ verdict: "accept" }, "Accepted");
}

function reject() {
  submitReview({ verdict: "reject" }, "Rejected as not a bug:");
}

function correct(event) {
  event.preventDefault();
  const item = current();
  if (!item) {
    return;
  }
  const symptom = document.getElementById("correct-symptom").value;
  const rootCause = document.getElementById("correct-root-cause").value;
  if (symptom === item.prediction.symptom && rootCause === (item.prediction.root_cause || "")) {
    showMessage("Nothing was changed: pick another symptom or root cause, or use Accept.", "error");
    return;
  }
  const body = { verdict: "correct", symptom };
  if (rootCause) {
    body.root_cause = rootCause;
  }
  submitReview(body, "Corrected");
}

// ---------------------------------------------------------------- keyboard

function onKey(event) {
  const target = event.target;
  const typing = target.closest && target.closest("input, textarea, select, [contenteditable]");
  if (typing || event.ctrlKey || event.metaKey || event.altKey) {
    return;
  }
  const actions = {
    a: accept,
    r: reject,
    c: () => document.getElementById("correct-symptom")?.focus(),
    j: () => state.selected < state.items.length - 1 && select(state.selected + 1),
    k: () => state.selected > 0 && select(state.selected - 1),
  };
  const action = actions[event.key];
  if (action && current()) {
    event.preventDefault();
    action();
  }
}

// ---------------------------------------------------------------- start

document.getElementById("filters").addEventListener("submit", async (event) => {
  event.preventDefault();
  clearMessage();
  try {
    await loadQueue(0);
  } catch (error) {
    showMessage(error.message, "error");
  }
});
document.addEventListener("keydown", onKey);
setupTokenForm(refresh);
refresh();
