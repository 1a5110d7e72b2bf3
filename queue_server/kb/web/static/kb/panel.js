// The knowledge base at hand on the agent page (/counter): K opens a panel at the side of the screen, beside the
// ticket, to search the sheets while the person is there and read the one that answers.
//
// - The panel is the server's (GET /connaissances/panneau, in the page's language: its words and the agent's
//   collectivity), fetched once, at the first opening; its stylesheet is /static/kb/panel.css.
// - The search: each change asks GET …/kb/search?q= (the last answer wins): titles, marks (a partner's sheet names
//   its owner), excerpts with the words found marked; ↓ and ↑ move between the box and the results, Enter opens
//   one: GET …/kb/sheets/{id} (through the agent's own collectivity: a partner's shared sheet comes with the local
//   note), shown in the panel, sanitised by the server; "Back" returns to the results, Esc closes the panel.
// - K: like the page's single-key shortcuts (not while typing, not with another dialog open, not when they are
//   turned off, not when the agent gave K to an action of the counter). A button in the mode bar opens it too, and
//   the shortcuts' help lists K.
// - Other pages use it too (the phone desk): window.KbPanel.read(item) opens the panel on one sheet of a search's
//   results, and each sheet read is told to the page with the event "kb:read" ({id, title, tenant, tenant_name}):
//   the phone desk counts it among the call's sheets consulted.
"use strict";

