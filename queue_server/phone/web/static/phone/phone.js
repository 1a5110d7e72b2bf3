// The phone desk (/phone, phone/web/desk.py): take a call with the keyboard, find its caller, log it; the callbacks
// to do beside it.
//
// - F2, or N outside a field, takes a call: its clock starts (the duration sent is the page's measure; its start is
//   kept for the tab, so that a reload keeps the clock, not what was typed), the form opens on the caller's search. Ctrl+Enter (or the button) logs it: POST …/phone/calls; the API's answer is the
//   rule, a refusal is said next to its field and in a summary that takes the focus, and the form keeps all that was
//   typed.
// - The caller: the citizen record's search (GET …/parties?q=, names or numbers, as the record's own page), one
//   result chosen with Enter or a click; a new person's record (POST …/parties) when nobody answers; or anonymous.
// - Sheets consulted: the knowledge base's search (GET …/kb/search?q=, as the agent types); a collectivity without
//   one answers 404, and the page says the knowledge base is unavailable. A partner's sheet names its owner. "Read"
//   opens the sheet in the knowledge base's panel (static/kb/panel.js, also opened with K), and a sheet read there
//   during a call is added to its sheets consulted (the panel's event "kb:read"); "Add" adds one without reading
//   it. Each sheet is sent by its id and title (and its owner's tenant when it is a partner's).
// - How the call ended: a transfer names its service; a callback its time, number and who calls back (nobody
//   named: the agent themself); an appointment or a request opens reception's booking (/counter#reception, V) or the new
//   request's form, in a new tab, with the caller.
// - Callbacks to do: the agent's, their service's (remembered on this computer), everyone's, or for supervisors
//   everyone's overdue ones, as the server orders them (overdue first); "Mark as done" asks how it went (POST
//   …/phone/callbacks/{id}/done).
"use strict";

