// The requests' citizen pages: the files are checked before sending (their size and their name's extension,
// with the limits the server put in the page: its own check, by content, stays the rule), the submit button says
// it is busy, and inside the widget the frame tells its height to the page around it (the declared websites only).
"use strict";

const data = JSON.parse(document.getElementById("data").textContent);
const words = data.strings;
const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, key) => String(values[key]));

function plural(forms, n) {
  const rule = new Intl.PluralRules(data.lang).select(n);
  return fill(forms[rule] || forms.other, { n });
}

/** What is wrong with the files chosen, in words; "" when they may be sent. */
function fileProblem(files) {
  if (files.length > data.max_files) return plural(words.count, data.max_files);
  for (const file of files) {
    const extension = (file.name.split(".").pop() || "").toLowerCase();
    if (!data.extensions.includes(extension)) return fill(words.type, { name: file.name });
    if (file.size > data.max_bytes) return fill(words.size, { name: file.name });
  }
  return "";
}

for (const form of document.querySelectorAll("form[enctype='multipart/form-data']")) {
  const input = form.querySelector("input[type=file]");
  const said = form.querySelector("#attachments-check");
  const check = () => {
    const problem = input ? fileProblem(input.files) : "";
    if (said) said.textContent = problem;
    if (input) {
      if (problem) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
    }
    return problem;
  };
  if (input) input.addEventListener("change", check);
  form.addEventListener("submit", (event) => {
    if (check()) {
      event.preventDefault();
      input.focus();
      return;
    }
    const button = form.querySelector("button[type=submit]");
    // Disabled after this turn: the browser still sends the form, a second click does not.
    setTimeout(() => { button.disabled = true; button.setAttribute("aria-busy", "true"); }, 0);
  });
}

// A refused form: the summary of what to fix is read first.
const general = document.getElementById("general");
if (general) general.focus();

if (data.embed) {
  window.Frame.follow(data.origins); // /static/frame.js
  // A new page in the frame (refused or sent): the page around scrolls back to the frame's top.
  if (general || document.getElementById("h-done")) window.Frame.tell({ guichet: "step" }, data.origins);
}
