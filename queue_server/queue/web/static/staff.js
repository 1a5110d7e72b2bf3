// What the staff pages (/counter, /supervisor) share: the page's data, calls to the API with the
// session's CSRF token, and the site's live feed kept as a state that every event updates.
//
// - Staff.data: the JSON block #staff-data (person, csrf, lang, sites, strings).
// - Staff.api(method, path, body, headers): fetch with X-CSRF-Token; resolves {ok, status, body, problem}
//   (problem: the RFC 9457 detail in words, or a network message), never throws.
// - Staff.live(site, onChange, onStatus): follows /ws/sites/{site} (session cookie), resumes with
//   ?since= after a cut, keeps Staff.state = {snapshot-like object with tickets by id}; onChange(event)
//   after each message; onStatus(true|false) as the connection comes and goes.
// - Staff.duration(seconds): "4 min 05 s" style text; Staff.estimate(seconds): "15 min" (rounded up); Staff.elapsed(iso): seconds since then, on the
//   server's clock; Staff.format(text, values) fills {name} placeholders; Staff.clock(iso): "14:05".
"use strict";

window.Staff = (() => {
  const data = JSON.parse(document.getElementById("staff-data").textContent);
  const strings = data.strings || {};

  async function api(method, path, body, headers = {}) {
    const init = { method, headers: { ...headers, "X-CSRF-Token": data.csrf }, cache: "no-store",
                   credentials: "same-origin" };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let answer;
    try {
      answer = await fetch(path, init);
    } catch {
      return { ok: false, status: 0, body: null, problem: strings.unreachable || "The server cannot be reached." };
    }
    let parsed = null;
    if (answer.status !== 204) parsed = await answer.json().catch(() => null);
    if (answer.status === 401) {
      location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
    }
    const problem = answer.ok ? null : ((parsed && (parsed.detail || parsed.title)) || `HTTP ${answer.status}`);
    return { ok: answer.ok, status: answer.status, body: parsed, problem };
  }

  // The live state --------------------------------------------------------------------------------------

  const state = { site: null, services: [], counters: [], tickets: new Map(), recent: [], printers: new Map(),
                  message: "", lastId: null, serverSkewMs: 0 };
  // How far this computer's clock is ahead of the server's: the smallest (now − event time) of the
  // last events received live. Events replayed after a cut (older: they would make waits look longer)
  // arrive in the first moments of a connection, which are not counted.
  const skews = [];
  const REPLAY_MS = 2000;
  let openedAt = 0;

  function noteSkew(at) {
    if (Date.now() - openedAt < REPLAY_MS) return;
    skews.push(Date.now() - Date.parse(at));
    if (skews.length > 20) skews.shift();
    state.serverSkewMs = Math.min(...skews);
  }

  function upsert(ticket) {
    if (ticket) state.tickets.set(ticket.id, ticket);
  }

  function applySnapshot(snapshot) {
    state.services = snapshot.services;
    state.counters = snapshot.counters;
    state.tickets = new Map();
    for (const t of snapshot.queue || []) upsert(t);
    for (const t of snapshot.recent_calls || []) upsert(t);
    for (const c of snapshot.counters) if (c.ticket) upsert(c.ticket);
    state.recent = (snapshot.recent_calls || []).map((t) => t.id);
    state.printers = new Map((snapshot.printers || []).map((p) => [p.kiosk, p.status]));
    state.message = snapshot.message || "";
  }

  function counter(id) {
    return state.counters.find((c) => c.id === id);
  }

  function service(id) {
    return state.services.find((s) => s.id === id);
  }

  function applyEvent(message) {
    const d = message.data || {};
    const ticket = d.ticket;
    const before = ticket ? state.tickets.get(ticket.id) : null;
    if (ticket) upsert(ticket);
    switch (message.type) {
      case "day.started":
        state.tickets = new Map();
        state.recent = [];
        for (const c of state.counters) { c.ticket = null; c.status = "closed"; c.agent = null; c.since = null; }
        break;
      case "ticket.called": {
        const c = counter(ticket.counter);
        if (c) {
          if (c.status !== "open") c.since = message.at;
          c.status = "open";
          c.ticket = ticket;
          if (d.agent) c.agent = d.agent;
        }
        state.recent = [ticket.id, ...state.recent.filter((id) => id !== ticket.id)].slice(0, 20);
        break;
      }
      case "ticket.recalled":
        state.recent = [ticket.id, ...state.recent.filter((id) => id !== ticket.id)].slice(0, 20);
        syncCounterTicket(ticket);
        break;
      case "ticket.started":
        syncCounterTicket(ticket);
        break;
      case "ticket.finished":
      case "ticket.no_show":
      case "ticket.cancelled":
        releaseCounter(ticket);
        break;
      case "ticket.transferred":
        if (before) releaseCounter(before);
        break;
      case "ticket.noted":
        syncCounterTicket(ticket);
        break;
      case "counter.opened":
      case "counter.paused":
      case "counter.closed": {
        const view = d.counter;
        const i = state.counters.findIndex((c) => c.id === view.id);
        if (i >= 0) state.counters[i] = view;
        break;
      }
      case "kiosk.printer":
        state.printers.set(d.kiosk, d.status);
        break;
      case "display.message":
        state.message = d.text;
        break;
      default:
        break;
    }
    // Ticket, counter and day events carry the figures (waiting, estimate, served) of the services
    // they change: the server's, never recounted here.
    for (const figures of d.services || []) {
      const s = service(figures.id);
      if (s) Object.assign(s, figures);
    }
  }

  function syncCounterTicket(ticket) {
    for (const c of state.counters) if (c.ticket && c.ticket.id === ticket.id) c.ticket = ticket;
  }

  function releaseCounter(ticket) {
    for (const c of state.counters) if (c.ticket && c.ticket.id === ticket.id) c.ticket = null;
  }

  // Waiting tickets of a service (or of several), in the server's call order: priority, then
  // transferred to the front, then arrival, then id.
  const order = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
  function waiting(serviceIds) {
    const wanted = new Set(serviceIds);
    return [...state.tickets.values()]
      .filter((t) => t.status === "waiting" && wanted.has(t.service))
      .sort((a, b) => (b.priority - a.priority) || (b.front - a.front) || order(a.issued_at, b.issued_at) ||
        order(a.id, b.id));
  }

  function live(site, onChange, onStatus) {
    let attempt = 0;
    let socket = null;
    let retry = null;
    let stopped = false;
    state.site = site;
    state.lastId = null;

    function connect() {
      const scheme = location.protocol === "https:" ? "wss:" : "ws:";
      const since = state.lastId ? `?since=${encodeURIComponent(state.lastId)}` : "";
      socket = new WebSocket(`${scheme}//${location.host}/ws/sites/${encodeURIComponent(site)}${since}`);
      socket.onopen = () => {
        attempt = 0;
        openedAt = Date.now();
        onStatus(true);
      };
      socket.onmessage = (event) => {
        const message = JSON.parse(event.data);
        if (message.id) state.lastId = message.id;
        if (message.type === "snapshot") applySnapshot(message.data);
        else applyEvent(message);
        if (message.at) noteSkew(message.at);
        onChange(message);
      };
      socket.onclose = (event) => {
        onStatus(false);
        if (event.code === 4001) {
          location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
          return;
        }
        if (stopped) return;
        attempt = Math.min(attempt + 1, 6);
        retry = setTimeout(connect, Math.min(15000, 300 * 2 ** attempt) * (0.75 + Math.random() * 0.5));
      };
    }

    connect();
    return {
      stop() {
        stopped = true;
        clearTimeout(retry);
        if (socket) socket.close();
      },
    };
  }

  function elapsed(iso) {
    return iso ? Math.max(0, Math.round((Date.now() - state.serverSkewMs - Date.parse(iso)) / 1000)) : null;
  }

  // A random key (an Idempotency-Key): crypto.randomUUID needs https, and town halls' LANs are often http.
  function newKey() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // An estimate is a coarse figure: whole minutes, rounded up ("15 min"; "≤ 1 min").
  function estimate(seconds) {
    if (seconds === null || seconds === undefined) return "–";
    const minutes = Math.ceil(seconds / 60);
    return minutes <= 1 ? "≤ 1 min" : `${minutes} min`;
  }

  function format(text, values) {
    return text.replace(/\{(\w+)\}/g, (_, k) => (k in values ? values[k] : `{${k}}`));
  }

  function clock(iso) {
    return iso ? new Date(iso).toLocaleTimeString(data.lang, { hour: "2-digit", minute: "2-digit" }) : "";
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "–";
    const s = Math.max(0, Math.round(seconds));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const rest = String(s % 60).padStart(2, "0");
    if (h) return `${h} h ${String(m).padStart(2, "0")} min`;
    return m ? `${m} min ${rest} s` : `${s % 60} s`;
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const child of children) if (child !== null && child !== undefined) node.append(child);
    return node;
  }

  return { data, strings, api, live, state, waiting, counter, service, elapsed, duration, estimate, el, format,
           clock, newKey };
})();
