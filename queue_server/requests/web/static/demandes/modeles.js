// The reply templates page (/demandes/modeles): each template's form saved (PUT …/request-templates/{id}) or
// deleted (DELETE), a new one added (POST …/request-templates); the page then reloads, saying what was done. The
// server checks the {placeholders} (422 unknown-placeholder, said in the page's words).
"use strict";

(() => {
  const { data, strings: S, api, format } = window.Staff;
  const $ = (id) => document.getElementById(id);
  const base = `/api/v1/tenants/${encodeURIComponent(data.tenant)}/request-templates`;
  const DONE_KEY = "modeles-done";
  const done = sessionStorage.getItem(DONE_KEY);
  if (done) {
    sessionStorage.removeItem(DONE_KEY);
    $("said").textContent = done;
  }

  function reloadSaying(text) {
    sessionStorage.setItem(DONE_KEY, text);
    location.reload();
  }

  function read(form) {
    const field = (name) => form.elements.namedItem(name);
    return { title: field("title").value.trim(), body: field("body").value.trim(),
             position: Number(field("position").value || 0), lang: field("lang").value };
  }

  async function send(form, method, path, said) {
    const problem = form.querySelector(".problem");
    problem.textContent = "";
    const body = read(form);
    if (!body.title || !body.body) {
      problem.textContent = S.problems["/problems/incomplete-template"];
      form.elements.namedItem(body.title ? "body" : "title").focus();
      return;
    }
    const answer = await api(method, path, body);
    if (!answer.ok) {
      problem.textContent = format(S.failed, { problem: answer.problem });
      return;
    }
    reloadSaying(said);
  }

  for (const form of document.querySelectorAll("form.template-form[data-id]")) {
    const path = `${base}/${encodeURIComponent(form.dataset.id)}`;
    form.addEventListener("submit", (event) => { event.preventDefault(); send(form, "PUT", path, S.saved); });
    form.querySelector("button.delete").addEventListener("click", async () => {
      const answer = await api("DELETE", path);
      if (!answer.ok) {
        form.querySelector(".problem").textContent = format(S.failed, { problem: answer.problem });
        return;
      }
      reloadSaying(S.deleted);
    });
  }
  $("add-form").addEventListener("submit", (event) => {
    event.preventDefault();
    send($("add-form"), "POST", base, S.added);
  });
})();
