// VoxBridge Memory web UI: plain modern JavaScript against the gateway's /api, no build step, no CDN.
"use strict";

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = "voxbridge-memory-token";
const PAGE_SIZE = 20;

const state = {
  userId: "",
  pageTokens: [""], // the token of each page visited, for "Previous"
  page: 0,
  nextToken: "",
  agent: "",
  includeHistory: false,
  facts: new Map(),
  live: null, // AbortController of the live event stream
};

// ---------------------------------------------------------------- calling the API

class ApiError extends Error {
  constructor(detail) {
    super(detail.message || detail.status || "request failed");
    this.detail = detail;
  }
}

function token() {
  return sessionStorage.getItem(TOKEN_KEY) || "";
}

function authHeaders() {
  const t = token();
  return t ? { Authorization: `Bearer ${t}` } : {};
}

function userPath(...rest) {
  return [`/api/users/${encodeURIComponent(state.userId)}`, ...rest].join("/");
}

async function errorOf(response) {
  try {
    const body = await response.json();
    if (body && body.error) return new ApiError(body.error);
  } catch (_) { /* not JSON: fall through */ }
  return new ApiError({ code: response.status, status: response.statusText, message: `HTTP ${response.status}` });
}

async function api(path, { method = "GET", body, params } = {}) {
  const url = new URL(path, location.origin);
  for (const [key, value] of Object.entries(params || {})) {
    if (value !== undefined && value !== "" && value !== false) url.searchParams.set(key, value);
  }
  const headers = { ...authHeaders() };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (error) {
    throw new ApiError({ status: "UNAVAILABLE", message: `The gateway cannot be reached (${error.message}).` });
  }
  if (!response.ok) throw await errorOf(response);
  return response.status === 204 ? null : response.json();
}

// ---------------------------------------------------------------- showing things

function showError(error) {
  const detail = error instanceof ApiError ? error.detail : { message: String(error) };
  $("error-text").textContent = detail.message || "Something went wrong.";
  const fields = $("error-fields");
  fields.replaceChildren(
    ...(detail.field_violations || []).map((v) => element("li", {}, `${v.field}: ${v.description}`)),
  );
  $("error").hidden = false;
}

function clearError() {
  $("error").hidden = true;
}

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("data-") || key.startsWith("aria-")) node.setAttribute(key, value);
    else node[key] = value;
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

function when(iso) {
  if (!iso) return null;
  const date = new Date(iso);
  return element("time", { dateTime: iso, title: iso }, date.toLocaleString());
}

function toast(message, kind = "info") {
  const close = element("button", { type: "button", "aria-label": "Dismiss notification" }, "×");
  const item = element("div", { class: `toast ${kind}` }, element("span", {}, message), close);
  const remove = () => item.remove();
  close.addEventListener("click", remove);
  $("toasts").append(item);
  setTimeout(remove, 10000);
}

// ---------------------------------------------------------------- a user

async function openUser(userId) {
  clearError();
  state.userId = userId;
  state.pageTokens = [""];
  state.page = 0;
  $("user-id").value = userId;
  $("user-label").textContent = userId;
  $("welcome").hidden = true;
  $("workspace").hidden = false;
  const url = new URL(location.href);
  url.searchParams.set("user", userId);
  history.replaceState(null, "", url);
  await Promise.all([loadFacts(), loadSettings(), loadStats(), loadAgents()]);
  follow();
}

async function guarded(work) {
  try {
    clearError();
    return await work();
  } catch (error) {
    showError(error);
    return undefined;
  }
}

function loadFacts() {
  return guarded(async () => {
    const page = await api(userPath("facts"), {
      params: {
        page_size: PAGE_SIZE,
        page_token: state.pageTokens[state.page],
        agent_id: state.agent,
        include_history: state.includeHistory ? "true" : "",
      },
    });
    state.nextToken = page.next_page_token;
    renderFacts(page.facts);
  });
}