(() => {
  const { data, api, el, format, duration } = window.Staff;
  const S = data.strings;
  const $ = (id) => document.getElementById(id);
  const tenantBase = `/api/v1/tenants/${encodeURIComponent(data.tenant)}`;
  const SERVICE_KEY = "phone-my-service";
  const WHOSE_KEY = "phone-whose";
  const CALL_KEY = "phone-call-started"; // the call's start, kept for this tab: a reload does not lose its duration
  const MAX_CALL_MS = 4 * 3600 * 1000; // the server's limit (domain/calls.py MAX_DURATION_S)

  const form = $("call-form");
  const clock = $("clock");
  const elapsedText = $("elapsed");
  const said = $("said");
  const summary = $("error-summary");

  let started = null; // Date.now() when the call was taken; null: no call
  let ticking = null;
  let caller = null; // {id, name, phones} of the record chosen, {anonymous: true}, or null
  let sheets = []; // [{id, title, tenant}]
  let searchTimer = null;
  let searchSeq = 0;

  const time = (iso) => new Intl.DateTimeFormat(data.lang, { hour: "2-digit", minute: "2-digit",
                                                             timeZone: data.zone }).format(new Date(iso));
  const dayOf = (date) => new Intl.DateTimeFormat("en-CA", { timeZone: data.zone, year: "numeric", month: "2-digit",
                                                             day: "2-digit" }).format(date);
  const when = (iso) => {
    const date = new Date(iso);
    if (dayOf(date) === dayOf(new Date())) return time(iso);
    return new Intl.DateTimeFormat(data.lang, { weekday: "short", day: "numeric", month: "short", hour: "2-digit",
                                                minute: "2-digit", timeZone: data.zone }).format(date);
  };

  function typing(target) {
    return target instanceof HTMLElement && (target.isContentEditable ||
      ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
  }

  function say(text, link) {
    said.replaceChildren(text);
    if (link) said.append(" ", el("a", { href: link.href, text: link.text }));
  }

  // The call's clock ----------------------------------------------------------------------------------------

  function seconds() {
    return started === null ? 0 : Math.max(0, Math.round((Date.now() - started) / 1000));
  }

  function tick() {
    const s = seconds();
    elapsedText.textContent = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  }

  function takeCall(since) {
    if (started !== null) {
      $(caller ? "reason" : "caller-q").focus();
      return;
    }
    reset();
    started = typeof since === "number" ? since : Date.now();
    sessionStorage.setItem(CALL_KEY, String(started));
    tick();
    ticking = setInterval(tick, 1000);
    clock.hidden = false;
    $("idle").hidden = true;
    $("new-call").hidden = true;
    form.hidden = false;
    say("");
    $("caller-q").focus();
  }

  function endCall() {
    started = null;
    sessionStorage.removeItem(CALL_KEY);
    clearInterval(ticking);
    clock.hidden = true;
    form.hidden = true;
    $("idle").hidden = false;
    $("new-call").hidden = false;
  }

  function reset() {
    form.reset();
    clearErrors();
    caller = null;
    sheets = [];
    renderSheets();
    showCaller();
    $("caller-results").replaceChildren();
    $("caller-status").textContent = "";
    $("kb-results").replaceChildren();
    $("kb-status").textContent = "";
    $("new-person").open = false;
    showOutcome();
  }

  $("new-call").addEventListener("click", () => takeCall());
  $("drop").addEventListener("click", () => {
    if (caller || $("reason").value || $("note").value.trim()) {
      if (!window.confirm(S.confirm_cancel)) return;
    }
    endCall();
    $("new-call").focus();
  });

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || document.querySelector("dialog[open]")) return;
    if (event.key === "F2") {
      event.preventDefault();
      takeCall();
    } else if ((event.key === "n" || event.key === "N") && !event.ctrlKey && !event.metaKey && !event.altKey &&
               !typing(event.target)) {
      event.preventDefault();
      takeCall();
    } else if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && started !== null) {
      event.preventDefault();
      save();
    }
  });

  // The caller ----------------------------------------------------------------------------------------------

  function showCaller() {
    const chosen = caller !== null;
    $("caller-search").hidden = chosen;
    $("caller-chosen").hidden = !chosen;
    const link = $("caller-link");
    if (!chosen) return;
    if (caller.anonymous) {
      $("caller-name").textContent = S.anonymous;
      $("caller-phone").textContent = "";
      link.hidden = true;
    } else {
      $("caller-name").textContent = caller.name;
      $("caller-phone").textContent = (caller.phones || []).join(", ");
      link.href = `/crm/${encodeURIComponent(caller.id)}`;
      link.hidden = false;
      if (!$("cb-phone").value && (caller.phones || [])[0]) $("cb-phone").value = caller.phones[0];
    }
    updateLinks();
  }

  function choose(party) {
    caller = party;
    clearError("party");
    showCaller();
    $("reason").focus();
  }

  async function searchParties(query) {
    const seq = ++searchSeq;
    const status = $("caller-status");
    const list = $("caller-results");
    if (query.length < 2) {
      list.replaceChildren();
      status.textContent = "";
      return;
    }
    status.textContent = S.searching;
    const answer = await api("GET", `${tenantBase}/parties?q=${encodeURIComponent(query)}`);
    if (seq !== searchSeq) return; // a later search was typed meanwhile
    if (!answer.ok) {
      status.textContent = format(S.failed, { problem: answer.problem });
      return;
    }
    const items = answer.body.items || [];
    status.textContent = items.length ? format(S.parties_found, { count: items.length })
      : format(S.no_party, { query });
    list.replaceChildren(...items.slice(0, 8).map((party) => el("li", {},
      el("button", { type: "button", class: "result", onclick: () => choose(
        { id: party.id, name: party.display_name, phones: party.phones || [] }) },
        el("span", { class: "name", text: party.display_name }),
        el("span", { class: "muted", text: [...(party.phones || []), ...(party.emails || [])].join(" · ") })))));
    if (!items.length) {
      $("new-person").open = true;
      const words = query.replace(/[0-9+().\s-]{6,}/g, " ").trim().split(/\s+/).filter(Boolean);
      const digits = query.match(/\+?[0-9][0-9 .()-]{5,}/);
      if (!$("np-first").value && words.length) $("np-first").value = words.length > 1 ? words[0] : "";
      if (!$("np-last").value && words.length) $("np-last").value = words.length > 1 ? words.slice(1).join(" ")
        : words[0];
      if (!$("np-phone").value && digits) $("np-phone").value = digits[0].trim();
    }
  }

  const callerInput = $("caller-q");
  callerInput.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => searchParties(callerInput.value.trim()), 250);
  });
  callerInput.addEventListener("keydown", async (event) => {
    if (event.key === "Enter" && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      clearTimeout(searchTimer);
      const first = $("caller-results").querySelector("button.result");
      if (first) first.click();
      else await searchParties(callerInput.value.trim());
    } else if (event.key === "ArrowDown") {
      const first = $("caller-results").querySelector("button.result");
      if (first) {
        event.preventDefault();
        first.focus();
      }
    }
  });
  $("caller-results").addEventListener("keydown", (event) => {
    const buttons = [...$("caller-results").querySelectorAll("button.result")];
    const at = buttons.indexOf(document.activeElement);
    if (at < 0 || !["ArrowDown", "ArrowUp"].includes(event.key)) return;
    event.preventDefault();
    if (event.key === "ArrowUp" && at === 0) callerInput.focus();
    else buttons[Math.min(buttons.length - 1, Math.max(0, at + (event.key === "ArrowDown" ? 1 : -1)))].focus();
  });
  $("anonymous").addEventListener("click", () => choose({ anonymous: true }));
  $("caller-change").addEventListener("click", () => {
    caller = null;
    showCaller();
    callerInput.focus();
  });

  $("np-create").addEventListener("click", async () => {
    for (const id of ["np-first", "np-last", "np-phone"]) clearError(id);
    const body = { kind: "person", first_name: $("np-first").value.trim(), last_name: $("np-last").value.trim() };
    const phone = $("np-phone").value.trim();
    if (phone) body.phones = [phone];
    const answer = await api("POST", `${tenantBase}/parties`, body);
    if (!answer.ok) {
      const fields = { first_name: "np-first", last_name: "np-last", phones: "np-phone" };
      const problems = (answer.body && answer.body.errors) || [];
      let shown = false;
      for (const problem of problems) {
        const key = String(problem.field || "").split(".")[0];
        if (fields[key]) {
          showError(fields[key], S.fields[key] || problem.message);
          shown = true;
        }
      }
      if (!shown) $("caller-status").textContent = format(S.failed, { problem: answer.problem });
      return;
    }
    const party = answer.body;
    say(format(S.created, { name: party.display_name }));
    choose({ id: party.id, name: party.display_name, phones: party.phones || [] });
  });

  // Sheets of the knowledge base ----------------------------------------------------------------------------

  function renderSheets() {
    const list = $("sheets");
    if (!sheets.length) {
      list.replaceChildren(el("li", { class: "none muted", text: S.no_sheet }));
      return;
    }
    list.replaceChildren(...sheets.map((sheet, n) => el("li", {},
      el("span", { text: sheet.title }),
      sheet.owner ? el("span", { class: "tag owner", text: sheet.owner }) : null,
      el("button", { type: "button", class: "light small", "aria-label": format(S.remove, { title: sheet.title }),
                     onclick: () => { sheets.splice(n, 1); renderSheets(); $("kb-q").focus(); } }, "×"))));
  }

  let kbSeq = 0;
  let kbTimer = null;

  async function searchSheets() {
    const query = $("kb-q").value.trim();
    const status = $("kb-status");
    const list = $("kb-results");
    const mine = ++kbSeq;
    if (!query) {
      list.replaceChildren();
      status.textContent = "";
      return;
    }
    status.textContent = S.searching;
    const answer = await api("GET", `${tenantBase}/kb/search?q=${encodeURIComponent(query)}`);
    if (mine !== kbSeq) return; // a later search was asked: its answer is the one shown
    if (answer.status === 404) {
      list.replaceChildren();
      status.textContent = S.kb_unavailable;
      return;
    }
    if (!answer.ok) {
      status.textContent = format(S.failed, { problem: answer.problem });
      return;
    }
    const items = (answer.body && answer.body.items) || [];
    status.textContent = items.length ? "" : format(S.kb_none, { query });
    list.replaceChildren(...items.slice(0, 8).map((item) => {
      const excerpt = el("span", { class: "muted excerpt" });
      for (const span of item.excerpt_spans || []) excerpt.append(span.hit ? el("mark", {}, span.text) : span.text);
      const partner = item.tenant && item.tenant !== data.tenant;
      return el("li", { class: "sheet" },
        el("span", { class: "name", text: item.title }),
        partner ? el("span", { class: "tag owner", text: format(S.kb_shared_by, { owner: item.tenant_name }) }) : null,
        excerpt.childNodes.length ? excerpt : null,
        el("span", { class: "actions" },
          el("button", { type: "button", class: "secondary small", text: S.kb_read,
                         "aria-label": `${S.kb_read} : ${item.title}`, onclick: () => readSheet(item) }),
          el("button", { type: "button", class: "light small", text: S.kb_add,
                         "aria-label": `${S.kb_add} : ${item.title}`, onclick: () => addSheet(item) })));
    }));
  }

  /** The sheet in the knowledge base's panel; without it (not loaded), its page in a new tab. */
  async function readSheet(item) {
    if (window.KbPanel && await window.KbPanel.read(item)) return; // the panel tells "kb:read": added below
    addSheet(item);
    window.open(`/connaissances/${encodeURIComponent(item.id)}`, "_blank", "noopener");
  }

  function addSheet(item) {
    const sheet = { id: String(item.id), title: String(item.title) };
    if (item.tenant && item.tenant !== data.tenant) {
      sheet.tenant = String(item.tenant);
      sheet.owner = String(item.tenant_name || item.tenant);
    }
    if (!sheets.some((s) => s.id === sheet.id && s.tenant === sheet.tenant)) sheets.push(sheet);
    renderSheets();
    $("kb-status").textContent = format(S.kb_added, { title: sheet.title });
  }

  // A sheet read in the panel during a call is one of its sheets consulted.
  document.addEventListener("kb:read", (event) => {
    if (started !== null) addSheet(event.detail);
  });

  $("kb-q").addEventListener("input", () => {
    clearTimeout(kbTimer);
    kbTimer = setTimeout(searchSheets, 150);
  });
  $("kb-search").addEventListener("click", searchSheets);
  $("kb-q").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      searchSheets();
    }
  });

  // How it ended --------------------------------------------------------------------------------------------

  const outcome = () => (form.querySelector("input[name=outcome]:checked") || {}).value || "";

  function showOutcome() {
    const chosen = outcome();
    for (const more of form.querySelectorAll(".more")) more.hidden = more.dataset.for !== chosen;
    if (chosen === "callback" && !$("due").value) setDue("1h");
    updateLinks();
  }
  for (const radio of form.querySelectorAll("input[name=outcome]")) {
    radio.addEventListener("change", () => {
      clearError("outcome");
      showOutcome();
    });
  }

  // The callback's time is typed and shown on the collectivity's clock (data.zone), whatever this computer's is.
  const wallFormat = new Intl.DateTimeFormat("en-CA", { timeZone: data.zone, hourCycle: "h23", year: "numeric",
                                                        month: "2-digit", day: "2-digit", hour: "2-digit",
                                                        minute: "2-digit" });

  function wall(date) {
    const parts = Object.fromEntries(wallFormat.formatToParts(date).map((p) => [p.type, Number(p.value)]));
    return { year: parts.year, month: parts.month, day: parts.day, hour: parts.hour, minute: parts.minute };
  }

  function fromWall(year, month, day, hour, minute) {
    // The instant whose wall time in data.zone is the one given: the zone's offset at a first guess, then at the
    // instant found (a day that changes offset).
    const asUtc = Date.UTC(year, month - 1, day, hour, minute);
    const offset = (at) => {
      const w = wall(new Date(at));
      return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute) - Math.floor(at / 60000) * 60000;
    };
    let at = asUtc - offset(asUtc);
    at = asUtc - offset(at);
    return new Date(at);
  }

  function wallText(date) {
    const w = wall(date);
    const pad = (n) => String(n).padStart(2, "0");
    return `${w.year}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}`;
  }

  function dueInstant(text) {
    const found = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(text);
    return found ? fromWall(...found.slice(1).map(Number)) : null;
  }

  function setDue(kind) {
    const now = wall(new Date());
    let due;
    if (kind === "afternoon" && now.hour < 14) {
      due = fromWall(now.year, now.month, now.day, 14, 0);
    } else if (kind === "tomorrow" || kind === "afternoon") {
      const next = new Date(Date.UTC(now.year, now.month - 1, now.day + 1));
      due = fromWall(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), kind === "tomorrow" ? 9 : 14, 0);
    } else {
      due = new Date(Math.ceil((Date.now() + 3600 * 1000) / 300000) * 300000);
    }
    $("due").value = wallText(due);
  }
  for (const button of form.querySelectorAll("[data-due]")) {
    button.addEventListener("click", () => setDue(button.dataset.due));
  }

  function updateLinks() {
    const party = caller && !caller.anonymous ? caller : null;
    $("book-link").href = party ? `/counter?party=${encodeURIComponent(party.id)}#reception` : "/counter#reception";
    const query = new URLSearchParams({ channel: "phone" });
    if (party) {
      query.set("party", party.id);
      const [first, ...rest] = party.name.split(" ");
      query.set("first_name", first);
      if (rest.length) query.set("last_name", rest.join(" "));
      if ((party.phones || [])[0]) query.set("phone", party.phones[0]);
    }
    $("request-link").href = `/demandes/nouvelle?${query}`;
  }

  // Errors next to their fields -----------------------------------------------------------------------------

  function line(field) {
    return $(`${field}-error`);
  }

  function showError(field, message) {
    const target = line(field);
    if (!target) return false;
    target.textContent = message;
    target.hidden = false;
    const box = target.closest(".field, fieldset");
    if (box) box.classList.add("has-error");
    const control = controlOf(field);
    if (control) control.setAttribute("aria-invalid", "true");
    return true;
  }

  function clearError(field) {
    const target = line(field);
    if (!target) return;
    target.hidden = true;
    target.textContent = "";
    const box = target.closest(".field, fieldset");
    if (box) box.classList.remove("has-error");
    const control = controlOf(field);
    if (control) control.removeAttribute("aria-invalid");
  }

  function clearErrors() {
    summary.hidden = true;
    for (const target of form.querySelectorAll(".field-error")) clearError(target.id.replace(/-error$/, ""));
  }

  function controlOf(field) {
    const ids = { party: "caller-q", reason: "reason", service: "service", outcome: "outcome-answered",
                  "callback.due_at": "due", "callback.phone": "cb-phone", "callback.agent": "cb-agent",
                  "callback.service": "cb-service" };
    return $(ids[field] || field);
  }

  function report(problems) {
    const list = $("error-list");
    list.replaceChildren(...problems.map(([field, message]) => {
      const control = controlOf(field);
      return el("li", {}, control ? el("a", { href: `#${control.id}`, text: message,
                                              onclick: (event) => { event.preventDefault(); control.focus(); } })
        : message);
    }));
    summary.hidden = false;
    summary.focus();
  }

  // Logging the call ----------------------------------------------------------------------------------------

  function body() {
    const out = { reason: $("reason").value, outcome: outcome(), duration_s: seconds(), note: $("note").value,
                  sheets: sheets.map(({ id, title, tenant }) => (tenant ? { id, title, tenant } : { id, title })) };
    if (caller && !caller.anonymous) out.party = caller.id;
    if (out.outcome === "transferred") out.service = $("service").value;
    if (out.outcome === "callback") {
      const due = dueInstant($("due").value);
      out.callback = { due_at: due ? due.toISOString() : "", phone: $("cb-phone").value.trim(),
                       note: $("cb-note").value };
      if ($("cb-agent").value) out.callback.agent = $("cb-agent").value;
      if ($("cb-service").value) out.callback.service = $("cb-service").value;
    }
    return out;
  }

  function missing(out) {
    const problems = [];
    if (!out.reason) problems.push(["reason", S.need_reason]);
    if (!out.outcome) problems.push(["outcome", S.need_outcome]);
    if (out.outcome === "transferred" && !out.service) problems.push(["service", S.need_service]);
    if (out.outcome === "callback" && !out.callback.due_at) problems.push(["callback.due_at", S.need_due]);
    if (out.outcome === "callback" && !out.callback.phone) problems.push(["callback.phone", S.need_phone]);
    return problems;
  }

  let saving = false;
  async function save() {
    if (saving || started === null) return;
    clearErrors();
    const out = body();
    const problems = missing(out);
    if (problems.length) {
      for (const [field, message] of problems) showError(field, message);
      report(problems);
      return;
    }
    saving = true;
    $("save").disabled = true;
    const answer = await api("POST", `${tenantBase}/phone/calls`, out);
    saving = false;
    $("save").disabled = false;
    if (!answer.ok) {
      const found = ((answer.body && answer.body.errors) || []).map((e) => [e.field, S.fields[e.field] ||
        e.message]).filter(([field]) => field && line(field));
      for (const [field, message] of found) showError(field, message);
      report(found.length ? found : [["", format(S.failed, { problem: answer.problem })]]);
      return;
    }
    const call = answer.body;
    endCall();
    say(format(S.saved, { duration: duration(call.duration_s) }),
        { href: `/phone/appels/${encodeURIComponent(call.id)}`, text: S.see_call });
    $("new-call").focus();
    refresh();
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    save();
  });

  // Callbacks to do -----------------------------------------------------------------------------------------

  const whose = $("cb-whose");
  const myService = $("my-service");
  whose.value = localStorage.getItem(WHOSE_KEY) || "mine";
  if (!whose.value) whose.value = "mine"; // a choice this person's page no longer offers
  if (localStorage.getItem(SERVICE_KEY)) myService.value = localStorage.getItem(SERVICE_KEY);
  const showServiceChoice = () => { $("my-service-field").hidden = whose.value !== "service"; };
  showServiceChoice();
  whose.addEventListener("change", () => {
    localStorage.setItem(WHOSE_KEY, whose.value);
    showServiceChoice();
    loadCallbacks();
  });
  myService.addEventListener("change", () => {
    localStorage.setItem(SERVICE_KEY, myService.value);
    loadCallbacks();
  });

  async function loadCallbacks() {
    const query = whose.value === "mine" ? "?mine=true" : whose.value === "overdue" ? "?overdue=true"
      : whose.value === "service" && myService.value ? `?service=${encodeURIComponent(myService.value)}` : "";
    const answer = await api("GET", `${tenantBase}/phone/callbacks${query}`);
    const list = $("callback-list");
    if (!answer.ok) {
      list.replaceChildren(el("li", { class: "problem", text: format(S.failed, { problem: answer.problem }) }));
      return;
    }
    const items = answer.body.items;
    if (!items.length) {
      list.replaceChildren(el("li", { class: "none muted", text: S.no_callbacks }));
      return;
    }
    list.replaceChildren(...items.map((cb) => {
      const who = cb.caller || S.anonymous_short;
      const assigned = [cb.agent ? format(S.for_agent, { name: agentName(cb.agent) }) : null,
                        cb.service ? format(S.for_service, { service: cb.service_name || cb.service }) : null]
        .filter(Boolean).join(", ");
      return el("li", { class: cb.overdue ? "callback overdue" : "callback" },
        el("p", { class: "when" },
          cb.overdue ? el("span", { class: "late", text: S.overdue }) : null,
          el("time", { datetime: cb.due_at, text: format(S.due, { when: when(cb.due_at) }) })),
        el("p", { class: "what" }, el("strong", { text: who }), ` — ${cb.reason_name}`),
        el("p", { class: "how" }, el("a", { href: `tel:${cb.phone}`, text: cb.phone }),
          assigned ? el("span", { class: "muted", text: ` · ${assigned}` }) : null),
        cb.note ? el("p", { class: "muted note-text", text: cb.note }) : null,
        el("p", { class: "acts" },
          el("button", { type: "button", class: "secondary small", text: S.mark_done,
                         "aria-label": `${S.mark_done} : ${who}, ${cb.reason_name}`, onclick: () => openDone(cb) }),
          el("a", { href: `/phone/appels/${encodeURIComponent(cb.call)}`, class: "small-link", text: S.see_call })));
    }));
  }

  function agentName(login) {
    const option = [...$("cb-agent").options].find((o) => o.value === login);
    return option ? option.textContent.replace(/\s*\(.*\)$/, "") : login;
  }

  // Marking one done ----------------------------------------------------------------------------------------

  const dialog = $("done-dialog");
  let doing = null;
  let opener = null;

  function openDone(cb) {
    doing = cb;
    opener = document.activeElement;
    $("done-who").textContent = `${cb.caller || S.anonymous_short} — ${cb.reason_name} — ${cb.phone}`;
    $("done-note").value = "";
    $("done-problem").textContent = "";
    dialog.querySelector("input[name=done-outcome]").checked = true;
    dialog.showModal();
  }

  $("done-form").addEventListener("submit", async (event) => {
    if (event.submitter && event.submitter.value !== "done") return; // Cancel closes the dialog
    event.preventDefault();
    const chosen = dialog.querySelector("input[name=done-outcome]:checked").value;
    const answer = await api("POST", `${tenantBase}/phone/callbacks/${doing.id}/done`,
                             { outcome: chosen, note: $("done-note").value });
    if (!answer.ok && answer.status !== 409) {
      $("done-problem").textContent = format(S.failed, { problem: answer.problem });
      return;
    }
    dialog.close();
    say(S.callback_done);
    await loadCallbacks();
    const next = $("callback-list").querySelector("button");
    (next || opener || $("new-call")).focus();
  });

  // The agent's calls of the day ----------------------------------------------------------------------------

  async function loadRecent() {
    const answer = await api("GET", `${tenantBase}/phone/calls?mine=true&limit=30`);
    const list = $("recent-list");
    if (!answer.ok) {
      list.replaceChildren(el("li", { class: "problem", text: format(S.failed, { problem: answer.problem }) }));
      return;
    }
    const today = dayOf(new Date());
    const items = answer.body.items.filter((call) => dayOf(new Date(call.started_at)) === today);
    if (!items.length) {
      list.replaceChildren(el("li", { class: "none muted", text: S.no_calls }));
      return;
    }
    list.replaceChildren(...items.map((call) => el("li", {},
      el("time", { datetime: call.started_at, text: time(call.started_at) }),
      el("a", { href: `/phone/appels/${encodeURIComponent(call.id)}`,
                text: `${call.caller || S.anonymous_short} — ${call.reason_name}` }),
      el("span", { class: "outcome-word", text: data.outcomes[call.outcome] || call.outcome }))));
  }

  function refresh() {
    loadCallbacks();
    loadRecent();
  }

  renderSheets();
  refresh();
  const kept = Number(sessionStorage.getItem(CALL_KEY));
  if (kept && Date.now() - kept < MAX_CALL_MS) takeCall(kept); // the page was reloaded during a call
  else sessionStorage.removeItem(CALL_KEY);
  setInterval(loadCallbacks, 60000); // a callback falls overdue while the page stays open
})();
