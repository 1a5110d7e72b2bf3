// The kiosk's touch page: choose a service, get a ticket. Plain script, no build step.
//
// - The device token comes once in ?token=, is kept in localStorage and dropped from the address bar
//   (Live.takeToken, live.js).
// - The site's live feed (Live.follow) keeps the snapshot current (Live.fold): the waiting counts and
//   the printer's state; while it is down the page says tickets cannot be taken (it cannot honour
//   them) and reconnects by itself, asking /api/v1/me first to tell a revoked token from a cut.
// - One intent (a service touched) has one Idempotency-Key, reused by every retry: a double tap or
//   a lost answer never issues two tickets.
"use strict";

(() => {
  const TOKEN_KEY = "guichet.kiosk.token";
  const HOME_IDLE_S = 60; // a language other than French goes back to French after this long untouched
  const strings = JSON.parse(document.getElementById("strings").textContent);
  const lang = document.documentElement.lang;
  let idleS = Number(document.body.dataset.idle) || 20; // then the site's setting (snapshot.kiosk.idle_s)
  const $ = (id) => document.getElementById(id);
  const fmt = (text, values) => text.replace(/\{(\w+)\}/g, (_, key) => String(values[key]));
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  let token = null;
  let site = null;
  let tokenId = null;
  let snapshot = null; // the site's public view, kept current by the feed's events
  let feed = null; // Live.follow's handle
  let online = false;
  let printer = "unknown";
  let busy = false;
  let intent = null;
  let priority = false;
  let attempt = 0;
  let idleTimer = null;

  function backoff() {
    attempt = Math.min(attempt + 1, 6);
    return Math.min(10000, 500 * 2 ** attempt) * (0.75 + Math.random() * 0.5);
  }

  function newKey() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes); // randomUUID needs https; kiosks often run on plain http
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function show(id) {
    for (const section of ["loading", "start", "closed", "ticket", "pairing"]) $(section).hidden = section !== id;
    document.body.dataset.screen = id;
    $(id).querySelector("h1").focus();
    armIdle();
  }

  function say(id, text) {
    $(id).textContent = text || "";
    $(id).hidden = !text;
  }

  function api(method, path, body, headers = {}) {
    const all = { Authorization: "Bearer " + token, ...headers };
    if (body !== undefined) all["Content-Type"] = "application/json";
    return fetch(path, {
      method, headers: all, cache: "no-store", body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  // Pairing ---------------------------------------------------------------------------------------

  function pairing(reason) {
    if (feed) feed.stop();
    feed = null;
    say("alert", "");
    $("pairing-reason").textContent = reason;
    show("pairing");
  }

  $("pairing-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const code = $("code").value.trim().toUpperCase();
    let answer;
    try {
      answer = await fetch("/api/v1/pair", {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ code }),
      });
    } catch {
      $("pairing-reason").textContent = strings.offline;
      return;
    }
    if (!answer.ok) {
      $("pairing-reason").textContent = strings.bad_code;
      $("code").focus();
      return;
    }
    token = (await answer.json()).token;
    localStorage.setItem(TOKEN_KEY, token);
    identify();
  });

  // Connection ------------------------------------------------------------------------------------

  async function identify() {
    let answer;
    try {
      answer = await api("GET", "/api/v1/me");
    } catch {
      setOnline(false);
      setTimeout(identify, backoff());
      return;
    }
    if (answer.status === 401) {
      const problem = await answer.json().catch(() => ({}));
      pairing(problem.type === "/problems/token-revoked" ? strings.revoked : strings.unpaired);
      return;
    }
    if (!answer.ok) {
      setOnline(false);
      setTimeout(identify, backoff());
      return;
    }
    const me = await answer.json();
    if (!["kiosk", "agent", "supervisor", "admin"].includes(me.role)) {
      pairing(strings.unpaired); // a display's token cannot issue tickets
      return;
    }
    attempt = 0;
    site = me.site;
    tokenId = me.token_id;
    connect();
  }

  function connect() {
    if (feed) feed.stop();
    feed = Live.follow(`/ws/sites/${encodeURIComponent(site)}`, {
      token,
      baseMs: 500,
      maxMs: 10000,
      onMessage(message) {
        snapshot = Live.fold(snapshot, message);
        if (message.type === "snapshot" || message.type === "site.configured") {
          printer = printerOf(snapshot.printers);
          setOnline(true);
          renderServices();
          const open = snapshot.services.some((s) => s.open_now !== false);
          if (open && document.body.dataset.screen !== "ticket") show("start"); // else the closed screen
        } else {
          onEvent(message);
        }
      },
      onStatus(up) {
        // Back after a cut: the events missed follow at once (the first time, the snapshot says it).
        if (!up || snapshot) setOnline(up);
      },
      onRevoked() {
        pairing(strings.revoked);
      },
      // Refused before opening (revoked, unknown token) or cut: asking who we are tells which.
      beforeReconnect: stillPaired,
    });
  }

  // Whether the token still stands for a device of the site (false: the pairing screen says why).
  async function stillPaired() {
    const found = await Live.pairing(token);
    if (found !== "paired") pairing(found === "revoked" ? strings.revoked : strings.unpaired);
    return found === "paired";
  }

  function printerOf(printers) {
    const mine = (printers || []).find((p) => p.kiosk === tokenId);
    return mine ? mine.status : "unknown";
  }

  function onEvent(message) {
    if (message.type === "kiosk.printer") {
      if (message.data.kiosk === tokenId) {
        printer = message.data.status;
        renderAvailability();
      }
      return;
    }
    // Ticket, counter and day events carry the figures (waiting, estimate) of the services they change:
    // the fold applied them.
    if (message.data && message.data.services && snapshot) renderServices();
  }

  function setOnline(value) {
    online = value;
    renderAvailability();
  }

  // Start screen -----------------------------------------------------------------------------------

  function blocked() {
    if (!online) return strings.offline;
    if (printer === "paper_out") return strings.paper_out;
    if (printer === "offline") return strings.printer_offline;
    if (printer === "cover_open") return strings.cover_open;
    return "";
  }

  function renderAvailability() {
    const reason = blocked();
    say("alert", reason);
    for (const button of document.querySelectorAll("#services button, #priority")) {
      button.disabled = !!reason || busy || button.dataset.closed === "true";
    }
  }

  // When a service opens or closes next, on the site's wall clock ("lundi 7 décembre à 08:30").
  function when(iso) {
    return new Date(iso).toLocaleString(lang, { weekday: "long", day: "numeric", month: "long", hour: "2-digit",
                                                minute: "2-digit", timeZone: (snapshot && snapshot.timezone) || undefined });
  }

  // Outside the hours, on a closure or a public holiday the services say when they open; when none is open
  // the kiosk shows its closed screen with the next opening. The state is read again when the next
  // opening or closing comes (the server's word, not this screen's sums).
  let openingTimer = null;
  function planOpening() {
    clearTimeout(openingTimer);
    const moments = snapshot.services.map((s) => (s.open_now ? s.closes_at : s.opens_at)).filter(Boolean)
      .map((iso) => Date.parse(iso));
    if (!moments.length) return;
    const delay = Math.min(Math.max(1000, Math.min(...moments) - Date.now() + 1000), 6 * 3600 * 1000);
    openingTimer = setTimeout(refreshState, delay);
  }

  async function refreshState() {
    try {
      const answer = await api("GET", `/api/v1/sites/${encodeURIComponent(site)}/state`);
      if (answer.ok) {
        snapshot = await answer.json();
        renderServices();
        return;
      }
    } catch {
      // the feed's reconnection brings a snapshot in due course
    }
    openingTimer = setTimeout(refreshState, 30000);
  }

  function renderOpening() {
    const open = snapshot.services.some((s) => s.open_now);
    if (!open) {
      const next = snapshot.services.map((s) => s.opens_at).filter(Boolean).sort()[0];
      $("closed-when").textContent = next ? fmt(strings.closed_until, { when: when(next) }) : strings.closed;
      if (document.body.dataset.screen !== "ticket") show("closed");
    } else if (document.body.dataset.screen === "closed") {
      show("start");
    }
    planOpening();
  }

  // The site's kiosk settings, as its administrator set them: how long a ticket stays on screen, and the
  // languages offered (the one on screen stays, whatever the setting).
  function applySettings() {
    const kiosk = snapshot.kiosk;
    if (!kiosk) return;
    if (Number.isInteger(kiosk.idle_s)) idleS = kiosk.idle_s;
    if (Array.isArray(kiosk.languages)) {
      for (const link of document.querySelectorAll(".langs a[hreflang]")) {
        const code = link.getAttribute("hreflang");
        link.parentElement.hidden = code !== lang && !kiosk.languages.includes(code);
      }
    }
  }

  function renderServices() {
    if (!snapshot) return;
    applySettings();
    $("site-name").textContent = snapshot.name || snapshot.site;
    Live.showLogo($("logo"), snapshot.logo);
    const list = $("services");
    list.replaceChildren();
    for (const service of snapshot.services) {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "service";
      button.dataset.service = service.id;
      const icon = document.createElementNS("http://www.w3.org/2000/svg", "svg");
      icon.setAttribute("aria-hidden", "true");
      const use = document.createElementNS("http://www.w3.org/2000/svg", "use");
      use.setAttribute("href", "#icon-" + (service.icon || "default"));
      icon.append(use);
      const text = document.createElement("span");
      const name = document.createElement("span");
      name.className = "name";
      name.textContent = service.name;
      text.append(name);
      if (service.description) {
        const description = document.createElement("span");
        description.className = "description";
        description.textContent = service.description;
        text.append(description);
      }
      const load = document.createElement("span");
      load.className = "load";
      if (service.open_now === false) {
        button.dataset.closed = "true";
        button.classList.add("closed");
        load.textContent = service.opens_at ? fmt(strings.opens, { when: when(service.opens_at) }) : strings.closed;
      } else {
        load.textContent = fmt(strings.waiting, { n: service.waiting }) + " · " + waitText(service.estimated_wait_s);
      }
      text.append(load);
      button.append(icon, text);
      button.addEventListener("click", () => take(service.id));
      item.append(button);
      list.append(item);
    }
    renderAvailability();
    renderOpening();
  }

  function waitText(seconds) {
    if (seconds === null || seconds === undefined) return strings.wait_unknown;
    return fmt(strings.wait, { min: Math.max(1, Math.round(seconds / 60)) });
  }

  $("priority").addEventListener("click", () => {
    priority = !priority;
    $("priority").setAttribute("aria-pressed", String(priority));
  });

  // Taking a ticket -------------------------------------------------------------------------------

  async function take(service) {
    if (busy || blocked()) return;
    busy = true;
    renderAvailability();
    say("status", strings.busy);
    if (!intent || intent.service !== service || intent.priority !== priority) {
      intent = { key: newKey(), service, priority };
    }
    let ticket = null;
    let refusal = "";
    for (let tries = 0; tries < 4 && !ticket && !refusal; tries++) {
      try {
        const answer = await api("POST", `/api/v1/sites/${encodeURIComponent(site)}/tickets`,
          { service, priority: intent.priority, lang }, { "Idempotency-Key": intent.key });
        if (answer.ok) {
          ticket = await answer.json();
        } else if (answer.status === 401) {
          refusal = strings.failed;
          identify();
        } else if (answer.status === 429 || answer.status >= 500) {
          await sleep(1000 * (tries + 1)); // the same key: a retry never issues a second ticket
        } else {
          const problem = await answer.json().catch(() => ({}));
          if (problem.type === "/problems/service-closed") {
            refusal = problem.opens_at ? fmt(strings.closed_until, { when: when(problem.opens_at) }) : strings.closed;
            refreshState(); // the hours changed since this screen last heard: read them again
          } else {
            refusal = answer.status === 409 ? strings.closed : strings.failed;
          }
        }
      } catch {
        await sleep(1000 * (tries + 1));
      }
    }
    busy = false;
    say("status", "");
    if (!ticket) {
      renderAvailability();
      if (!blocked()) say("alert", refusal || strings.failed);
      return;
    }
    intent = null;
    priority = false;
    $("priority").setAttribute("aria-pressed", "false");
    showTicket(ticket);
  }

  function showTicket(ticket) {
    const service = snapshot.services.find((s) => s.id === ticket.service);
    $("t-number").textContent = ticket.number;
    $("t-service").textContent = service ? service.name : ticket.service;
    $("t-ahead").textContent = ticket.position === 0 ? strings.ahead_none : fmt(strings.ahead, { n: ticket.position });
    $("t-wait").textContent = waitText(ticket.estimated_wait_s);
    $("t-printed").textContent = printer === "ok" || printer === "paper_low" ? strings.printed : strings.not_printed;
    $("t-qr").src = `/t/${encodeURIComponent(ticket.id)}/qr.svg`;
    $("ticket").dataset.ticket = ticket.id;
    $("sms").hidden = true;
    $("sms-open").setAttribute("aria-expanded", "false");
    $("phone").value = "";
    say("sms-result", "");
    show("ticket");
  }

  function home() {
    if (lang !== "fr") {
      location.assign("/kiosk"); // back to French for the next person
      return;
    }
    priority = false;
    intent = null;
    $("priority").setAttribute("aria-pressed", "false");
    show("start");
  }

  $("done").addEventListener("click", home);

  // Text message ------------------------------------------------------------------------------------

  $("sms-open").addEventListener("click", () => {
    const open = $("sms").hidden;
    $("sms").hidden = !open;
    $("sms-open").setAttribute("aria-expanded", String(open));
    if (open) $("phone").focus();
  });

  for (const key of document.querySelectorAll(".keypad button")) {
    key.addEventListener("click", () => {
      const field = $("phone");
      field.value = key.dataset.key === "back" ? field.value.slice(0, -1) : (field.value + key.dataset.key).slice(0, 20);
    });
  }

  $("sms").addEventListener("submit", async (event) => {
    event.preventDefault();
    const phone = $("phone").value.trim();
    if (!phone) return;
    let answer = null;
    try {
      answer = await api("PUT", `/api/v1/sites/${encodeURIComponent(site)}/tickets/${encodeURIComponent($("ticket").dataset.ticket)}/phone`, { phone });
    } catch {
      // reported below
    }
    if (answer && answer.status === 204) {
      say("sms-result", fmt(strings.phone_saved, { phone }));
    } else {
      say("sms-result", answer && answer.status === 422 ? strings.phone_invalid : strings.phone_failed);
    }
  });

  // Idle: the ticket screen goes back to the start; another language goes back to French ---------

  function armIdle() {
    clearTimeout(idleTimer);
    const screen = document.body.dataset.screen;
    if (screen === "ticket") idleTimer = setTimeout(home, idleS * 1000);
    else if (screen === "start" && lang !== "fr") idleTimer = setTimeout(home, HOME_IDLE_S * 1000);
  }

  for (const kind of ["pointerdown", "keydown"]) document.addEventListener(kind, armIdle, { passive: true });

  // Start -------------------------------------------------------------------------------------------

  token = Live.takeToken(TOKEN_KEY);
  if (token) identify();
  else pairing(strings.unpaired);
})();
