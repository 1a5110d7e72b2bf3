// The sheet editor (/connaissances/nouvelle, /connaissances/{id}/modifier): the preview follows the Markdown (POST
// …/kb/preview, the server's own rendering and sanitising, the last answer wins), and saving writes the sheet
// through the API (POST …/kb/sheets, or PUT …/kb/sheets/{id}: a new version), then opens its page. A refusal is said
// next to each field it names, and listed above the form (focused).
"use strict";

(() => {
  const { data, strings: S, api, format } = window.Staff;
  const $ = (id) => document.getElementById(id);
  const base = `/api/v1/tenants/${encodeURIComponent(data.tenant)}/kb`;
  const form = $("sheet-form");
  const FIELDS = ["title", "owner_service", "review_by", "body", "services", "motifs", "categories"];

  // The preview -----------------------------------------------------------------------------------------

  let asked = 0;
  let timer = null;

  async function preview() {
    const mine = ++asked;
    const body = $("f-body").value;
    if (!body.trim()) {
      $("preview").replaceChildren(Object.assign(document.createElement("p"), {
        className: "muted", textContent: S.preview_empty }));
      return;
    }
    const answer = await api("POST", `${base}/preview`, { body });
    if (mine !== asked || !answer.ok) return;
    // Sanitised by the server (nh3): the same HTML the sheet's page shows.
    $("preview").innerHTML = answer.body.html;
  }

  $("f-body").addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(preview, 250);
  });

  // Saving ----------------------------------------------------------------------------------------------

  const ids = (name) => $(`f-${name}`).value.split(/[\s,;]+/).map((v) => v.trim()).filter(Boolean);

  function sheetBody() {
    const review = $("f-review_by").value;
    const owner = $("f-owner_service").value.trim();
    return {
      title: $("f-title").value, body: $("f-body").value,
      audience: form.querySelector("input[name=audience]:checked").value,
      status: $("f-status").value, shared: $("f-shared").checked,
      review_by: review || null, owner_service: owner || null,
      links: { services: ids("services"), motifs: ids("motifs"), categories: ids("categories") },
    };
  }

  function clearErrors() {
    for (const name of FIELDS) {
      $(`f-${name}-error`).textContent = "";
      $(`f-${name}`).removeAttribute("aria-invalid");
    }
    $("summary").hidden = true;
    $("summary-list").replaceChildren();
  }

  function showErrors(problem, errors) {
    const list = $("summary-list");
    for (const error of errors) {
      const name = (error.field || "").split(".").find((part) => FIELDS.includes(part));
      const item = document.createElement("li");
      if (name) {
        const said = S.fields[name] || error.message;
        $(`f-${name}-error`).textContent = said;
        $(`f-${name}`).setAttribute("aria-invalid", "true");
        const link = Object.assign(document.createElement("a"), { href: `#f-${name}` });
        link.textContent = said;
        item.append(link);
      } else {
        item.textContent = error.message || problem;
      }
      list.append(item);
    }
    if (!errors.length) list.append(Object.assign(document.createElement("li"), { textContent: problem }));
    $("summary").hidden = false;
    $("summary").focus();
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors();
    const sheet = data.sheet;
    const answer = sheet
      ? await api("PUT", `${base}/sheets/${encodeURIComponent(sheet.id)}`, sheetBody())
      : await api("POST", `${base}/sheets`, sheetBody());
    if (answer.ok) {
      $("said").textContent = S.saved;
      location.href = `/connaissances/${encodeURIComponent(answer.body.id)}`;
      return;
    }
    $("said").textContent = S.check;
    showErrors(format(S.failed, { problem: answer.problem }), (answer.body && answer.body.errors) || []);
  });
})();
