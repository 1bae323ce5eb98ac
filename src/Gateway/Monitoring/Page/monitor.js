// The /monitor page: signs in with an operator's or a tenant admin's client credentials (the token stays in this
// closure, never in storage), polls /api/monitoring/overview and the latest audit records every 2 s and renders them
// with DOM calls only (no HTML from data). What it shows follows the token: an operator sees the fleet and controls
// breakers; a tenant admin sees its tenant's share, without alerts, rate limiting or breaker controls (the gateway
// refuses those anyway: hiding them only spares a click that would be answered 403). Isolating a breaker asks first
// (a modal dialog); a dead letter opens whole (reason, the headers the API deems safe, body, attempts) with a redrive
// of its command, and a command can be looked up by id (its status document).
(() => {
  "use strict";

  const POLL_MS = 2000;
  const AUDIT_ROWS = 20;
  const DEAD_LETTER_ROWS = 10;
  let token = null;
  let scopes = [];
  let timer = null;
  let failures = 0;

  const $ = (id) => document.getElementById(id);

  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes || {})) {
      if (value === undefined || value === null) continue;
      if (key === "class") node.className = value;
      else if (key.startsWith("data-")) node.setAttribute(key, value);
      else node[key] = value;
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function number(value, digits) {
    if (value === null || value === undefined) return "–";
    return Number(value).toLocaleString(undefined, { maximumFractionDigits: digits ?? 0 });
  }

  function ago(iso) {
    if (!iso) return "";
    const seconds = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
    if (seconds < 90) return `${Math.round(seconds)} s ago`;
    if (seconds < 5400) return `${Math.round(seconds / 60)} min ago`;
    return `${Math.round(seconds / 3600)} h ago`;
  }

  function setStatus(text, kind) {
    const status = $("status");
    status.textContent = text;
    status.className = "status " + (kind || "");
  }

  function notice(text) {
    $("notice").textContent = text;
  }

  async function api(method, path, body) {
    const headers = { Authorization: `Bearer ${token}` };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store" });
    if (response.status === 401) {
      signOut("Your session ended: sign in again.");
      throw new Error("unauthorized");
    }
    // A 403 is the caller's to explain: the overview's means a client without the scopes, an action's a refused action.
    return response;
  }

  function isOperator() {
    return scopes.includes("operator");
  }

  async function signIn(event) {
    event.preventDefault();
    const error = $("login-error");
    error.textContent = "";
    const form = new URLSearchParams({
      grant_type: "client_credentials",
      client_id: $("client-id").value.trim(),
      client_secret: $("client-secret").value,
    });
    let response;
    try {
      response = await fetch("/api/auth/token", { method: "POST", body: form, cache: "no-store" });
    } catch {
      error.textContent = "The gateway does not answer.";
      return;
    }
    $("client-secret").value = "";
    if (!response.ok) {
      error.textContent = response.status === 401 ? "Unknown client or wrong secret." : `Sign-in failed (${response.status}).`;
      return;
    }
    const body = await response.json();
    token = body.access_token;
    // The token endpoint says which scopes it granted (all the client holds: the page asks for none).
    scopes = (body.scope || "").split(" ").filter((s) => s);
    $("login").hidden = true;
    $("dashboard").hidden = false;
    $("sign-out").hidden = false;
    setStatus("connecting…");
    poll();
  }

  function signOut(message) {
    token = null;
    scopes = [];
    $("view").hidden = true;
    clearTimeout(timer);
    $("dashboard").hidden = true;
    $("sign-out").hidden = true;
    closeDeadLetter();
    $("command-result").hidden = true;
    $("command-error").textContent = "";
    $("command-id").value = "";
    $("login").hidden = false;
    $("login-error").textContent = message || "";
    setStatus("signed out");
  }

  async function poll() {
    clearTimeout(timer);
    if (!token) return;
    try {
      // The audit list is secondary: its failure shows in its own table and leaves the overview live.
      const [response, audit, letters] = await Promise.all([
        api("GET", "/api/monitoring/overview"),
        api("GET", `/api/monitoring/audit?limit=${AUDIT_ROWS}`).then((r) => (r.ok ? r.json() : null)).catch(() => null),
        api("GET", `/api/monitoring/dead-letters?limit=${DEAD_LETTER_ROWS}`).then((r) => (r.ok ? r.json() : null)).catch(() => null),
      ]);
      if (response.status === 403) {
        signOut("This client has neither scope operator (the fleet) nor admin (its tenant).");
        return;
      }
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const overview = await response.json();
      render(overview);
      renderAudit(audit, isFleet(overview));
      renderDeadLetterList(letters);
      failures = 0;
      setStatus(`live · ${new Date().toLocaleTimeString()}`, "live");
    } catch (e) {
      if (!token) return;
      failures++;
      setStatus(`stale · ${failures} failed update(s)`, "stale");
    }
    if (token) timer = setTimeout(poll, POLL_MS);
  }

  // The overview names the tenant it is narrowed to; none means the operator's view of the fleet.
  function isFleet(overview) {
    return overview.tenant === null || overview.tenant === undefined;
  }

  function render(overview) {
    renderView(overview);
    renderAlerts(isFleet(overview) ? overview.alerts || [] : null);
    renderTiles(overview);
    renderQueues(overview.queues || []);
    renderDeadLetters(overview.deadLetters);
    renderBreakers(overview.breakers || []);
    renderEndpoints(overview.endpoints);
  }

  function renderView(overview) {
    const view = $("view");
    const fleet = isFleet(overview);
    view.textContent = fleet ? "Fleet (operator)" : `Tenant: ${overview.tenant} (admin)`;
    view.className = fleet ? "view fleet" : "view tenant";
    view.setAttribute("data-view", fleet ? "fleet" : "tenant");
    view.hidden = false;
  }

  // null: a tenant's view, which carries no alerts (they are the fleet's): the panel goes, rather than claim "no alerts".
  function renderAlerts(alerts) {
    const box = $("alerts");
    box.replaceChildren();
    box.hidden = alerts === null;
    if (alerts === null) return;
    if (alerts.length === 0) {
      box.append(el("div", { class: "no-alerts", "data-alerts": "none" }, "✓ No alerts"));
      return;
    }
    for (const alert of alerts) {
      box.append(el("article", { class: `alert ${alert.severity}`, "data-rule": alert.rule },
        el("span", { class: "rule" }, alert.rule),
        el("span", { class: "since" }, `${alert.severity} · since ${ago(alert.since)}`),
        el("p", { class: "message" }, alert.message)));
    }
  }

  function tile(id, value, level) {
    const node = $(id);
    node.textContent = value;
    node.parentElement.classList.remove("bad", "warn");
    if (level) node.parentElement.classList.add(level);
  }

  function renderTiles(overview) {
    const queues = overview.queues || [];
    const ready = queues.filter((q) => !q.name.endsWith("_error")).reduce((sum, q) => sum + (q.ready || 0), 0);
    tile("tile-ready", number(ready));
    const outbox = overview.outbox;
    tile("tile-outbox", outbox ? number(outbox.pending) : "?", outbox && outbox.oldestPendingSeconds >= 60 ? "bad" : null);
    $("tile-outbox-age").textContent = outbox ? `oldest ${number(outbox.oldestPendingSeconds, 1)} s` : "PostgreSQL unreachable";
    const dead = overview.deadLetters;
    tile("tile-dead-letters", dead ? number(dead.total) : "?", dead && dead.total > 0 ? "warn" : null);
    const notClosed = (overview.breakers || []).filter((b) => b.state !== "closed").length;
    tile("tile-breakers", number(notClosed), notClosed > 0 ? "bad" : null);
    const limits = overview.rateLimiting;
    $("tile-rate-limiting-box").hidden = !limits;
    if (limits) {
      tile("tile-rate-limiting", number(limits.rejectedLastMinute), limits.degraded ? "warn" : null);
      $("tile-rate-limiting-mode").textContent = limits.degraded ? "degraded: local limits" : "shared limits";
    }
  }

  function sparkline(values) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("class", "spark");
    svg.setAttribute("viewBox", "0 0 160 28");
    svg.setAttribute("preserveAspectRatio", "none");
    svg.setAttribute("role", "img");
    const base = document.createElementNS(ns, "line");
    base.setAttribute("x1", "0"); base.setAttribute("x2", "160"); base.setAttribute("y1", "27"); base.setAttribute("y2", "27");
    svg.append(base);
    if (values && values.length > 1) {
      const max = Math.max(1, ...values);
      const step = 160 / (values.length - 1);
      const points = values.map((v, i) => `${(i * step).toFixed(1)},${(26 - (v / max) * 24).toFixed(1)}`).join(" ");
      const line = document.createElementNS(ns, "polyline");
      line.setAttribute("points", points);
      svg.append(line);
      svg.setAttribute("aria-label", `ready between ${Math.min(...values)} and ${max}`);
    }
    return svg;
  }

  function renderQueues(queues) {
    const body = $("queues").tBodies[0];
    body.replaceChildren();
    const sources = [...new Set(queues.map((q) => q.source))];
    $("queues-source").textContent = sources.includes("tenant")
      ? "(your tenant's commands: ready = waiting for a worker, unacked = being executed; no rates)"
      : sources.includes("amqp") ? "(read over AMQP: rates are net estimates, unacked unknown)" : "";
    if (queues.length === 0) {
      body.append(el("tr", {}, el("td", { colSpan: 7, class: "empty" }, "No queues yet.")));
      return;
    }
    for (const q of queues) {
      const stuck = q.ready > 0 && q.consumers === 0 && !q.name.endsWith("_error");
      body.append(el("tr", { "data-queue": q.name, class: stuck ? "attention" : "" },
        el("td", {}, q.name),
        el("td", { class: "num", "data-field": "ready" }, number(q.ready)),
        el("td", { class: "num", "data-field": "unacked" }, number(q.unacked)),
        el("td", { class: "num", "data-field": "consumers" }, number(q.consumers)),
        el("td", { class: "num", "data-field": "publishRate" }, number(q.publishRate, 1)),
        el("td", { class: "num", "data-field": "deliverRate" }, number(q.deliverRate, 1)),
        el("td", {}, sparkline(q.history))));
    }
  }

  function renderDeadLetters(deadLetters) {
    const body = $("dead-letters").tBodies[0];
    body.replaceChildren();
    const byType = deadLetters ? Object.entries(deadLetters.byType || {}).sort((a, b) => b[1] - a[1]) : [];
    if (!deadLetters) {
      body.append(el("tr", {}, el("td", { colSpan: 3, class: "empty" }, "Unavailable (PostgreSQL unreachable).")));
      return;
    }
    if (byType.length === 0) {
      body.append(el("tr", { "data-dead-letters": "none" }, el("td", { colSpan: 3, class: "empty" }, "None waiting.")));
      return;
    }
    for (const [type, count] of byType) {
      const button = el("button", { type: "button", class: "secondary", "data-action": "redrive", "data-type": type }, "Redrive");
      button.disabled = type === "(unreadable)";
      button.addEventListener("click", () => redrive(type, button));
      body.append(el("tr", { "data-dead-letter-type": type },
        el("td", {}, type), el("td", { class: "num", "data-field": "count" }, number(count)), el("td", { class: "actions" }, button)));
    }
  }

  // Nobody may isolate these (the gateway answers 409): the token endpoint's and the monitoring API's own.
  const NEVER_ISOLATED = ["route:auth", "route:monitoring"];

  function renderBreakers(breakers) {
    const body = $("breakers").tBodies[0];
    body.replaceChildren();
    const controls = isOperator();
    $("breakers-actions").hidden = !controls;
    for (const b of breakers) {
      const row = el("tr", { "data-breaker": b.name, class: b.state === "closed" ? "" : "attention" },
        el("td", {}, b.name),
        el("td", {}, el("span", { class: `state ${b.state}`, "data-field": "state" }, b.state)),
        el("td", { class: "hint" }, ago(b.since)));
      if (controls) {
        const isolate = el("button", { type: "button", class: "danger", "data-action": "isolate" }, "Isolate");
        const reset = el("button", { type: "button", class: "secondary", "data-action": "reset" }, "Reset");
        isolate.disabled = b.state === "isolated" || NEVER_ISOLATED.includes(b.name);
        reset.disabled = b.state === "closed";
        isolate.addEventListener("click", () => control(b.name, "isolate", isolate));
        reset.addEventListener("click", () => control(b.name, "reset", reset));
        row.append(el("td", { class: "actions" }, isolate, reset));
      }
      body.append(row);
    }
  }

  // records: the latest audit records, newest first; null when they could not be read.
  function renderAudit(records, fleet) {
    $("audit-scope").textContent = fleet ? `(latest ${AUDIT_ROWS}, every tenant)` : `(latest ${AUDIT_ROWS}, your tenant)`;
    const body = $("audit").tBodies[0];
    body.replaceChildren();
    if (records === null) {
      body.append(el("tr", {}, el("td", { colSpan: 6, class: "empty" }, "Unavailable.")));
      return;
    }
    if (records.length === 0) {
      body.append(el("tr", { "data-audit": "none" }, el("td", { colSpan: 6, class: "empty" }, "No audited actions yet.")));
      return;
    }
    for (const r of records) {
      const at = new Date(r.at);
      body.append(el("tr", { "data-audit-action": r.action, "data-audit-target": r.target, "data-audit-outcome": r.outcome },
        el("td", { title: r.at, class: "nowrap" }, at.toLocaleString()),
        el("td", {}, r.actorTenant ? `${r.actorClient} (${r.actorTenant})` : r.actorClient),
        el("td", {}, r.action),
        el("td", {}, r.target),
        el("td", { class: r.tenant ? "" : "hint" }, r.tenant || "fleet"),
        el("td", {}, el("span", { class: `outcome ${r.outcome}` }, r.outcome))));
    }
  }

  function renderEndpoints(endpoints) {
    const card = $("endpoints-card");
    card.hidden = !Array.isArray(endpoints) || endpoints.length === 0;
    if (card.hidden) return;
    const body = $("endpoints").tBodies[0];
    body.replaceChildren();
    for (const e of endpoints) {
      const name = e.name || e.endpoint || e.queue || "?";
      const state = e.paused === true ? "paused" : e.paused === false ? "running" : (e.state || "running");
      body.append(el("tr", { "data-endpoint": name }, el("td", {}, name), el("td", {}, el("span", { class: `state ${state}` }, state))));
    }
  }

  async function redrive(type, button) {
    button.disabled = true;
    try {
      const response = await api("POST", "/api/monitoring/dead-letters/redrive", { type });
      if (response.ok) {
        const result = await response.json();
        notice(`Redrive of ${type}: ${result.redriven} sent back${result.skipped ? `, ${result.skipped} skipped` : ""}.`);
      } else {
        const problem = await response.json().catch(() => ({}));
        notice(`Redrive of ${type} refused: ${problem.title || response.status}`);
      }
    } catch (e) {
      if (token) notice(`Redrive of ${type} failed.`);
    }
    poll();
  }

  // Asks in the modal dialog; resolves true only for the confirm button (Cancel and Escape resolve false).
  function confirmAction(title, message, confirmLabel) {
    const dialog = $("confirm");
    $("confirm-title").textContent = title;
    $("confirm-message").textContent = message;
    $("confirm-ok").textContent = confirmLabel;
    dialog.returnValue = "";
    return new Promise((resolve) => {
      dialog.addEventListener("close", () => resolve(dialog.returnValue === "confirm"), { once: true });
      dialog.showModal();
    });
  }

  async function control(name, action, button) {
    if (action === "isolate" && !(await confirmAction(`Isolate ${name}?`,
      `Every process will reject calls to ${name} until someone resets it: the commands that need it wait in their queue, ` +
      "and its alert fires. Isolate it only to stop traffic to a dependency on purpose.", "Isolate"))) {
      notice(`Breaker ${name}: isolate cancelled.`);
      return;
    }
    button.disabled = true;
    try {
      const response = await api("POST", `/api/monitoring/breakers/${encodeURIComponent(name)}/${action}`);
      if (response.ok) {
        notice(`Breaker ${name}: ${action === "isolate" ? "isolated" : "reset"}.`);
      } else if (response.status === 403) {
        notice(`Breaker ${name}: ${action} needs scope operator.`);
      } else {
        const problem = await response.json().catch(() => ({}));
        notice(`Breaker ${name}: ${problem.title || response.status}`);
      }
    } catch (e) {
      if (token) notice(`Breaker ${name}: request failed.`);
    }
    poll();
  }

  function time(iso) {
    return iso ? new Date(iso).toLocaleString() : "–";
  }

  // letters: the newest waiting dead letters; null when they could not be read.
  function renderDeadLetterList(letters) {
    const body = $("dead-letter-list").tBodies[0];
    body.replaceChildren();
    if (letters === null) {
      body.append(el("tr", {}, el("td", { colSpan: 5, class: "empty" }, "Unavailable.")));
      return;
    }
    if (letters.length === 0) {
      body.append(el("tr", { "data-dead-letter-list": "none" }, el("td", { colSpan: 5, class: "empty" }, "None waiting.")));
      return;
    }
    for (const d of letters) {
      const open = el("button", { type: "button", class: "secondary", "data-action": "details" }, "Details");
      open.addEventListener("click", () => openDeadLetter(d.id));
      body.append(el("tr", { "data-dead-letter-id": String(d.id), "data-command-id": d.commandId || "" },
        el("td", { title: d.createdAt, class: "nowrap" }, ago(d.createdAt)),
        el("td", {}, d.type || "(unreadable)"),
        el("td", {}, d.reason),
        el("td", { class: "num" }, number(d.attempts)),
        el("td", { class: "actions" }, open)));
    }
  }

  let openLetter = null;

  async function openDeadLetter(id) {
    let response;
    try {
      response = await api("GET", `/api/monitoring/dead-letters/${encodeURIComponent(id)}`);
    } catch {
      if (token) notice(`Dead letter ${id}: request failed.`);
      return;
    }
    if (!response.ok) {
      notice(response.status === 404 ? `Dead letter ${id} is gone.` : `Dead letter ${id}: HTTP ${response.status}.`);
      return;
    }
    renderDeadLetter(await response.json());
  }

  function renderDeadLetter(d) {
    openLetter = d;
    const card = $("dead-letter-detail");
    const field = (name, value) => { card.querySelector(`[data-field='${name}']`).textContent = value; };
    card.setAttribute("data-dead-letter-id", String(d.id));
    $("dead-letter-detail-id").textContent = `#${d.id}`;
    field("reason", d.reason);
    field("source", d.source);
    field("exceptionType", d.exceptionType || "–");
    field("attempts", number(d.attempts));
    field("failures", `${time(d.firstFailureAt)} / ${time(d.lastFailureAt)}`);
    field("tenantType", `${d.tenant || "(none)"} · ${d.type || "(unreadable)"}`);
    field("redriven", d.redrivenAt ? `${time(d.redrivenAt)} by ${d.redrivenBy || "?"}` : "no");
    const command = card.querySelector("[data-field='command']");
    command.replaceChildren();
    if (d.commandId) {
      const show = el("button", { type: "button", class: "secondary small", "data-action": "show-command" }, "Show status");
      show.addEventListener("click", () => { $("command-id").value = d.commandId; findCommand(); });
      command.append(el("code", {}, d.commandId), show);
    } else {
      command.textContent = "– (the message could not be read that far)";
    }
    const headers = $("dead-letter-headers").tBodies[0];
    headers.replaceChildren();
    for (const [name, value] of Object.entries(d.headers || {})) {
      headers.append(el("tr", { "data-header": name }, el("td", { class: "nowrap" }, name), el("td", {}, value)));
    }
    if (headers.rows.length === 0) headers.append(el("tr", {}, el("td", { colSpan: 2, class: "empty" }, "None that can be shown.")));
    $("dead-letter-hidden-headers").textContent = d.hiddenHeaders ? `(${d.hiddenHeaders} more not shown: signatures, keys, fault details)` : "";
    $("dead-letter-body").textContent = prettyJson(d.body);
    const redrive = $("dead-letter-redrive");
    redrive.disabled = !d.commandId || !d.type || !!d.redrivenAt;
    card.hidden = false;
  }

  function closeDeadLetter() {
    openLetter = null;
    $("dead-letter-detail").hidden = true;
  }

  function prettyJson(text) {
    try {
      return JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      return text;
    }
  }

  // The redrive of one dead letter: the bulk redrive API narrowed to its command (and its tenant, for an operator).
  async function redriveOpenLetter() {
    const d = openLetter;
    if (!d || !d.commandId) return;
    const button = $("dead-letter-redrive");
    button.disabled = true;
    try {
      const response = await api("POST", "/api/monitoring/dead-letters/redrive", { commandId: d.commandId, tenant: d.tenant || undefined });
      if (response.ok) {
        const result = await response.json();
        notice(result.redriven === 1 ? `Command ${d.commandId}: sent back.` : `Command ${d.commandId}: nothing to redrive (already redriven?).`);
      } else {
        const problem = await response.json().catch(() => ({}));
        notice(`Redrive of ${d.commandId} refused: ${problem.title || response.status}`);
      }
    } catch {
      if (token) notice(`Redrive of ${d.commandId} failed.`);
    }
    await openDeadLetter(d.id);
    poll();
  }

  async function findCommand(event) {
    if (event) event.preventDefault();
    const id = $("command-id").value.trim();
    const error = $("command-error");
    const result = $("command-result");
    error.textContent = "";
    result.hidden = true;
    if (!/^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/.test(id)) {
      error.textContent = "A command id is a UUID.";
      return;
    }
    let response;
    try {
      response = await api("GET", `/api/monitoring/commands/${encodeURIComponent(id)}`);
    } catch {
      if (token) error.textContent = "The gateway does not answer.";
      return;
    }
    if (response.status === 404) {
      error.textContent = isOperator() ? "No command has this id." : "No command of your tenant has this id.";
      return;
    }
    if (!response.ok) {
      error.textContent = `Lookup failed (HTTP ${response.status}).`;
      return;
    }
    const found = await response.json();
    const summary = $("command-summary");
    summary.replaceChildren(
      el("span", { class: `state ${String(found.command.status).toLowerCase()}`, "data-field": "status" }, found.command.status),
      ` ${found.command.type} · tenant `, el("span", { "data-field": "tenant" }, found.tenant),
      ` · ${found.command.attempts} attempt(s) · updated ${ago(found.command.updatedAt)}`);
    $("command-document").textContent = JSON.stringify(found.command, null, 2);
    result.setAttribute("data-command-id", found.command.id);
    result.hidden = false;
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("login-form").addEventListener("submit", signIn);
    $("sign-out").addEventListener("click", () => signOut(""));
    $("command-search").addEventListener("submit", findCommand);
    $("dead-letter-close").addEventListener("click", closeDeadLetter);
    $("dead-letter-redrive").addEventListener("click", redriveOpenLetter);
  });
})();
