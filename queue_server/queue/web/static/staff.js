// What the staff pages (/counter, /supervisor) share: the page's data, calls to the API with the
// session's CSRF token, and the site's live feed kept as a state that every event updates.
//
// - Staff.data: the JSON block #staff-data (person, csrf, lang, sites, strings).
// - Staff.api(method, path, body, headers): fetch with X-CSRF-Token; resolves {ok, status, body, problem}
//   (problem: the RFC 9457 detail in words, or a network message), never throws.
// - Staff.live(site, onChange, onStatus): follows /ws/sites/{site} with the session cookie (Live.follow,
//   live.js: resumed with ?since= after a cut; an ended session goes to the sign-in page) and keeps
//   Staff.view, the site's staff snapshot, current with Live.fold: it says what GET …/state would.
//   onChange(message) after each message; onStatus(true|false) as the connection comes and goes.
// - Staff.state: what the pages read, from the view: services, counters, queue (every waiting ticket,
//   each service's part in the server's call order), recent (the recent calls, latest first), printers
//   (a Map kiosk -> status), message; tickets, every ticket of the day seen so far by id (its latest
//   copy: a ticket that left the view keeps the last one the feed gave); serverSkewMs.
// - Staff.queue(serviceId): that service's waiting tickets, in the server's call order (never sorted
//   here); Staff.counter(id), Staff.service(id).
// - Staff.duration(seconds): "4 min 05 s" style text; Staff.estimate(seconds): "15 min" (rounded up); Staff.elapsed(iso): seconds since then, on the
//   server's clock; Staff.format(text, values) fills {name} placeholders; Staff.clock(iso): "14:05".
// - Staff.bookedTag(ticket): the badge an appointment ticket has by its number ("RDV", titled with the
//   appointment's reference), null for a walk-in; the page's strings hold booked_short and booked_title.
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
    // A refusal in the page's language when the page knows its kind (words.py problem_words); the server's
    // detail is written in English for integrators.
    const said = parsed && strings.problems && strings.problems[parsed.type];
    const problem = answer.ok ? null : (said || (parsed && (parsed.detail || parsed.title)) || `HTTP ${answer.status}`);
    return { ok: answer.ok, status: answer.status, body: parsed, problem };
  }

  // The live state --------------------------------------------------------------------------------------

  let view = null; // the staff snapshot, kept current by Live.fold (null until the feed's first one)
  const tickets = new Map(); // id -> the latest copy of every ticket seen today
  const state = {
    site: null,
    lastId: null,
    serverSkewMs: 0,
    tickets,
    get services() { return view ? view.services : []; },
    get counters() { return view ? view.counters : []; },
    get queue() { return view && view.queue ? view.queue : []; },
    get recent() { return view ? view.recent_calls : []; },
    get printers() { return new Map((view ? view.printers : []).map((p) => [p.kiosk, p.status])); },
    get message() { return view ? view.message : ""; },
  };
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

  // The directory: the view's copies (the freshest: positions move as others are called), then the
  // event's own ticket, which may have left the view (finished, cancelled…).
  function remember(message) {
    if (message.type === "snapshot" || message.type === "day.started") tickets.clear();
    if (!view) return;
    const ticket = message.data && message.data.ticket;
    if (ticket && ticket.id) tickets.set(ticket.id, ticket);
    for (const t of view.queue || []) tickets.set(t.id, t);
    for (const t of view.recent_calls) tickets.set(t.id, t);
    for (const c of view.counters) if (c.ticket) tickets.set(c.ticket.id, c.ticket);
  }

  function counter(id) {
    return state.counters.find((c) => c.id === id);
  }

  function service(id) {
    return state.services.find((s) => s.id === id);
  }

  // A service's waiting tickets in the server's call order: its part of the view's queue, as it is.
  function queue(serviceId) {
    return state.queue.filter((t) => t.service === serviceId);
  }

  function live(site, onChange, onStatus) {
    view = null;
    tickets.clear();
    state.site = site;
    state.lastId = null;
    const backToLogin = () => {
      location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
    };
    return Live.follow(`/ws/sites/${encodeURIComponent(site)}`, {
      baseMs: 300,
      maxMs: 15000,
      onStatus(up) {
        if (up) openedAt = Date.now();
        onStatus(up);
      },
      onMessage(message) {
        view = Live.fold(view, message);
        if (message.id) state.lastId = message.id;
        remember(message);
        if (message.at) noteSkew(message.at);
        onChange(message);
      },
      onRevoked: backToLogin, // the session ended
    });
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

  function bookedTag(ticket) {
    if (!ticket || !ticket.booked) return null;
    const title = ticket.appointment ? format(strings.booked_title || "{ref}", { ref: ticket.appointment }) : null;
    return el("abbr", { class: "tag booked", title, text: strings.booked_short || "RDV" });
  }

  return { data, strings, api, live, state, queue, counter, service, elapsed, duration, estimate, el, format,
           clock, newKey, bookedTag, get view() { return view; } };
})();
