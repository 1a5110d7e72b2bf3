// The ticket widget (/ticket-widget, framed by /embed.js on the city's website): each service's people waiting and
// wait, asked again every data.poll_s seconds while the page is seen (GET …/waiting: counts only, cheap), and, where
// the site allows it, a ticket taken from home (POST …/remote-tickets with an Idempotency-Key per attempt), then
// followed live (/ws/tickets/{id}, Live.follow) with when to leave home: the estimate less data.leave_margin_s,
// said with the server's words (Live.waitWords). Framed, the page tells its height to the declared websites only.
"use strict";

(() => {
  const data = JSON.parse(document.getElementById("data").textContent);
  const strings = JSON.parse(document.getElementById("strings").textContent);
  const $ = (id) => document.getElementById(id);
  const fmt = (text, values) => text.replace(/\{(\w+)\}/g, (_, key) => String(values[key]));
  const base = `/api/v1/sites/${encodeURIComponent(data.site)}`;
  const note = $("note");
  let figures = data.figures;

  // When a service opens, on the site's wall clock ("lundi 7 décembre à 08:30").
  function when(iso) {
    return new Date(iso).toLocaleString(data.lang, { weekday: "long", day: "numeric", month: "long", hour: "2-digit",
                                                     minute: "2-digit", timeZone: data.zone });
  }

  function render() {
    $("hours-text").textContent = figures.hours_today.text;
    for (const service of figures.services) {
      const row = document.querySelector(`[data-service="${CSS.escape(service.id)}"]`);
      if (!row) continue;
      row.classList.toggle("closed", !service.open_now);
      row.querySelector(".waiting").textContent = service.waiting
        ? Live.plural(strings.waiting, service.waiting) : strings.nobody;
      row.querySelector(".wait").textContent = service.open_now && service.waiting // "nobody waiting" says it all
        ? fmt(strings.wait, { wait: Live.waitWords(service.estimated_wait_s, strings.wait_words) }) : "";
      row.querySelector(".state").textContent = service.open_now ? ""
        : service.opens_at ? fmt(strings.opens, { when: when(service.opens_at) }) : strings.closed;
      const take = row.querySelector(".take");
      if (take) take.hidden = !service.open_now || !figures.remote_tickets || mine !== null;
    }
  }

  async function refresh() {
    if (document.hidden) return;
    try {
      const answer = await fetch(`${base}/waiting?lang=${encodeURIComponent(data.lang)}`, { cache: "no-store" });
      if (answer.ok) {
        figures = await answer.json();
        render();
      }
    } catch {
      // the next round tries again; the figures shown stay
    }
  }

  // The ticket taken here -----------------------------------------------------------------------------------------

  let mine = null; // the ticket taken from this page

  function newKey() {
    if (crypto.randomUUID) return crypto.randomUUID();
    return [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, "0")).join("");
  }

  function showTicket(ticket, counterName) {
    $("taken-number").textContent = ticket.number;
    const service = figures.services.find((s) => s.id === ticket.service);
    $("taken-service").textContent = service ? service.name : ticket.service;
    const ahead = $("taken-ahead");
    const turn = $("taken-turn");
    const leave = $("taken-leave");
    if (ticket.status === "waiting") {
      ahead.textContent = ticket.position === 0 ? strings.ahead_none : Live.plural(strings.ahead, ticket.position);
      const seconds = ticket.estimated_wait_s;
      turn.textContent = fmt(strings.turn_in, { wait: Live.waitWords(seconds, strings.wait_words) });
      if (seconds === null || seconds === undefined) leave.textContent = "";
      else if (seconds - data.leave_margin_s <= 0) leave.textContent = strings.leave_now;
      else leave.textContent = fmt(strings.leave_in, { wait: Live.waitWords(seconds - data.leave_margin_s, strings.wait_words) });
    } else {
      ahead.textContent = ticket.status === "called" ? fmt(strings.called, { counter: counterName || ticket.counter || "" })
        : strings.over;
      turn.textContent = "";
      leave.textContent = "";
    }
  }

  function follow(ticket) {
    Live.follow(`/ws/tickets/${encodeURIComponent(ticket.id)}`, {
      resume: false,
      onMessage(message) {
        if (message.type === "ticket" && message.data.ticket) showTicket(message.data.ticket, message.data.counter_name);
      },
    });
  }

  async function take(serviceId, button) {
    const key = newKey(); // one per attempt: a double click or a retry issues one ticket
    for (const b of document.querySelectorAll(".take")) b.disabled = true;
    note.textContent = strings.taking;
    let answer = null;
    try {
      answer = await fetch(`${base}/remote-tickets`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json", "Idempotency-Key": key },
        body: JSON.stringify({ service: serviceId, lang: data.lang }),
      });
    } catch {
      // reported below
    }
    for (const b of document.querySelectorAll(".take")) b.disabled = false;
    if (answer && answer.ok) {
      mine = await answer.json();
      note.textContent = "";
      render();
      $("taken-link").href = `/t/${encodeURIComponent(mine.id)}?lang=${encodeURIComponent(data.lang)}`;
      showTicket(mine, null);
      $("taken").hidden = false;
      $("taken-title").focus();
      follow(mine);
      refresh(); // the counts now include this ticket
      return;
    }
    const problem = answer ? await answer.json().catch(() => ({})) : {};
    const kind = (problem.type || "").split("/").pop();
    if (kind === "service-closed") {
      note.textContent = problem.opens_at ? fmt(strings.closed_until, { when: when(problem.opens_at) }) : strings.closed;
      refresh();
    } else if (kind === "remote-tickets-off") {
      note.textContent = strings.off;
      figures.remote_tickets = false;
      render();
    } else if (answer && answer.status === 429) {
      note.textContent = fmt(strings.limited, { min: Math.max(1, Math.ceil(Number(answer.headers.get("Retry-After") || 60) / 60)) });
    } else {
      note.textContent = strings.failed;
    }
    button.focus();
  }

  for (const button of document.querySelectorAll(".take")) {
    button.addEventListener("click", () => take(button.dataset.take, button));
  }

  render();
  setInterval(refresh, data.poll_s * 1000);
  document.addEventListener("visibilitychange", refresh);

  // Framed: the page around sizes the frame to this height; only the declared websites are told.
  if (data.embed) Frame.follow(data.origins);
})();
