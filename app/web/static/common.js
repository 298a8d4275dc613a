// Shared by both pages: the API token, calls to /v1, messages and a small DOM helper.

const TOKEN_KEY = "triage.apiToken";

export function getToken() {
  return localStorage.getItem(TOKEN_KEY) || "";
}

export function setToken(token) {
  if (token) {
    localStorage.setItem(TOKEN_KEY, token);
  } else {
    localStorage.removeItem(TOKEN_KEY);
  }
}

// An error response of the API, with the HTTP status and the text to show.
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// The API explains errors as {"error": ..., "detail": "..."}; FastAPI's own validation errors
// put a list of problems in "detail" instead, so both forms are turned into one line.
function errorText(status, payload) {
  const detail = payload && payload.detail;
  let text;
  if (typeof detail === "string") {
    text = detail;
  } else if (Array.isArray(detail)) {
    text = detail.map((problem) => `${(problem.loc || []).join(".")}: ${problem.msg}`).join("; ");
  } else {
    text = `The server answered with HTTP ${status}.`;
  }
  if (status === 401) {
    return `Not signed in (401): ${text}`;
  }
  if (status === 403) {
    return `Not allowed (403): ${text}`;
  }
  return text;
}

// Call the API with the stored token (when there is one) and return the parsed JSON body.
export async function api(path, { method = "GET", body, headers = {} } = {}) {
  const options = { method, headers: { Accept: "application/json", ...headers } };
  const token = getToken();
  if (token) {
    options.headers.Authorization = `Bearer ${token}`;
  }
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }

  let response;
  try {
    response = await fetch(path, options);
  } catch (error) {
    throw new ApiError(0, `The service cannot be reached (${error.message}).`);
  }

  const payload = await response.json().catch(() => null);
  if (!response.ok) {
    throw new ApiError(response.status, errorText(response.status, payload));
  }
  return payload;
}

// Build an element. Strings become text nodes, never HTML, so untrusted text stays inert.
export function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) {
      continue;
    }
    if (name === "className") {
      element.className = value;
    } else if (name.startsWith("on")) {
      element.addEventListener(name.slice(2).toLowerCase(), value);
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

// Show a message in the page's message bar. The kind is "info", "success" or "error".
export function showMessage(text, kind = "info") {
  const bar = document.getElementById("message");
  bar.textContent = text;
  bar.className = `message ${kind}`;
  bar.hidden = !text;
}

export function clearMessage() {
  showMessage("");
}

export function percent(value, digits = 0) {
  if (value === null || value === undefined || Number.isNaN(value)) {
    return "–";
  }
  return `${(value * 100).toFixed(digits)} %`;
}

// Wire the token field in the header. onChange runs after the token is saved or cleared.
export function setupTokenForm(onChange) {
  const form = document.getElementById("token-form");
  const input = document.getElementById("token-input");
  const state = document.getElementById("token-state");

  function describe() {
    const token = getToken();
    state.textContent = token ? `token …${token.slice(-4)} saved` : "no token";
    input.value = "";
    input.placeholder = token ? "replace the saved token" : "paste an API token";
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const token = input.value.trim();
    if (!token) {
      return;
    }
    setToken(token);
    describe();
    onChange();
  });
  document.getElementById("token-clear").addEventListener("click", () => {
    setToken("");
    describe();
    onChange();
  });
  describe();
}
