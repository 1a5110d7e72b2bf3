// The day's agenda (/agenda): every appointment of one day at one site, grouped by service, with what each
// person's visit has come to, and the reception's actions on it.
//
// - The day comes in the page's JSON block (Staff.data: site, date, today, motifs, items); it is read again from
//   the API (GET …/appointments?date=) when the window comes back to the front, every 20 s while the page is
//   visible, and after each action: the list is redrawn in place, the focus kept on the control it was on.
// - A status in words and with an icon: expected; late once the start plus the motif's arrive_after_min is past
//   (counted here, on this computer's clock: a minute's drift says "late" a minute early or late); checked in,
//   with the ticket's number (read once per ticket through GET …/tickets/{id}, which any holder of the id may);
//   done; did not come; cancelled.
// - Check in (POST …/check-in with the code, as staff: the ticket's number said), move (the motif's free slots of
//   the next weeks as radio buttons by day, a reason) and cancel (a reason, confirmed) in dialogs.
"use strict";

(() => {
  const { data, strings: S, api, el, format } = window.Staff;
  const $ = (id) => document.getElementById(id);
  const site = data.site;
  const zone = site.timezone;
  const base = `/api/v1/sites/${encodeURIComponent(site.id)}`;
  const motifs = new Map(data.motifs.map((m) => [m.id, m]));
  const numbers = new Map(); // ticket id -> number (a ticket's number never changes)
  const REFRESH_MS = 20000;
  let items = data.items;
  let service = data.service;
  let busy = false;

  // Words and times ------------------------------------------------------------------------------------

  const timeFormat = new Intl.DateTimeFormat(data.lang, { hour: "2-digit", minute: "2-digit", timeZone: zone });
  const dayFormat = new Intl.DateTimeFormat(data.lang, { weekday: "long", day: "numeric", month: "long", timeZone: zone });
  const dayKey = new Intl.DateTimeFormat("en-CA", { year: "numeric", month: "2-digit", day: "2-digit", timeZone: zone });
  const time = (iso) => timeFormat.format(new Date(iso));
  const dayText = (iso) => dayFormat.format(new Date(iso));
  const nameOf = (a) => `${a.person.first_name} ${a.person.last_name}`.trim();
  const serviceName = (id) => (site.services.find((s) => s.id === id) || { name: id }).name;
  const motifName = (id) => (motifs.get(id) || { name: id }).name;

  function readablePhone(e164) {
    const match = /^\+33(\d{9})$/.exec(e164 || "");
    return match ? `0${match[1]}`.match(/../g).join(" ") : e164;
  }

  // What the visit has come to: the appointment's status, and "late" for one expected whose margin is past.
  function statusOf(a, now = Date.now()) {
    if (a.status !== "booked") return a.status;
    const motif = motifs.get(a.motif);
    const margin = (motif ? motif.arrive_after_min : 15) * 60000;
    return now > Date.parse(a.start) + margin ? "late" : "booked";
  }

  // Icons (decorative: the status is in words beside them) --------------------------------------------

  const PATHS = {
    booked: "M12 7v5l3 2M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18z",
    late: "M12 8v5M12 16.5v.5M10.3 3.9 2.4 17.5A2 2 0 0 0 4.1 20.5h15.8a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0z",
    checked_in: "M15 3h4a2 2 0 0 1 2 2v14a2 2 0 0 1-2 2h-4M10 17l5-5-5-5M15 12H3",
    done: "M20 6 9 17l-5-5",
    no_show: "M16 21v-2a4 4 0 0 0-4-4H6a4 4 0 0 0-4 4v2M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM17 8l5 5M22 8l-5 5",
    cancelled: "M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM15 9l-6 6M9 9l6 6",
  };

  function icon(status) {
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    for (const [k, v] of Object.entries({ viewBox: "0 0 24 24", width: "18", height: "18", fill: "none",
      stroke: "currentColor", "stroke-width": "2.2", "stroke-linecap": "round", "stroke-linejoin": "round",
      "aria-hidden": "true", focusable: "false", class: "icon" })) svg.setAttribute(k, v);
    const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
    path.setAttribute("d", PATHS[status] || PATHS.booked);
    svg.append(path);
    return svg;
  }

  function badge(status) {
    return el("span", { class: `status ${status}` }, icon(status), S[`status_${status}`] || status);
  }

  // Drawing ----------------------------------------------------------------------------------------------

  const ORDER = ["booked", "late", "checked_in", "done", "no_show", "cancelled"];

  function renderSummary(shown) {
    const counts = new Map(ORDER.map((s) => [s, 0]));
    for (const a of shown) counts.set(statusOf(a), counts.get(statusOf(a)) + 1);
    $("summary").replaceChildren(...ORDER.filter((s) => counts.get(s) || s === "booked").map((s) =>
      el("li", { class: `figure ${s}` }, icon(s), el("span", { text: S[`status_${s}`] }), " ",
        el("span", { class: "n", text: String(counts.get(s)) }))));
  }

  function actionsOf(a) {
    const who = { name: nameOf(a), time: time(a.start) };
    const cell = el("td", { class: "row-actions" });
    if (a.status !== "booked") return cell;
    if (data.date === data.today) {
      cell.append(el("button", { type: "button", class: "small", id: `in-${a.id}`, "data-action": "in",
        "aria-label": format(S.check_in_label, who), onclick: () => checkIn(a), text: S.check_in }));
    }
    cell.append(
      el("button", { type: "button", class: "small secondary", id: `move-${a.id}`,
        "aria-label": format(S.move_label, who), onclick: () => openMove(a), text: S.move }),
      el("button", { type: "button", class: "small danger-outline", id: `cancel-${a.id}`,
        "aria-label": format(S.cancel_label, who), onclick: () => openCancel(a), text: S.cancel }));
    return cell;
  }

  function row(a) {
    const status = statusOf(a);
    const motif = motifs.get(a.motif);
    const answers = Object.entries(a.answers || {}).map(([k, v]) => {
      const q = motif && motif.questions.find((x) => x.id === k);
      return `${q ? q.label : k} : ${Array.isArray(v) ? v.join(", ") : v}`;
    });
    const contact = [a.person.phone ? readablePhone(a.person.phone) : null, a.person.email].filter(Boolean).join(" · ");
    const person = a.party
      ? el("a", { href: `/crm/${encodeURIComponent(a.party)}`, text: nameOf(a) })
      : el("span", { text: nameOf(a) });
    const number = a.ticket ? numbers.get(a.ticket) : null;
    if (a.ticket && number === undefined) readNumber(a.ticket);
    return el("tr", { class: `appointment ${status}`, id: `a-${a.id}` },
      el("th", { scope: "row", class: "time" }, el("span", { class: "start", text: time(a.start) }),
        el("span", { class: "end", text: ` – ${time(a.end)}` })),
      el("td", { class: "person" }, el("span", { class: "name" }, person),
        contact ? el("span", { class: "contact", text: contact }) : null),
      el("td", { class: "motif" }, el("span", { text: motifName(a.motif) }),
        answers.length ? el("span", { class: "answers", text: answers.join(" · ") }) : null),
      el("td", { class: "desk", text: format(S.desk, { n: a.desk || 1 }) }),
      el("td", { class: "state" }, badge(status)),
      el("td", { class: "ticket" }, number ? el("span", { class: "number", text: number }) : a.code
        ? el("span", { class: "code", text: a.code }) : null),
      actionsOf(a));
  }

  function table(list) {
    const head = ["time", "person", "motif", "desk_column", "status", "ticket_column"].map((k) =>
      el("th", { scope: "col", text: S[k] }));
    head.push(el("th", { scope: "col" }, el("span", { class: "visually-hidden", text: S.actions })));
    return el("div", { class: "table-wrap" }, el("table", { class: "appointments" },
      el("thead", {}, el("tr", {}, ...head)), el("tbody", {}, ...list.map(row))));
  }

  function render() {
    const focused = document.activeElement && document.activeElement.id;
    const shown = items.filter((a) => !service || a.service === service);
    renderSummary(shown);
    const groups = [];
    for (const s of site.services) {
      if (service && s.id !== service) continue;
      const list = shown.filter((a) => a.service === s.id);
      if (!list.length && !service) continue;
      const title = el("h2", { id: `service-${s.id}` }, s.name, " ",
        el("span", { class: "count", text: list.length === 1 ? S.count_one : format(S.count, { n: list.length }) }));
      groups.push(el("section", { class: "service-day", "aria-labelledby": `service-${s.id}` }, title,
        list.length ? table(list) : el("p", { class: "none", text: S.nobody_here })));
    }
    const others = shown.filter((a) => !site.services.some((s) => s.id === a.service));
    if (others.length) groups.push(el("section", { class: "service-day" }, el("h2", { text: "…" }), table(others)));
    $("day").replaceChildren(...(groups.length ? groups : [el("p", { class: "none big", text: S.nobody })]));
    if (focused && document.activeElement !== $(focused) && $(focused)) $(focused).focus();
  }

  function say(text, problem = false) {
    $("said").textContent = text;
    $("said").classList.toggle("problem", problem);
  }

  // Reading the day again --------------------------------------------------------------------------------

  async function refresh() {
    const answer = await api("GET", `${base}/appointments?date=${data.date}`);
    if (!answer.ok) return;
    items = answer.body.items;
    $("updated").textContent = format(S.updated, { time: timeFormat.format(new Date()) });
    if (!document.querySelector("dialog[open]")) render();
  }

  async function readNumber(ticketId) {
    numbers.set(ticketId, null);
    const answer = await api("GET", `${base}/tickets/${encodeURIComponent(ticketId)}`);
    if (answer.ok && answer.body.number) {
      numbers.set(ticketId, answer.body.number);
      render();
    }
  }

  window.addEventListener("focus", refresh);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) refresh(); });
  setInterval(() => { if (!document.hidden) refresh(); }, REFRESH_MS);

  // The service narrowed to: in place (the address keeps it for a reload or a link).
  $("f-service").addEventListener("change", () => {
    service = $("f-service").value;
    const url = new URL(location.href);
    if (service) url.searchParams.set("service", service);
    else url.searchParams.delete("service");
    history.replaceState(null, "", url);
    render();
  });

  // Actions ----------------------------------------------------------------------------------------------

  async function checkIn(a) {
    if (busy) return;
    busy = true;
    try {
      const answer = await api("POST", `${base}/check-in`, { code: a.code });
      if (!answer.ok) {
        say(format(S.failed, { problem: answer.problem }), true);
        return;
      }
      numbers.set(answer.body.id, answer.body.number);
      say(format(S.checked_in, { name: nameOf(a), number: answer.body.number }));
      // The appointment follows its ticket a moment later (the booking's reader of the queue): shown at once.
      items = items.map((x) => (x.id === a.id ? { ...x, status: "checked_in", ticket: answer.body.id } : x));
      render();
      const moved = $(`move-${a.id}`) || $(`a-${a.id}`);
      if (moved && moved.focus) moved.focus();
      setTimeout(refresh, 1500);
    } finally {
      busy = false;
    }
  }

  let target = null; // the appointment a dialog is about
  let chosenSlot = null;

  function localDay(iso) {
    return dayKey.format(new Date(iso));
  }

  async function openMove(a) {
    target = a;
    chosenSlot = null;
    $("move-who").textContent = `${nameOf(a)} · ${motifName(a.motif)} · ${dayText(a.start)} ${time(a.start)}`;
    $("move-reason").value = "";
    $("move-problem").textContent = "";
    $("move-slots").replaceChildren(el("p", { class: "muted", text: S.slots_loading }));
    $("move-dialog").showModal();
    $("move-slots").focus(); // until the slots come: then the first of them
    const from = new Date();
    const to = new Date(Date.now() + 28 * 86400000);
    const query = new URLSearchParams({ motif: a.motif, from: localDay(from.toISOString()), to: localDay(to.toISOString()) });
    for (const [k, v] of Object.entries(a.answers || {})) if (typeof v !== "object") query.set(`a.${k}`, String(v));
    const answer = await api("GET", `${base}/slots?${query}`);
    if (target !== a) return;
    if (!answer.ok) {
      $("move-slots").replaceChildren(el("p", { class: "problem", text: format(S.failed, { problem: answer.problem }) }));
      return;
    }
    const byDay = new Map();
    for (const slot of answer.body.slots) {
      if (slot.start === a.start) continue;
      const key = localDay(slot.start);
      if (!byDay.has(key)) byDay.set(key, []);
      byDay.get(key).push(slot);
    }
    const days = [...byDay.entries()].slice(0, 5);
    if (!days.length) {
      $("move-slots").replaceChildren(el("p", { class: "muted", text: S.slots_none }));
      return;
    }
    const sets = days.map(([key, slots], d) => {
      const options = slots.map((slot, i) => {
        const id = `slot-${d}-${i}`;
        return el("span", { class: "slot-choice" },
          el("input", { type: "radio", name: "new-slot", id, value: slot.start, onchange: () => { chosenSlot = slot.start; } }),
          el("label", { for: id, text: time(slot.start) }));
      });
      return el("fieldset", { class: "slot-day" }, el("legend", { text: dayText(slots[0].start) }),
        el("div", { class: "slot-choices" }, ...options));
    });
    $("move-slots").replaceChildren(el("p", { class: "hint", text: S.choose_slot }), ...sets);
    const first = $("move-slots").querySelector("input");
    if (first && [document.body, $("move-slots")].includes(document.activeElement)) first.focus();
  }

  $("move-close").addEventListener("click", () => $("move-dialog").close());
  $("move-dialog").addEventListener("close", () => {
    const back = target && ($(`move-${target.id}`));
    target = null;
    render();
    if (back) back.focus();
  });

  $("move-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!target || busy) return;
    const a = target;
    if (!chosenSlot) {
      $("move-problem").textContent = S.need_slot;
      ($("move-slots").querySelector("input") || $("move-ok")).focus();
      return;
    }
    const reason = $("move-reason").value.trim();
    if (!reason) {
      $("move-problem").textContent = S.need_reason;
      $("move-reason").focus();
      return;
    }
    busy = true;
    const answer = await api("POST", `${base}/appointments/${encodeURIComponent(a.id)}/move`, { start: chosenSlot, reason });
    busy = false;
    if (!answer.ok) {
      $("move-problem").textContent = format(S.failed, { problem: answer.problem });
      return;
    }
    say(format(S.moved, { name: nameOf(a), when: `${dayText(answer.body.start)} ${time(answer.body.start)}` }));
    $("move-dialog").close();
    await refresh();
  });

  function openCancel(a) {
    target = a;
    $("cancel-who").textContent = `${nameOf(a)} · ${motifName(a.motif)} · ${dayText(a.start)} ${time(a.start)}`;
    $("cancel-reason").value = "";
    $("cancel-problem").textContent = "";
    $("cancel-dialog").showModal();
    $("cancel-reason").focus();
  }

  $("cancel-close").addEventListener("click", () => $("cancel-dialog").close());
  $("cancel-dialog").addEventListener("close", () => {
    const back = target && $(`cancel-${target.id}`);
    target = null;
    render();
    if (back) back.focus();
    else $("day").querySelector("button, a") && $("day").querySelector("button, a").focus();
  });

  $("cancel-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!target || busy) return;
    const a = target;
    const reason = $("cancel-reason").value.trim();
    if (!reason) {
      $("cancel-problem").textContent = S.need_reason;
      $("cancel-reason").focus();
      return;
    }
    busy = true;
    const answer = await api("POST", `${base}/appointments/${encodeURIComponent(a.id)}/cancel`, { reason });
    busy = false;
    if (!answer.ok) {
      $("cancel-problem").textContent = format(S.failed, { problem: answer.problem });
      return;
    }
    items = items.map((x) => (x.id === a.id ? answer.body : x));
    say(format(S.cancelled, { name: nameOf(a) }));
    $("cancel-dialog").close();
    refresh();
  });

  // "Late" comes with the minutes: drawn again each half minute.
  setInterval(() => { if (!document.querySelector("dialog[open]")) render(); }, 30000);
  render();
})();
