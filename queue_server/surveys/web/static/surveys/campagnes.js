// The campaigns of questions (/enquetes/campagnes, surveys/web/campaigns_page.py).
//
// - "New campaign" opens the form (a disclosure); questions are added (5 at most) and removed (1 at least), each
//   with its words, its kind (a choice: its answers one per line; a free text) and a preview of what the citizen's
//   survey page will ask.
// - The form is sent as the API's JSON (POST /api/v1/tenants/{t}/surveys/campaigns): the API's answer is the rule,
//   nothing is checked here. A refusal is said next to its field (its error line, named by aria-describedby, the
//   field aria-invalid) and in a summary that takes the focus; what was typed stays. Created: the page comes again
//   with the campaign listed, saying so.
// - Delete: a confirmation dialog, then DELETE …/campaigns/{id}; the page comes again, saying so.
"use strict";

(() => {
  const { data, api, format } = window.Staff;
  const S = data.strings || {};
  const words = S.fields || {};
  const $ = (id) => document.getElementById(id);
  const DONE_KEY = "campagnes-done"; // what the page says once it has come again
  const base = `/api/v1/tenants/${encodeURIComponent(data.tenant || "")}/surveys/campaigns`;

  // What the last action did -------------------------------------------------------------------------------

  const said = $("said");
  const done = sessionStorage.getItem(DONE_KEY);
  if (done) {
    sessionStorage.removeItem(DONE_KEY);
    const line = document.createElement("p");
    line.className = "done";
    line.tabIndex = -1;
    line.textContent = done;
    said.append(line);
    line.focus();
  }

  function comeAgain(text) {
    sessionStorage.setItem(DONE_KEY, text);
    location.reload();
  }

  // The form's disclosure ----------------------------------------------------------------------------------

  const opener = $("new-campaign");
  const editor = $("campaign-editor");
  function openEditor(open) {
    editor.hidden = !open;
    opener.setAttribute("aria-expanded", String(open));
    if (open) $("name").focus();
    else opener.focus();
  }
  opener.addEventListener("click", () => openEditor(editor.hidden));
  $("close-editor").addEventListener("click", () => openEditor(false));

  // The questions --------------------------------------------------------------------------------------------

  const form = $("campaign-form");
  const holder = $("questions");
  const template = $("question-template");
  const adder = $("add-question");
  let serial = 1;

  const questions = () => [...holder.querySelectorAll("[data-question]")];
  const part = (fieldset, role) => fieldset.querySelector(`[data-role="${role}"]`);
  const kindOf = (fieldset) => fieldset.querySelector('[data-role="kind"]:checked').value;

  function numbered() {
    const all = questions();
    all.forEach((fieldset, n) => {
      fieldset.querySelector(".q-title").textContent = format(S.question, { n: n + 1 });
      fieldset.querySelector(".remove-words").textContent = format(S.remove, { n: n + 1 });
      fieldset.querySelector("[data-remove]").hidden = all.length === 1;
      fieldset.querySelector("[data-choices]").hidden = kindOf(fieldset) !== "choice";
    });
    adder.hidden = all.length >= data.max_questions;
    preview();
  }

  function add() {
    serial += 1;
    const html = template.innerHTML.replaceAll("__S__", String(serial)).replaceAll("__N__", "");
    holder.insertAdjacentHTML("beforeend", html);
    numbered();
    const added = questions().at(-1);
    part(added, "label").focus();
  }

  adder.addEventListener("click", add);
  holder.addEventListener("click", (event) => {
    const button = event.target.closest("[data-remove]");
    if (!button) return;
    const fieldset = button.closest("[data-question]");
    const all = questions();
    const at = all.indexOf(fieldset);
    fieldset.remove();
    numbered();
    const left = questions();
    part(left[Math.max(0, at - 1)], "label").focus();
  });
  holder.addEventListener("change", (event) => {
    if (event.target.matches('[data-role="kind"]')) numbered();
  });
  form.addEventListener("input", preview);

  const lines = (text) => text.split("\n").map((line) => line.trim()).filter(Boolean);

  // The preview: the questions as the citizen's page shows them (surveys/web/templates/survey.html), inert.
  function preview() {
    const box = $("preview");
    box.replaceChildren();
    for (const fieldset of questions()) {
      const label = part(fieldset, "label").value.trim() || S.preview_untitled;
      const item = document.createElement("div");
      item.className = "preview-question";
      const title = document.createElement("p");
      title.className = "preview-label";
      title.textContent = label;
      item.append(title);
      if (kindOf(fieldset) === "choice") {
        const list = document.createElement("ul");
        list.className = "preview-choices";
        for (const choice of lines(part(fieldset, "choices").value)) {
          const li = document.createElement("li");
          li.textContent = choice;
          list.append(li);
        }
        if (list.children.length) item.append(list);
      } else {
        const free = document.createElement("p");
        free.className = "preview-free";
        free.textContent = S.preview_free;
        item.append(free);
      }
      box.append(item);
    }
  }

  // Refusals -------------------------------------------------------------------------------------------------

  const summary = $("error-summary");
  const marked = new Set(); // the elements whose aria-invalid and aria-describedby say a refusal

  function clear() {
    summary.hidden = true;
    for (const line of form.querySelectorAll(".field-error")) {
      line.hidden = true;
      line.textContent = "";
    }
    for (const box of form.querySelectorAll(".has-error")) box.classList.remove("has-error");
    for (const element of marked) {
      element.removeAttribute("aria-invalid");
      const hint = element.dataset.hint;
      if (hint) element.setAttribute("aria-describedby", hint);
      else element.removeAttribute("aria-describedby");
    }
    marked.clear();
  }

  // The control a field's error is about (the one that takes the focus) and the element aria-invalid goes on.
  function control(field) {
    if (field === "services") return form.querySelector('[data-role="service"]') || $("services");
    if (field === "questions") return part(questions()[0], "label");
    if (field.endsWith("-kind")) return $(`${field}-choice`);
    return $(field);
  }

  /** Says ``message`` next to ``field`` (an error line's prefix: "name", "q3-choices"…). */
  function mark(field, message) {
    const line = $(`${field}-error`);
    if (line) {
      line.textContent = message;
      line.hidden = false;
      const box = line.closest("[data-field]");
      if (box) box.classList.add("has-error");
    }
    const element = field === "services" ? $("services") : field.endsWith("-kind") ? line.closest("fieldset")
      : control(field);
    if (!element) return;
    marked.add(element);
    if (!element.dataset.hint && element.getAttribute("aria-describedby")) {
      element.dataset.hint = element.getAttribute("aria-describedby");
    }
    if (element.tagName !== "FIELDSET") element.setAttribute("aria-invalid", "true");
    const ids = [element.dataset.hint, line && line.id].filter(Boolean).join(" ").split(" ");
    element.setAttribute("aria-describedby", [...new Set(ids)].join(" "));
  }

  function refuse(problems) {
    const list = $("error-list");
    list.replaceChildren();
    for (const [field, message] of problems) {
      if (field) mark(field, message);
      const item = document.createElement("li");
      const element = field && control(field);
      if (element) {
        const link = document.createElement("a");
        link.href = `#${element.id}`;
        link.textContent = message;
        link.addEventListener("click", (event) => { event.preventDefault(); element.focus(); });
        item.append(link);
      } else {
        item.textContent = message;
      }
      list.append(item);
    }
    $("error-summary-title").textContent = problems.length === 1 ? S.summary_one : S.summary_many;
    summary.hidden = false;
    summary.focus();
  }

  /** The form's field of an API field ("questions[1].choices", "questions.1.choices.0", "last"…), or "". */
  function fieldOf(given) {
    const path = String(given || "").replace(/\[(\d+)\]/g, ".$1").split(".");
    if (["name", "first", "last", "services"].includes(path[0])) return path[0];
    if (path[0] !== "questions") return "";
    const fieldset = /^\d+$/.test(path[1] || "") ? questions()[Number(path[1])] : null;
    if (!fieldset) return "questions";
    const s = fieldset.dataset.serial;
    if (path[2] === "choices") return `q${s}-choices`;
    if (path[2] === "kind") return `q${s}-kind`;
    return `q${s}-label`; // its words, or its id (made here from its place)
  }

  function messageOf(field) {
    const key = /^q\d+-(\w+)$/.exec(field);
    return words[key ? key[1] : field];
  }

  // Sending ----------------------------------------------------------------------------------------------------

  function body() {
    const services = [...form.querySelectorAll('[data-role="service"]:checked')].map((box) => box.value);
    return {
      name: $("name").value,
      first: $("first").value,
      last: $("last").value,
      services,
      questions: questions().map((fieldset, n) => {
        const kind = kindOf(fieldset);
        const question = { id: `q${n + 1}`, kind, label: part(fieldset, "label").value };
        if (kind === "choice") question.choices = lines(part(fieldset, "choices").value);
        return question;
      }),
    };
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clear();
    const sent = body();
    const button = $("create");
    button.disabled = true;
    $("sending").textContent = S.sending;
    const answer = await api("POST", base, sent);
    button.disabled = false;
    $("sending").textContent = "";
    if (answer.ok) {
      comeAgain(format(S.created, { name: answer.body.name }));
      return;
    }
    if (answer.status === 0) {
      refuse([["", S.unreachable]]);
      return;
    }
    const problems = [];
    for (const item of (answer.body && answer.body.errors) || []) {
      const field = fieldOf(item.field);
      if (field && !problems.some(([f]) => f === field)) problems.push([field, messageOf(field)]);
    }
    refuse(problems.length ? problems : [["", format(S.failed, { problem: answer.problem })]]);
  });

  // Deleting ---------------------------------------------------------------------------------------------------

  const dialog = $("delete-dialog");
  let target = null;
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-delete]");
    if (!button) return;
    target = button;
    $("delete-title").textContent = format(S.delete_question, { name: button.dataset.name });
    $("delete-problem").textContent = "";
    dialog.showModal();
    $("delete-cancel").focus();
  });
  $("delete-cancel").addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => {
    if (target) target.focus();
  });
  $("delete-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!target) return;
    const answer = await api("DELETE", `${base}/${encodeURIComponent(target.dataset.delete)}`);
    if (!answer.ok) {
      $("delete-problem").textContent = format(S.delete_failed, { problem: answer.problem });
      return;
    }
    const name = target.dataset.name;
    target = null;
    comeAgain(format(S.deleted, { name }));
  });

  numbered();
})();
