// The staff's requests pages (/demandes and /demandes/{id}): keys, and the actions through the API.
//
// - Keys (not while typing in a field, except Ctrl+Enter): / search (list); R reply, N internal note, 1-9 a reply
//   template, S status, M assign to me, T transmit, D merge (a duplicate), Ctrl+Enter sends (a request's page);
//   ? the help, Esc closes it (the dialog's own).
// - A reply or a note: POST …/requests/{id}/messages {body, internal}; the status: POST …/status; the category:
//   POST …/category; the agent in charge: POST …/assignee; POST …/transmit; POST …/merge. After each the page
//   reloads (what it shows is the server's), saying what was done.
"use strict";

(() => {
  const { data, strings: S, api, format } = window.Staff;
  const $ = (id) => document.getElementById(id);
  const help = $("help-dialog");
  $("help-button").addEventListener("click", () => help.showModal());

  const one = data.request;
  const base = one ? `/api/v1/tenants/${encodeURIComponent(data.tenant)}/requests/${encodeURIComponent(one.id)}` : "";

  // What the last action did, said once the page has come back (sessionStorage: this tab only).
  const DONE_KEY = "demandes-done";
  const done = sessionStorage.getItem(DONE_KEY);
  if (done && $("said")) {
    sessionStorage.removeItem(DONE_KEY);
    $("said").textContent = done;
  }

  function typing(target) {
    return target instanceof HTMLElement && (target.isContentEditable ||
      ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
  }

  function reloadSaying(text) {
    sessionStorage.setItem(DONE_KEY, text);
    location.reload();
  }

  // Writing ---------------------------------------------------------------------------------------------

  const kindReply = $("kind-reply");
  const kindNote = $("kind-note");
  const text = $("text");
  const templateField = $("template-field");

  function setKind(kind, focus = true) {
    (kind === "note" ? kindNote : kindReply).checked = true;
    const reply = kind !== "note";
    templateField.hidden = !reply;
    $("send").textContent = reply ? S.send_reply : S.send_note;
    if (focus) text.focus();
  }

  function useTemplate(index) {
    const chosen = data.templates[index];
    if (!chosen) return;
    setKind("reply", false);
    $("template").value = String(index);
    text.value = chosen.text;
    text.focus();
    // The caret where the agent completes the text: the first "…", else the end.
    const gap = text.value.indexOf("…");
    const at = gap >= 0 ? gap : text.value.length;
    text.setSelectionRange(at, gap >= 0 ? at + 1 : at);
  }

  async function send() {
    const body = text.value.trim();
    const problem = $("write-problem");
    problem.textContent = "";
    if (!body) {
      problem.textContent = S.need_text;
      text.focus();
      return;
    }
    const internal = kindNote.checked;
    $("send").disabled = true;
    const answer = await api("POST", `${base}/messages`, { body, internal });
    $("send").disabled = false;
    if (!answer.ok) {
      problem.textContent = format(S.failed, { problem: answer.problem });
      return;
    }
    reloadSaying(internal ? S.noted : S.replied);
  }

  async function change(path, body, said, where = "handle-problem") {
    const problem = $(where);
    problem.textContent = "";
    const answer = await api("POST", `${base}/${path}`, body);
    if (!answer.ok) {
      problem.textContent = format(S.failed, { problem: answer.problem });
      return false;
    }
    reloadSaying(typeof said === "function" ? said(answer.body) : said);
    return true;
  }

  function assign(login, name) {
    change("assignee", { assignee: login || null }, login ? format(S.assigned, { name }) : S.unassigned);
  }

  function openBox(id, first) {
    const box = $(id);
    if (!box) return;
    box.open = true;
    $(first).focus();
  }

  async function transmit() {
    const problem = $("transmit-problem");
    problem.textContent = "";
    const tenant = $("transmit-tenant") ? $("transmit-tenant").value : "";
    const to = $("transmit-to").value.trim();
    if (!to && !tenant) {
      problem.textContent = S.need_to;
      $("transmit-to").focus();
      return;
    }
    const body = {};
    if (to) body.to = to;
    if (tenant) body.tenant = tenant;
    const email = $("transmit-email").value.trim();
    if (email) body.email = email;
    const reason = $("transmit-reason").value.trim();
    if (reason) body.reason = reason;
    $("transmit-ok").disabled = true;
    const shown = to || $("transmit-tenant").selectedOptions[0].text;
    if (!await change("transmit", body, format(S.transmitted, { to: shown }), "transmit-problem")) {
      $("transmit-ok").disabled = false;
    }
  }

  async function merge() {
    const problem = $("merge-problem");
    problem.textContent = "";
    const into = $("merge-into").value.trim();
    if (!into) {
      problem.textContent = S.need_into;
      $("merge-into").focus();
      return;
    }
    $("merge-ok").disabled = true;
    if (!await change("merge", { into }, (request) => format(S.merged, {
      reference: request && request.merged_into ? request.merged_into.reference : into }), "merge-problem")) {
      $("merge-ok").disabled = false;
    }
  }

  if (one) {
    kindReply.addEventListener("change", () => setKind("reply", false));
    kindNote.addEventListener("change", () => setKind("note", false));
    $("template").addEventListener("change", (event) => {
      if (event.target.value !== "") useTemplate(Number(event.target.value));
    });
    $("write-form").addEventListener("submit", (event) => { event.preventDefault(); send(); });
    text.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); send(); }
    });
    if ($("status-form")) {
      $("status-form").addEventListener("submit", (event) => {
        event.preventDefault();
        const select = $("status");
        if (!select.value) return;
        change("status", { status: select.value }, format(S.status_changed, { status: select.selectedOptions[0].text }));
      });
    }
    $("assign-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const select = $("assignee");
      assign(select.value, select.selectedOptions[0].text);
    });
    if ($("assign-me")) $("assign-me").addEventListener("click", () => assign(data.me, data.me_name));
    if ($("transmit-form")) {
      $("transmit-form").addEventListener("submit", (event) => { event.preventDefault(); transmit(); });
      // A collectivity chosen names the administration, unless someone wrote another name.
      let named = "";
      if ($("transmit-tenant")) {
        $("transmit-tenant").addEventListener("change", (event) => {
          const to = $("transmit-to");
          if (to.value.trim() === "" || to.value === named) {
            named = event.target.value ? event.target.selectedOptions[0].text : "";
            to.value = named;
          }
        });
      }
      $("merge-form").addEventListener("submit", (event) => { event.preventDefault(); merge(); });
    }
    $("category-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const select = $("category");
      change("category", { category: select.value }, format(S.handed, { category: select.selectedOptions[0].text }));
    });
    setKind("reply", false);
  }

  // Keys ------------------------------------------------------------------------------------------------

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || help.open) return;
    if (typing(event.target)) return;
    const key = event.key.toLowerCase();
    if (key === "?") {
      event.preventDefault();
      help.showModal();
    } else if (key === "/" && $("f-q")) {
      event.preventDefault();
      $("f-q").focus();
      $("f-q").select();
    } else if (one && key === "r") {
      event.preventDefault();
      setKind("reply");
    } else if (one && key === "n") {
      event.preventDefault();
      setKind("note");
    } else if (one && ["1", "2", "3", "4", "5", "6", "7", "8", "9"].includes(key)) {
      event.preventDefault();
      useTemplate(Number(key) - 1);
    } else if (one && key === "s" && $("status")) {
      event.preventDefault();
      $("status").focus();
    } else if (one && key === "m" && $("assign-me")) {
      event.preventDefault();
      assign(data.me, data.me_name);
    } else if (one && key === "t" && $("transmit-box")) {
      event.preventDefault();
      openBox("transmit-box", $("transmit-tenant") ? "transmit-tenant" : "transmit-to");
    } else if (one && key === "d" && $("merge-box")) {
      event.preventDefault();
      openBox("merge-box", "merge-into");
    }
  });
})();
