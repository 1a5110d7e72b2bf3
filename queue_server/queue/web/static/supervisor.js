// The supervisor dashboard (/supervisor): the live state of one site drawn from its feed (staff.js),
// its alerts, the supervisor's actions, and the reports.
//
// - The summary band: five figures, each with a level ("ok", "warn", "alert") said in a word and an icon
//   beside its colour. Thresholds: the longest wait against its service's alert_wait_s (3/4 of it: warn);
//   the people waiting by the services' estimated waits against alert_wait_s (same ratios); the mean wait of
//   today against alert_wait_s (half: warn); the no-shows among today's visits (15 %: warn, 30 %: alert,
//   from 5 visits); no counter open while people wait (alert), or one closed while a wait is high (warn).
// - Tabs (live, alerts, reports): an ARIA tablist (arrows, Home, End), the tab kept in the address's hash.
//
// - Services and counters are redrawn after each message of the feed; durations tick every second,
//   measured on the server's clock (Staff.state.serverSkewMs corrects this machine's clock).
// - Alerts: a waiting ticket older than its service's alert_wait_s; a kiosk printer out of paper,
//   open, offline or in error (low on paper: a warning); a display or kiosk that was connected and is
//   no longer (GET …/devices/status, every 5 s). The list is updated item by item (never rebuilt), so
//   that the live region announces only what changed.
// - Waiting counts, estimates and visits served come with the events (data.services, folded into
//   Staff.view by staff.js); so does the list of waiting tickets (the view's queue).
"use strict";