function renderFacts(facts) {
  state.facts = new Map(facts.map((f) => [f.id, f]));
  $("facts").replaceChildren(...facts.map(factItem));
  $("facts-empty").hidden = facts.length > 0;
  $("prev-page").disabled = state.page === 0;
  $("next-page").disabled = !state.nextToken;
  $("page-label").textContent = `Page ${state.page + 1}`;
}

function factItem(fact) {
  const scope = fact.scope === "agent"
    ? element("span", { class: "badge agent" }, `agent: ${fact.agent_id}`)
    : element("span", { class: "badge global" }, "global");
  const importance = fact.importance === null ? "—" : fact.importance.toFixed(2);
  const meta = element(
    "p", { class: "fact-meta" },
    scope,
    element("span", { class: "badge importance" }, `importance ${importance}`),
    element("span", { class: "badge source" }, fact.source),
    fact.current ? null : element("span", { class: "badge closed" }, "closed"),
    element("span", {}, "valid from ", when(fact.valid_from) || "—"),
    fact.valid_to ? element("span", {}, "to ", when(fact.valid_to)) : null,
  );
  const label = fact.text.length > 40 ? `${fact.text.slice(0, 40)}…` : fact.text;
  const actions = element(
    "div", { class: "fact-actions" },
    fact.current ? button("Edit", () => openEdit(fact.id), `Edit “${label}”`) : null,
    button("History", () => openHistory(fact.id), `History of “${label}”`),
    button("Delete", () => deleteFact(fact.id), `Delete “${label}”`),
  );
  return element(
    "li", { class: fact.current ? "fact" : "fact closed", "data-fact-id": fact.id },
    element("p", { class: "fact-text" }, fact.text),
    meta,
    actions,
  );
}

function button(text, onClick, ariaLabel) {
  const node = element("button", { type: "button", class: "link", "aria-label": ariaLabel }, text);
  node.addEventListener("click", onClick);
  return node;
}

async function addFact(event) {
  event.preventDefault();
  const body = {
    text: $("add-text").value.trim(),
    fact_key: $("add-key").value.trim(),
    fact_value: $("add-value").value.trim(),
    agent_id: $("add-agent").value.trim(),
  };
  const importance = $("add-importance").value;
  if (importance !== "") body.importance = Number(importance);
  const created = await guarded(() => api(userPath("facts"), { method: "POST", body }));
  if (!created) return;
  $("add-form").reset();
  toast(`Fact added: ${created.text}`);
  state.page = 0;
  state.pageTokens = [""];
  await Promise.all([loadFacts(), loadStats()]);
}

function openEdit(factId) {
  const fact = state.facts.get(factId);
  const dialog = $("edit-dialog");
  dialog.dataset.factId = factId;
  $("edit-text").value = fact.text;
  $("edit-key").value = fact.fact_key;
  $("edit-value").value = fact.fact_value;
  // Importance travels as a 32-bit float (0.8 comes back as 0.800000011920929): show two decimals.
  $("edit-importance").value = fact.importance === null ? "" : fact.importance.toFixed(2);
  $("edit-error").textContent = "";
  dialog.showModal();
  $("edit-text").focus();
}

async function saveEdit(event) {
  event.preventDefault();
  const dialog = $("edit-dialog");
  const fact = state.facts.get(dialog.dataset.factId);
  // Only what the person changed goes in the PATCH: it becomes UpdateFact's update_mask.
  const body = {};
  const text = $("edit-text").value.trim();
  const key = $("edit-key").value.trim();
  const value = $("edit-value").value.trim();
  const importance = $("edit-importance").value;
  if (text !== fact.text) body.text = text;
  if (key !== fact.fact_key) body.fact_key = key;
  if (value !== fact.fact_value) body.fact_value = value;
  if (importance !== "" && importance !== (fact.importance ?? 0.5).toFixed(2)) body.importance = Number(importance);
  if (Object.keys(body).length === 0) {
    dialog.close();
    return;
  }
  try {
    await api(userPath("facts", encodeURIComponent(fact.id)), { method: "PATCH", body });
  } catch (error) {
    $("edit-error").textContent = error.message;
    return;
  }
  dialog.close();
  toast("Fact saved.");
  await loadFacts();
}

