// The hall display: calls shown big and announced (a chime, then the phrase in each language the
// site announces in), the open counters, the last calls, waiting counts, a clock and the supervisors' message;
// with no call for a while (idle_after), an idle screen: the site's name and logo, the time and date, today's
// opening hours, who waits for what, and the administrator's message and slideshow.
//
// - Every word on the screen is in the page's language (the site's first language unless ?lang= says
//   otherwise), whatever language a call is being spoken in: a small mark says which ("En anglais").
// - The site's colours: the main one behind the header and footer, darker shades of it for the ground and the
//   panels, the accent for what stands out (a new call flashes in it four times, then stays in it until 10 s);
//   on each, white or black text, whichever contrasts more (WCAG AA whatever the colours).
// - The idle screen's content comes from GET /display/screen/{site}, fetched again on each site.configured
//   message (an administrator's change), each new day, and every 30 minutes.
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
  const IDLE_MS = 1000 * (Number(document.body.dataset.idleAfter) || 180);
  const SLIDE_MS = 10000;
  const body = document.body;
  const strings = JSON.parse(document.getElementById("strings").textContent);
  const $ = (id) => document.getElementById(id);
  const fmt = (text, values) => text.replace(/\{(\w+)\}/g, (_, key) => String(values[key]));
  const split = (raw) => (raw ? new Set(raw.split(",")) : null);
  const onlyServices = split(body.dataset.services);
  const onlyCounters = split(body.dataset.counters);
  const historySize = Number(body.dataset.history) || 5;
  const showWaiting = body.dataset.waiting === "1";
  const queryMedia = body.dataset.media ? body.dataset.media.split(",") : [];
  const pageLang = document.documentElement.lang;
  const ARROW = document.documentElement.dir === "rtl" ? "← " : "→ "; // towards the counter's name, as read

  let token = null;
  let site = null;
  let snapshot = null; // the site's public view, kept current by the feed's events
  let feed = null; // Live.follow's handle
  let recent = [];
  let offsetMs = 0;
  let attempt = 0;
  let downSince = null;
  let freshTimer = null;
  let screen = null; // GET /display/screen: the site's language, today's hours, the idle message and images
  let slides = [];
  let slideIndex = 0;
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

  // On the site's wall clock (the TV's own zone may be anything).
  let zone;
  let clock;
  let dateWords;
  function setZone(timeZone) {
    if (clock && timeZone === zone) return;
    zone = timeZone;
    try {
      clock = new Intl.DateTimeFormat(pageLang, { hour: "2-digit", minute: "2-digit", timeZone });
      dateWords = new Intl.DateTimeFormat(pageLang, { weekday: "long", day: "numeric", month: "long", timeZone });
    } catch {
      clock = new Intl.DateTimeFormat(pageLang, { hour: "2-digit", minute: "2-digit" });
      dateWords = new Intl.DateTimeFormat(pageLang, { weekday: "long", day: "numeric", month: "long" });
    }
  }
  setZone(undefined);
  const serverNow = () => Date.now() + offsetMs;
  function tick() {
    const now = new Date(serverNow());
    const time = clock.format(now);
    $("clock").textContent = time;
    $("idle-clock").textContent = time;
    const day = dateWords.format(now);
    $("idle-date").textContent = day.charAt(0).toLocaleUpperCase(pageLang) + day.slice(1);
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

  // speaking: the language of the phrase being played (null: the chime, or nothing).
  const announcer = { queue: [], playing: false, log: [], blocked: false, speaking: null };
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
      if (!part.audio_url) continue;
      speaking(part.lang);
      await play(part.audio_url, call.label);
    }
    speaking(null);
    speakNext();
  }

  function announce(ticket, announcements, key) {
    if (announced.has(key)) return;
    announced.add(key);
    sessionStorage.setItem("guichet.announced", JSON.stringify([...announced].slice(-200)));
    announcer.queue.push({ label: ticket.number, announcements: announcements || [] });
    if (!announcer.playing) speakNext();
  }

  // The captions stay in the page's language: only this mark says another one is being spoken.
  function speaking(lang) {
    announcer.speaking = lang;
    const other = lang && lang !== pageLang;
    $("spoken").hidden = !other;
    $("spoken").textContent = other ? fmt(strings.in_language, { language: strings.languages[lang] || lang }) : "";
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

  // Colours ---------------------------------------------------------------------------------------------------

  const HEX = /^#[0-9a-f]{6}$/i;
  const rgb = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  const hexOf = (channels) => "#" + channels.map((c) => Math.round(c).toString(16).padStart(2, "0")).join("");
  const mix = (hex, other, share) => hexOf(rgb(hex).map((c, i) => c * (1 - share) + rgb(other)[i] * share));
  function luminance(hex) {
    const [r, g, b] = rgb(hex).map((v) => {
      const c = v / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  }
  const contrast = (a, b) => {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  // White or black on the colour, whichever contrasts more (one of them always reaches AA's 4.5:1).
  const inkOn = (hex) => (contrast(hex, "#ffffff") >= contrast(hex, "#000000") ? "#ffffff" : "#000000");

  function applyColours(colours) {
    const [main, accent] = Array.isArray(colours) && colours.length === 2 && colours.every((c) => HEX.test(c))
      ? colours : ["#000091", "#e1000f"];
    // The ground and the panels are dark shades of the main colour: a TV glares less, and the numbers stand out.
    const ground = mix(main, "#000000", 0.72);
    const panel = mix(main, "#000000", 0.5);
    const set = (name, value) => document.documentElement.style.setProperty(name, value);
    for (const [name, colour] of [["main", main], ["ground", ground], ["panel", panel], ["accent", accent]]) {
      set(`--${name}`, colour);
      set(`--${name}-ink`, inkOn(colour));
    }
    set("--line", mix(panel, inkOn(panel), 0.3));
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

  function renderCurrent(fresh) {
    const current = $("current");
    const call = recent[0];
    current.replaceChildren();
    if (!call) return;
    current.append(numbered("p", "number", call), element("p", "where", ARROW + call.counterName));
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

  // The counters at work (open, paused, or with someone at them): a closed counter is no news to the hall.
  function renderCounters() {
    const tiles = [];
    for (const counter of snapshot ? snapshot.counters : []) {
      if (onlyCounters && !onlyCounters.has(counter.id)) continue;
      const ticket = counter.ticket && visible(counter.ticket) && ["called", "serving"].includes(counter.ticket.status)
        ? counter.ticket : null;
      if (!ticket && counter.status === "closed") continue;
      const tile = element("div", "tile" + (ticket ? "" : " idle"));
      tile.dataset.counter = counter.id;
      tile.append(element("p", "name", counter.name),
        ticket ? numbered("p", "number", ticket)
          : element("p", "number", counter.status === "paused" ? strings.paused : strings.free));
      tiles.push(tile);
    }
    const box = $("counters");
    const portrait = window.matchMedia("(orientation: portrait)").matches;
    const n = tiles.length;
    const cols = n <= 2 ? Math.max(n, 1) : n <= 4 ? 2 : n <= 9 && portrait ? 3 : n <= 6 ? 3 : 4;
    box.style.setProperty("--cols", String(cols));
    box.style.setProperty("--rows", String(Math.max(1, Math.ceil(n / cols))));
    body.classList.toggle("many-counters", n > 8);
    box.replaceChildren(...tiles);
  }

  window.matchMedia("(orientation: portrait)").addEventListener("change", renderCounters); // a TV turned

  // Who waits for what: on the calls' screen a chip per service, on the idle screen a card with the estimate.
  function renderWaiting() {
    $("waiting-box").hidden = !showWaiting;
    $("idle-waiting-box").hidden = !showWaiting;
    if (!showWaiting || !snapshot) return;
    const services = snapshot.services.filter((service) => !onlyServices || onlyServices.has(service.id));
    // Under the heading "Waiting", a service's name and its count (a figure, not a phrase: room for many).
    $("waiting").replaceChildren(...services.map((service) => {
      const item = element("li");
      item.dataset.service = service.id;
      item.append(element("span", "service", service.name), " ", element("span", "count", String(service.waiting)));
      return item;
    }));
    // Beyond four services, one line each (two columns on a wide screen), so that they all fit.
    $("idle-waiting").classList.toggle("compact", services.length > 4);
    $("idle").classList.toggle("many", services.length > 4);
    $("idle-waiting").style.setProperty("--n", String(services.length));
    $("idle-waiting").replaceChildren(...services.map((service) => {
      const item = element("li");
      item.dataset.service = service.id;
      const closed = service.open_now === false && !service.waiting;
      const wait = closed ? strings.closed : Live.waitWords(service.estimated_wait_s, strings.wait_words);
      const figures = element("span", "figures");
      figures.append(element("span", "count", Live.plural(strings.waiting, service.waiting)),
        element("span", "wait", wait.charAt(0).toLocaleUpperCase(pageLang) + wait.slice(1)));
      item.append(element("span", "service", service.name), figures);
      return item;
    }));
  }

  // The idle screen -------------------------------------------------------------------------------------------

  const timeWords = new Intl.DateTimeFormat(pageLang, { hour: "2-digit", minute: "2-digit", timeZone: "UTC" });
  function wallTime(hhmm) {
    if (hhmm === "24:00") return strings.midnight;
    const [h, m] = hhmm.split(":").map(Number);
    return timeWords.format(new Date(Date.UTC(2000, 0, 1, h, m)));
  }

  function renderHours() {
    const today = screen && screen.today;
    let lines = [];
    if (!today) lines = [];
    else if (today.closed !== null && today.closed !== undefined) {
      lines = [today.closed ? fmt(strings.closed_today_because, { reason: today.closed }) : strings.closed_today];
    } else if (!today.spans.length) lines = [strings.closed_today];
    else if (today.spans.length === 1 && today.spans[0][0] === "00:00" && today.spans[0][1] === "24:00") {
      lines = [strings.open_all_day];
    } else {
      lines = today.spans.map(([start, end]) => fmt(strings.span, { start: wallTime(start), end: wallTime(end) }));
    }
    $("idle-hours").replaceChildren(...lines.map((line) => element("li", "", line)));
  }

  function renderIdle() {
    if (snapshot) {
      $("idle-name").textContent = snapshot.name || snapshot.site;
      body.classList.toggle("long-name", (snapshot.name || "").length > 40);
      $("site-address").textContent = snapshot.address || "";
    }
    renderHours();
    const message = screen ? screen.message : "";
    slides = [...(screen ? screen.images : []), ...queryMedia];
    const panel = $("idle-panel");
    panel.classList.toggle("has-image", slides.length > 0);
    body.classList.toggle("no-media", slides.length === 0);
    $("idle-message").textContent = message || (slides.length ? "" : strings.take_a_ticket);
    $("idle-message").classList.toggle("long", $("idle-message").textContent.length > 120);
    $("idle-message").hidden = !$("idle-message").textContent;
    showSlide();
  }

  function showSlide() {
    if (slideIndex >= slides.length) slideIndex = 0;
    const src = slides[slideIndex];
    for (const img of [$("idle-slide"), $("slide")]) {
      if (src) {
        if (img.getAttribute("src") !== src) img.src = src;
      } else {
        img.removeAttribute("src");
      }
      img.hidden = !src;
    }
  }
  setInterval(() => {
    if (slides.length < 2) return;
    slideIndex = (slideIndex + 1) % slides.length;
    showSlide();
  }, SLIDE_MS);

  // Idle: no call for IDLE_MS and none being announced (a pairing screen is neither).
  function setIdle() {
    const newest = recent[0];
    const idle = !!snapshot && $("pairing").hidden && !announcer.playing
      && (!newest || serverNow() - Date.parse(newest.at) > IDLE_MS);
    body.classList.toggle("is-idle", idle);
    $("idle").hidden = !idle;
  }
  setInterval(setIdle, 1000);

  async function fetchScreen() {
    if (!site || !token) return;
    let answer;
    try {
      answer = await fetch(`/display/screen/${encodeURIComponent(site)}`, {
        headers: { Authorization: "Bearer " + token }, cache: "no-store",
      });
    } catch {
      return; // the feed's reconnection fetches it again
    }
    if (!answer.ok) return;
    screen = await answer.json();
    // The page speaks the site's language unless its address chose one.
    if (body.dataset.chosenLang !== "1" && screen.lang && screen.lang !== pageLang) {
      const here = new URL(location.href);
      here.searchParams.set("lang", screen.lang);
      location.replace(here.pathname + here.search);
      return;
    }
    renderIdle();
  }
  setInterval(fetchScreen, 30 * 60000);

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

  // A snapshot (first, or after a cut) or an administrator's change (configured: what was said is kept, nothing
  // is announced again, and the idle screen is fetched anew).
  function onSnapshot(data, configured) {
    $("site-name").textContent = data.name || data.site;
    Live.showLogo($("logo"), data.logo);
    $("logo-card").hidden = !data.logo;
    applyColours(data.colours);
    setZone(data.timezone);
    const said = new Map(recent.map((call) => [call.id, call.announcements]));
    recent = [];
    for (const ticket of [...data.recent_calls].reverse()) {
      if (visible(ticket)) rememberCall(ticket, said.get(ticket.id) || [], ticket.called_at);
    }
    renderMessage(data.message);
    renderCurrent(false);
    renderRecent();
    renderCounters();
    renderWaiting();
    renderIdle();
    fetchScreen();
    tick();
    setIdle();
    const newest = recent[0];
    if (!configured && newest && serverNow() - Date.parse(newest.at) < OLD_MS) {
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
        setIdle();
        if (serverNow() - Date.parse(message.at) < OLD_MS) {
          announce(ticket, data.announcements, `${ticket.id}:${ticket.recalls}`);
        }
      }
    } else if (kind === "display.message") {
      renderMessage(snapshot.message);
    }
    if (kind.startsWith("ticket.") || kind.startsWith("counter.") || kind === "day.started") renderCounters();
    if (data.services && showWaiting) renderWaiting(); // the figures of the services it changed
    if (kind === "day.started") fetchScreen(); // today's hours
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
        if (message.type === "snapshot" || message.type === "site.configured") {
          onSnapshot(snapshot, message.type === "site.configured");
        }
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
    for (const id of ["calls", "history-box", "waiting-box", "media", "idle"]) $(id).hidden = true;
    body.classList.remove("is-idle");
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

  // Start -------------------------------------------------------------------------------------------------

  token = Live.takeToken(TOKEN_KEY);
  setStatus();
  if (token) identify();
  else pairing(strings.unpaired);
})();
