// "Lier à une fiche citoyen" on a request's page (/demandes/{id}): POST …/requests/{id}/party {party}; then the page
// reloads saying so (demandes.js shows what sessionStorage "demandes-done" holds), or the refusal is said beside
// the field. The words are the form's data-* attributes (the page's language).
"use strict";

(() => {
  const { data, api, format } = window.Staff;
  const form = document.getElementById("party-form");
  if (!form || !data.request) return;
  const field = document.getElementById("party");
  const problem = document.getElementById("party-problem");
  const url = `/api/v1/tenants/${encodeURIComponent(data.tenant)}/requests/${encodeURIComponent(data.request.id)}/party`;

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    problem.textContent = "";
    field.removeAttribute("aria-invalid");
    const number = field.value.trim();
    if (!/^[0-9]{1,9}$/.test(number) || Number(number) < 1) {
      problem.textContent = form.dataset.empty;
      field.setAttribute("aria-invalid", "true");
      field.focus();
      return;
    }
    document.getElementById("party-ok").disabled = true;
    const answer = await api("POST", url, { party: Number(number) });
    document.getElementById("party-ok").disabled = false;
    if (!answer.ok) {
      problem.textContent = answer.status === 422 ? format(form.dataset.unknown, { number })
                                                  : format(data.strings.failed, { problem: answer.problem });
      field.setAttribute("aria-invalid", "true");
      field.focus();
      return;
    }
    sessionStorage.setItem("demandes-done", format(form.dataset.done, { number }));
    location.reload();
  });
})();
