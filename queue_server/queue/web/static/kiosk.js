// The kiosk's touch page: choose a service, get a ticket. Plain script, no build step.
//
// - The device token comes once in ?token=, is kept in localStorage and dropped from the address bar
//   (Live.takeToken, live.js).
// - The site's live feed (Live.follow) keeps the snapshot current (Live.fold): the waiting counts and
//   the printer's state; while it is down the page says tickets cannot be taken (it cannot honour
//   them) and reconnects by itself, asking /api/v1/me first to tell a revoked token from a cut.
// - One intent (a service touched) has one Idempotency-Key, reused by every retry: a double tap or
//   a lost answer never issues two tickets.
// - "I have an appointment": the appointment's code typed on the screen's keys, a keyboard, or a USB
//   QR/barcode reader (which types the code, or a URL ending in it, then Enter; typing on the start screen
//   opens the code screen by itself). The server checks in (POST …/check-in) and gives the ticket, called
//   before the walk-ins; a refusal says what to do, and offers a walk-in ticket when that is the way out.
// - "Priority ticket" is a step of its own (its screen says so in words and lists the services that offer one);
//   the ticket says "Priority" on screen and on paper.
// - Every message with a number is a plural form of the page's language (Live.plural), every wait is said in
//   words (Live.waitWords): no number stuck to a word. A phone number left for a text message is shown masked.
// - The site's colours (snapshot.colours: main, accent) theme the page, darkened until they read on white (AA).
// - "Your opinion" (when the server offers it): five faces, one touch sends an anonymous score about the visit
//   (POST …/surveys/kiosk), thanks, then the start screen.
"use strict";

