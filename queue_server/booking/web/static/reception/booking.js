// Reception books appointments for the person welcomed (the agent page's reception mode, /counter#reception).
//
// - The person comes from the page's own search of the citizen record (counter.js tells it with the event
//   "reception:person": {site, person}); the panel shows for a person's record only (not without a record, not for
//   an association or a company). Names and contacts are the record's (its search result, else GET …/parties/{id}).
// - Motif: every motif of the site (staff see all: GET …/motifs with the session), grouped by service; typing
//   narrows the list, Enter takes the first. Its questions, if any (a count of persons…), are asked inline: the
//   slots depend on them. The next days with free slots follow at once (GET …/slots over three weeks, the first five
//   days, the first slots of each, "More" for the rest); arrow keys move in that grid, Enter books.
// - A slot chosen is booked at once (POST …/appointments, notify false, the party, one visit id for the person):
//   motif, (answers,) slot. The visit's appointments are listed with "Cancel" to undo; "Send the confirmation"
//   sends one SMS and one e-mail for them all (POST …/appointments/confirm).
// - Key: the one in the data-key of #booking-open ("v"; the page's single-key shortcuts, which can be turned off)
//   opens the panel on the motif field, from either mode.
"use strict";

(() => {
  const { data, strings: S, api, el, format, newKey } = window.Staff;
  const $ = (id) => document.getElementById(id);
  const panel = $("booking");
  if (!panel) return;
  const DAYS_SHOWN = 5;
  const FIRST_SLOTS = 6;
  const RANGE_DAYS = 21;

  let site = null;
  let person = null; // {id, name, party}: the record chosen
  let details = null; // {first_name, last_name, phone, email} for the booking, read once per person
  let visit = null; // this person's visit id (their appointments booked here share it)
  let booked = []; // [{appointment, confirmed}]
  let motifs = null; // the site's motifs, read once per site
  let motif = null; // the motif chosen
  let slots = []; // its free slots: [{day, label, items: [slot]}]
  let opened = new Set(); // days whose every slot is shown
  let attempt = 0; // part of the Idempotency-Key: a slot booked again after an undo is a new booking
  let busy = false;

  const base = () => `/api/v1/sites/${encodeURIComponent(site.id)}`;
  const zone = () => site.timezone;
  const time = (iso) => new Intl.DateTimeFormat(data.lang, { hour: "2-digit", minute: "2-digit", timeZone: zone() })
    .format(new Date(iso));
  const dayText = (iso) => new Intl.DateTimeFormat(data.lang, { weekday: "long", day: "numeric", month: "long",
    timeZone: zone() }).format(new Date(iso));
  const dayKey = (date) => new Intl.DateTimeFormat("en-CA", { year: "numeric", month: "2-digit", day: "2-digit",
    timeZone: zone() }).format(date);
  const serviceName = (id) => (site.services.find((s) => s.id === id) || { name: id }).name;

  function readablePhone(e164) {
    const match = /^\+33(\d{9})$/.exec(e164);
    return match ? `0${match[1]}`.match(/../g).join(" ") : e164;
  }

  function says(text, problem = false) {
    $("booking-status").textContent = text;
    $("booking-status").classList.toggle("problem", problem);
  }

  // The person -------------------------------------------------------------------------------------------

  document.addEventListener("reception:person", (event) => {
    const { site: siteId, person: chosen } = event.detail;
    const changed = !chosen || chosen.anonymous || !person || person.id !== chosen.id;
    site = data.sites.find((s) => s.id === siteId) || data.sites[0];
    const kind = chosen && chosen.party && chosen.party.kind;
    if (!chosen || chosen.anonymous || (kind && kind !== "person")) {
      person = null;
      panel.hidden = true;
      return;
    }
    if (changed) {
      person = chosen;
      details = null;
      visit = newKey().slice(0, 32);
      booked = [];
      motif = null;
      slots = [];
      $("motif-q").value = "";
      says("");
    }
    panel.hidden = Boolean(motifs && motifs.site === site.id && !motifs.items.length);
    $("booking-for").textContent = format(S.booking_for, { name: person.name });
    loadMotifs();
    render();
  });

  async function personDetails() {
    if (details) return details;
    let party = person.party;
    if (!party || party.first_name === undefined) {
      const me = await api("GET", "/api/v1/me");
      const tenant = me.ok ? me.body.tenant : null;
      const answer = tenant ? await api("GET", `/api/v1/tenants/${encodeURIComponent(tenant)}/parties/${encodeURIComponent(person.id)}`) : null;
      if (!answer || !answer.ok) throw new Error(answer ? answer.problem : S.unreachable);
      party = answer.body;
    }
    details = { first_name: party.first_name || person.name, last_name: party.last_name || person.name };
    if ((party.phones || [])[0]) details.phone = party.phones[0];
    if ((party.emails || [])[0]) details.email = party.emails[0];
    return details;
  }

  // Motifs -----------------------------------------------------------------------------------------------

  async function loadMotifs() {
    if (motifs && motifs.site === site.id) return;
    motifs = { site: site.id, items: [] };
    const answer = await api("GET", `${base()}/motifs`);
    if (!answer.ok) {
      says(format(S.motifs_unread, { problem: answer.problem }), true);
      return;
    }
    motifs.items = answer.body;
    if (!motifs.items.length) panel.hidden = true; // nothing to book at this site
    renderMotifs();
  }

  function fold(text) {
    return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function matching() {
    const words = fold($("motif-q").value).split(/\s+/).filter(Boolean);
    return motifs.items.filter((m) => {
      const text = fold(`${m.name} ${serviceName(m.service)} ${m.description || ""}`);
      return words.every((w) => text.includes(w));
    });
  }

  function renderMotifs() {
    if (!motifs) return;
    const shown = matching();
    const groups = [];
    for (const service of site.services) {
      const mine = shown.filter((m) => m.service === service.id);
      if (!mine.length) continue;
      groups.push(el("div", { class: "motif-group", role: "group", "aria-labelledby": `motif-group-${service.id}` },
        el("h3", { id: `motif-group-${service.id}`, class: "motif-service", text: service.name }),
        el("ul", {}, ...mine.map((m) => el("li", {}, el("button", {
          type: "button", class: "motif", id: `motif-${m.id}`, "aria-pressed": motif && motif.id === m.id ? "true" : "false",
          onclick: () => chooseMotif(m),
        }, el("span", { class: "motif-name", text: m.name }),
        el("span", { class: "motif-length", text: format(S.minutes, { n: m.duration_min }) })))))));
    }
    $("motif-list").replaceChildren(...(groups.length ? groups : [el("p", { class: "muted", text: S.motifs_none })]));
  }

  $("motif-q").addEventListener("input", renderMotifs);
  $("motif-q").addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      const first = motifs ? matching()[0] : null;
      if (first) chooseMotif(first);
    } else if (event.key === "ArrowDown") {
      const first = $("motif-list").querySelector("button");
      if (first) {
        event.preventDefault();
        first.focus();
      }
    }
  });
  // ↓ ↑ through the motifs' buttons too (Tab goes through them as well).
  $("motif-list").addEventListener("keydown", (event) => {
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    const all = [...$("motif-list").querySelectorAll("button")];
    const at = all.indexOf(document.activeElement);
    if (at < 0) return;
    event.preventDefault();
    if (event.key === "ArrowUp" && at === 0) $("motif-q").focus();
    else all[Math.min(all.length - 1, Math.max(0, at + (event.key === "ArrowDown" ? 1 : -1)))].focus();
  });

  function chooseMotif(m) {
    motif = m;
    slots = [];
    opened = new Set();
    renderMotifs();
    renderQuestions();
    says(format(S.motif_chosen, { motif: m.name }));
    const question = $("motif-questions").querySelector("input, select");
    loadSlots(!question);
    if (question) question.focus();
  }

  // Questions (the slots depend on them: a count of persons lengthens the appointment) -------------------

  function renderQuestions() {
    const box = $("motif-questions");
    const questions = (motif && motif.questions) || [];
    box.hidden = !questions.length;
    box.replaceChildren(...questions.map((q) => {
      const id = `question-${q.id}`;
      let control;
      if (q.kind === "count") {
        control = el("input", { id, type: "number", min: q.minimum, max: q.maximum, value: q.minimum, "data-question": q.id,
          inputmode: "numeric", required: q.required });
      } else if (q.kind === "choice") {
        control = el("select", { id, "data-question": q.id }, ...(q.required ? [] : [el("option", { value: "", text: "—" })]),
          ...q.choices.map((c) => el("option", { value: c, text: c })));
      } else {
        control = el("input", { id, type: "text", maxlength: "200", "data-question": q.id, required: q.required });
      }
      control.addEventListener("keydown", (event) => {
        if (event.key === "Enter") {
          event.preventDefault();
          loadSlots(true);
        }
      });
      control.addEventListener("change", () => loadSlots(false));
      return el("p", { class: "field question" }, el("label", { for: id, text: q.label }), control);
    }), ...(questions.length ? [el("p", { class: "hint", text: S.questions_then })] : []));
  }

  function answers() {
    const out = {};
    for (const control of $("motif-questions").querySelectorAll("[data-question]")) {
      const value = control.value.trim();
      if (!value) continue;
      out[control.dataset.question] = control.type === "number" ? Number(value) : value;
    }
    return out;
  }

  // Slots --------------------------------------------------------------------------------------------------

  let reading = 0;

  async function loadSlots(focusFirst) {
    if (!motif) return;
    const wanted = ++reading;
    $("slots").replaceChildren(el("p", { class: "muted", text: S.slots_loading }));
    const now = new Date();
    const query = new URLSearchParams({ motif: motif.id, from: dayKey(now),
      to: dayKey(new Date(now.getTime() + RANGE_DAYS * 86400000)) });
    for (const [k, v] of Object.entries(answers())) query.set(`a.${k}`, String(v));
    const answer = await api("GET", `${base()}/slots?${query}`);
    if (wanted !== reading) return; // another motif or answer since
    if (!answer.ok) {
      slots = [];
      $("slots").replaceChildren(el("p", { class: "problem", text: format(S.slots_unread, { problem: answer.problem }) }));
      return;
    }
    const byDay = new Map();
    for (const slot of answer.body.slots) {
      const key = dayKey(new Date(slot.start));
      if (!byDay.has(key)) byDay.set(key, { day: key, label: dayText(slot.start), items: [] });
      byDay.get(key).items.push(slot);
    }
    slots = [...byDay.values()].slice(0, DAYS_SHOWN);
    renderSlots();
    if (slots.length) says(format(S.slots_found, { motif: motif.name, n: slots.length }));
    if (focusFirst) {
      const first = $("slots").querySelector("button.slot");
      if (first) first.focus();
    }
  }

  function renderSlots() {
    if (!motif) {
      $("slots").replaceChildren(el("p", { class: "muted", text: S.slots_pick_motif }));
      return;
    }
    if (!slots.length) {
      $("slots").replaceChildren(el("p", { class: "muted", text: S.slots_none }));
      return;
    }
    const rows = slots.map((day, d) => {
      const shown = opened.has(day.day) ? day.items : day.items.slice(0, FIRST_SLOTS);
      const buttons = shown.map((slot, i) => el("button", {
        type: "button", class: "slot", id: `slot-${d}-${i}`, tabindex: d === 0 && i === 0 ? "0" : "-1",
        "aria-describedby": `slot-day-${d}`, "data-row": d, "data-col": i, onclick: () => book(slot),
      }, time(slot.start), slot.free > 1 ? el("span", { class: "visually-hidden", text: ` (${format(S.slot_places, { n: slot.free })})` }) : null));
      if (shown.length < day.items.length) {
        buttons.push(el("button", { type: "button", class: "slot more", tabindex: "-1", "data-row": d, "data-col": shown.length,
          "aria-label": format(S.slots_more_label, { day: day.label }),
          onclick: () => { opened.add(day.day); renderSlots(); focusAt(d, shown.length); } }, `${S.slots_more} (+${day.items.length - shown.length})`));
      }
      return el("div", { class: "slot-day", role: "group", "aria-labelledby": `slot-day-${d}` },
        el("h4", { id: `slot-day-${d}`, text: day.label }), el("div", { class: "slot-buttons" }, ...buttons));
    });
    $("slots").replaceChildren(...rows);
  }

  function focusAt(row, col) {
    const buttons = [...$("slots").querySelectorAll(`button[data-row="${row}"]`)];
    if (!buttons.length) return;
    const target = buttons[Math.min(col, buttons.length - 1)];
    for (const b of $("slots").querySelectorAll("button.slot")) b.tabIndex = -1;
    target.tabIndex = 0;
    target.focus();
  }

  // The grid of slots: ←/→ within a day, ↑/↓ to the day before or after, Home/End (roving tabindex).
  $("slots").addEventListener("keydown", (event) => {
    const button = event.target.closest("button.slot");
    if (!button) return;
    const row = Number(button.dataset.row);
    const col = Number(button.dataset.col);
    const moves = { ArrowLeft: [row, col - 1], ArrowRight: [row, col + 1], ArrowUp: [row - 1, col], ArrowDown: [row + 1, col],
      Home: [row, 0], End: [row, 999] };
    const to = moves[event.key];
    if (!to) return;
    event.preventDefault();
    if (to[0] < 0 || to[0] >= slots.length || to[1] < 0) return;
    focusAt(to[0], to[1]);
  });

  // Booking ------------------------------------------------------------------------------------------------

  async function book(slot) {
    if (busy || !motif || !person) return;
    busy = true;
    const chosen = motif;
    try {
      let who;
      try {
        who = await personDetails();
      } catch (error) {
        says(format(S.booking_failed, { problem: error.message }), true);
        return;
      }
      const body = { motif: chosen.id, start: slot.start, person: who, party: person.id, notify: false, visit,
        lang: data.lang, answers: answers() };
      const key = `${visit}:${attempt}:${chosen.id}:${slot.start}`;
      const answer = await api("POST", `${base()}/appointments`, body, { "Idempotency-Key": key });
      if (!answer.ok) {
        says(format(S.booking_failed, { problem: answer.problem }), true);
        if (answer.status === 409) loadSlots(true); // taken meanwhile: the slots as they are now
        return;
      }
      attempt += 1;
      booked.push({ appointment: answer.body, confirmed: false, motif: chosen });
      says(format(S.booked, { motif: chosen.name, day: dayText(slot.start), time: time(slot.start) }));
      // The next appointment of the visit: another motif.
      motif = null;
      slots = [];
      $("motif-q").value = "";
      render();
      $("motif-q").focus();
    } finally {
      busy = false;
    }
  }

  function renderVisit() {
    const items = booked.filter((b) => b.appointment.status !== "cancelled").map((b) => {
      const a = b.appointment;
      const when = { motif: b.motif.name, day: dayText(a.start), time: time(a.start) };
      return el("li", { class: b.confirmed ? "confirmed" : "" },
        el("span", { class: "visit-what" }, el("strong", { text: b.motif.name }), el("span", { class: "visit-service", text: serviceName(a.service) })),
        el("span", { class: "visit-when", text: format(S.day_at, { day: when.day, time: when.time }) }),
        el("span", { class: "visit-code", text: format(S.visit_code, { code: a.code }) }),
        b.confirmed ? el("span", { class: "visit-confirmed", text: S.visit_confirmed }) : null,
        el("button", { type: "button", class: "small", id: `undo-${a.id}`, "aria-label": format(S.visit_undo_label, when),
          onclick: () => undo(b), text: S.visit_undo }));
    });
    $("visit-list").replaceChildren(...(items.length ? items : [el("li", { class: "muted", text: S.visit_none })]));
    $("visit-confirm").disabled = !booked.some((b) => !b.confirmed && b.appointment.status === "booked");
  }

  async function undo(entry) {
    if (busy) return;
    busy = true;
    const a = entry.appointment;
    const answer = await api("POST", `${base()}/appointments/${encodeURIComponent(a.id)}/cancel`, { reason: S.visit_undo_reason });
    busy = false;
    if (!answer.ok) {
      says(format(S.booking_failed, { problem: answer.problem }), true);
      return;
    }
    entry.appointment = answer.body;
    attempt += 1;
    says(format(S.visit_undone, { motif: entry.motif.name, day: dayText(a.start), time: time(a.start) }));
    render();
    $("motif-q").focus();
    if (motif) loadSlots(false); // its place is free again
  }

  $("visit-confirm").addEventListener("click", async () => {
    if (busy) return;
    const open = booked.filter((b) => !b.confirmed && b.appointment.status === "booked");
    if (!open.length) return;
    let who;
    try {
      who = await personDetails();
    } catch (error) {
      says(format(S.confirmation_failed, { problem: error.message }), true);
      return;
    }
    if (!who.phone && !who.email) {
      says(S.no_contact, true);
      return;
    }
    busy = true;
    const answer = await api("POST", `${base()}/appointments/confirm`, { ids: open.map((b) => b.appointment.id) });
    busy = false;
    if (!answer.ok) {
      says(format(S.confirmation_failed, { problem: answer.problem }), true);
      return;
    }
    for (const b of open) b.confirmed = true;
    const contact = [who.phone && readablePhone(who.phone), who.email].filter(Boolean).join(", ");
    says(open.length === 1 ? format(S.confirmation_sent_one, { contact }) : format(S.confirmation_sent, { n: open.length, contact }));
    render();
    $("motif-q").focus();
  });

  function render() {
    renderMotifs();
    renderQuestions();
    renderSlots();
    renderVisit();
  }

  // The key that opens the panel ------------------------------------------------------------------------

  function open() {
    if (location.hash !== "#reception") location.hash = "#reception";
    if (!person) {
      const search = $("person-q");
      if (search && !search.closest("[hidden]")) search.focus();
      says(S.booking_needs_person, true);
      $("person-status").textContent = S.booking_needs_person;
      return;
    }
    panel.hidden = false;
    $("motif-q").focus();
  }

  $("booking-open").addEventListener("click", open);

  document.addEventListener("keydown", (event) => {
    const target = event.target;
    const typing = (target instanceof HTMLInputElement && target.type !== "checkbox") ||
      target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement;
    const keysOn = $("keys-on");
    if (typing || (keysOn && !keysOn.checked) || event.ctrlKey || event.metaKey || event.altKey ||
        document.querySelector("dialog[open]")) return;
    if (event.key.toLowerCase() !== ($("booking-open").dataset.key || "v")) return;
    event.preventDefault();
    // After the page's own handler has shown the reception (hash change): the panel's field exists then.
    setTimeout(open, 0);
  });
})();
