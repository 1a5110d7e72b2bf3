// The hall display: calls shown big and announced (a chime, then the phrase in each language the
// site announces in), the last calls, waiting counts, a clock and the supervisors' message.
//
// - Announcements queue: a new call never cuts the one being spoken. A call older than 30 s when it
//   arrives (a display coming back after a cut) is shown, never announced.
// - The live feed (Live.follow, live.js) is resumed with ?since= after a cut, so no call is missed or
//   shown twice; its events keep the site's public view current (Live.fold): counters, waiting counts,
//   the message. The calls shown keep what each call's event said (its announcements, its time).
// - Watchdog: a script error reloads the page after 10 s; so does a connection down for 5 minutes.
"use strict";

(() => {
  const TOKEN_KEY = "guichet.display.token";
  const OLD_MS = 1000 * (Number(document.body.dataset.announceWithin) || 30);
  const FRESH_MS = 10000;
  const body = document.body;
  const strings = JSON.parse(document.getElementById("strings").textContent);
  const $ = (id) => document.getElementById(id);
  const fmt = (text, values) => text.replace(/\{(\w+)\}/g, (_, key) => String(values[key]));
  const split = (raw) => (raw ? new Set(raw.split(",")) : null);
  const onlyServices = split(body.dataset.services);
  const onlyCounters = split(body.dataset.counters);
  const historySize = Number(body.dataset.history) || 5;
  const showWaiting = body.dataset.waiting === "1";
  const media = body.dataset.media ? body.dataset.media.split(",") : [];

  let token = null;
  let site = null;
  let snapshot = null; // the site's public view, kept current by the feed's events
  let feed = null; // Live.follow's handle
  let recent = [];
  let offsetMs = 0;
  let attempt = 0;
  let downSince = null;
  let freshTimer = null;
  let rotateTimer = null;
  const announced = new Set(JSON.parse(sessionStorage.getItem("guichet.announced") || "[]"));

  // Watchdog ----------------------------------------------------------------------------------------

  let reloading = false;
  function reloadSoon(why) {
    if (reloading) return;
    reloading = true;
    console.warn("display: reloading in 10 s:", why);
    setTimeout(() => location.reload(), 10000);
  }
  window.addEventListener("error", (event) => reloadSoon(event.message));
  window.addEventListener("unhandledrejection", (event) => reloadSoon(String(event.reason)));
  setInterval(() => {
    if (downSince !== null && Date.now() - downSince > 5 * 60000) reloadSoon("offline for 5 minutes");
  }, 30000);

  // Clock ---------------------------------------------------------------------------------------------

  const clock = new Intl.DateTimeFormat(document.documentElement.lang, { hour: "2-digit", minute: "2-digit" });
  function tick() {
    $("clock").textContent = clock.format(new Date(Date.now() + offsetMs));
  }
  tick();
  setInterval(tick, 1000);

  async function syncClock() {
    try {
      const sent = Date.now();
      const answer = await fetch("/healthz", { cache: "no-store" });
      const received = Date.now();
      const date = Date.parse(answer.headers.get("date"));
      // The header has whole seconds (take the middle), written about half the round trip before it arrived
      // (a busy network or PC would otherwise make the server's clock look behind, and old calls look fresh).
      if (!Number.isNaN(date)) offsetMs = date + 500 + (received - sent) / 2 - received;
    } catch {
      // keep the last offset
    }
  }

  // Announcements -------------------------------------------------------------------------------------

  const announcer = { queue: [], playing: false, log: [], blocked: false };
  window.guichetAnnouncer = announcer; // read by the browser tests and by a curious technician

  function play(src, label) {
    return new Promise((resolve) => {
      const audio = new Audio(src);
      let done = false;
      const finish = (how) => {
        if (done) return;
        done = true;
        announcer.log.push({ event: how, src, label, at: performance.now() });
        resolve();
      };
      announcer.log.push({ event: "start", src, label, at: performance.now() });
      audio.addEventListener("ended", () => finish("end"), { once: true });
      audio.addEventListener("error", () => finish("error"), { once: true });
      audio.play().then(() => {
        if (announcer.blocked) soundWorks();
      }).catch((error) => {
        if (error && error.name === "NotAllowedError") soundBlocked();
        finish("blocked");
      });
      setTimeout(() => finish("timeout"), 20000); // a stuck element never stalls the queue
    });
  }

  async function speakNext() {
    const call = announcer.queue.shift();
    if (!call) {
      announcer.playing = false;
      return;
    }
    announcer.playing = true;
    await play("/speech/chime.wav", call.label);
    for (const part of call.announcements) {
      if (part.audio_url) await play(part.audio_url, call.label);
    }
    speakNext();
  }

  function announce(ticket, announcements, key) {
    if (announced.has(key)) return;
    announced.add(key);
    sessionStorage.setItem("guichet.announced", JSON.stringify([...announced].slice(-200)));
    announcer.queue.push({ label: ticket.number, announcements: announcements || [] });
    if (!announcer.playing) speakNext();
  }

  function soundBlocked() {
    announcer.blocked = true;
    $("sound").hidden = false;
    setStatus();
  }

  function soundWorks() {
    announcer.blocked = false;
    $("sound").hidden = true;
    setStatus();
  }

  $("sound").addEventListener("click", () => {
    play("/speech/chime.wav", "test").then(() => {
      if (!announcer.blocked) soundWorks();
    });
    announcer.blocked = false;
    $("sound").hidden = true;
    setStatus();
  });

  // Status line -----------------------------------------------------------------------------------------

  function setStatus() {
    const parts = [];
    if (downSince !== null) parts.push(strings.lost);
    if (announcer.blocked) parts.push(strings.sound_blocked);
    else if (body.dataset.speech !== "1") parts.push(strings.no_speech);
    $("status").textContent = parts.join(" · ");
  }

  // Rendering ---------------------------------------------------------------------------------------------

  const visible = (ticket) =>
    (!onlyServices || onlyServices.has(ticket.service)) && (!onlyCounters || onlyCounters.has(ticket.counter));

  function counterOf(id) {
    return snapshot ? snapshot.counters.find((counter) => counter.id === id) : undefined;
  }

  function counterName(id) {
    const counter = counterOf(id);
    return counter ? counter.name : `${strings.counter} ${id}`;
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // A ticket's number, with the "Appt." mark of an appointment's ticket (the public view's booked) after it.
  function numbered(tag, className, ticket) {
    const node = element(tag, className, ticket.number);
    if (ticket.booked) node.append(" ", element("span", "booked", strings.booked));
    return node;
  }

  // The call's second line: the counter in the page's words, then in turn the phrase of each other
  // language the site announces in ("Ticket A 42, counter 3"), every 4 s.
  let alternateTimer = null;
  function alternate(where, call) {
    clearInterval(alternateTimer);
    const pageLang = document.documentElement.lang;
    const lines = [{ lang: pageLang, text: "→ " + call.counterName }].concat(
      (call.announcements || []).filter((a) => a.lang !== pageLang && a.text).map((a) => ({ lang: a.lang, text: a.text })));
    let index = 0;
    const show = () => {
      where.textContent = lines[index].text;
      where.lang = lines[index].lang;
      index = (index + 1) % lines.length;
    };
    show();
    if (lines.length > 1) alternateTimer = setInterval(show, 4000);
  }

  function renderCurrent(fresh) {
    const current = $("current");
    const call = recent[0];
    current.replaceChildren();
    if (!call) return;
    const where = element("p", "where");
    current.append(numbered("p", "number", call), where);
    alternate(where, call);
    current.dataset.ticket = call.id;
    if (fresh) {
      current.classList.remove("fresh");
      void current.offsetWidth; // restart the highlight
      current.classList.add("fresh");
      clearTimeout(freshTimer);
      freshTimer = setTimeout(() => current.classList.remove("fresh"), FRESH_MS);
    }
  }

  function renderRecent() {
    const list = $("history");
    list.replaceChildren(...recent.slice(0, historySize).map((call) => {
      const item = element("li");
      item.dataset.ticket = call.id;
      item.append(numbered("span", "number", call), element("span", "counter", call.counterName));
      return item;
    }));
  }

  function renderCounters() {
    const tiles = [];
    for (const counter of snapshot ? snapshot.counters : []) {
      if (onlyCounters && !onlyCounters.has(counter.id)) continue;
      const ticket = counter.ticket && visible(counter.ticket) && ["called", "serving"].includes(counter.ticket.status)
        ? counter.ticket : null;
      const tile = element("div", "tile" + (ticket ? "" : " idle"));
      tile.dataset.counter = counter.id;
      tile.append(element("p", "name", counter.name),
        ticket ? numbered("p", "number", ticket)
          : element("p", "number", counter.status === "closed" ? strings.closed : strings.free));
      tiles.push(tile);
    }
    $("counters").replaceChildren(...tiles);
  }

  function renderWaiting() {
    $("waiting-box").hidden = !showWaiting;
    if (!showWaiting || !snapshot) return;
    $("waiting").replaceChildren(...snapshot.services
      .filter((service) => !onlyServices || onlyServices.has(service.id))
      .map((service) => element("li", "", `${service.name} : ${fmt(strings.waiting, { n: service.waiting })}`)));
  }

  function renderMessage(text) {
    $("message").textContent = text || "";
    $("ticker").hidden = !text;
  }

  function rememberCall(ticket, announcements, at) {
    recent = recent.filter((call) => call.id !== ticket.id);
    recent.unshift({
      id: ticket.id, number: ticket.number, booked: !!ticket.booked, counter: ticket.counter,
      counterName: counterName(ticket.counter),
      announcements, at,
    });
    recent = recent.slice(0, Math.max(historySize, 1));
  }

  // The live feed ------------------------------------------------------------------------------------------

  function onSnapshot(data) {
    $("site-name").textContent = data.name || data.site;
    Live.showLogo($("logo"), data.logo);
    recent = [];
    for (const ticket of [...data.recent_calls].reverse()) {
      if (visible(ticket)) rememberCall(ticket, [], ticket.called_at);
    }
    renderMessage(data.message);
    renderCurrent(false);
    renderRecent();
    renderCounters();
    renderWaiting();
    const newest = recent[0];
    if (newest && Date.now() + offsetMs - Date.parse(newest.at) < OLD_MS) {
      // a call made while the page (re)loaded: the only one still worth saying
      announce(newest, [], `${newest.id}:snapshot`);
    }
  }

  // An event, once folded into the view (counters, figures and message are the view's).
  function onEvent(message) {
    const data = message.data || {};
    const kind = message.type || "";
    if (kind === "ticket.called" || kind === "ticket.recalled") {
      const ticket = data.ticket;
      if (ticket && ticket.counter && visible(ticket)) {
        rememberCall(ticket, data.announcements || [], message.at);
        renderCurrent(true);
        renderRecent();
        if (Date.now() + offsetMs - Date.parse(message.at) < OLD_MS) {
          announce(ticket, data.announcements, `${ticket.id}:${ticket.recalls}`);
        }
      }
    } else if (kind === "display.message") {
      renderMessage(snapshot.message);
    }
    if (kind.startsWith("ticket.") || kind.startsWith("counter.") || kind === "day.started") renderCounters();
    if (data.services && showWaiting) renderWaiting(); // the figures of the services it changed
  }

  function connect() {
    if (feed) feed.stop();
    feed = Live.follow(`/ws/sites/${encodeURIComponent(site)}`, {
      token,
      onStatus(up) {
        if (up) {
          downSince = null;
          syncClock();
        } else if (downSince === null) {
          downSince = Date.now();
        }
        setStatus();
      },
      onMessage(message) {
        snapshot = Live.fold(snapshot, message);
        if (message.type === "snapshot" || message.type === "site.configured") onSnapshot(snapshot);
        else if (snapshot) onEvent(message);
      },
      onRevoked() {
        pairing(strings.revoked);
      },
      // Refused before opening (revoked, unknown token) or cut: asking who we are tells which.
      beforeReconnect: stillPaired,
    });
  }

  async function identify() {
    let answer;
    try {
      answer = await fetch("/api/v1/me", { headers: { Authorization: "Bearer " + token }, cache: "no-store" });
    } catch {
      if (downSince === null) downSince = Date.now();
      setStatus();
      attempt = Math.min(attempt + 1, 6);
      setTimeout(identify, Math.min(15000, 500 * 2 ** attempt));
      return;
    }
    if (answer.status === 401) {
      const problem = await answer.json().catch(() => ({}));
      pairing(problem.type === "/problems/token-revoked" ? strings.revoked : strings.unpaired);
      return;
    }
    if (!answer.ok) {
      attempt = Math.min(attempt + 1, 6);
      setTimeout(identify, Math.min(15000, 500 * 2 ** attempt));
      return;
    }
    attempt = 0;
    site = (await answer.json()).site;
    $("pairing").hidden = true;
    connect();
  }

  // Whether the token still stands for a device of the site (false: the pairing screen says why).
  async function stillPaired() {
    const found = await Live.pairing(token);
    if (found !== "paired") pairing(found === "revoked" ? strings.revoked : strings.unpaired);
    return found === "paired";
  }

  // Pairing -------------------------------------------------------------------------------------------------

  function pairing(reason) {
    if (feed) feed.stop();
    feed = null;
    $("pairing-reason").textContent = reason;
    $("pairing").hidden = false;
    for (const id of ["calls", "history-box", "waiting-box", "media"]) $(id).hidden = true;
  }

  $("pairing-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const answer = await fetch("/api/v1/pair", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ code: $("code").value.trim().toUpperCase() }),
    }).catch(() => null);
    if (!answer || !answer.ok) {
      $("pairing-reason").textContent = strings.bad_code;
      return;
    }
    token = (await answer.json()).token;
    localStorage.setItem(TOKEN_KEY, token);
    location.reload();
  });

  // Slideshow -------------------------------------------------------------------------------------------------

  if (media.length && body.classList.contains("layout-split")) {
    let index = 0;
    $("slide").src = media[0];
    rotateTimer = setInterval(() => {
      index = (index + 1) % media.length;
      $("slide").src = media[index];
    }, 10000);
  }

  // Start -------------------------------------------------------------------------------------------------

  token = Live.takeToken(TOKEN_KEY);
  setStatus();
  if (token) identify();
  else pairing(strings.unpaired);
  void rotateTimer;
})();
