// The agent page (/counter): serve at a counter, or welcome people at reception, with one key per action.
//
// - Where: the site, the counter and the services served today are chosen once and remembered in
//   this browser (localStorage); "Change counter or services" chooses again.
// - Everything shown comes from the site's live feed (staff.js): no reload, no polling. Each service's
//   waiting list is its part of the folded view's queue, in the server's call order (never sorted here).
// - Keys (when no text field has the focus), mnemonics of the page's language (counter_page.py KEYS): in French
//   S suivant, R rappeler, C commencer, T terminer, A absent, O orienter (transfer), M remettre en file,
//   H hors tour, P pause, F fermer, G guichet/accueil, V rendez-vous; in English N, R, S, F, A, T, Q, O, P, C,
//   G, V; ? help. Each may be given another letter or digit in the help dialog (kept by this browser, per
//   language), so that a foot pedal or keypad sending one works as well. Finishing a visit whose service offers
//   outcomes asks which (a digit); pausing asks why (a digit); closing asks to confirm (Enter, or Esc).
//   They can be turned off (speech input, WCAG 2.1.4): the choice is remembered by the browser.
// - Choosing the counter ("Start") opens it in the agent's name; its badge says its real state from the feed.
// - The agent's own figures of the day (visits, mean length, no-shows) come from GET …/agents/me/today, read
//   again when a visit ends (never polled).
// - The citizen record: reception finds the person welcomed as the agent types, or adds them, and gives them a
//   ticket (counter/person.js, loaded after this script). At the counter, a ticket called that names a party
//   shows their card: read once per call (every read is audited: never polled, never for a ticket merely
//   waiting), gone when the visit ends; a record of another sector or erased (403/404) shows nothing.
//   Names stay on this page: the feeds carry the party's number only, to staff only; nothing is logged.
"use strict";

