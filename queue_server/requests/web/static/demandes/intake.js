// Staff intake (requests/web/intake_page.py): the new request's form, the list's N key, the request page's
// "send the acknowledgement of receipt" button and the printable acknowledgement's "Print" button.
//
// - The form is sent as the API's multipart request (POST /api/v1/tenants/{t}/requests: the JSON in "data", the
//   files in "attachments"); the API's answer is the rule. A refusal is said next to its field (its error line,
//   named by aria-describedby, the field aria-invalid) and in a summary that takes the focus; the form keeps all
//   that was typed and chosen. Filed: the request's page opens, saying so (demandes.js reads what it says).
// - Filled in from the address (the phone desk's "File the request": ?channel=phone&party=12&first_name=…&last_name=…
//   &phone=…&email=…): the fields given, and the party: once filed, the request is linked to that citizen record
//   (POST …/requests/{id}/party), as a request's page does.
// - Printing: POST …/requests/{id}/printed (audited) before the browser's print dialog; Ctrl+P is noted too.
"use strict";

(() => {
  const { data, api, format } = window.Staff;
  const S = data.strings || {};
  const $ = (id) => document.getElementById(id);
  const DONE_KEY = "demandes-done"; // what demandes.js says once the next page has come
  const tenantBase = `/api/v1/tenants/${encodeURIComponent(data.tenant || "")}`;

  function typing(target) {
    return target instanceof HTMLElement && (target.isContentEditable ||
      ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
  }

  // The list: N opens the form --------------------------------------------------------------------------

  const newLink = $("new-request");
  if (newLink) {
    document.addEventListener("keydown", (event) => {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
      if (document.querySelector("dialog[open]")) return;
      if (event.key.toLowerCase() === "n") {
        event.preventDefault();
        location.href = newLink.href;
      }
    });
  }

  // A request's page: the acknowledgement of receipt by e-mail -----------------------------------------

  const acknowledge = $("acknowledge");
  if (acknowledge) {
    acknowledge.addEventListener("click", async () => {
      const problem = $("acknowledge-problem");
      problem.textContent = "";
      acknowledge.disabled = true;
      const answer = await api("POST", acknowledge.dataset.url);
      acknowledge.disabled = false;
      if (!answer.ok) {
        problem.textContent = format(acknowledge.dataset.failed, { problem: answer.problem });
        return;
      }
      sessionStorage.setItem(DONE_KEY, acknowledge.dataset.done);
      location.reload();
    });
  }

  // The printable acknowledgement ------------------------------------------------------------------------

  const print = $("print");
  if (print) {
    let noted = false;
    const note = async () => {
      if (noted) return true;
      const answer = await api("POST", `${tenantBase}/requests/${encodeURIComponent(data.request)}/printed`);
      noted = answer.ok;
      if (noted) print.dataset.noted = "yes";
      $("print-problem").textContent = answer.ok ? "" : format(S.failed, { problem: answer.problem });
      return answer.ok;
    };
    print.addEventListener("click", async () => {
      print.disabled = true;
      const ok = await note();
      print.disabled = false;
      if (ok) window.print();
    });
    window.addEventListener("beforeprint", () => { note(); }); // Ctrl+P: noted as well
  }

  // The new request's form -------------------------------------------------------------------------------

  const form = $("intake-form");
  if (!form) return;
  const words = S.fields;
  // The API's fields (a refusal's "field") -> the form's.
  const FIELD_OF = {
    "person.first_name": "first_name", "person.last_name": "last_name", "person.email": "email",
    "person.phone": "phone", "person.address": "address", "organisation.name": "organisation",
    organisation: "organisation_number", "organisation.siren": "organisation_number",
    "organisation.rna": "organisation_number", category: "category", subject: "subject", body: "body",
    received_on: "received_on", channel: "channel",
  };
  const receivedField = form.querySelector('[data-field="received_on"]');
  const summary = $("error-summary");
  const files = $("attachments");

  const channel = () => form.querySelector("input[name=channel]:checked").value;
  const value = (id) => $(id).value.trim();

  // What the address gives (the phone desk's link): the channel, the sender's names and contacts, the party.
  const given = new URLSearchParams(location.search);
  const givenChannel = form.querySelector(`input[name=channel][value="${CSS.escape(given.get("channel") || "")}"]`);
  if (givenChannel) givenChannel.checked = true;
  for (const id of ["first_name", "last_name", "email", "phone"]) {
    const text = (given.get(id) || "").trim();
    if (text && !$(id).value) $(id).value = text;
  }
  const party = /^[1-9][0-9]{0,9}$/.test(given.get("party") || "") ? Number(given.get("party")) : null;
  if (party !== null) {
    const name = [given.get("first_name"), given.get("last_name")].filter(Boolean).join(" ") || `n° ${party}`;
    $("party-note").textContent = format(S.for_party, { name });
    $("party-note").hidden = false;
  }

  function showDate() {
    receivedField.hidden = channel() !== "postal";
  }
  for (const input of form.querySelectorAll("input[name=channel]")) input.addEventListener("change", showDate);
  showDate();

  function control(field) {
    if (field === "channel") return form.querySelector("input[name=channel]:checked");
    return field === "contact" ? $("email") : $(field);
  }

  function clear() {
    summary.hidden = true;
    for (const line of form.querySelectorAll(".field-error")) {
      line.hidden = true;
      line.textContent = "";
    }
    for (const box of form.querySelectorAll(".has-error")) box.classList.remove("has-error");
    for (const element of form.querySelectorAll("[aria-invalid]")) {
      element.removeAttribute("aria-invalid");
      const hint = `${element.id}-hint`;
      if ($(hint)) element.setAttribute("aria-describedby", hint);
      else element.removeAttribute("aria-describedby");
    }
  }

  /** Says ``message`` next to ``field`` (a form field's id, or "contact"). */
  function mark(field, message) {
    const line = $(`${field}-error`);
    if (line) {
      line.textContent = message;
      line.hidden = false;
      const box = line.closest(".field, .panel > .notes");
      if (box) box.classList.add("has-error");
    }
    const element = control(field);
    if (!element) return;
    element.setAttribute("aria-invalid", "true");
    const ids = [`${element.id}-hint`, `${field}-error`].filter((id) => $(id));
    element.setAttribute("aria-describedby", [...new Set(ids)].join(" "));
  }

  /** Marks each (field, message) and shows them in the summary, which takes the focus. */
  function refuse(problems) {
    const list = $("error-list");
    list.replaceChildren();
    for (const [field, message] of problems) {
      mark(field, message);
      const item = document.createElement("li");
      const element = control(field);
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

  /** What can be told before sending: fields left empty, a letter's day out of bounds, files of another type. */
  function checked() {
    const problems = [];
    const postal = channel() === "postal";
    if (postal) {
      const day = value("received_on");
      const input = $("received_on");
      if (!day || day < input.min || day > input.max) problems.push(["received_on", words.received_on]);
    }
    for (const id of ["category", "subject", "body", "first_name", "last_name"]) {
      if (!value(id)) problems.push([id, words[id]]);
    }
    if (value("organisation_number") && !value("organisation")) problems.push(["organisation", words.organisation]);
    if (postal && !value("address")) problems.push(["address", words.address]);
    else if (!value("email") && !value("address")) problems.push(["contact", words.contact]);
    if (files.files.length > data.max_files) {
      problems.push(["attachments", format(S.file_count, { n: data.max_files })]);
    }
    for (const file of files.files) {
      const extension = (file.name.split(".").pop() || "").toLowerCase();
      if (!data.extensions.includes(extension)) problems.push(["attachments", format(S.file_type, { name: file.name })]);
      else if (file.size > data.max_bytes) problems.push(["attachments", format(S.file_size, { name: file.name })]);
    }
    return problems;
  }

  /** The API's body (JSON) of what the form holds; empty optional fields left out. */
  function body() {
    const person = { first_name: value("first_name"), last_name: value("last_name") };
    for (const id of ["email", "phone", "address"]) if (value(id)) person[id] = value(id);
    const out = { category: value("category"), subject: value("subject"), body: value("body"), person,
                  channel: channel() };
    if (channel() === "postal") out.received_on = value("received_on");
    const number = value("organisation_number").replace(/\s+/g, "").toUpperCase();
    if (value("organisation") || number) {
      out.organisation = { name: value("organisation") };
      if (number) out.organisation[number.startsWith("W") ? "rna" : "siren"] = number;
    }
    return out;
  }

  /** What to say of a file the API refused: its kind (the problem's type) and the file's name it quotes. */
  function fileProblem(problem) {
    const kind = String(problem.type || "").split("/").pop();
    const quoted = /^(['"])(.*?)\1 /.exec(problem.detail || "");
    const name = quoted ? quoted[2] : "";
    if (kind === "too-many-files") return format(S.file_count, { n: data.max_files });
    if (kind === "file-too-large" && name) return format(S.file_size, { name });
    if (kind === "file-type-refused" && name) return format(S.file_type, { name });
    return words.attachments;
  }

  /** (field, message) for each field a refusal names; [] when it names none of the form's. */
  function named(problem) {
    const out = [];
    for (const item of (problem && problem.errors) || []) {
      const given = String(item.field || "");
      const field = given.startsWith("attachments") ? "attachments"
        : FIELD_OF[given] || FIELD_OF[given.split(".")[0]] || "";
      if (!field || out.some(([f]) => f === field)) continue;
      out.push([field, field === "attachments" ? fileProblem(problem) : words[field]]);
    }
    return out;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clear();
    const problems = checked();
    if (problems.length) {
      refuse(problems);
      return;
    }
    const sent = new FormData();
    sent.append("data", JSON.stringify(body()));
    for (const file of files.files) sent.append("attachments", file, file.name);
    const button = $("file");
    button.disabled = true;
    $("sending").textContent = S.sending;
    let answer = null;
    let problem = null;
    try {
      answer = await fetch(`${tenantBase}/requests`, {
        method: "POST", body: sent, credentials: "same-origin", cache: "no-store",
        headers: { "X-CSRF-Token": data.csrf } });
      problem = await answer.json().catch(() => null);
    } catch {
      answer = null;
    }
    button.disabled = false;
    $("sending").textContent = "";
    if (answer === null) {
      refuse([["", S.unreachable]]);
      return;
    }
    if (answer.status === 401) {
      location.href = "/login?next=" + encodeURIComponent(location.pathname);
      return;
    }
    if (answer.ok) {
      let done = format(S.filed, { reference: problem.reference });
      if (party !== null) {
        const linked = await api("POST", `${tenantBase}/requests/${encodeURIComponent(problem.id)}/party`, { party });
        if (!linked.ok) done = `${done} ${S.not_linked}`;
      }
      sessionStorage.setItem(DONE_KEY, done);
      location.href = `/demandes/${encodeURIComponent(problem.id)}`;
      return;
    }
    const fields = named(problem);
    refuse(fields.length ? fields : [["", format(S.failed, {
      problem: (problem && (problem.detail || problem.title)) || `HTTP ${answer.status}` })]]);
  });
})();