(() => {
  const TOKEN_KEY = "guichet.kiosk.token";
  const HOME_IDLE_S = 60; // a language other than French goes back to French after this long untouched
  const strings = JSON.parse(document.getElementById("strings").textContent);
  const lang = document.documentElement.lang;
  let idleS = Number(document.body.dataset.idle) || 20; // then the site's setting (snapshot.kiosk.idle_s)
  const ALPHABET = document.body.dataset.alphabet || "0123456789ABCDEFGHJKMNPRSTVWXYZ"; // booking/domain/codes.py
  const CODE_LENGTH = document.querySelectorAll(".a-box").length || 6;
  const LOOK_ALIKES = { O: "0", Q: "0", I: "1", L: "1", U: "V" }; // read as the server reads them
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
  let attempt = 0;
  let idleTimer = null;
  let opinionTimer = null; // the thanks' way back to the start

  function backoff() {
    attempt = Math.min(attempt + 1, 6);
    return Math.min(10000, 500 * 2 ** attempt) * (0.75 + Math.random() * 0.5);
  }

  function newKey() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes); // randomUUID needs https; kiosks often run on plain http
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // Screens the snapshot's arrival must not take away from (the citizen is in the middle of something).
  const BUSY_SCREENS = ["ticket", "appointment", "priority-step", "opinion"];
  const SCREENS = ["loading", "start", "priority-step", "closed", "appointment", "ticket", "pairing", "opinion"];
  const THANKS_MS = 4000; // the thanks stay this long before the start screen comes back

  function show(id) {
    clearTimeout(opinionTimer);
    for (const section of SCREENS) {
      if ($(section)) $(section).hidden = section !== id;
    }
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
    say("pairing-error", "");
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
      say("pairing-error", strings.offline);
      return;
    }
    if (!answer.ok) {
      say("pairing-error", strings.bad_code);
      $("code").focus();
      return;
    }
    say("pairing-error", "");
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
          if (open && !BUSY_SCREENS.includes(document.body.dataset.screen)) show("start"); // else closed
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
    for (const button of document.querySelectorAll(".services button, #priority, #appointment-open, #a-submit")) {
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
      if (!BUSY_SCREENS.includes(document.body.dataset.screen)) show("closed");
    } else if (["closed", "loading"].includes(document.body.dataset.screen)) {
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

  // The site's colours, as the booking pages make them readable (booking/web/theme.py readable_on_white): darkened
  // by steps of 8 % until they reach 4.5:1 against white, so that white text reads on them and they read on white.
  function luminance(hex) {
    const channel = (i) => {
      const c = parseInt(hex.slice(i, i + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
  }

  function readableOnWhite(colour) {
    if (!/^#[0-9a-f]{6}$/i.test(colour || "")) return null;
    let [r, g, b] = [1, 3, 5].map((i) => parseInt(colour.slice(i, i + 2), 16));
    for (let step = 0; step < 30; step++) {
      const hex = "#" + [r, g, b].map((c) => c.toString(16).padStart(2, "0")).join("");
      if (1.05 / (luminance(hex) + 0.05) >= 4.5) return hex;
      [r, g, b] = [r, g, b].map((c) => Math.floor(c * 0.92));
    }
    return "#000000";
  }

  function applyColours() {
    const [main, accent] = (snapshot && snapshot.colours) || [];
    const root = document.documentElement.style;
    for (const [name, colour] of [["--brand", main], ["--accent", accent]]) {
      const readable = readableOnWhite(colour);
      if (readable) root.setProperty(name, readable);
      else root.removeProperty(name);
    }
  }

  // "3 personnes en attente · environ 15 min"; "Pas d'attente" when nobody waits; each part in the language's
  // own plural forms and wait words.
  function loadText(service) {
    const wait = Live.waitWords(service.estimated_wait_s, strings.wait_words);
    if (!service.waiting) return [capital(wait), true];
    return [Live.plural(strings.people_waiting, service.waiting) + " · " + wait, false];
  }

  function capital(text) {
    return text ? text.charAt(0).toLocaleUpperCase(lang) + text.slice(1) : text;
  }

  function serviceButton(service, asPriority) {
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
      const [words, none] = loadText(service);
      load.textContent = words;
      load.classList.toggle("none", none);
    }
    text.append(load);
    button.append(icon, text);
    button.addEventListener("click", () => take(service.id, asPriority));
    item.append(button);
    return item;
  }

  function renderServices() {
    if (!snapshot) return;
    applySettings();
    applyColours();
    $("site-name").textContent = snapshot.name || snapshot.site;
    Live.showLogo($("logo"), snapshot.logo);
    $("services").replaceChildren(...snapshot.services.map((service) => serviceButton(service, false)));
    // The priority step lists the services that offer a priority ticket; none: no priority button.
    const priorityServices = snapshot.services.filter((service) => service.offers_priority !== false);
    $("priority-services").replaceChildren(...priorityServices.map((service) => serviceButton(service, true)));
    $("priority").hidden = !priorityServices.length;
    if (!priorityServices.length && document.body.dataset.screen === "priority-step") show("start");
    renderAvailability();
    renderOpening();
  }

  // An estimate on the ticket: "Attente estimée : environ 15 min", or "Pas d'attente".
  function waitText(seconds) {
    const words = Live.waitWords(seconds, strings.wait_words);
    return seconds === 0 ? capital(words) : fmt(strings.estimated, { wait: words });
  }

  $("priority").addEventListener("click", () => show("priority-step"));
  $("priority-back").addEventListener("click", () => show("start"));

  // Taking a ticket -------------------------------------------------------------------------------

  async function take(service, priority) {
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
    renderAvailability(); // the feed may have re-drawn the services while busy (disabled): enable them again
    if (!ticket) {
      if (!blocked()) say("alert", refusal || strings.failed);
      return;
    }
    intent = null;
    showTicket(ticket);
  }

  function showTicket(ticket) {
    const service = snapshot.services.find((s) => s.id === ticket.service);
    $("t-booked").hidden = !ticket.booked;
    $("t-priority").hidden = !ticket.priority;
    $("t-number").textContent = ticket.number;
    $("t-service").textContent = service ? service.name : ticket.service;
    $("t-ahead").textContent = ticket.position === 0 ? strings.ahead_none : Live.plural(strings.people_ahead, ticket.position);
    $("t-wait").textContent = waitText(ticket.estimated_wait_s);
    $("t-printed").textContent = printer === "ok" || printer === "paper_low" ? strings.printed : strings.not_printed;
    $("t-qr").src = `/t/${encodeURIComponent(ticket.id)}/qr.svg`;
    $("ticket").dataset.ticket = ticket.id;
    $("sms").hidden = true;
    $("sms-open").setAttribute("aria-expanded", "false");
    $("sms-open").hidden = false;
    $("phone").value = "";
    say("sms-error", "");
    say("sms-ok", "");
    show("ticket");
  }

  function home() {
    if (lang !== "fr") {
      location.assign("/kiosk"); // back to French for the next person
      return;
    }
    intent = null;
    clearCode();
    show("start");
  }

  $("done").addEventListener("click", home);

  // Text message ------------------------------------------------------------------------------------

  // The form takes the button's place (the screen has no room for both; "Done" stays to leave it).
  $("sms-open").addEventListener("click", () => {
    $("sms").hidden = false;
    $("sms-open").setAttribute("aria-expanded", "true");
    $("sms-open").hidden = true;
    $("phone").focus();
  });

  for (const key of document.querySelectorAll("#sms .keypad button")) {
    key.addEventListener("click", () => {
      const field = $("phone");
      field.value = key.dataset.key === "back" ? field.value.slice(0, -1) : (field.value + key.dataset.key).slice(0, 20);
    });
  }

  // The number as the screen may show it once left: the first two and the last two digits ("06 •• •• •• 78"),
  // the country code kept; the rest of the hall cannot read it over the citizen's shoulder.
  function masked(phone) {
    const compact = phone.replace(/[^\d+]/g, "");
    const head = compact.startsWith("+") ? compact.slice(0, 3) : compact.slice(0, 2);
    const tail = compact.slice(-2);
    const hidden = Math.max(0, compact.length - head.length - tail.length);
    const dots = "•".repeat(hidden).replace(/(?=(?:••)+$)/g, " ").trim();
    return [head, dots, tail].filter(Boolean).join(" ");
  }

  $("sms").addEventListener("submit", async (event) => {
    event.preventDefault();
    const phone = $("phone").value.trim();
    say("sms-error", "");
    if (!phone) {
      say("sms-error", strings.phone_invalid);
      return;
    }
    let answer = null;
    try {
      answer = await api("PUT", `/api/v1/sites/${encodeURIComponent(site)}/tickets/${encodeURIComponent($("ticket").dataset.ticket)}/phone`, { phone });
    } catch {
      // reported below
    }
    if (answer && answer.status === 204) {
      // Saved: the form and the number in clear leave the screen; the confirmation shows it masked.
      $("phone").value = "";
      $("sms").hidden = true;
      $("sms-open").hidden = true;
      $("sms-open").setAttribute("aria-expanded", "false");
      say("sms-ok", fmt(strings.phone_saved, { phone: "\u2066" + masked(phone) + "\u2069" }));
      $("done").focus();
    } else {
      say("sms-error", answer && answer.status === 422 ? strings.phone_invalid : strings.phone_failed);
      $("phone").focus();
    }
  });

  // Appointment check-in ------------------------------------------------------------------------------

  // The code in what was typed or scanned: a QR may hold a URL ending in the code (its last path segment);
  // case, spaces and dashes do not matter and look-alikes are read as the server reads them (codes.py).
  function codeOf(raw) {
    let text = raw.trim();
    if (/[/:?#]/.test(text)) {
      text = text.split(/[?#]/)[0].replace(/\/+$/, "");
      text = text.slice(text.lastIndexOf("/") + 1);
    }
    let code = "";
    for (const char of text.toUpperCase()) {
      const read = LOOK_ALIKES[char] || char;
      if (ALPHABET.includes(read)) code += read;
    }
    return code;
  }

  let freshAfterError = false; // after a refusal, the next character typed starts a new code (a scan, a retry)

  function renderCode() {
    const code = codeOf($("a-code").value);
    document.querySelectorAll(".a-box").forEach((box, index) => {
      box.textContent = code[index] || "";
      box.classList.toggle("next", index === Math.min(code.length, CODE_LENGTH - 1) && code.length < CODE_LENGTH);
    });
  }

  function sayCheckIn(text, walkIn = false) {
    say("a-error", text);
    $("a-walk-in").hidden = !walkIn;
    freshAfterError = !!text;
  }

  function clearCode() {
    $("a-code").value = "";
    sayCheckIn("");
    say("a-status", "");
    renderCode();
  }

  function typeChar(char) {
    const field = $("a-code");
    if (freshAfterError) field.value = "";
    sayCheckIn("");
    if (char === "back") field.value = field.value.slice(0, -1);
    else if (char === "clear") field.value = "";
    else field.value = (field.value + char).slice(-200);
    renderCode();
  }

  function openAppointment() {
    clearCode();
    show("appointment");
    $("a-code").focus(); // its label and help are read; the screen's keys, a keyboard or a reader type into it
  }

  $("appointment-open").addEventListener("click", openAppointment);
  $("a-back").addEventListener("click", home);
  $("a-walk-in").addEventListener("click", () => {
    clearCode();
    show("start");
  });
  $("a-boxes").addEventListener("click", () => $("a-code").focus());
  $("a-code").addEventListener("input", () => {
    sayCheckIn("");
    renderCode();
  });
  for (const key of document.querySelectorAll(".a-keys button")) {
    key.addEventListener("click", () => {
      const char = key.dataset.char;
      if (char === "back") freshAfterError = false; // correcting the code shown, not a new one
      // The screen's keys stop at a whole code; a keyboard or a reader may type a URL that holds one.
      if (char.length === 1 && !freshAfterError && codeOf($("a-code").value).length >= CODE_LENGTH) return;
      typeChar(char);
    });
  }

  // The character a key types, if it may be part of a code or of a URL holding one. The digit row of a French
  // (AZERTY) keyboard types "&é\"'(-è_çà" without Shift: a reader set for another layout types those for digits.
  function typed(event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.key.length !== 1) return null;
    if (/^[0-9a-z]$/i.test(event.key)) return event.key.toUpperCase();
    const digit = /^(?:Digit|Numpad)([0-9])$/.exec(event.code || "");
    if (digit) return digit[1];
    return "/:.?#=-_".includes(event.key) ? event.key : null;
  }

  document.addEventListener("keydown", (event) => {
    const screen = document.body.dataset.screen;
    const char = typed(event);
    if (screen === "start" && char && /^[0-9A-Z]$/.test(char) && !$("appointment-open").disabled
        && !(document.activeElement instanceof HTMLInputElement)) {
      openAppointment(); // a code typed, or a confirmation's QR shown to the reader, on the start screen
    } else if (screen !== "appointment") {
      return;
    }
    if (char) {
      event.preventDefault();
      typeChar(char);
      $("a-code").focus(); // so that the reader's Enter validates, wherever the focus was
    } else if (event.key === "Backspace" && document.activeElement !== $("a-code")) {
      event.preventDefault();
      freshAfterError = false;
      typeChar("back");
    }
  });

  $("a-form").addEventListener("submit", (event) => {
    event.preventDefault();
    checkIn();
  });

  // When the check-in window opens ("09:40") or the appointment's day, from the server's words: its detail gives
  // them on the site's clock (booking/service.py check_in).
  function detailTime(problem) {
    const found = /\b(\d{1,2}:\d{2})\b/.exec(problem.detail || "");
    return found ? found[1] : "";
  }

  function detailDate(problem) {
    const found = /\b(\d{4})-(\d{2})-(\d{2})\b/.exec(problem.detail || "");
    if (!found) return "";
    const day = new Date(Date.UTC(Number(found[1]), Number(found[2]) - 1, Number(found[3]), 12));
    return day.toLocaleDateString(lang, { weekday: "long", day: "numeric", month: "long", timeZone: "UTC" });
  }

  function refusalOf(status, problem) {
    const kind = (problem.type || "").split("/").pop();
    const time = detailTime(problem);
    switch (kind) {
      case "unknown-code": return [strings.a_unknown, false];
      case "not-today": return [fmt(strings.a_not_today, { date: detailDate(problem) }), true];
      case "too-early": return [time ? fmt(strings.a_too_early, { time }) : strings.a_too_early_unknown, true];
      case "too-late": return [time ? fmt(strings.a_too_late, { time }) : strings.a_too_late_unknown, true];
      case "already-checked-in": return [strings.a_already, false];
      case "appointment-cancelled": return [strings.a_cancelled, true];
      case "appointment-over": return [strings.a_over, false];
      default: return [status === 404 ? strings.a_unknown : strings.a_failed, false];
    }
  }

  async function checkIn() {
    const code = codeOf($("a-code").value);
    if (busy || blocked()) return;
    if (code.length < CODE_LENGTH) {
      sayCheckIn(strings.a_short);
      freshAfterError = false; // the citizen goes on typing the same code
      $("a-code").focus();
      return;
    }
    busy = true;
    renderAvailability();
    sayCheckIn("");
    say("a-status", strings.a_busy);
    let answer = null;
    for (let tries = 0; tries < 3 && !answer; tries++) {
      try {
        answer = await api("POST", `/api/v1/sites/${encodeURIComponent(site)}/check-in`, { code });
        if (answer.status === 429 || answer.status >= 500) {
          answer = tries < 2 ? null : answer;
          if (!answer) await sleep(1000 * (tries + 1));
        }
      } catch {
        await sleep(1000 * (tries + 1)); // checked in twice is refused (already-checked-in): never two tickets
      }
    }
    busy = false;
    say("a-status", "");
    renderAvailability();
    if (answer && answer.ok) {
      const ticket = await answer.json();
      clearCode();
      showTicket(ticket);
      return;
    }
    if (answer && answer.status === 401) identify();
    const problem = answer ? await answer.json().catch(() => ({})) : {};
    const [text, walkIn] = answer ? refusalOf(answer.status, problem) : [strings.a_failed, false];
    sayCheckIn(text, walkIn);
    $("a-code").focus();
  }

  // "Your opinion": one touch, anonymous ----------------------------------------------------------------

  function openOpinion() {
    for (const face of document.querySelectorAll("#faces button")) {
      face.disabled = false;
      face.classList.remove("chosen");
    }
    say("opinion-said", "");
    show("opinion");
  }

  async function give(score) {
    const faces = document.querySelectorAll("#faces button");
    for (const face of faces) face.disabled = true; // one touch: a second one would be another person's
    let recorded = false;
    try {
      const answer = await api("POST", `/api/v1/sites/${encodeURIComponent(site)}/surveys/kiosk`, { score });
      recorded = answer.status === 201;
    } catch {
      recorded = false;
    }
    say("opinion-said", recorded ? strings.opinion_thanks : strings.opinion_failed);
    clearTimeout(opinionTimer);
    opinionTimer = setTimeout(home, THANKS_MS);
  }

  if ($("opinion")) {
    $("opinion-open").addEventListener("click", openOpinion);
    $("opinion-back").addEventListener("click", () => show("start"));
    for (const face of document.querySelectorAll("#faces button")) {
      face.addEventListener("click", () => {
        face.classList.add("chosen");
        give(Number(face.dataset.score));
      });
    }
  }

  // Idle: the ticket screen goes back to the start; another language goes back to French ---------

  function armIdle() {
    clearTimeout(idleTimer);
    const screen = document.body.dataset.screen;
    if (screen === "ticket") idleTimer = setTimeout(home, idleS * 1000);
    else if (screen === "appointment" || screen === "priority-step" || screen === "opinion") {
      idleTimer = setTimeout(home, Math.max(idleS, HOME_IDLE_S) * 1000);
    }
    else if (screen === "start" && lang !== "fr") idleTimer = setTimeout(home, HOME_IDLE_S * 1000);
  }

  for (const kind of ["pointerdown", "keydown"]) document.addEventListener(kind, armIdle, { passive: true });

  // Start -------------------------------------------------------------------------------------------

  token = Live.takeToken(TOKEN_KEY);
  if (token) identify();
  else pairing(strings.unpaired);
})();
