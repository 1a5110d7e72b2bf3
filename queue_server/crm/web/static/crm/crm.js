// The citizen record's pages (/crm): a little help on pages that work without it.
//
// - /crm: results as the agent types (at least two characters, 250 ms after the last key), from
//   GET /api/v1/tenants/{tenant}/parties?q= with the session (a GET needs no CSRF token); the address keeps
//   ?q= so that going back from a card shows the same results. Keys: "/" anywhere (but in a field) comes
//   back to the search field; ↓ from the field goes to the first result, ↓/↑ move between results, Enter
//   opens one (a link), Esc goes back to the field. The server draws the same list for ?q= (no script).
// - A card just created (POST /crm/new answers with it): the address becomes /crm/{id}, so that a reload
//   reads the card instead of creating it again.
// - The export page's "Print" button; a refused form's summary of mistakes takes the focus.
"use strict";

(() => {
  const address = document.body.dataset.address;
  if (address && location.pathname !== address) history.replaceState(null, "", address);

  const print = document.querySelector("[data-print]");
  if (print) {
    print.hidden = false;
    print.addEventListener("click", () => window.print());
  }

  const summary = document.getElementById("error-summary");
  if (summary && document.activeElement !== summary) summary.focus();

  const dataNode = document.getElementById("crm-data");
  if (!dataNode) return;
  const data = JSON.parse(dataNode.textContent);
  const strings = data.strings;
  const field = document.getElementById("q");
  const form = document.getElementById("finder");
  const list = document.getElementById("results");
  const status = document.getElementById("results-status");
  const help = document.getElementById("results-help");
  const WAIT_MS = 250;
  const SHORTEST = 2;
  const FRENCH_PLAN = ["+33", "+262", "+269", "+590", "+594", "+596"]; // as words.masked_phone

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else node.setAttribute(k, v);
    }
    for (const child of children) if (child !== null && child !== undefined) node.append(child);
    return node;
  }

  function format(text, values) {
    return text.replace(/\{(\w+)\}/g, (_, k) => (k in values ? values[k] : `{${k}}`));
  }

  // Masked as the server masks (crm/web/words.py): 06 •• •• 56 78; another country's number by its last digits.
  function maskedPhone(e164) {
    const plan = FRENCH_PLAN.find((p) => e164.startsWith(p));
    if (plan && e164.length - plan.length === 9) {
      const national = "0" + e164.slice(plan.length);
      return `${national.slice(0, 2)} •• •• ${national.slice(6, 8)} ${national.slice(8, 10)}`;
    }
    const digits = e164.replace(/^\+/, "");
    return `•• •• ${digits.slice(-4, -2)} ${digits.slice(-2)}`;
  }

  function maskedEmail(address) {
    const at = address.lastIndexOf("@");
    return at < 0 ? "•••" : `${address.slice(0, 1)}•••@${address.slice(at + 1)}`;
  }

  const zone = data.timezone;
  const longDay = new Intl.DateTimeFormat(data.lang, { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
  const thisYear = new Intl.DateTimeFormat(data.lang, { day: "numeric", month: "long", timeZone: zone });
  const olderDay = new Intl.DateTimeFormat(data.lang, { day: "numeric", month: "long", year: "numeric", timeZone: zone });
  const yearOf = new Intl.DateTimeFormat("en", { year: "numeric", timeZone: zone });

  function birthDay(iso) {
    return longDay.format(new Date(`${iso}T00:00:00Z`));
  }

  function lastDay(iso) {
    const at = new Date(iso);
    return (yearOf.format(at) === yearOf.format(new Date()) ? thisYear : olderDay).format(at);
  }

  function spacedSiret(siret) {
    return siret.length === 14 ? `${siret.slice(0, 3)} ${siret.slice(3, 6)} ${siret.slice(6, 9)} ${siret.slice(9)}` : siret;
  }

  function identity(party) {
    if (party.kind === "person") return party.birth_date ? format(strings.born, { date: birthDay(party.birth_date) }) : "";
    if (party.siret) return format(strings.siret, { number: spacedSiret(party.siret) });
    if (party.rna) return format(strings.rna, { number: party.rna });
    if (party.siren) return format(strings.siren, { number: party.siren });
    return "";
  }

  // The markup of crm_macros.html's result(it).
  function result(party) {
    const facts = [];
    const who = identity(party);
    if (who) facts.push(el("span", { class: "fact", text: who }));
    for (const phone of party.phones || []) {
      facts.push(el("span", { class: "fact fact-phone" }, el("span", { class: "visually-hidden", text: strings.phone + " " }),
                    maskedPhone(phone)));
    }
    for (const email of party.emails || []) {
      facts.push(el("span", { class: "fact fact-email" }, el("span", { class: "visually-hidden", text: strings.email + " " }),
                    maskedEmail(email)));
    }
    return el("li", { class: "result" },
      el("p", { class: "result-head" },
        el("a", { class: "result-name", href: `/crm/${party.id}`, text: party.display_name }), " ",
        el("span", { class: `badge kind-${party.kind}`, text: strings.kinds[party.kind] || party.kind })),
      facts.length ? el("p", { class: "result-facts" }, ...facts) : null,
      party.last_interaction_at ? el("p", { class: "result-last", text: format(strings.last, { date: lastDay(party.last_interaction_at) }) }) : null);
  }

  const plural = new Intl.PluralRules(data.lang);

  function counted(n) {
    const forms = strings.count;
    return (forms[plural.select(n)] || forms.other).replace("%(num)d", String(n));
  }

  function remember(query) {
    history.replaceState(null, "", query ? `/crm?q=${encodeURIComponent(query)}` : "/crm");
  }

  let timer = null;
  let asked = 0; // the latest search sent: an older answer arriving late is dropped
  let pending = null;

  function clear(text) {
    list.replaceChildren();
    status.textContent = text;
    help.hidden = true;
  }

  async function search(query) {
    const mine = ++asked;
    if (pending) pending.abort();
    pending = new AbortController();
    let answer;
    try {
      answer = await fetch(`${data.api}?q=${encodeURIComponent(query)}`, {
        credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" }, signal: pending.signal,
      });
    } catch (error) {
      if (error.name !== "AbortError" && mine === asked) clear(format(strings.failed, { problem: error.message }));
      return;
    }
    if (mine !== asked) return;
    if (answer.status === 401) {
      location.href = "/login?next=" + encodeURIComponent(`/crm?q=${encodeURIComponent(query)}`);
      return;
    }
    const body = await answer.json().catch(() => null);
    if (mine !== asked) return;
    if (!answer.ok || !body) {
      clear(format(strings.failed, { problem: (body && (body.detail || body.title)) || `HTTP ${answer.status}` }));
      return;
    }
    list.replaceChildren(...body.items.map(result));
    status.textContent = body.items.length ? counted(body.items.length) : strings.none;
    help.hidden = body.items.length > 0;
    remember(query);
  }

  function typed() {
    clearTimeout(timer);
    const query = field.value.trim();
    if (query.length < SHORTEST) {
      asked++;
      clear(query ? strings.short : "");
      if (!query) remember("");
      return;
    }
    timer = setTimeout(() => search(query), WAIT_MS);
  }

  field.addEventListener("input", typed);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(timer);
    const query = field.value.trim();
    if (query.length >= SHORTEST) search(query);
    else typed();
  });

  function links() {
    return Array.from(list.querySelectorAll("a.result-name"));
  }

  field.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" && links().length) {
      event.preventDefault();
      links()[0].focus();
    }
  });

  list.addEventListener("keydown", (event) => {
    const all = links();
    const at = all.indexOf(document.activeElement);
    if (at < 0) return;
    if (event.key === "ArrowDown" && at < all.length - 1) {
      event.preventDefault();
      all[at + 1].focus();
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      (at > 0 ? all[at - 1] : field).focus();
    } else if (event.key === "Escape") {
      event.preventDefault();
      field.focus();
    }
  });

  document.addEventListener("keydown", (event) => {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target.closest && target.closest("input, textarea, select, [contenteditable]")) return;
    event.preventDefault();
    field.focus();
    field.select();
  });
})();