(() => {
  const { data, strings: S, api, live, state, el, duration, elapsed, format, bookedTag } = window.Staff;
  const $ = (id) => document.getElementById(id);
  const plural = (forms, n) => Live.plural(forms, n);

  let site = null;
  let setup = null; // {counter, services}
  let lastNoShow = null; // the ticket this page last marked as a no-show (Q puts it back)
  const notes = new Map(); // ticket id -> note text (read once per ticket: each read is audited)
  // The card of the person called: {ticket, party, state: "loading" | "shown" | "none" | "failed", view, problem}.
  let record = null;
  let busy = false;

  $("person").textContent = data.person.name;
  $("logout-csrf").value = data.csrf;

  // The citizen record --------------------------------------------------------------------------------

  let tenant = null; // the collectivity whose record this person reads
  const tenantKnown = api("GET", "/api/v1/me").then((answer) => {
    tenant = answer.ok ? answer.body.tenant || null : null;
  });
  const records = () => `/api/v1/tenants/${encodeURIComponent(tenant)}/parties`;

  // Numbers of metropolitan France and its overseas departments are written 0 and nine digits.
  const FRENCH_PLAN = ["+33", "+262", "+269", "+590", "+594", "+596"];

  function nationalNumber(e164) {
    const plan = FRENCH_PLAN.find((p) => e164.startsWith(p));
    return plan && e164.length - plan.length === 9 ? "0" + e164.slice(plan.length) : null;
  }

  // As the record's own pages mask them in lists: 06 •• •• 56 78; another country's number by its last digits.
  function maskedPhone(e164) {
    const national = nationalNumber(e164);
    if (national) return `${national.slice(0, 2)} •• •• ${national.slice(6, 8)} ${national.slice(8, 10)}`;
    const digits = e164.replace(/^\+/, "");
    return `•• •• ${digits.slice(-4, -2)} ${digits.slice(-2)}`;
  }

  function readablePhone(e164) {
    const national = nationalNumber(e164);
    return national ? national.match(/../g).join(" ") : e164;
  }

  function maskedEmail(address) {
    const at = address.lastIndexOf("@");
    return at < 0 ? "•••" : `${address.slice(0, 1)}•••@${address.slice(at + 1)}`;
  }

  function birthDay(iso) {
    return new Intl.DateTimeFormat(data.lang, { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" })
      .format(new Date(`${iso}T00:00:00Z`));
  }

  // A day on the site's clock: "12 mars" this year, "12 mars 2025" before.
  function dayOf(iso) {
    const zone = siteData().timezone;
    const at = new Date(iso);
    const year = (d) => new Intl.DateTimeFormat("en", { year: "numeric", timeZone: zone }).format(d);
    const options = { day: "numeric", month: "long", timeZone: zone };
    if (year(at) !== year(new Date())) options.year = "numeric";
    return new Intl.DateTimeFormat(data.lang, options).format(at);
  }

  // What tells namesakes apart in a list: birth date, phone and e-mail, masked.
  function facts(party) {
    const out = [];
    if (party.kind && party.kind !== "person") out.push(el("span", { class: "fact", text: S[`party_${party.kind}`] || party.kind }));
    if (party.birth_date) out.push(el("span", { class: "fact", text: format(S.born, { date: birthDay(party.birth_date) }) }));
    const phone = (party.phones || [])[0];
    if (phone) out.push(el("span", { class: "fact" }, el("span", { class: "visually-hidden", text: `${S.phone} ` }), maskedPhone(phone)));
    const email = (party.emails || [])[0];
    if (email) out.push(el("span", { class: "fact" }, el("span", { class: "visually-hidden", text: `${S.email} ` }), maskedEmail(email)));
    return out;
  }

  function serviceOf(siteId, serviceId) {
    const where = data.sites.find((x) => x.id === siteId) || siteData();
    const found = where.services.find((x) => x.id === serviceId);
    return found ? found.name : serviceId;
  }

  // Where ------------------------------------------------------------------------------------------

  function siteData() {
    return data.sites.find((s) => s.id === site);
  }

  function chooseSite() {
    const remembered = localStorage.getItem("guichet.site");
    site = (data.sites.find((s) => s.id === remembered) || data.sites[0]).id;
    const choice = $("site-choice");
    if (data.sites.length > 1) {
      $("site-form").hidden = false;
      choice.replaceChildren(...data.sites.map((s) => el("option", { value: s.id, text: s.name, selected: s.id === site })));
      $("site-form").onsubmit = (event) => {  // a button, not the select's change (WCAG 3.2.2)
        event.preventDefault();
        localStorage.setItem("guichet.site", choice.value);
        location.reload();
      };
    }
    $("site-name").textContent = siteData().name;
    try {
      setup = JSON.parse(localStorage.getItem(`guichet.counter.${site}`) || "null");
    } catch {
      setup = null;
    }
    const counter = setup && siteData().counters.find((c) => c.id === setup.counter);
    if (!counter) setup = null;
    else setup.services = setup.services.filter((s) => counter.services.includes(s));
  }

  function showSetup() {
    const counters = siteData().counters;
    const select = $("counter-choice");
    select.replaceChildren(...counters.map((c) => el("option", { value: c.id, text: c.name,
      selected: setup && setup.counter === c.id })));
    const fillServices = () => {
      const counter = counters.find((c) => c.id === select.value);
      const chosen = setup && setup.counter === counter.id ? setup.services : counter.services;
      $("service-choices").replaceChildren(...counter.services.map((sid) => {
        const service = siteData().services.find((s) => s.id === sid);
        const id = `service-${sid}`;
        return el("p", { class: "check" }, el("input", { type: "checkbox", id, value: sid, checked: chosen.includes(sid) }),
          " ", el("label", { for: id, text: `${service.name} (${service.prefix})` }));
      }));
    };
    select.onchange = fillServices;
    fillServices();
    $("setup").hidden = false;
    $("desk").hidden = true;
    $("reception").hidden = true;
    retitle();
    select.focus();
  }

  $("setup-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const services = [...document.querySelectorAll("#service-choices input:checked")].map((i) => i.value);
    if (!services.length) {
      say(S.choose_service, true);
      return;
    }
    setup = { counter: $("counter-choice").value, services };
    localStorage.setItem(`guichet.counter.${site}`, JSON.stringify(setup));
    $("setup").hidden = true;
    showMode();
    $("act-next").focus();
    // Taking one's seat opens the counter in one's name (a colleague's open counter is taken over: a change of
    // shift); its badge then says so at once, not at the first call.
    const c = myCounter();
    if (!c || c.status !== "open" || c.agent !== data.person.name) {
      run("POST", `/counters/${encodeURIComponent(setup.counter)}/open`, undefined, () => S.opened);
    }
  });

  $("change").addEventListener("click", showSetup);

  // Modes -------------------------------------------------------------------------------------------

  function mode() {
    return location.hash === "#reception" ? "reception" : "desk";
  }

  function showMode() {
    const m = mode();
    if (m === "desk" && !setup) {
      showSetup();
      return;
    }
    $("setup").hidden = true;
    $("desk").hidden = m !== "desk";
    $("reception").hidden = m !== "reception";
    $("tab-desk").toggleAttribute("aria-current", m === "desk");
    $("tab-reception").toggleAttribute("aria-current", m === "reception");
    if ($("tab-desk").hasAttribute("aria-current")) $("tab-desk").setAttribute("aria-current", "page");
    if ($("tab-reception").hasAttribute("aria-current")) $("tab-reception").setAttribute("aria-current", "page");
    retitle();
    render();
  }

  // "Guichet 3 — Mairie de Démoville": where the agent is, in the tab and the window list.
  function retitle() {
    const where = siteData().name;
    if (!$("setup").hidden || (mode() === "desk" && !setup)) document.title = format(S.title_setup, { site: where });
    else if (mode() === "reception") document.title = format(S.title_reception, { site: where });
    else document.title = format(S.title_desk, { counter: counterName(setup.counter), site: where });
  }

  window.addEventListener("hashchange", showMode);

  // Saying things ---------------------------------------------------------------------------------

  function say(text, problem = false) {
    const said = $("said");
    said.textContent = text;
    said.classList.toggle("problem", problem);
  }

  // Rendering ---------------------------------------------------------------------------------------

  function serviceName(id) {
    const s = siteData().services.find((x) => x.id === id);
    return s ? s.name : id;
  }

  function counterName(id) {
    const c = siteData().counters.find((x) => x.id === id);
    return c ? c.name : id;
  }

  function myCounter() {
    return setup ? window.Staff.counter(setup.counter) : null;
  }

  function current() {
    const c = myCounter();
    return c && c.ticket && (c.ticket.status === "called" || c.ticket.status === "serving") ? c.ticket : null;
  }

  function timer(iso) {
    return el("span", { class: "timer", "data-since": iso, text: duration(elapsed(iso)) });
  }

  function renderCurrent() {
    const c = myCounter();
    const ticket = current();
    $("counter-name").textContent = setup ? counterName(setup.counter) : "";
    // Until the feed's first snapshot the state is not known: "Loading…", never a "Closed" that may be false.
    const status = c ? c.status : state.counters.length ? "closed" : null;
    const reason = status === "paused" && c.pause_reason ? S[`pause_${c.pause_reason}`] : null;
    $("counter-status").textContent = status ? (S[`counter_${status}`] || status) + (reason ? ` · ${reason}` : "")
      : S.loading;
    $("counter-status").className = `badge ${status || "unknown"}`;
    const box = $("current");
    const person = recordFor(ticket);
    if (!ticket) {
      box.replaceChildren(el("p", { class: "none", text: S.nobody_at_counter }));
    } else {
      const what = ticket.status === "called" ? S.status_called : S.status_serving;
      const about = [
        el("p", { class: "number", text: ticket.number }, bookedTag(ticket)),
        el("p", { class: "service", text: serviceName(ticket.service) }),
        el("p", { class: "state" }, `${what} · `, timer(ticket.called_at),
          ticket.recalls ? ` · ${plural(S.recalls_n, ticket.recalls)}` : ""),
      ];
      if (ticket.priority) about.splice(1, 0, el("p", { class: "priority", text: S.priority }));
      const card = person ? recordCard(person, ticket) : null;
      const parts = [card ? el("div", { class: "visit" }, el("div", { class: "ticket" }, ...about), card)
        : el("div", { class: "ticket" }, ...about)];
      if (ticket.noted) {
        const text = notes.get(ticket.id);
        parts.push(el("div", { class: "note", role: "note" }, el("strong", { text: S.note }), " ",
          text === undefined || text === null ? S.loading : text || S.no_note));
        if (text === undefined) readNote(ticket.id);
      }
      box.replaceChildren(...parts);
    }
    const called = ticket && ticket.status === "called";
    $("act-recall").disabled = !called;
    $("act-start").disabled = !called;
    $("act-finish").disabled = !ticket;
    $("act-noshow").disabled = !called;
    $("act-transfer").disabled = !ticket;
    $("act-requeue").disabled = !lastNoShow;
    $("act-close").disabled = Boolean(ticket) || status !== "open" && status !== "paused";
    $("act-pause").querySelector(".label").textContent = status === "paused" ? S.resume
      : status === "closed" ? S.open_counter : S.pause;
    $("act-next").disabled = busy;
  }

  function renderQueues() {
    if (!setup) return;
    const blocks = setup.services.map((sid) => {
      const service = window.Staff.service(sid) || { waiting: 0, estimated_wait_s: null };
      const waiting = window.Staff.queue(sid);
      // The server's estimate, in the words every page uses (Live.waitWords): it never jumps nor says "≤ 1 min".
      const title = el("h3", {}, serviceName(sid), " ",
        el("span", { class: "count", text: plural(S.waiting_count, service.waiting || 0) }),
        service.estimated_wait_s !== null && service.estimated_wait_s !== undefined
          ? el("span", { class: "estimate", text: ` · ${Live.waitWords(service.estimated_wait_s, S.wait_words)}` })
          : null);
      const rows = waiting.slice(0, 30).map((t) => el("li", {},
        el("span", { class: "number", text: t.number }),
        bookedTag(t),
        t.priority ? el("span", { class: "tag", text: S.priority }) : null,
        t.noted ? el("span", { class: "tag", text: S.note }) : null,
        el("span", { class: "wait" }, timer(t.issued_at)),
        el("button", { type: "button", class: "small", id: `call-${t.id}`,
          "aria-label": format(S.call_out_of_turn_label, { number: t.number }),
          onclick: () => callOutOfTurn(t), text: S.call })));
      const list = rows.length ? el("ul", { class: "waiting" }, ...rows) : el("p", { class: "none", text: S.nobody_waiting_here });
      const more = waiting.length > 30 ? el("p", { class: "more", text: plural(S.more_n, waiting.length - 30) }) : null;
      return el("section", { class: "queue" }, title, list, more);
    });
    $("queues").replaceChildren(...blocks);
  }

  function renderRecent() {
    const items = state.recent.slice(0, 10).map((t) =>
      el("li", { class: t.counter === (setup && setup.counter) ? "mine" : "" },
        el("span", { class: "number", text: t.number }), " → ", counterName(t.counter || ""),
        el("span", { class: "at", text: ` · ${window.Staff.clock(t.called_at)}` })));
    $("recent").replaceChildren(...items);
  }

  function render() {
    if (!state.services.length) return;
    const before = document.activeElement;
    const focusedId = before && before !== document.body ? before.id : null;
    if (mode() === "desk" && setup) {
      renderCurrent();
      renderQueues();
      renderRecent();
    }
    renderIssueServices();
    if (!focusedId) return; // nothing had the focus (someone reading): leave it so
    const again = $(focusedId);
    if (again && document.activeElement !== again && !again.disabled) {
      again.focus(); // the same control, rebuilt
    } else if ((!again || again.disabled) && mode() === "desk" && setup && !$("desk").hidden &&
               !document.querySelector("dialog[open]")) {
      // An action button that its own action disabled (Start, Recall…), or a list entry that left with
      // its ticket: the focus goes to "Call next" rather than nowhere.
      $("act-next").focus();
    }
  }

  // The person called: their card ---------------------------------------------------------------------

  // The record of the person whose ticket the counter has now, read when that ticket comes to the counter
  // and kept while it stays (called, recalled, served); null when the ticket names nobody or is gone.
  function recordFor(ticket) {
    if (!ticket || !ticket.party) {
      record = null;
    } else if (!record || record.ticket !== ticket.id) {
      record = { ticket: ticket.id, party: ticket.party, state: "loading", view: null, problem: null };
      readRecord(record);
    }
    return record;
  }

  async function readRecord(wanted) {
    await tenantKnown;
    const answer = tenant ? await api("GET", `${records()}/${encodeURIComponent(wanted.party)}`) : null;
    if (record !== wanted) return; // that visit is over
    if (answer && answer.ok) {
      wanted.state = "shown";
      wanted.view = answer.body;
    } else if (!answer || answer.status === 403 || answer.status === 404) {
      wanted.state = "none"; // another sector's, or erased: nothing to show, nothing to say
    } else {
      wanted.state = "failed";
      wanted.problem = answer.problem;
    }
    render();
  }

  // An entry of the timeline in one line: "Visite — Urbanisme, 12 mars · A012 servi"; a note's text below.
  function historyLine(entry) {
    const kind = S[`kind_${entry.kind}`] || entry.kind;
    const service = entry.service ? serviceOf(entry.site, entry.service) : "";
    let line = `${kind}${service ? ` — ${service}` : ""}, ${dayOf(entry.at)}`;
    const ticketNumber = entry.detail && entry.detail.ticket;
    if (!entry.outline && entry.kind === "visit" && ticketNumber && S[`outcome_${entry.summary}`]) {
      line += ` · ${format(S[`outcome_${entry.summary}`], { ticket: ticketNumber })}`;
    }
    const text = !entry.outline && entry.kind !== "visit" && entry.summary ? entry.summary : "";
    return el("li", { class: entry.outline ? "outline" : "" }, el("span", { class: "line", text: line }),
      text ? el("span", { class: "summary", text }) : null);
  }

  function recordCard(found, ticket) {
    if (found.state === "none") return null;
    if (found.state !== "shown") {
      return el("div", { class: "record waiting-record" },
        el("p", { class: found.state === "failed" ? "problem" : "muted",
          text: found.state === "failed" ? format(S.record_unread, { problem: found.problem }) : S.loading }));
    }
    const view = found.view;
    // The visit under way is this ticket's own entry: the history is what came before.
    const mine = `ticket:${site}:${ticket.id}`;
    const entries = (view.timeline || []).filter((e) => !(e.kind === "visit" &&
      (e.ref === mine || Date.parse(e.at) === Date.parse(ticket.issued_at)))).slice(0, 5);
    const contact = [
      ...(view.phones || []).map((p) => el("li", {}, el("span", { class: "visually-hidden", text: `${S.phone} ` }), readablePhone(p))),
      ...(view.emails || []).map((m) => el("li", {}, el("span", { class: "visually-hidden", text: `${S.email} ` }), m)),
    ];
    return el("div", { class: "record", role: "group", "aria-labelledby": "record-name" },
      el("p", { class: "record-label", text: S.record_title }),
      el("h3", { id: "record-name", text: view.display_name }),
      contact.length ? el("ul", { class: "contact" }, ...contact) : null,
      el("h4", { text: S.recent_history }),
      entries.length ? el("ol", { class: "history" }, ...entries.map(historyLine))
        : el("p", { class: "muted", text: S.no_history }),
      el("p", { class: "record-link" }, el("a", { id: "record-link", href: `/crm/${encodeURIComponent(view.id)}`,
        target: "_blank", rel: "noopener" }, S.see_record, el("span", { class: "visually-hidden", text: ` ${S.new_tab}` }))));
  }

  setInterval(() => {
    for (const node of document.querySelectorAll("[data-since]")) node.textContent = duration(elapsed(node.dataset.since));
  }, 1000);

  async function readNote(ticketId) {
    notes.set(ticketId, null);
    const answer = await api("GET", `/api/v1/sites/${encodeURIComponent(site)}/tickets/${ticketId}/note`);
    if (answer.ok) notes.set(ticketId, answer.body.text || "");
    else {
      // Said once; read again when the note changes (ticket.noted), not at every render.
      notes.set(ticketId, format(S.note_unread, { problem: answer.problem }));
    }
    render();
  }

  // Actions -----------------------------------------------------------------------------------------

  const base = () => `/api/v1/sites/${encodeURIComponent(site)}`;

  async function run(method, path, body, done) {
    if (busy) return null;
    busy = true;
    try {
      const answer = await api(method, base() + path, body);
      if (!answer.ok) say(answer.problem, true);
      else if (done) say(done(answer), false);
      return answer;
    } finally {
      busy = false;
      render();
    }
  }

  function needTicket(statuses) {
    const ticket = current();
    if (!ticket) {
      say(S.nobody_at_counter, true);
      return null;
    }
    if (statuses && !statuses.includes(ticket.status)) {
      say(format(ticket.status === "called" ? S.not_started : S.already_started, { number: ticket.number }), true);
      return null;
    }
    return ticket;
  }

  const actions = {
    async next() {
      const held = current();
      if (held && held.status === "called") { // the server would refuse: say what to do instead
        say(format(S.call_not_served, { number: held.number }), true);
        return;
      }
      await run("POST", `/counters/${encodeURIComponent(setup.counter)}/next`, { services: setup.services }, (a) =>
        a.status === 204 ? S.nobody_waiting : format(S.called, { number: a.body.number }));
    },
    async recall() {
      const t = needTicket(["called"]);
      if (t) await run("POST", `/tickets/${t.id}/recall`, undefined, () => format(S.recalled, { number: t.number }));
    },
    async start() {
      const t = needTicket(["called"]);
      if (t) await run("POST", `/tickets/${t.id}/start`, undefined, () => format(S.started, { number: t.number }));
    },
    finish() {
      const t = needTicket();
      if (!t) return;
      const service = window.Staff.service(t.service);
      const outcomes = (service && service.outcomes) || [];
      if (!outcomes.length) {
        finishWith(t, null);
        return;
      }
      // Its service asks how the visit ended: one digit (or Enter on the one focused), 0 for none.
      $("finish-number").textContent = t.number;
      choices($("finish-dialog"), $("finish-outcomes"), outcomes.map((text) => ({ text, value: text })),
        (outcome) => finishWith(t, outcome));
    },
    async noshow() {
      const t = needTicket(["called"]);
      if (!t) return;
      const answer = await run("POST", `/tickets/${t.id}/no-show`, undefined, () => format(S.no_show_done, { number: t.number }));
      if (answer && answer.ok) lastNoShow = { id: t.id, number: t.number };
      render();
    },
    transfer() {
      const t = needTicket();
      if (!t) return;
      const select = $("transfer-service");
      select.replaceChildren(...siteData().services.map((s) => el("option", { value: s.id, text: s.name,
        selected: s.id !== t.service && select.options.length === 0 })));
      const other = siteData().services.find((s) => s.id !== t.service);
      if (other) select.value = other.id;
      $("transfer-note").value = "";
      $("transfer-front").checked = false;
      $("transfer-dialog").dataset.ticket = t.id;
      $("transfer-dialog").dataset.number = t.number;
      $("transfer-dialog").showModal();
      select.focus();
    },
    async requeue() {
      if (!lastNoShow) {
        say(S.no_no_show, true);
        return;
      }
      const t = lastNoShow;
      const answer = await run("POST", `/tickets/${t.id}/requeue`, undefined, () => format(S.requeued, { number: t.number }));
      if (answer && answer.ok) lastNoShow = null;
      render();
    },
    async pause() {
      const c = myCounter();
      const where = `/counters/${encodeURIComponent(setup.counter)}`;
      if (c && c.status !== "open") { // paused: resume; closed: open
        await run("POST", `${where}/open`, undefined, () => (c.status === "paused" ? S.resumed : S.opened));
        return;
      }
      const reasons = PAUSE_REASONS.map((value) => ({ text: S[`pause_${value}`], value }));
      choices($("pause-dialog"), $("pause-reasons"), reasons, (reason) =>
        run("POST", `${where}/pause`, { reason }, () => format(S.paused_for, { reason: S[`pause_${reason}`] })));
    },
    close() {
      const c = myCounter();
      const ticket = current();
      if (ticket) {
        say(format(S.close_busy, { number: ticket.number }), true);
        return;
      }
      if (!c || c.status === "closed") {
        say(S.closed);
        return;
      }
      opener = document.activeElement;
      $("close-dialog").showModal();
      $("close-yes").focus(); // Enter closes it; Esc (the dialog's cancel) keeps it open
    },
  };

  const PAUSE_REASONS = ["break", "admin", "meeting", "other"]; // domain/state.py PAUSE_REASONS
  let opener = null; // what had the focus before a dialog opened: it gets it back

  async function finishWith(t, outcome) {
    if (t.status === "called") {
      const started = await run("POST", `/tickets/${t.id}/start`);
      if (!started || !started.ok) return;
    }
    await run("POST", `/tickets/${t.id}/finish`, outcome ? { outcome } : undefined, () => (outcome
      ? format(S.finished_as, { number: t.number, outcome }) : format(S.finished, { number: t.number })));
  }

  // A dialog of numbered choices: digit n picks the nth (0: "none", where the dialog has #…-none), Enter the
  // one focused (the first at opening), arrows move, Esc cancels. ``chosen(value)`` once picked (null: none).
  let picking = null;

  function choices(dialog, list, items, chosen) {
    opener = document.activeElement;
    list.replaceChildren(...items.map((item, i) => el("li", {}, el("button", { type: "button", class: "choice",
      "data-value": item.value, onclick: () => pick(item.value) }, el("kbd", { text: String(i + 1) }), ` ${item.text}`))));
    picking = { dialog, chosen, values: items.map((item) => item.value) };
    dialog.showModal();
    list.querySelector("button").focus();
  }

  function pick(value) {
    if (!picking) return;
    const { dialog, chosen } = picking;
    picking = null;
    dialog.close();
    $("act-next").focus();
    chosen(value);
  }

  for (const id of ["finish-dialog", "pause-dialog"]) {
    const dialog = $(id);
    dialog.addEventListener("keydown", (event) => {
      if (!picking || picking.dialog !== dialog || event.ctrlKey || event.metaKey || event.altKey) return;
      const buttons = [...dialog.querySelectorAll("button.choice")];
      const at = buttons.indexOf(document.activeElement);
      // A digit by the key's meaning, or by its place: on a French (AZERTY) keyboard the top row gives "é", "&"…
      // without Shift, and an agent should not have to hold it.
      const place = /^(?:Digit|Numpad)([0-9])$/.exec(event.code || "");
      const digit = /^[0-9]$/.test(event.key) ? event.key : place ? place[1] : null;
      if (digit !== null) {
        event.preventDefault();
        const n = Number(digit);
        if (n === 0 && $("finish-none") && dialog.contains($("finish-none"))) pick(null);
        else if (n >= 1 && n <= picking.values.length) pick(picking.values[n - 1]);
      } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        const step = event.key === "ArrowDown" ? 1 : -1;
        buttons[(at + step + buttons.length) % buttons.length].focus();
      }
    });
    dialog.addEventListener("close", () => {
      if (picking && picking.dialog === dialog) { // Esc, or "Back"/"Cancel": nothing is done
        picking = null;
        if (opener && opener.isConnected && !opener.disabled) opener.focus();
        else $("act-next").focus();
      }
    });
  }
  $("finish-none").addEventListener("click", () => pick(null));
  $("finish-cancel").addEventListener("click", () => $("finish-dialog").close());
  $("pause-cancel").addEventListener("click", () => $("pause-dialog").close());

  $("close-yes").addEventListener("click", async () => {
    $("close-dialog").close();
    $("act-next").focus();
    await run("POST", `/counters/${encodeURIComponent(setup.counter)}/close`, undefined, () => S.closed);
  });
  $("close-no").addEventListener("click", () => $("close-dialog").close());
  $("close-dialog").addEventListener("close", () => {
    if (document.activeElement === document.body || $("close-dialog").contains(document.activeElement)) {
      (opener && opener.isConnected && !opener.disabled ? opener : $("act-next")).focus();
    }
  });

  const buttons = { next: "act-next", recall: "act-recall", start: "act-start", finish: "act-finish",
    noshow: "act-noshow", transfer: "act-transfer", requeue: "act-requeue", pause: "act-pause", close: "act-close" };
  for (const [name, id] of Object.entries(buttons)) $(id).addEventListener("click", () => actions[name]());

  $("transfer-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const dialog = $("transfer-dialog");
    const note = $("transfer-note").value.trim();
    const body = { service: $("transfer-service").value, to_front: $("transfer-front").checked };
    if (note) body.note = note;
    dialog.close();
    const service = serviceName(body.service);
    await run("POST", `/tickets/${dialog.dataset.ticket}/transfer`, body,
      () => format(S.transferred, { number: dialog.dataset.number, service }));
    $("act-next").focus();
  });
  $("transfer-cancel").addEventListener("click", () => $("transfer-dialog").close());

  function normalise(number) {
    const match = /^\s*([A-Za-z]+)\s*0*(\d+)\s*$/.exec(number);
    return match ? `${match[1].toUpperCase()}${match[2].padStart(3, "0")}` : number.trim().toUpperCase();
  }

  function todays(number) {
    const wanted = normalise(number);
    return [...state.tickets.values()].filter((t) => t.number === wanted)
      .sort((a, b) => (a.issued_at < b.issued_at ? 1 : -1))[0] || null;
  }

  async function callOutOfTurn(ticket) {
    if (!setup) return;
    await run("POST", `/tickets/${ticket.id}/call`, { counter: setup.counter },
      () => format(S.called, { number: ticket.number }));
    $("act-next").focus();
  }

  $("out-of-turn").addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = $("out-of-turn-number");
    const ticket = todays(input.value);
    if (!ticket || ticket.status !== "waiting") {
      say(format(S.not_waiting, { number: normalise(input.value) }), true);
      return;
    }
    input.value = "";
    await callOutOfTurn(ticket);
  });

  // Keys --------------------------------------------------------------------------------------------

  // The page's shortcuts: its language's (counter_page.py KEYS), with the agent's own changes kept by this browser.
  const KEYS_KEPT = `guichet.counter.keys.${data.lang}`;
  const DEFAULT_KEYS = { ...S.keys };
  let keymap = { ...DEFAULT_KEYS };
  try {
    const kept = JSON.parse(localStorage.getItem(KEYS_KEPT) || "null");
    if (kept && typeof kept === "object") {
      for (const [action, key] of Object.entries(kept)) {
        if (action in keymap && /^[a-z0-9]$/.test(key)) keymap[action] = key;
      }
    }
  } catch {
    // a damaged entry: the original keys
  }

  // Every place a key is written (buttons, the help list), aria-keyshortcuts, and booking's panel (data-key).
  function showKeys() {
    for (const node of document.querySelectorAll("kbd[data-kbd]")) node.textContent = keymap[node.dataset.kbd].toUpperCase();
    for (const node of document.querySelectorAll("[data-action]")) {
      node.setAttribute("aria-keyshortcuts", keymap[node.dataset.action].toUpperCase());
    }
    $("booking-open").dataset.key = keymap.booking;
  }

  function actionOf(key) {
    return Object.keys(keymap).find((action) => keymap[action] === key) || null;
  }

  const actionName = (action) => $(`key-${action}`).textContent;
  let changing = null; // the action whose key the help dialog waits for

  function stopChanging() {
    if (!changing) return;
    const button = document.querySelector(`[data-change="${changing}"]`);
    button.textContent = button.dataset.was;
    changing = null;
  }

  for (const button of document.querySelectorAll("[data-change]")) {
    button.addEventListener("click", () => {
      stopChanging();
      changing = button.dataset.change;
      button.dataset.was = button.textContent;
      button.textContent = S.key_press;
      $("keys-said").textContent = S.key_press;
    });
  }

  $("help-dialog").addEventListener("keydown", (event) => {
    if (!changing || event.ctrlKey || event.metaKey || event.altKey || event.key === "Tab" || event.key === "Shift") return;
    event.preventDefault();
    event.stopPropagation();
    const action = changing;
    if (event.key === "Escape") {
      stopChanging();
      $("keys-said").textContent = "";
      return;
    }
    const key = event.key.toLowerCase();
    if (!/^[a-z0-9]$/.test(key)) {
      $("keys-said").textContent = S.key_refused;
      return;
    }
    const other = actionOf(key);
    const old = keymap[action];
    if (other && other !== action) keymap[other] = old; // the two swap: no letter does two things
    keymap[action] = key;
    localStorage.setItem(KEYS_KEPT, JSON.stringify(keymap));
    const button = document.querySelector(`[data-change="${action}"]`);
    stopChanging();
    showKeys();
    $("keys-said").textContent = other && other !== action
      ? format(S.key_taken, { key: key.toUpperCase(), action: actionName(action), other: actionName(other), old: old.toUpperCase() })
      : format(S.key_set, { key: key.toUpperCase(), action: actionName(action) });
    button.focus();
  });
  $("help-dialog").addEventListener("cancel", (event) => {
    if (changing) event.preventDefault(); // Esc stops the change, not the dialog (handled above)
  });
  $("help-dialog").addEventListener("close", () => {
    stopChanging();
    $("keys-said").textContent = "";
  });
  $("keys-reset").addEventListener("click", () => {
    keymap = { ...DEFAULT_KEYS };
    localStorage.removeItem(KEYS_KEPT);
    showKeys();
    $("keys-said").textContent = S.keys_reset;
  });

  $("help-button").addEventListener("click", () => $("help-dialog").showModal());

  const DESK_ACTIONS = new Set(["next", "recall", "start", "finish", "noshow", "transfer", "requeue", "pause", "close"]);

  document.addEventListener("keydown", (event) => {
    const target = event.target;
    const typing = (target instanceof HTMLInputElement && target.type !== "checkbox") ||
      target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement;
    if (event.key === "Escape" && typing) {
      if (mode() === "desk" && setup && !$("desk").hidden) $("act-next").focus();
      else target.blur();
      return;
    }
    if (!$("keys-on").checked) return;
    if (typing || event.ctrlKey || event.metaKey || event.altKey || document.querySelector("dialog[open]")) return;
    if (window.Menus && window.Menus.open()) return; // a header menu open: the keys are for it (menus.js)
    const key = event.key.toLowerCase();
    if (key === "?") {
      event.preventDefault();
      $("help-dialog").showModal();
      return;
    }
    const action = actionOf(key);
    if (action === "mode") {
      event.preventDefault();
      location.hash = mode() === "desk" ? "#reception" : "#desk";
      showMode(); // now, not at the hashchange event: a key pressed right after acts in the mode shown
      return;
    }
    if (mode() !== "desk" || !setup || $("desk").hidden) return;
    if (action === "out_of_turn") {
      event.preventDefault();
      $("out-of-turn-number").focus();
      return;
    }
    if (DESK_ACTIONS.has(action)) {
      event.preventDefault();
      actions[action]();
    }
  });

  // The agent's own figures --------------------------------------------------------------------------

  let figuresTimer = null;

  async function readFigures() {
    if (!site) return;
    const answer = await api("GET", `/api/v1/sites/${encodeURIComponent(site)}/agents/me/today`);
    const box = $("my-figures");
    if (!answer.ok) {
      box.textContent = S.figures_unread;
      return;
    }
    const day = answer.body;
    if (!day.served && !day.no_shows) {
      box.textContent = S.figures_none;
      return;
    }
    const parts = [el("strong", { text: plural(S.served_n, day.served) })];
    if (day.mean_visit_s !== null) parts.push(" · ", format(S.mean_visit, { d: duration(day.mean_visit_s) }));
    parts.push(" · ", plural(S.no_shows_n, day.no_shows));
    box.replaceChildren(...parts);
  }

  // Read again shortly after a visit ends anywhere (a burst of events reads once).
  function figuresChanged(message) {
    if (!["ticket.finished", "ticket.no_show", "ticket.requeued", "day.started", "snapshot"].includes(message.type)) return;
    clearTimeout(figuresTimer);
    figuresTimer = setTimeout(readFigures, 250);
  }

  // Reception ---------------------------------------------------------------------------------------

  let found = null;

  function renderIssueServices() {
    const select = $("issue-service");
    if (select.options.length) return;
    select.replaceChildren(...siteData().services.map((s) => el("option", { value: s.id, text: `${s.name} (${s.prefix})` })));
  }

  function statusText(ticket) {
    switch (ticket.status) {
      case "waiting": {
        // From the live queue, not the ticket's last event: people ahead go down as others are called,
        // and the view keeps each waiting ticket's rank and the server's estimate for it.
        const queued = state.queue.find((t) => t.id === ticket.id);
        const ahead = queued ? queued.position : null;
        const estimate = queued ? queued.estimated_wait_s : null;
        return format(S.found_waiting, { ahead: ahead === null ? 0 : ahead }) +
          (estimate !== null ? ` · ${Live.waitWords(estimate, S.wait_words)}` : "");
      }
      case "called":
        return format(S.found_called, { counter: counterName(ticket.counter) });
      case "serving":
        return format(S.found_serving, { counter: counterName(ticket.counter) });
      default:
        return S[`found_${ticket.status}`] || ticket.status;
    }
  }

  function renderFound() {
    if (!found) return;
    const parts = [el("p", { class: "number", text: found.number }, bookedTag(found)),
      el("p", { text: `${serviceName(found.service)} · ${statusText(found)}` })];
    if (found.priority) parts.push(el("p", { class: "priority", text: S.priority }));
    $("found").replaceChildren(...parts);
    $("note-form").hidden = !["waiting", "called", "serving"].includes(found.status);
    $("found-actions").hidden = !["waiting", "called"].includes(found.status);
  }

  $("cancel-found").addEventListener("click", () => {
    $("cancel-question").textContent = format(S.cancel_question, { number: found.number });
    $("cancel-confirm").hidden = false;
    $("cancel-yes").focus();
  });
  $("cancel-no").addEventListener("click", () => {
    $("cancel-confirm").hidden = true;
    $("cancel-found").focus();
  });
  let cancelling = false;
  $("cancel-yes").addEventListener("click", async () => {
    if (!found || cancelling) return;
    const ticket = found;
    cancelling = true;
    const answer = await api("POST", `${base()}/tickets/${ticket.id}/cancel`);
    cancelling = false;
    $("cancel-confirm").hidden = true;
    if (!answer.ok) {
      say(answer.problem, true);
      return;
    }
    found = answer.body;
    renderFound();
    say(format(S.cancelled_done, { number: ticket.number }));
    $("find-number").focus();
  });

  async function showFound(ticket) {
    found = ticket;
    $("cancel-confirm").hidden = true;
    renderFound();
    const open = ["waiting", "called", "serving"].includes(ticket.status);
    $("note-text").value = "";
    if (open && ticket.noted) {
      const answer = await api("GET", `${base()}/tickets/${ticket.id}/note`);
      if (answer.ok && answer.body.text) $("note-text").value = answer.body.text;
    }
  }

  $("find-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const number = $("find-number").value;
    const ticket = todays(number);
    if (!ticket) {
      $("found").replaceChildren(el("p", { class: "problem", text: format(S.not_found, { number: normalise(number) }) }));
      $("note-form").hidden = true;
      $("found-actions").hidden = true;
      found = null;
      return;
    }
    await showFound(ticket);
  });

  $("note-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!found) return;
    const answer = await api("PUT", `${base()}/tickets/${found.id}/note`, { text: $("note-text").value });
    if (!answer.ok) {
      say(answer.problem, true);
      return;
    }
    notes.delete(found.id);
    say(format(S.note_saved, { number: found.number }));
  });

  // What reception's person script (counter/person.js, loaded after this one) uses of this page.
  window.Counter = { site: () => site, tenant: () => tenant, tenantKnown, records, base, facts, say };

  // Start -------------------------------------------------------------------------------------------

  function onStatus(up) {
    const box = $("connection");
    box.textContent = up ? S.live : S.lost;
    box.classList.toggle("down", !up);
  }

  chooseSite();
  $("person-retention").textContent = S.retention;
  onStatus(false);
  const keysOn = $("keys-on");
  keysOn.checked = localStorage.getItem("guichet.keys") !== "off";
  keysOn.addEventListener("change", () => localStorage.setItem("guichet.keys", keysOn.checked ? "on" : "off"));

  showKeys();
  live(site, (message) => {
    if (message.type === "ticket.noted" && message.data.ticket) notes.delete(message.data.ticket.id); // read anew
    figuresChanged(message);
    if (found) {
      found = state.tickets.get(found.id) || found;
      renderFound();
    }
    render();
  }, onStatus);
  showMode();
})();