(() => {
  const staff = window.Staff;
  if (!staff) return;
  const KEY = "k";
  let panel = null;
  let S = {};
  let asked = 0;
  let timer = null;
  let results = [];

  const $ = (id) => document.getElementById(id);
  const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, key) => String(values[key] ?? ""));

  function el(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
    for (const child of children) node.append(child);
    return node;
  }

  let loading = null;

  /** The panel, fetched once (the same promise for every caller). */
  function load() {
    loading = loading || (async () => {
      let answer;
      try {
        answer = await fetch("/connaissances/panneau", { credentials: "same-origin", cache: "no-store" });
      } catch {
        loading = null;
        return false;
      }
      if (!answer.ok) return false;
      if (!document.querySelector("link[href='/static/kb/panel.css']")) {
        document.head.append(el("link", { rel: "stylesheet", href: "/static/kb/panel.css" }));
      }
      const holder = document.createElement("template");
      holder.innerHTML = await answer.text();
      document.body.append(holder.content);
      panel = $("kb-panel");
      S = JSON.parse($("kb-panel-strings").textContent);
      wire();
      offer();
      return true;
    })();
    return loading;
  }

  const base = () => `/api/v1/tenants/${encodeURIComponent(panel.dataset.tenant)}/kb`;

  function marks(item) {
    const out = [];
    if (item.status !== "published") out.push(el("span", { class: "mark" }, S.statuses[item.status] || item.status));
    if (item.audience === "agents") out.push(el("span", { class: "mark" }, S.agents_only));
    if (item.tenant !== panel.dataset.tenant) {
      out.push(el("span", { class: "mark owner" }, fill(S.shared_by, { owner: item.tenant_name })));
    }
    return out;
  }

  function drawResults(items) {
    const list = $("kb-panel-results");
    list.replaceChildren(...items.map((item, n) => {
      const excerpt = el("span", { class: "excerpt" });
      for (const span of item.excerpt_spans) excerpt.append(span.hit ? el("mark", {}, span.text) : span.text);
      const button = el("button", { type: "button", class: "kb-panel-hit", "data-index": String(n) },
                        el("span", { class: "title" }, item.title), ...marks(item), excerpt);
      return el("li", {}, button);
    }));
    list.hidden = !items.length;
  }

  function counted(items) {
    if (!items.length) return S.none;
    const forms = S.found;
    const said = (forms[new Intl.PluralRules(document.documentElement.lang || "fr").select(items.length)] || forms.other)
      .replace("{n}", String(items.length));
    return items.every((item) => item.partial) ? `${said} — ${S.partial}` : said;
  }

  async function search() {
    const q = $("kb-panel-q").value;
    const mine = ++asked;
    showResults();
    if (!q.trim()) {
      results = [];
      drawResults([]);
      $("kb-panel-count").textContent = "";
      return;
    }
    const answer = await staff.api("GET", `${base()}/search?q=${encodeURIComponent(q)}`);
    if (mine !== asked) return;
    if (!answer.ok) {
      $("kb-panel-count").textContent = fill(S.failed, { problem: answer.problem });
      return;
    }
    results = answer.body.items;
    drawResults(results);
    $("kb-panel-count").textContent = counted(results);
  }

  function showResults() {
    $("kb-panel-sheet").hidden = true;
    $("kb-panel-results").hidden = !results.length;
  }

  async function openSheet(index) {
    const item = results[index];
    if (!item) return;
    const answer = await staff.api("GET", `${base()}/sheets/${encodeURIComponent(item.id)}`);
    if (!answer.ok) {
      $("kb-panel-count").textContent = fill(S.failed, { problem: answer.problem });
      return;
    }
    const sheet = answer.body;
    $("kb-panel-sheet-title").textContent = sheet.title;
    const partner = sheet.tenant !== panel.dataset.tenant;
    $("kb-panel-owner").hidden = !partner;
    $("kb-panel-owner").textContent = partner ? fill(S.read_only, { owner: sheet.tenant_name }) : "";
    $("kb-panel-note").hidden = !sheet.note;
    // Both sanitised by the server (nh3), as the sheet's page shows them.
    $("kb-panel-note-text").innerHTML = sheet.note ? sheet.note.html : "";
    $("kb-panel-text").innerHTML = sheet.html;
    $("kb-panel-link").href = `/connaissances/${encodeURIComponent(sheet.id)}`;
    $("kb-panel-results").hidden = true;
    $("kb-panel-sheet").hidden = false;
    $("kb-panel-sheet-title").focus();
    $("kb-panel-sheet").dataset.index = String(index);
    document.dispatchEvent(new CustomEvent("kb:read", {
      detail: { id: sheet.id, title: sheet.title, tenant: sheet.tenant, tenant_name: sheet.tenant_name } }));
  }

  function wire() {
    const box = $("kb-panel-q");
    $("kb-panel-form").addEventListener("submit", (event) => {
      event.preventDefault();
      if (results.length) openSheet(0);
    });
    box.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(search, 120);
    });
    box.addEventListener("keydown", (event) => {
      if (event.key !== "ArrowDown") return;
      const first = $("kb-panel-results").querySelector("button");
      if (first) {
        event.preventDefault();
        first.focus();
      }
    });
    $("kb-panel-results").addEventListener("click", (event) => {
      const hit = event.target.closest("button[data-index]");
      if (hit) openSheet(Number(hit.dataset.index));
    });
    $("kb-panel-results").addEventListener("keydown", (event) => {
      if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
      const buttons = [...$("kb-panel-results").querySelectorAll("button")];
      const at = buttons.indexOf(document.activeElement);
      if (at < 0) return;
      event.preventDefault();
      if (event.key === "ArrowUp" && at === 0) box.focus();
      else buttons[Math.min(buttons.length - 1, Math.max(0, at + (event.key === "ArrowDown" ? 1 : -1)))].focus();
    });
    $("kb-panel-back").addEventListener("click", () => {
      const index = Number($("kb-panel-sheet").dataset.index || "0");
      showResults();
      const back = $("kb-panel-results").querySelector(`button[data-index="${index}"]`);
      (back || box).focus();
    });
    $("kb-panel-close").addEventListener("click", () => panel.close());
    // A click on the backdrop (outside the panel's box) closes it too.
    panel.addEventListener("click", (event) => {
      if (event.target === panel) {
        const box = panel.getBoundingClientRect();
        if (event.clientX < box.left || event.clientX > box.right || event.clientY < box.top ||
            event.clientY > box.bottom) panel.close();
      }
    });
  }

  async function open() {
    if (!(await load())) return false;
    if (panel.open) return true;
    panel.showModal();
    $("kb-panel-q").focus();
    $("kb-panel-q").select();
    return true;
  }

  /** Opens the panel on one sheet found by another search of the page (an item of GET …/kb/search). */
  async function read(item) {
    if (!(await open())) return false;
    results = [item];
    drawResults(results);
    $("kb-panel-count").textContent = "";
    await openSheet(0);
    return true;
  }

  window.KbPanel = { open, read };

  /** Whether the agent gave K to one of the counter's actions (the page shows each action's key). */
  function keyTaken() {
    return [...document.querySelectorAll("kbd[data-kbd]")].some((kbd) => kbd.textContent.trim().toLowerCase() === KEY);
  }

  document.addEventListener("keydown", (event) => {
    const target = event.target;
    const typing = (target instanceof HTMLInputElement && target.type !== "checkbox") ||
      target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement;
    const keysOn = $("keys-on");
    if (typing || (keysOn && !keysOn.checked) || event.ctrlKey || event.metaKey || event.altKey ||
        document.querySelector("dialog[open]") || event.key.toLowerCase() !== KEY || keyTaken()) return;
    event.preventDefault();
    open();
  });

  /** A button beside the page's help, and K in the shortcuts' list, in the panel's words. */
  function offer() {
    const help = $("help-button");
    if (help && help.parentElement && !$("kb-open")) {
      const button = el("button", { type: "button", id: "kb-open", class: "quiet", "aria-keyshortcuts": "k" },
                        S.open_panel, " ", el("kbd", {}, "K"));
      button.addEventListener("click", open);
      help.parentElement.before(el("p", { class: "help kb-open" }, button));
    }
    const keys = $("keys-list");
    if (keys) keys.append(el("dt", {}, el("kbd", {}, "K")), el("dd", {}, S.key_help));
  }

  load();
})();