async function deleteFact(factId) {
  const fact = state.facts.get(factId);
  if (!confirm(`Delete “${fact.text}” and its history for good?`)) return;
  const done = await guarded(() => api(userPath("facts", encodeURIComponent(factId)), { method: "DELETE" }));
  if (done === undefined) return;
  toast("Fact deleted.");
  await Promise.all([loadFacts(), loadStats()]);
}

async function openHistory(factId) {
  const history = await guarded(() => api(userPath("facts", encodeURIComponent(factId), "history")));
  if (!history) return;
  $("history-versions").replaceChildren(
    ...history.versions.map((v) => element(
      "li", {},
      element("strong", {}, v.current ? "current: " : "closed: "), v.text || "(erased)", " — from ",
      when(v.valid_from) || "—", v.valid_to ? " to " : "", v.valid_to ? when(v.valid_to) : null,
    )),
  );
  $("history-changes").replaceChildren(
    ...history.changes.map((c) => element(
      "li", { class: "change" },
      element("strong", {}, c.type), " ", when(c.changed_at),
      c.old_text ? ` — was “${c.old_text}”` : "", c.new_text ? ` — now “${c.new_text}”` : "",
      c.task_id ? " (by an extraction)" : "",
    )),
  );
  $("history-dialog").showModal();
}

async function search(event) {
  event.preventDefault();
  const found = await guarded(() => api(userPath("context"), {
    params: { query: $("search-query").value, agent_id: $("search-agent").value.trim() },
  }));
  if (!found) return;
  $("search-results").replaceChildren(
    ...found.facts.map((s) => element("li", {}, `${s.fact.text} `, element("span", { class: "muted" }, `(relevance ${s.relevance.toFixed(2)})`))),
  );
  if (found.facts.length === 0) $("search-results").replaceChildren(element("li", { class: "muted" }, "Nothing would be remembered."));
  $("search-context").textContent = found.context;
  $("search-context").hidden = !found.context;
}

function loadStats() {
  return guarded(async () => {
    const stats = await api(userPath("stats"));
    const rows = [
      ["Current facts", stats.facts.total],
      ["Global", stats.facts.global_facts],
      ["Agent-specific", stats.facts.agent_facts],
      ["Turns waiting", stats.queue.pending],
      ["Turns in progress", stats.queue.processing],
      ["Turns done", stats.queue.completed],
      ["Turns failed", stats.queue.failed],
      ["Turns skipped", stats.queue.skipped],
      ["Extraction mode", stats.queue.mode],
    ];
    $("stats").replaceChildren(...rows.flatMap(([name, value]) => [element("dt", {}, name), element("dd", {}, String(value))]));
    $("per-agent").replaceChildren(
      ...Object.entries(stats.facts.per_agent).flatMap(([agent, n]) => [element("dt", {}, `Agent ${agent}`), element("dd", {}, String(n))]),
    );
  });
}

function loadSettings() {
  return guarded(async () => {
    const settings = await api(userPath("settings"));
    $("display-name").value = settings.display_name;
    $("retention").value = settings.retention_days;
    $("extraction").checked = settings.extraction_enabled;
    if (settings.display_name) $("user-label").textContent = `${settings.display_name} (${state.userId})`;
  });
}

async function saveSettings(event) {
  event.preventDefault();
  const body = {
    display_name: $("display-name").value.trim(),
    retention_days: Number($("retention").value || 0),
    extraction_enabled: $("extraction").checked,
  };
  const saved = await guarded(() => api(userPath("settings"), { method: "PATCH", body }));
  if (!saved) return;
  toast(saved.extraction_enabled ? "Settings saved." : "Settings saved: extraction is off for this user.");
  await loadSettings();
}

