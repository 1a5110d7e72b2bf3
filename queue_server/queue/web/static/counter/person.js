// Reception's person welcomed (/counter, reception mode): found in the citizen record as the agent types, or
// added to it, and the ticket given for them. Loaded after counter.js, whose window.Counter gives the site, the
// API's base path, a party's facts and the page's line of news.
// - The citizen record (GET /api/v1/me names the collectivity, /api/v1/tenants/{tenant}/parties): a combobox
//   (↓/↑, Enter; stale searches cancelled) or a new record, and the ticket it gives names them ("party").
// - The person chosen is told to the other scripts of the page ("reception:person": booking's panel books for them).
// - The phone desk's "Book the appointment" opens /counter?party=12#reception: that record (read once, audited as
//   every read) is the person chosen, so that V books for them; the address then forgets the party.
"use strict";

(() => {
  const { data, strings: S, api, el, format } = window.Staff;
  const { base, facts, say, tenantKnown, records } = window.Counter;
  const tenant = () => window.Counter.tenant(); // known once tenantKnown settles
  const $ = (id) => document.getElementById(id);
  let issuing = false;

  // The person welcomed: found in the record as the agent types, or added to it ----------------------------

  const SEARCH_WAIT_MS = 150; // typing pauses this long before the search goes
  const SHORTEST = 2;
  const query = $("person-q");
  const list = $("person-results");
  let searchTimer = null;
  let searching = null; // the AbortController of the search under way
  let results = [];
  let active = -1; // the result ↓/↑ went to
  let chosen = null; // {id, name, party} the person chosen; {anonymous: true} without a record; null: not said
  let adding = false; // the new person's form is open
  // One Idempotency-Key per ticket asked for: a double click, or a retry after a lost answer, gives one ticket.
  let issueKey = null;

  function personSays(text, problem = false) {
    $("person-status").textContent = text;
    $("person-status").classList.toggle("problem", problem);
  }

  // The person welcomed, told to the other scripts of the page (booking's panel books for them):
  // {site, person} where person is the record chosen ({id, name, party}), {anonymous: true}, or null.
  function announcePerson() {
    document.dispatchEvent(new CustomEvent("reception:person", { detail: { site: window.Counter.site(), person: chosen } }));
  }

  function renderPerson() {
    announcePerson();
    $("person-find").hidden = Boolean(chosen) || adding;
    $("person-form").hidden = !adding;
    $("person-chosen").hidden = !chosen;
    if (!chosen) return;
    $("person-name").textContent = chosen.anonymous ? S.without_record : chosen.name;
    $("person-facts").replaceChildren(...(chosen.party ? facts(chosen.party) : []));
  }

  function showResults(items, problem = null) {
    results = items;
    active = -1;
    list.replaceChildren(...items.map((party, i) => el("li", {
      role: "option", id: `person-option-${i}`, class: "option", "aria-selected": "false",
      onmousedown: (event) => event.preventDefault(), // the field keeps the focus
      onclick: () => choose(party),
    }, el("span", { class: "option-name", text: party.display_name }), " ", el("span", { class: "facts" }, ...facts(party)))));
    expand(items.length > 0);
    const typed = query.value.trim().length >= SHORTEST;
    if (problem) personSays(problem, true);
    else if (!typed) personSays("");
    else personSays(items.length === 0 ? S.records_none : items.length === 1 ? S.records_one
      : format(S.records_many, { n: items.length }));
  }

  function expand(open) {
    list.hidden = !open;
    query.setAttribute("aria-expanded", open ? "true" : "false");
    if (!open) activate(-1);
  }

  function activate(index) {
    active = index;
    for (const [i, option] of [...list.children].entries()) option.setAttribute("aria-selected", i === index ? "true" : "false");
    if (index < 0) {
      query.removeAttribute("aria-activedescendant");
      return;
    }
    query.setAttribute("aria-activedescendant", `person-option-${index}`);
    // Into the list's view, the page staying where it is (scrollIntoView would move it too).
    const option = list.children[index];
    if (option.offsetTop < list.scrollTop) list.scrollTop = option.offsetTop;
    else if (option.offsetTop + option.offsetHeight > list.scrollTop + list.clientHeight) {
      list.scrollTop = option.offsetTop + option.offsetHeight - list.clientHeight;
    }
  }

  async function search(text) {
    await tenantKnown;
    if (!tenant() || query.value.trim() !== text) return;
    const controller = new AbortController();
    searching = controller;
    let answer = null;
    let body = null;
    try {
      answer = await fetch(`${records()}?q=${encodeURIComponent(text)}`, {
        signal: controller.signal, cache: "no-store", credentials: "same-origin", headers: { "X-CSRF-Token": data.csrf } });
      body = await answer.json().catch(() => null);
    } catch {
      if (controller.signal.aborted) return; // what was typed since asks again
    }
    if (searching !== controller) return;
    searching = null;
    if (answer && answer.status === 401) {
      location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
      return;
    }
    if (!answer || !answer.ok) {
      const problem = answer ? (body && (body.detail || body.title)) || `HTTP ${answer.status}` : S.unreachable;
      showResults([], format(S.search_failed, { problem }));
      return;
    }
    showResults(body.items || []);
  }

  function searchNow() {
    clearTimeout(searchTimer);
    if (searching) searching.abort(); // its answer would be about what was typed before
    searching = null;
    const text = query.value.trim();
    if (text.length < SHORTEST) {
      showResults([]);
      return;
    }
    search(text);
  }

  query.addEventListener("input", () => {
    clearTimeout(searchTimer);
    if (searching) searching.abort();
    searching = null;
    searchTimer = setTimeout(searchNow, SEARCH_WAIT_MS);
  });

  query.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!results.length) return;
      event.preventDefault();
      expand(true);
      const step = event.key === "ArrowDown" ? 1 : -1;
      activate(active < 0 ? (step > 0 ? 0 : results.length - 1) : (active + step + results.length) % results.length);
    } else if (event.key === "Enter") {
      event.preventDefault();
      if (active >= 0 && !list.hidden) choose(results[active]);
      else searchNow();
    } else if (event.key === "Escape" && !list.hidden) {
      event.preventDefault();
      event.stopPropagation(); // the list closes; a second Esc leaves the field
      expand(false);
    }
  });

  function choose(party) {
    chosen = { id: party.id, name: party.display_name, party };
    afterChoice(format(S.record_chosen, { name: party.display_name }));
  }

  function afterChoice(said) {
    issueKey = null; // another person: another ticket
    adding = false;
    query.value = "";
    clearTimeout(searchTimer);
    if (searching) searching.abort();
    searching = null;
    showResults([]);
    $("person-duplicates").hidden = true;
    renderPerson();
    personSays(said);
    $("issue-service").focus();
  }

  function forgetPerson() {
    chosen = null;
    adding = false;
    issueKey = null;
    $("person-duplicates").hidden = true;
    renderPerson();
  }

  $("person-none").addEventListener("click", () => {
    chosen = { anonymous: true };
    afterChoice(S.without_record);
  });

  $("person-change").addEventListener("click", () => {
    forgetPerson();
    personSays("");
    query.focus();
  });

  // A new person ------------------------------------------------------------------------------------------

  const FIELDS = { first_name: "person-first", last_name: "person-last", phones: "person-phone", emails: "person-email" };

  function fieldError(id, text) {
    const input = $(id);
    $(`${id}-error`).textContent = text;
    if (text) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }

  $("person-new").addEventListener("click", () => {
    // What was typed in the search starts the form: an e-mail, a phone number, or names (the last one last).
    const typed = query.value.trim();
    for (const id of Object.values(FIELDS)) {
      $(id).value = "";
      fieldError(id, "");
    }
    if (typed.includes("@")) $("person-email").value = typed;
    else if (/\d/.test(typed)) $("person-phone").value = typed;
    else if (typed) {
      const words = typed.split(/\s+/);
      $("person-last").value = words.pop();
      $("person-first").value = words.join(" ");
    }
    adding = true;
    expand(false);
    renderPerson();
    personSays("");
    $("person-first").focus();
  });

  $("person-form-cancel").addEventListener("click", () => {
    adding = false;
    renderPerson();
    $("person-new").focus();
  });

  let saving = false;

  $("person-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (saving) return;
    const value = (id) => $(id).value.trim();
    for (const id of Object.values(FIELDS)) fieldError(id, "");
    const missing = [];
    if (!value("person-first")) missing.push(["person-first", S.need_first_name]);
    if (!value("person-last")) missing.push(["person-last", S.need_last_name]);
    if (missing.length) {
      for (const [id, text] of missing) fieldError(id, text);
      personSays(S.fix_fields, true);
      $(missing[0][0]).focus();
      return;
    }
    const body = { kind: "person", first_name: value("person-first"), last_name: value("person-last") };
    if (value("person-phone")) body.phones = [value("person-phone")];
    if (value("person-email")) body.emails = [value("person-email")];
    saving = true;
    const button = $("person-form").querySelector("button[type=submit]");
    button.disabled = true;
    await tenantKnown;
    const answer = tenant() ? await api("POST", records(), body) : { ok: false, status: 0, body: null, problem: S.unreachable };
    saving = false;
    button.disabled = false;
    if (!answer.ok) {
      const marked = [];
      for (const error of (answer.status === 422 && answer.body && answer.body.errors) || []) {
        const name = String(error.field || "").split(".")[0];
        const id = FIELDS[name];
        if (!id || marked.includes(id)) continue;
        marked.push(id);
        fieldError(id, name === "phones" ? S.bad_phone : name === "emails" ? S.bad_email : error.message);
      }
      if (marked.length) {
        personSays(S.fix_fields, true);
        $(marked[0]).focus();
      } else {
        personSays(format(S.record_not_saved, { problem: answer.problem }), true);
        button.focus();
      }
      return;
    }
    const party = answer.body;
    chosen = { id: party.id, name: party.display_name, party };
    const likely = party.likely_duplicates || [];
    if (!likely.length) {
      afterChoice(format(S.record_created, { name: party.display_name }));
      return;
    }
    // Maybe someone already on the record: the agent picks the existing record, or keeps the new one
    // (the pair waits in the supervisors' merge queue either way).
    adding = false;
    issueKey = null;
    renderPerson();
    $("duplicates-list").replaceChildren(...likely.map((other) => el("li", {},
      el("span", { class: "person-name", text: other.display_name }), " ",
      el("span", { class: "reason", text: `(${S[`reason_${other.reason}`] || other.reason})` }), " ",
      el("button", { type: "button", class: "small", onclick: () => choose({ id: other.id, display_name: other.display_name }),
        text: format(S.choose_instead, { name: other.display_name }) }))));
    $("person-duplicates").hidden = false;
    personSays(`${format(S.record_created, { name: party.display_name })} ${S.maybe_exists} ${
      likely.map((o) => o.display_name).join(", ")}`);
    $("duplicates-list").querySelector("button").focus();
  });

  $("keep-new").addEventListener("click", () => {
    if (chosen) afterChoice(format(S.record_chosen, { name: chosen.name }));
  });

  $("issue-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (issuing) return;
    // A person being added, or looked for and not chosen: not an anonymous ticket by oversight.
    if (adding || (!chosen && query.value.trim())) {
      personSays(adding ? S.save_person_first : S.choose_person_first, true);
      (adding ? $("person-first") : query).focus();
      return;
    }
    issuing = true;
    const button = $("issue-form").querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const body = { service: $("issue-service").value, priority: $("issue-priority").checked, lang: data.lang };
      const person = chosen && !chosen.anonymous ? chosen : null;
      if (person) body.party = person.id;
      issueKey = issueKey || window.Staff.newKey();
      const answer = await api("POST", `${base()}/tickets`, body, { "Idempotency-Key": issueKey });
      if (!answer.ok) {
        say(answer.problem, true);
        return;
      }
      issueKey = null;
      const ticket = answer.body;
      const ahead = ticket.position ?? 0;
      const given = person ? format(S.issued_for, { number: ticket.number, name: person.name, ahead })
        : format(S.issued, { number: ticket.number, ahead });
      $("issued").textContent = given;
      const note = $("issue-note").value.trim();
      $("issue-priority").checked = false;
      // The next person is someone else: back to the search, for them.
      forgetPerson();
      personSays("");
      query.focus();
      if (note) {
        const noted = await api("PUT", `${base()}/tickets/${ticket.id}/note`, { text: note });
        if (!noted.ok) {
          say(`${given} ${format(S.note_not_saved, { problem: noted.problem })}`, true);
          return;
        }
      }
      $("issue-note").value = "";
      say(given);
    } finally {
      issuing = false;
      button.disabled = false;
    }
  });

  // The form changed: a new ticket is asked for.
  for (const id of ["issue-service", "issue-priority"]) $(id).addEventListener("change", () => { issueKey = null; });

  // A person named by the address (the phone desk's link) -------------------------------------------------

  const named = new URLSearchParams(location.search).get("party") || "";
  if (/^[1-9][0-9]{0,9}$/.test(named)) {
    (async () => {
      // The page's other scripts (booking's panel) listen for the person chosen: they run before DOMContentLoaded,
      // and a quick answer could otherwise come between two of them.
      if (document.readyState === "loading") {
        await new Promise((done) => document.addEventListener("DOMContentLoaded", done, { once: true }));
      }
      await tenantKnown;
      const answer = tenant() ? await api("GET", `${records()}/${encodeURIComponent(named)}`) : null;
      const address = new URL(location.href);
      address.searchParams.delete("party");
      history.replaceState(history.state, "", address);
      if (answer && answer.ok) choose(answer.body);
      else personSays(S.record_not_found, true);
    })();
  }
})();
