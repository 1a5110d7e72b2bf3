// The staff's knowledge-base pages (/connaissances and a sheet's page): the search while typing, the keys, and the
// writes through the API (a partner sheet's local note, the partners).
//
// - /connaissances: each change of the search box asks GET …/kb/search?q= (the last answer wins) and draws the
//   results as the page does (title, marks, excerpt with the words found in <mark>); the address keeps ?q= so that
//   Back and a reload show the same. "/" goes to the search box, ↓ and ↑ move between it and the results.
// - A partner's sheet: the local note saved (PUT …/note) or removed (DELETE); the partners (PUT …/kb/partners).
//   After each the page reloads (what it shows is the server's), saying what was done.
"use strict";

(() => {
  const { data, strings: S, api, format } = window.Staff;
  const $ = (id) => document.getElementById(id);
  const base = `/api/v1/tenants/${encodeURIComponent(data.tenant)}/kb`;
  const DONE_KEY = "kb-done";
  const done = sessionStorage.getItem(DONE_KEY);

  function typing(target) {
    return target instanceof HTMLElement && (target.isContentEditable ||
      ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
  }

  function reloadSaying(text) {
    sessionStorage.setItem(DONE_KEY, text);
    location.reload();
  }

  function el(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
    for (const child of children) node.append(child);
    return node;
  }

  /** A sheet's marks, as the page's macro draws them. */
  function marks(item) {
    const out = [];
    if (item.status !== "published") {
      out.push(el("span", { class: `mark state-${item.status}` }, S.statuses[item.status] || item.status));
    }
    if (item.audience === "agents") out.push(" ", el("span", { class: "mark" }, S.agents_only));
    if (item.tenant !== data.tenant) {
      out.push(" ", el("span", { class: "mark owner" }, format(S.shared_by, { owner: item.tenant_name })));
    }
    return out;
  }

  function hit(item) {
    const excerpt = el("span", { class: "excerpt" });
    for (const span of item.excerpt_spans) excerpt.append(span.hit ? el("mark", {}, span.text) : span.text);
    const link = el("a", { class: "hit-title", href: `/connaissances/${encodeURIComponent(item.id)}` }, item.title);
    return el("li", { class: `kb-hit${item.tenant !== data.tenant ? " partner" : ""}` }, link, " ", ...marks(item),
              " ", excerpt);
  }

  // The search ------------------------------------------------------------------------------------------

  const box = $("kb-q");
  const results = $("kb-results");
  let asked = 0;
  let timer = null;

  function counted(items) {
    if (!items.length) return S.none;
    const forms = S.found;
    const said = (forms[new Intl.PluralRules(document.documentElement.lang || "fr").select(items.length)] || forms.other)
      .replace("{n}", String(items.length));
    return items.every((item) => item.partial) ? `${said} — ${S.partial}` : said;
  }

  async function search() {
    const q = box.value;
    const mine = ++asked;
    const columns = document.querySelector(".kb-columns");
    const url = new URL(location.href);
    if (q.trim()) url.searchParams.set("q", q); else url.searchParams.delete("q");
    history.replaceState(null, "", url);
    if (!q.trim()) {
      results.replaceChildren();
      results.hidden = true;
      $("kb-count").textContent = "";
      if (columns) columns.hidden = false;
      return;
    }
    const answer = await api("GET", `${base}/search?q=${encodeURIComponent(q)}`);
    if (mine !== asked) return; // a later search went out meanwhile
    if (!answer.ok) {
      $("kb-count").textContent = format(S.failed, { problem: answer.problem });
      return;
    }
    const items = answer.body.items;
    results.replaceChildren(...items.map(hit));
    results.hidden = !items.length;
    $("kb-count").textContent = counted(items);
    if (columns) columns.hidden = true;
  }

  if (box) {
    box.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(search, 120);
    });
    box.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown") {
        const first = results.querySelector("a");
        if (first) {
          event.preventDefault();
          first.focus();
        }
      }
    });
    results.addEventListener("keydown", (event) => {
      if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
      const links = [...results.querySelectorAll("a.hit-title")];
      const at = links.indexOf(document.activeElement);
      if (at < 0) return;
      event.preventDefault();
      if (event.key === "ArrowUp" && at === 0) box.focus();
      else links[Math.min(links.length - 1, Math.max(0, at + (event.key === "ArrowDown" ? 1 : -1)))].focus();
    });
    document.addEventListener("keydown", (event) => {
      if (event.key !== "/" || typing(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
      event.preventDefault();
      box.focus();
      box.select();
    });
  }

  // A partner's sheet: the local note -------------------------------------------------------------------

  const noteForm = $("note-form");
  if (noteForm && data.sheet) {
    const notePath = `${base}/sheets/${encodeURIComponent(data.sheet.id)}/note`;
    if (done && $("note-said")) {
      sessionStorage.removeItem(DONE_KEY);
      $("note-said").textContent = done;
    }
    noteForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = $("note-body").value;
      const answer = body.trim() ? await api("PUT", notePath, { body }) : await api("DELETE", notePath);
      if (answer.ok) reloadSaying(body.trim() ? S.note_saved : S.note_removed);
      else $("note-said").textContent = format(S.failed, { problem: answer.problem });
    });
    const remove = $("note-remove");
    if (remove) {
      remove.addEventListener("click", async () => {
        const answer = await api("DELETE", notePath);
        if (answer.ok) reloadSaying(S.note_removed);
        else $("note-said").textContent = format(S.failed, { problem: answer.problem });
      });
    }
  }

  // The partners (administrators) -------------------------------------------------------------------------

  const partnersForm = $("partners-form");
  if (partnersForm) {
    if (done && $("partners-said")) {
      sessionStorage.removeItem(DONE_KEY);
      $("partners-said").textContent = done;
    }
    partnersForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const tenants = $("partners").value.split(/[\s,;]+/).map((t) => t.trim().toLowerCase()).filter(Boolean);
      const answer = await api("PUT", `${base}/partners`, { tenants });
      if (answer.ok) reloadSaying(S.partners_saved);
      else $("partners-said").textContent = format(S.failed, { problem: answer.problem });
    });
  }
})();