function loadAgents() {
  return guarded(async () => {
    const page = await api("/api/agents", { params: { page_size: 1000 } });
    $("agent-list").replaceChildren(...page.agents.map((a) => element("option", { value: a.agent_id }, a.display_name || a.agent_id)));
  });
}

// ---------------------------------------------------------------- export and erase

function filenameOf(response) {
  const disposition = response.headers.get("Content-Disposition") || "";
  const exact = disposition.match(/filename\*=UTF-8''([^;]+)/i);
  if (exact) return decodeURIComponent(exact[1]);
  const plain = disposition.match(/filename="([^"]+)"/i);
  return plain ? plain[1] : "memory-export.jsonl";
}

async function exportUser() {
  clearError();
  // fetch rather than a plain link: the token goes in a header, and a refusal shows here instead of a JSON page.
  let response;
  try {
    response = await fetch(userPath("export"), { headers: authHeaders() });
  } catch (error) {
    showError(error);
    return;
  }
  if (!response.ok) {
    showError(await errorOf(response));
    return;
  }
  const blob = await response.blob();
  const link = element("a", { href: URL.createObjectURL(blob), download: filenameOf(response) });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 60000);
  toast("Export downloaded.");
}

function openErase() {
  $("erase-user").textContent = state.userId;
  $("erase-confirm").value = "";
  $("erase-next").disabled = true;
  $("erase-step-1").hidden = false;
  $("erase-step-2").hidden = true;
  $("erase-error").textContent = "";
  $("erase-dialog").showModal();
  $("erase-confirm").focus();
}

async function erase(event) {
  event.preventDefault();
  if ($("erase-step-2").hidden) {
    // Enter in the first step only moves on to the second confirmation, never erases.
    if (!$("erase-next").disabled) $("erase-next").click();
    return;
  }
  try {
    const receipt = await api(userPath(), { method: "DELETE", params: { confirm: $("erase-confirm").value } });
    const rows = Object.values(receipt.deleted_rows).reduce((a, b) => a + b, 0);
    $("erase-dialog").close();
    toast(`Erased everything about ${receipt.user_id} (${rows} records).`);
    await Promise.all([loadFacts(), loadStats(), loadSettings()]);
  } catch (error) {
    $("erase-error").textContent = error.message;
  }
}

// ---------------------------------------------------------------- live updates (SSE over fetch)

function setLive(mode, text) {
  $("live").dataset.state = mode;
  $("live-text").textContent = text;
}

async function* sseFrames(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n?/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const frame = { event: "message", data: "", id: undefined, retry: undefined };
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const name = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (name === "data") frame.data += (frame.data ? "\n" : "") + value;
        else if (name === "event") frame.event = value;
        else if (name === "id") frame.id = value;
        else if (name === "retry") frame.retry = Number(value);
      }
      if (frame.data) yield { ...frame, data: JSON.parse(frame.data) };
    }
  }
}

function sleep(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => { clearTimeout(timer); resolve(); }, { once: true });
  });
}

// EventSource cannot send the bearer token, so the stream is read with fetch; like EventSource it
// reconnects with Last-Event-ID, so a dropped connection or a restarting service loses no event.
async function follow() {
  if (state.live) state.live.abort();
  const controller = new AbortController();
  state.live = controller;
  const { signal } = controller;
  const userId = state.userId;
  let cursor = "latest";
  let retryMs = 2000;
  while (!signal.aborted) {
    try {
      const headers = { ...authHeaders() };
      if (cursor !== "latest") headers["Last-Event-ID"] = cursor;
      const url = `/api/users/${encodeURIComponent(userId)}/events?after_event_id=latest`;
      const response = await fetch(url, { headers, signal, cache: "no-store" });
      if (!response.ok) {
        const error = await errorOf(response);
        if (![429, 503, 504].includes(response.status)) {
          setLive("stopped", `Live updates stopped: ${error.message}`);
          return;
        }
        retryMs = Math.max(1000, (error.detail.retry_after_seconds || 2) * 1000);
        setLive("reconnecting", "Live updates: service unavailable, retrying…");
      } else {
        setLive("live", "Live updates on");
        for await (const frame of sseFrames(response.body)) {
          if (frame.retry) retryMs = frame.retry;
          if (frame.id !== undefined) cursor = frame.id;
          if (frame.event === "failure") {
            if (frame.data.resume_after_event_id === null) {
              setLive("stopped", `Live updates stopped: ${frame.data.error.message}`);
              return;
            }
            break;
          }
          onEvent(frame);
        }
        if (!signal.aborted) setLive("reconnecting", "Live updates: reconnecting…");
      }
    } catch (error) {
      if (signal.aborted) return;
      setLive("reconnecting", "Live updates: reconnecting…");
    }
    await sleep(retryMs, signal);
  }
}