(() => {
  const S = Staff.strings;
  const data = Staff.data;
  const state = Staff.state;
  const el = Staff.el;
  const $ = (id) => document.getElementById(id);
  const STORE = "guichet.supervisor.site";
  const POLL_MS = 5000;
  const MAX_WAITING_ROWS = 200;
  const REPORT_REFRESH_MS = 30000;
  const TODAY_DELAY_MS = 2000;
  const PRINTER_ALERTS = new Set(["paper_out", "cover_open", "offline", "error"]);
  const TABS = ["live", "alerts", "reports"];
  const ICONS = { ok: "✓", warn: "▲", alert: "✖" }; // shapes that differ, beside the word and the colour
  const RANK = { ok: 0, warn: 1, alert: 2 };
  const ACTION_STATUS = { open: "open", pause: "paused", close: "closed" };

  let site = null; // the site shown: one of data.sites
  let feed = null;
  let generation = 0; // bumped at each site change: callbacks of an older feed are ignored
  let devices = [];
  let renderPending = false;
  let reportSeq = 0;
  let reportSpan = null; // [from, to] of the report shown
  let sentMessage = null; // the displays' message as this page last set it, until the feed says it
  let todayReport = null; // today's report by service (the archive's figures), for the summary band
  let shownAlerts = null; // keys of the alerts already listed (null: none drawn yet)

  const t = (key, values) => Staff.format(S[key] || key, values || {});

  const base = () => `/api/v1/sites/${encodeURIComponent(site.id)}`;
  const waitedS = Staff.elapsed;
  const serviceName = (id) => (Staff.service(id) || site.services.find((s) => s.id === id) || { name: id }).name;

  const clockTime = Staff.clock;
  const plural = (key, n) => Live.plural(S[key], n);
  const worse = (a, b) => (RANK[b] > RANK[a] ? b : a);
  const levelOf = (ratio, warnAt) => (ratio >= 1 ? "alert" : ratio >= warnAt ? "warn" : "ok");
  const waitWords = (seconds) => Live.waitWords(seconds, S.wait_words);
  // A threshold as it was set: whole minutes without their "00 s"
  const limitText = (seconds) => (seconds >= 60 && seconds % 60 === 0 ? Staff.duration(seconds).replace(/ 00 s$/, "")
    : Staff.duration(seconds));

  // The ticket of the service that has waited longest (not always the next one called: priority
  // tickets and transfers to the front pass before it).
  function oldestWaiting(serviceId) {
    let oldest = null;
    let oldestAt = Infinity;
    for (const ticket of Staff.queue(serviceId)) {
      const at = Date.parse(ticket.issued_at); // not the strings: their fractions of a second vary in length
      if (at < oldestAt) {
        oldest = ticket;
        oldestAt = at;
      }
    }
    return oldest;
  }

  // Redraws a container's children, keeping the keyboard focus on the control with the same data-key.
  function fill(container, nodes) {
    const active = document.activeElement;
    const key = active && container.contains(active) ? active.getAttribute("data-key") : null;
    container.replaceChildren(...nodes);
    if (key) {
      const again = container.querySelector(`[data-key="${CSS.escape(key)}"]`);
      if (again) again.focus();
    }
  }

  function feedback(id, text, bad) {
    const node = $(id);
    node.textContent = text;
    node.classList.toggle("bad", Boolean(bad));
  }

  // The live part ---------------------------------------------------------------------------------------

  function setStatus(up) {
    $("connection").textContent = up ? S.live : S.lost;
    $("connection").setAttribute("data-live", up ? "1" : "0");
  }

  function scheduleRender() {
    if (renderPending) return;
    renderPending = true;
    setTimeout(() => {
      renderPending = false;
      render();
    }, 30);
  }

  function render() {
    renderServices();
    renderCounters();
    renderWaiting();
    renderMessage();
    renderDevices();
    tick();
  }

  function renderServices() {
    fill($("services").tBodies[0], state.services.map((s) => {
      const oldest = oldestWaiting(s.id);
      return el("tr", { "data-service": s.id },
        el("th", { scope: "row", text: s.name }),
        el("td", { class: "num waiting", text: String(s.waiting || 0) }),
        el("td", { class: "num longest", "data-since": oldest ? oldest.issued_at : "", "data-limit": s.alert_wait_s }),
        el("td", { class: "estimate", text: waitWords(s.estimated_wait_s) }),
        el("td", { class: "num served", text: String(s.served || 0) }));
    }));
  }

  function renderCounters() {
    fill($("counters").tBodies[0], state.counters.map((c) => {
      const ticket = c.ticket;
      const buttons = ["open", "pause", "close"].map((action) => {
        const current = c.status === ACTION_STATUS[action];
        return el("button", {
          type: "button", class: "secondary", "data-key": `counter:${c.id}:${action}`, "data-action": action,
          "aria-disabled": current ? "true" : null, onclick: () => { if (!current) counterAction(c, action); },
        }, S[`do_${action}`], el("span", { class: "visually-hidden", text: ` ${c.name}` }));
      });
      return el("tr", { "data-counter": c.id },
        el("th", { scope: "row", text: c.name }),
        el("td", { class: `state state-${c.status}` }, S[c.status] || c.status,
          c.status === "paused" && c.pause_reason ? ` · ${S[`pause_${c.pause_reason}`] || c.pause_reason}` : null,
          c.since ? el("span", { class: "muted since" }, " (", el("span", { "data-since": c.since }), ")") : null),
        el("td", { class: "agent", text: c.agent || "–" }),
        el("td", { class: "ticket" }, ticket
          ? el("span", {}, el("span", { class: "number", text: ticket.number }), Staff.bookedTag(ticket),
            ` ${serviceName(ticket.service)}`)
          : el("span", { class: "muted", text: S.no_ticket })),
        el("td", { class: "num for", "data-since": ticket ? (ticket.called_at || c.since || "") : "" }),
        el("td", { class: "actions" }, ...buttons));
    }));
  }

  async function counterAction(counter, action) {
    const answer = await Staff.api("POST", `${base()}/counters/${encodeURIComponent(counter.id)}/${action}`);
    if (answer.ok) feedback("counters-feedback", t(`counter_done_${ACTION_STATUS[action]}`, { counter: counter.name }));
    else feedback("counters-feedback", t("failed", { problem: answer.problem }), true);
  }

  // Every waiting ticket, grouped by service (in the order of the services), each service's tickets
  // in the server's call order: the view's queue as it is. The server gives no order across services
  // (which is called first depends on the counter that calls), so none is made up here.
  function renderWaiting() {
    const all = state.queue;
    const shown = all.slice(0, MAX_WAITING_ROWS);
    const limits = new Map(state.services.map((s) => [s.id, s.alert_wait_s]));
    const rows = shown.map((ticket) => el("tr", { "data-ticket": ticket.id },
      el("th", { scope: "row" }, el("span", { class: "number", text: ticket.number }),
        Staff.bookedTag(ticket),
        ticket.priority ? el("span", { class: "tag", text: S.priority }) : null,
        ticket.noted ? el("span", { class: "tag", text: S.noted }) : null),
      el("td", { text: serviceName(ticket.service) }),
      el("td", { class: "num", "data-since": ticket.issued_at, "data-limit": limits.get(ticket.service) }),
      el("td", { class: "actions" },
        el("button", { type: "button", class: "secondary", "data-key": `transfer:${ticket.id}`, "data-action": "transfer",
                       onclick: () => openTransfer(ticket) },
          S.transfer, el("span", { class: "visually-hidden", text: ` ${ticket.number}` })),
        el("button", { type: "button", class: "secondary", "data-key": `cancel:${ticket.id}`, "data-action": "cancel",
                       onclick: () => openCancel(ticket) },
          S.cancel, el("span", { class: "visually-hidden", text: ` ${ticket.number}` })))));
    if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: "4", class: "muted", text: S.nobody_waiting })));
    fill($("waiting").tBodies[0], rows);
    $("waiting-more").textContent = all.length > shown.length ? plural("more_waiting", all.length - shown.length) : "";
  }

  function renderMessage() {
    const text = sentMessage !== null ? sentMessage : state.message;
    $("message-current").textContent = text ? t("message_now", { text }) : S.message_none;
  }

  function deviceName(id, role) {
    const found = devices.find((d) => d.id === id);
    if (found && found.name) return found.name;
    return t(role === "display" ? "display_named" : "kiosk_named", { id });
  }

  function renderDevices() {
    const rows = devices.map((d) => {
      const printer = d.role === "kiosk" ? (state.printers.get(d.id) || d.printer) : null;
      const connection = d.online ? S.online : d.last_seen ? `${S.offline} (${clockTime(d.last_seen)})` : S.never_seen;
      return el("tr", { "data-device": d.id },
        el("th", { scope: "row", text: deviceName(d.id, d.role) }),
        el("td", { text: S[d.role] || d.role }),
        el("td", { class: d.online ? "state-online" : d.last_seen ? "state-offline" : "muted", "data-online": d.online ? "1" : "0",
                   text: connection }),
        el("td", { text: printer ? (printer === "ok" ? S.printer_ok : S[`printer_${printer}_short`] || printer) : "–" }));
    });
    if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: "4", class: "muted", text: S.no_device })));
    fill($("devices").tBodies[0], rows);
  }

  // Durations tick every second; the alerts that depend on time are checked at the same pace.
  function tick() {
    for (const node of document.querySelectorAll("[data-since]")) {
      const since = node.getAttribute("data-since");
      if (!since) {
        node.textContent = "–";
        continue;
      }
      const seconds = waitedS(since);
      const limit = Number(node.getAttribute("data-limit") || 0);
      const over = limit > 0 && seconds > limit;
      node.textContent = Staff.duration(seconds) + (over ? " ⚠" : "");
      if (node.tagName === "TD") node.classList.toggle("over", over);
    }
    renderAlerts(currentAlerts());
    renderSummary();
  }

  // The summary band ------------------------------------------------------------------------------------

  function setFigure(name, value, level, note) {
    const box = document.querySelector(`.figure[data-figure="${name}"]`);
    box.setAttribute("data-level", level);
    box.querySelector(".value").textContent = value;
    box.querySelector(".icon").textContent = ICONS[level];
    box.querySelector(".word").textContent = S[`level_${level}`];
    box.querySelector(".note").textContent = note || "";
  }

  function renderSummary() {
    const services = state.services;
    const waiting = services.reduce((n, s) => n + (s.waiting || 0), 0);

    // Waiting now: the longest estimate, weighed against its service's alert threshold.
    let estimate = null;
    let waitingLevel = "ok";
    for (const s of services) {
      if (!s.waiting || s.estimated_wait_s === null || s.estimated_wait_s === undefined) continue;
      estimate = Math.max(estimate || 0, s.estimated_wait_s);
      if (s.alert_wait_s > 0) waitingLevel = worse(waitingLevel, levelOf(s.estimated_wait_s / s.alert_wait_s, 0.75));
    }
    setFigure("waiting", String(waiting), waitingLevel,
              waiting ? t("estimate_note", { wait: waitWords(estimate) }) : S.nobody_waiting);

    // Longest wait now: the value is the longest wait; the level, the service nearest its threshold.
    let longest = null; // [seconds, service]
    let closest = null; // [ratio, service]
    for (const s of services) {
      const oldest = oldestWaiting(s.id);
      if (!oldest) continue;
      const seconds = waitedS(oldest.issued_at);
      if (!longest || seconds > longest[0]) longest = [seconds, s];
      const ratio = s.alert_wait_s > 0 ? seconds / s.alert_wait_s : 0;
      if (!closest || ratio > closest[0]) closest = [ratio, s];
    }
    if (!longest) setFigure("longest", "–", "ok", S.nobody_waiting);
    else {
      const level = levelOf(closest[0], 0.75);
      const note = level === "alert" ? t("over_note", { service: closest[1].name })
        : level === "warn" ? t("near_note", { service: closest[1].name })
          : longest[1].alert_wait_s > 0 ? t("limit_note", { limit: limitText(longest[1].alert_wait_s) }) : "";
      setFigure("longest", Staff.duration(longest[0]), level, note);
    }

    // Served today (live), the no-shows of the day (archived) beside them.
    const served = services.reduce((n, s) => n + (s.served || 0), 0);
    const groups = todayReport ? todayReport.groups : [];
    const noShows = groups.reduce((n, g) => n + g.no_show, 0);
    const ended = groups.reduce((n, g) => n + g.served + g.no_show, 0);
    const servedLevel = ended >= 5 ? levelOf(noShows / ended / 0.3, 0.5) : "ok";
    setFigure("served", String(served), servedLevel, todayReport ? plural("no_shows", noShows) : "");

    // Mean wait today (archived): all the waits of the day, and each service's against its threshold.
    const called = groups.reduce((n, g) => n + g.wait_s.count, 0);
    if (!called) setFigure("mean", "–", "ok", todayReport ? S.no_call_today : "");
    else {
      const total = groups.reduce((sum, g) => sum + (g.wait_s.mean || 0) * g.wait_s.count, 0);
      let level = "ok";
      for (const g of groups) {
        const limit = (Staff.service(g.key) || {}).alert_wait_s;
        if (g.wait_s.count && limit > 0) level = worse(level, levelOf(g.wait_s.mean / limit, 0.5));
      }
      setFigure("mean", Staff.duration(total / called), level, plural("mean_of", called));
    }

    // Counters open, of how many.
    const counters = state.counters;
    const open = counters.filter((c) => c.status === "open").length;
    const paused = counters.filter((c) => c.status === "paused").length;
    const pressed = RANK[waitingLevel] > 0 || (closest && closest[0] >= 0.75);
    let level = "ok";
    let note = paused ? plural("counters_paused", paused) : "";
    if (waiting && !open) [level, note] = ["alert", S.no_counter_open];
    else if (pressed && open < counters.length) [level, note] = ["warn", S.open_one_more];
    setFigure("counters", counters.length ? String(open) : "–", level,
              [plural("counters_of", counters.length), note].filter(Boolean).join(" · "));
  }

  // Today's archived figures after a ticket's event: once the archiver has had a moment to copy it, at
  // most one request per TODAY_DELAY_MS however many events come.
  let todayTimer = null;
  function scheduleToday(mine) {
    if (todayTimer) return;
    todayTimer = setTimeout(() => {
      todayTimer = null;
      loadToday(mine);
    }, TODAY_DELAY_MS);
  }

  async function loadToday(mine) {
    if (mine !== generation) return;
    const query = new URLSearchParams({ period: "day", date: today(zone()), by: "service" });
    const answer = await Staff.api("GET", `${base()}/reports?${query}`);
    if (mine !== generation) return;
    if (answer.ok) {
      todayReport = answer.body;
      renderSummary();
    }
  }

  function currentAlerts() {
    const alerts = [];
    for (const s of state.services) {
      const oldest = oldestWaiting(s.id);
      if (oldest && s.alert_wait_s > 0 && waitedS(oldest.issued_at) > s.alert_wait_s) {
        alerts.push({ key: `wait:${s.id}`, kind: "wait", level: "alert",
                      text: t("alert_wait", { service: s.name, number: oldest.number, limit: limitText(s.alert_wait_s) }) });
      }
    }
    for (const [kiosk, status] of state.printers) {
      if (PRINTER_ALERTS.has(status) || status === "paper_low") {
        alerts.push({ key: `printer:${kiosk}`, kind: "printer", level: status === "paper_low" ? "warning" : "alert",
                      text: t(`printer_${status}`, { kiosk: deviceName(kiosk, "kiosk") }) });
      }
    }
    for (const d of devices) {
      if (!d.online && d.last_seen) { // connected once, gone since: closed, crashed or cut off
        alerts.push({ key: `device:${d.id}`, kind: d.role, level: "alert",
                      text: t(`${d.role}_offline`, { name: deviceName(d.id, d.role), time: clockTime(d.last_seen) }) });
      }
    }
    return alerts.sort((a, b) => (a.level === b.level ? 0 : a.level === "alert" ? -1 : 1));
  }

  function renderAlerts(alerts) {
    const list = $("alert-list");
    const existing = new Map([...list.children].map((li) => [li.getAttribute("data-key"), li]));
    const wanted = new Set(alerts.map((a) => a.key));
    for (const [key, li] of existing) if (!wanted.has(key)) li.remove();
    alerts.forEach((alert, i) => {
      let li = existing.get(alert.key);
      const label = alert.level === "alert" ? S.alert : S.warning;
      if (!li || li.getAttribute("data-text") !== alert.text || li.getAttribute("data-level") !== alert.level) {
        const fresh = el("li", { class: alert.level, "data-key": alert.key, "data-kind": alert.kind,
                                 "data-level": alert.level, "data-text": alert.text },
          el("strong", { text: label }), alert.text);
        if (li) li.replaceWith(fresh);
        li = fresh;
      }
      if (list.children[i] !== li) list.insertBefore(li, list.children[i] || null);
    });
    $("no-alerts").textContent = alerts.length ? "" : S.no_alert;
    const badge = $("alerts-count");
    badge.hidden = !alerts.length;
    badge.textContent = String(alerts.length);
    badge.classList.toggle("warning", alerts.length > 0 && alerts.every((a) => a.level !== "alert"));
    $("alerts-count-words").textContent = alerts.length ? ` (${plural("alerts_count", alerts.length)})` : "";
    // New alerts are said whatever tab is shown (the list itself may be hidden); the first drawing is not.
    const fresh = shownAlerts ? alerts.filter((a) => !shownAlerts.has(a.key)) : [];
    if (fresh.length) $("alert-announce").textContent = fresh.map((a) => t("announce", { level: a.level === "alert" ? S.alert : S.warning, text: a.text })).join(" ");
    if (state.services.length || alerts.length) shownAlerts = new Set(alerts.map((a) => a.key));
  }

  // Actions on waiting tickets --------------------------------------------------------------------------

  let dialogTicket = null;
  let returnKey = null;

  function openDialog(dialog, ticket, key) {
    dialogTicket = ticket;
    returnKey = key;
    dialog.querySelector(".error").hidden = true;
    dialog.showModal();
  }

  function openTransfer(ticket) {
    const dialog = $("transfer-dialog");
    $("transfer-title").textContent = t("transfer_title", { number: ticket.number });
    const others = state.services.filter((s) => s.id !== ticket.service);
    $("transfer-service").replaceChildren(...others.map((s) => el("option", { value: s.id, text: s.name })));
    $("transfer-note").value = "";
    openDialog(dialog, ticket, `transfer:${ticket.id}`);
  }

  function openCancel(ticket) {
    $("cancel-title").textContent = t("cancel_title", { number: ticket.number });
    openDialog($("cancel-dialog"), ticket, `cancel:${ticket.id}`);
  }

  function dialogFailed(dialog, problem) {
    const error = dialog.querySelector(".error");
    error.textContent = t("failed", { problem });
    error.hidden = false;
  }

  async function submitTransfer(event) {
    event.preventDefault();
    const ticket = dialogTicket;
    const service = $("transfer-service").value;
    const note = $("transfer-note").value.trim();
    const body = { service };
    if (note) body.note = note;
    const answer = await Staff.api("POST", `${base()}/tickets/${encodeURIComponent(ticket.id)}/transfer`, body);
    if (!answer.ok) {
      dialogFailed($("transfer-dialog"), answer.problem);
      return;
    }
    $("transfer-dialog").close();
    feedback("waiting-feedback", t("transferred", { number: ticket.number, service: serviceName(service) }));
  }

  async function submitCancel(event) {
    event.preventDefault();
    const ticket = dialogTicket;
    const answer = await Staff.api("POST", `${base()}/tickets/${encodeURIComponent(ticket.id)}/cancel`);
    if (!answer.ok) {
      dialogFailed($("cancel-dialog"), answer.problem);
      return;
    }
    $("cancel-dialog").close();
    feedback("waiting-feedback", t("cancelled", { number: ticket.number }));
  }

  function afterDialog() {
    // back to the button that opened it, or to the list if the ticket left it meanwhile
    const back = returnKey && document.querySelector(`[data-key="${CSS.escape(returnKey)}"]`);
    if (back) back.focus();
    else $("waiting-title").focus();
    dialogTicket = null;
  }

  // The displays' message -------------------------------------------------------------------------------

  function messageCount() {
    const text = $("message-text");
    $("message-count").textContent = plural("message_left", Number(text.maxLength) - text.value.length);
  }

  async function sendMessage(text) {
    const answer = await Staff.api("PUT", `${base()}/display/message`, { text });
    if (!answer.ok) {
      feedback("message-feedback", t("failed", { problem: answer.problem }), true);
      return;
    }
    sentMessage = answer.body ? answer.body.text : text; // shown at once; the feed confirms it a moment later
    renderMessage();
    feedback("message-feedback", text ? S.message_sent : S.message_cleared);
  }

  // Devices, polled -----------------------------------------------------------------------

  async function poll(mine) {
    if (mine !== generation) return;
    const answer = await Staff.api("GET", `${base()}/devices/status`);
    if (mine !== generation) return;
    if (answer.ok && Array.isArray(answer.body)) devices = answer.body;
    else if (answer.status === 404 || answer.status === 403) $("devices-box").hidden = true;
    render();
    setTimeout(() => poll(mine), POLL_MS);
  }

  // Reports ---------------------------------------------------------------------------------------------

  const zone = () => site.timezone || "Europe/Paris";

  function today(zone) {
    try {
      return new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" })
        .format(new Date());
    } catch {
      return new Date().toISOString().slice(0, 10);
    }
  }

  function reportQuery(by) {
    return new URLSearchParams({ period: $("report-period").value, date: $("report-date").value,
                                 by: by || $("report-by").value }).toString();
  }

  function updateCsvLink() {
    // A spreadsheet in the page's language (French: ";" and decimal commas, as French spreadsheets open it).
    $("report-csv").href = `${base()}/reports.csv?${reportQuery()}&lang=${encodeURIComponent(Staff.data.lang)}`;
  }

  function longDate(day) {
    return new Date(`${day}T12:00:00Z`).toLocaleDateString(data.lang, { day: "numeric", month: "long", year: "numeric",
                                                                          timeZone: "UTC" });
  }

  function groupLabel(group, by) {
    if (by === "hour" && group.key) return t("hour", { hour: String(Number(group.key)) });
    const name = group.label || group.key || S.none;
    // a shared counter terminal's token is not the person of the same name
    if (by === "agent" && String(group.key || "").startsWith("token:")) return t("terminal", { name });
    return name;
  }

  // quiet: a refresh of what is shown (no "loading" said, the figures replaced in place)
  async function loadReport(quiet) {
    if (!$("report-date").value) return;
    updateCsvLink();
    const mine = ++reportSeq;
    const by = $("report-by").value;
    if (!quiet) feedback("report-status", S.loading);
    const [answer, total] = await Promise.all([
      Staff.api("GET", `${base()}/reports?${reportQuery()}`),
      Staff.api("GET", `${base()}/reports?${reportQuery("all")}`),
    ]);
    if (mine !== reportSeq) return;
    if (!answer.ok) {
      if (quiet) return;
      feedback("report-status", t("failed", { problem: answer.problem }), true);
      $("report").hidden = true;
      $("chart-box").hidden = true;
      return;
    }
    reportSpan = [answer.body.from, answer.body.to];
    drawReport(answer.body, by, total.ok ? total.body : null);
  }

  // Today's figures grow as the archiver copies the day's events: a report that covers today is
  // fetched again every REPORT_REFRESH_MS while the page is seen.
  function refreshReport() {
    if (site && document.visibilityState === "visible") loadToday(generation);
    const day = today(zone());
    if (reportSpan && reportSpan[0] <= day && day <= reportSpan[1] && document.visibilityState === "visible") {
      loadReport(true);
    }
  }

  function figureCells(group) {
    return [
      el("td", { class: "num", text: String(group.issued) }),
      el("td", { class: "num", text: String(group.served) }),
      el("td", { class: "num", text: String(group.no_show) }),
      el("td", { class: "num", text: String(group.cancelled) }),
      ...["mean", "median", "p90"].map((k) => el("td", { class: "num", text: Staff.duration(group.wait_s[k]) })),
      ...["mean", "median", "p90"].map((k) => el("td", { class: "num", text: Staff.duration(group.service_s[k]) })),
    ];
  }

  function drawReport(report, by, total) {
    let groups = report.groups;
    if (by === "hour") groups = [...groups].sort((a, b) => String(a.key).localeCompare(String(b.key)));
    const table = $("report");
    $("report-caption").textContent = report.from === report.to ? longDate(report.from)
      : t("report_caption", { from: longDate(report.from), to: longDate(report.to) });
    $("report-group").textContent = $("report-by").selectedOptions[0].textContent;
    table.tBodies[0].replaceChildren(...groups.map((g) => el("tr", { "data-key": g.key === null ? "" : g.key },
      el("th", { scope: "row", text: groupLabel(g, by) }), ...figureCells(g))));
    const all = total && total.groups.length ? total.groups[0] : null;
    table.tFoot.replaceChildren(...(all ? [el("tr", {}, el("th", { scope: "row", text: S.total }), ...figureCells(all))] : []));
    if (!groups.length) {
      feedback("report-status", S.no_figures);
      table.hidden = true;
      $("chart-box").hidden = true;
      return;
    }
    feedback("report-status", "");
    table.hidden = false;
    drawChart(groups, by);
  }

  // The top of the value axis: four equal steps of 1, 2, 2.5 or 5 times a power of ten (whole
  // numbers for counts), at or above ``value``.
  function niceMax(value, whole) {
    const wanted = value > 0 ? value / 4 : 0.25;
    const power = 10 ** Math.floor(Math.log10(wanted));
    for (const factor of [1, 2, 2.5, 5, 10]) {
      const step = factor * power;
      if (step >= wanted && (!whole || Number.isInteger(step))) return 4 * step;
    }
    return 4 * Math.ceil(wanted);
  }

  // A horizontal bar chart in HTML (not SVG): its labels wrap and take the room they need at any width,
  // the page's zoom and fonts apply, and the bars are sized in percents of the space left. By hour: the
  // tickets issued and the visits served (every hour of the span, the empty ones too); otherwise the mean
  // and 90th percentile waits of each group, in minutes (seconds while all stay under two minutes). The
  // drawing is hidden from screen readers, which read the same figures in the table #chart-data.
  function drawChart(groups, by) {
    let rows = groups;
    if (by === "hour") {
      const hours = groups.map((g) => Number(g.key)).filter((h) => Number.isInteger(h));
      const known = new Map(groups.map((g) => [Number(g.key), g]));
      rows = [];
      for (let h = Math.min(...hours); h <= Math.max(...hours); h++) {
        rows.push(known.get(h) || { key: String(h).padStart(2, "0"), issued: 0, served: 0 });
      }
    }
    const whole = by === "hour";
    const longest = whole ? 0 : Math.max(0, ...rows.map((g) => g.wait_s.p90 || 0), ...rows.map((g) => g.wait_s.mean || 0));
    const [unit, per] = longest >= 120 ? ["min", 60] : ["s", 1];
    const series = whole
      ? [{ name: S.issued, cls: "s1", value: (g) => g.issued }, { name: S.served, cls: "s2", value: (g) => g.served }]
      : [{ name: `${S.mean_wait} (${unit})`, cls: "s1", value: (g) => (g.wait_s.mean || 0) / per },
         { name: `${S.p90_wait} (${unit})`, cls: "s2", value: (g) => (g.wait_s.p90 || 0) / per }];
    const max = niceMax(Math.max(0, ...rows.flatMap((g) => series.map((s) => s.value(g)))), whole);
    const format = (v) => v.toLocaleString(data.lang, { maximumFractionDigits: whole ? 0 : 1 });
    const percent = (v) => `${Math.min(100, (100 * v) / max)}%`;
    const title = whole ? S.chart_hours
      : t("chart_waits", { group: $("report-by").selectedOptions[0].textContent.toLowerCase(), unit });

    const chart = [];
    for (const g of rows) {
      chart.push(el("div", { class: "chart-label", text: groupLabel(g, by) }));
      chart.push(el("div", { class: "chart-plot" }, el("div", { class: "track" }, ...series.map((s) => {
        const bar = el("span", { class: `bar ${s.cls}`, "data-value": String(s.value(g)) });
        bar.style.width = percent(s.value(g)); // CSSOM: allowed by the page's CSP, unlike style attributes
        return el("div", { class: "bar-line" }, bar, el("span", { class: "bar-value", text: format(s.value(g)) }));
      }))));
    }
    const scale = el("div", { class: "scale" });
    for (let i = 0; i <= 4; i++) {
      const tick = el("span", { class: "tick", text: format((max * i) / 4) });
      tick.style.insetInlineStart = `${25 * i}%`;
      scale.append(tick);
    }
    chart.push(el("div", { class: "chart-label" }), el("div", { class: "chart-plot axis" }, scale));
    $("chart").replaceChildren(...chart);
    $("chart-title").textContent = title;
    $("chart-legend").replaceChildren(...series.map((s) => el("li", {}, el("span", { class: `swatch ${s.cls}` }), s.name)));

    // The same figures as a table, for screen readers.
    const table = $("chart-data");
    $("chart-data-caption").textContent = title;
    table.tHead.rows[0].replaceChildren(el("th", { scope: "col", text: $("report-by").selectedOptions[0].textContent }),
      ...series.map((s) => el("th", { scope: "col", text: s.name })));
    table.tBodies[0].replaceChildren(...rows.map((g) => el("tr", {}, el("th", { scope: "row", text: groupLabel(g, by) }),
      ...series.map((s) => el("td", { text: format(s.value(g)) })))));
    $("chart-box").hidden = false;
  }

  // Tabs ------------------------------------------------------------------------------------------------

  const tabOf = (name) => document.querySelector(`[role=tab][data-tab="${name}"]`);

  // Shows the tab ``name`` (one of TABS) and keeps it in the address, so that a reload stays there.
  function showTab(name, focus) {
    if (!TABS.includes(name)) name = TABS[0];
    for (const tab of document.querySelectorAll("[role=tab]")) {
      const chosen = tab.getAttribute("data-tab") === name;
      tab.setAttribute("aria-selected", chosen ? "true" : "false");
      tab.tabIndex = chosen ? 0 : -1;
      $(tab.getAttribute("aria-controls")).hidden = !chosen;
    }
    // The first tab needs no mark: an address without one opens it (and stays as it was typed).
    const wanted = name === TABS[0] && !location.hash ? "" : `#${name}`;
    if (location.hash !== wanted) history.replaceState(null, "", location.pathname + location.search + wanted);
    if (focus) tabOf(name).focus();
  }

  function tabKeys(event) {
    const current = TABS.indexOf(event.target.getAttribute("data-tab"));
    if (current < 0) return;
    const next = { ArrowRight: current + 1, ArrowLeft: current - 1, Home: 0, End: TABS.length - 1 }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    showTab(TABS[(next + TABS.length) % TABS.length], true);
  }

  // Sites -----------------------------------------------------------------------------------------------

  function start(id) {
    site = data.sites.find((s) => s.id === id) || data.sites[0];
    try { localStorage.setItem(STORE, site.id); } catch { /* private mode: not remembered */ }
    if (feed) feed.stop();
    const mine = ++generation;
    devices = [];
    sentMessage = null;
    todayReport = null;
    shownAlerts = null;
    $("site-name").textContent = site.name;
    $("site").value = site.id;
    $("devices-box").hidden = false;
    setStatus(false);
    $("connection").textContent = S.connecting;
    feed = Staff.live(site.id, (message) => {
      if (mine !== generation) return;
      if (message.type === "display.message" || message.type === "snapshot") sentMessage = null; // the feed's word
      if (String(message.type).startsWith("ticket.")) scheduleToday(mine);
      scheduleRender();
    }, (up) => {
      if (mine === generation) setStatus(up);
    });
    render(); // empty until the feed's snapshot (Staff.live starts from nothing)
    poll(mine);
    $("report-date").value = $("report-date").value || today(zone());
    loadReport(false);
    loadToday(mine);
  }

  function init() {
    for (const tab of document.querySelectorAll("[role=tab]")) {
      tab.addEventListener("click", () => showTab(tab.getAttribute("data-tab")));
    }
    document.querySelector("[role=tablist]").addEventListener("keydown", tabKeys);
    window.addEventListener("hashchange", () => showTab(location.hash.slice(1)));
    showTab(location.hash.slice(1));
    $("site").replaceChildren(...data.sites.map((s) => el("option", { value: s.id, text: s.name })));
    $("site-choice").hidden = data.sites.length < 2;
    // Another site, on the button (not on the select's change: WCAG 3.2.2): the page starts again on
    // it (the feed, its state and the polls belong to one site).
    $("site-choice").addEventListener("submit", (event) => {
      event.preventDefault();
      try { localStorage.setItem(STORE, $("site").value); } catch { /* private mode: not remembered */ }
      const url = new URL(location.href);
      url.searchParams.set("site", $("site").value);
      location.assign(url);
    });
    $("waiting-title").tabIndex = -1;

    $("transfer-form").addEventListener("submit", submitTransfer);
    $("cancel-form").addEventListener("submit", submitCancel);
    for (const dialog of [$("transfer-dialog"), $("cancel-dialog")]) {
      dialog.addEventListener("close", afterDialog);
      for (const button of dialog.querySelectorAll("[data-close]")) button.addEventListener("click", () => dialog.close());
    }

    $("message-text").addEventListener("input", messageCount);
    messageCount();
    $("message-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const text = $("message-text").value.trim();
      if (text) sendMessage(text);
    });
    $("message-clear").addEventListener("click", () => {
      $("message-text").value = "";
      messageCount();
      sendMessage("");
    });

    $("report-form").addEventListener("submit", (event) => {
      event.preventDefault();
      loadReport(false);
    });
    $("report-form").addEventListener("change", updateCsvLink);

    let wanted = new URLSearchParams(location.search).get("site");
    if (!wanted) {
      try { wanted = localStorage.getItem(STORE); } catch { wanted = null; }
    }
    start(wanted);
    setInterval(tick, 1000);
    setInterval(refreshReport, REPORT_REFRESH_MS);
  }

  init();
})();