let refreshTimer = null;
function refreshSoon() {
  // Several events often arrive together: refresh once for all of them.
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => { loadFacts(); loadStats(); }, 150);
}

function onEvent(frame) {
  const event = frame.data;
  switch (frame.event) {
    case "completed": {
      const c = event.counts;
      const changed = c.facts_added + c.facts_updated + c.facts_superseded;
      toast(changed
        ? `Extraction completed: ${c.facts_added} added, ${c.facts_updated} updated, ${c.facts_superseded} closed.`
        : `Extraction completed: nothing new${event.skipped_reason ? ` (${event.skipped_reason})` : ""}.`);
      refreshSoon();
      break;
    }
    case "failed":
      toast(`Extraction failed: ${event.error || event.error_reason}`, "error");
      refreshSoon();
      break;
    case "skipped":
      toast("A turn was skipped: extraction is off for this user.");
      refreshSoon();
      break;
    case "queued":
    case "processing":
    case "retrying":
    case "released":
    case "requeued":
      refreshSoon();
      break;
    default:
      break;
  }
}

// ---------------------------------------------------------------- wiring

function wire() {
  $("user-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const userId = $("user-id").value.trim();
    if (userId) openUser(userId);
  });
  $("token").value = token();
  $("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("token").value.trim());
    toast("Token set for this tab.");
    if (state.userId) openUser(state.userId);
  });
  $("token-clear").addEventListener("click", () => {
    sessionStorage.removeItem(TOKEN_KEY);
    $("token").value = "";
    toast("Token forgotten.");
  });
  $("error-close").addEventListener("click", clearError);
  $("refresh").addEventListener("click", () => { loadFacts(); loadStats(); });
  $("filters").addEventListener("submit", (event) => {
    event.preventDefault();
    state.agent = $("agent-filter").value.trim();
    state.includeHistory = $("include-history").checked;
    state.page = 0;
    state.pageTokens = [""];
    loadFacts();
  });
  $("include-history").addEventListener("change", () => $("filters").requestSubmit());
  $("prev-page").addEventListener("click", () => {
    if (state.page === 0) return;
    state.page -= 1;
    loadFacts();
  });
  $("next-page").addEventListener("click", () => {
    if (!state.nextToken) return;
    state.pageTokens[state.page + 1] = state.nextToken;
    state.page += 1;
    loadFacts();
  });
  $("add-form").addEventListener("submit", addFact);
  $("edit-form").addEventListener("submit", saveEdit);
  $("search-form").addEventListener("submit", search);
  $("settings-form").addEventListener("submit", saveSettings);
  $("export").addEventListener("click", exportUser);
  $("erase").addEventListener("click", openErase);
  $("erase-confirm").addEventListener("input", () => {
    $("erase-next").disabled = $("erase-confirm").value !== state.userId;
  });
  $("erase-next").addEventListener("click", () => {
    $("erase-step-1").hidden = true;
    $("erase-step-2").hidden = false;
    $("erase-final").focus();
  });
  $("erase-form").addEventListener("submit", erase);
  for (const close of document.querySelectorAll("[data-close]")) {
    close.addEventListener("click", () => close.closest("dialog").close());
  }
  const requested = new URLSearchParams(location.search).get("user");
  if (requested) openUser(requested);
  else $("user-id").focus();
}

wire();
