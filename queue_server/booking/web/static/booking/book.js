// /book: motif (and its questions) → day → time → name and contact (a phone without e-mail checked by an SMS
// code) → the code. The booking is one POST with an Idempotency-Key per attempt (a double click or a retry
// after a lost answer books once) and a proof of work computed by a worker while the citizen fills the form.
"use strict";

import {
  $, Days, Problem, alertIn, api, data, element, fmt, problemText, renderDays, renderSlots, show, showDay, showTime,
  strings,
} from "./common.js";

const sections = [...document.querySelectorAll(".step")];
const state = { motif: null, answers: {}, days: null, entry: null, slot: null, phoneToken: null, check: null,
  key: null, history: [] };
const motifs = Object.fromEntries(data.motifs.map((m) => [m.id, m]));

// Proof of work -----------------------------------------------------------------------------------------------

function solve(challenge, bits) {
  return new Promise((resolve) => {
    let worker;
    try {
      worker = new Worker("/static/booking/pow.js");
    } catch {
      resolve(null); // no worker here: the booking goes on the free allowance
      return;
    }
    worker.onmessage = (event) => {
      resolve(`${event.data.challenge}:${event.data.counter}`);
      worker.terminate();
    };
    worker.onerror = () => resolve(null);
    worker.postMessage({ challenge, bits });
  });
}

let proof = null;
function prepareProof() {
  proof = api("GET", "/challenge").then((c) => solve(c.challenge, c.difficulty)).catch(() => null);
}

function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

// Steps ---------------------------------------------------------------------------------------------------------

function order() {
  return ["step-motif", ...(state.motif && state.motif.questions.length ? ["step-questions"] : []), "step-day",
    "step-slot", "step-contact"];
}

function go(id, remember = true) {
  const current = sections.find((s) => !s.hidden);
  if (remember && current && current.id !== id) state.history.push(current.id);
  const steps = order();
  const index = steps.indexOf(id === "step-code" ? "step-contact" : id);
  $("progress").textContent = index >= 0 ? fmt(strings.step, { n: index + 1, total: steps.length }) : "";
  for (const node of document.querySelectorAll("[data-show]")) {
    const what = node.dataset.show;
    node.textContent = what === "motif" ? (state.motif ? state.motif.name : "")
      : what === "day" ? (state.entry ? `${state.motif.name} · ${showDay(state.entry.slots[0].start)}` : "")
        : (state.slot ? `${state.motif.name} · ${showDay(state.slot.start)} · ${showTime(state.slot.start)}` : "");
  }
  show(sections, id);
}

function back() {
  const previous = state.history.pop();
  if (previous) go(previous, false);
}

for (const button of document.querySelectorAll("[data-back]")) button.addEventListener("click", back);

// 1. Motif, 2. its questions ------------------------------------------------------------------------------------

for (const button of document.querySelectorAll("[data-motif]")) {
  button.addEventListener("click", () => {
    state.motif = motifs[button.dataset.motif];
    state.answers = {};
    if (state.motif.questions.length) {
      buildQuestions(state.motif.questions);
      go("step-questions");
    } else {
      startDays();
    }
  });
}

function buildQuestions(questions) {
  const fields = $("question-fields");
  fields.replaceChildren();
  for (const q of questions) {
    const id = `q-${q.id}`;
    let input;
    if (q.kind === "count" || q.kind === "choice") {
      input = element("select", { id, name: q.id, required: q.required ? "" : null });
      const options = q.kind === "count"
        ? Array.from({ length: q.maximum - q.minimum + 1 }, (_, i) => String(q.minimum + i)) : q.choices;
      if (q.kind === "choice" && !q.required) input.append(element("option", { value: "", text: "—" }));
      for (const value of options) input.append(element("option", { value, text: value }));
    } else {
      input = element("input", { id, name: q.id, maxlength: "200", required: q.required ? "" : null });
    }
    fields.append(element("div", { class: "field" }, element("label", { for: id, text: q.label }), input));
  }
}

$("questions").addEventListener("submit", (event) => {
  event.preventDefault();
  const answers = {};
  for (const q of state.motif.questions) {
    const input = $(`q-${q.id}`);
    const value = input.value.trim();
    if (q.required && !value) {
      input.setAttribute("aria-invalid", "true");
      alertIn($("step-questions"), strings.answer_needed);
      input.focus();
      return;
    }
    input.removeAttribute("aria-invalid");
    if (!value) continue;
    answers[q.id] = q.kind === "count" ? Number(value)
      : q.kind === "application_ids" ? value.split(/[\s,;]+/).filter(Boolean).slice(0, 10) : value;
  }
  alertIn($("step-questions"), "");
  state.answers = answers;
  startDays();
});

// 3. Day, 4. time -----------------------------------------------------------------------------------------------

async function loadDays(first) {
  const container = $("days");
  const more = $("more-days");
  container.setAttribute("aria-busy", "true");
  more.hidden = true;
  if (first) container.replaceChildren(element("p", { class: "quiet", text: strings.loading }));
  try {
    const days = await state.days.more();
    if (first) {
      container.replaceChildren();
      delete container.dataset.week;
    }
    if (first && !days.length) container.append(element("p", { text: strings.no_days }));
    renderDays(container, days, chooseDay);
    more.hidden = state.days.done;
    if (!first && !days.length) container.append(element("p", { text: strings.no_more_days }));
    alertIn($("step-day"), "");
  } catch (error) {
    if (first) container.replaceChildren();
    alertIn($("step-day"), problemText(error));
  } finally {
    container.setAttribute("aria-busy", "false");
  }
}

function startDays() {
  state.days = new Days(state.motif, state.answers);
  go("step-day");
  loadDays(true);
}

$("more-days").addEventListener("click", () => {
  const before = $("days").querySelectorAll(".day").length;
  loadDays(false).then(() => {
    const next = $("days").querySelectorAll(".day")[before];
    if (next) next.focus();
  });
});

function chooseDay(entry) {
  state.entry = entry;
  renderSlots($("slots"), entry.slots, chooseSlot);
  alertIn($("step-slot"), "");
  go("step-slot");
}

function chooseSlot(slot) {
  state.slot = slot;
  alertIn($("step-contact"), "");
  go("step-contact");
}

async function refreshSlots(message) {
  const day = state.entry.day;
  const query = new URLSearchParams({ motif: state.motif.id, from: day, to: day });
  for (const [name, value] of Object.entries(state.answers)) query.set(`a.${name}`, String(value));
  try {
    const answer = await api("GET", `/slots?${query}`);
    state.entry = { day, slots: answer.slots };
  } catch {
    state.entry = { day, slots: [] };
  }
  state.history = state.history.filter((id) => id !== "step-slot" && id !== "step-contact");
  if (state.entry.slots.length) {
    renderSlots($("slots"), state.entry.slots, chooseSlot);
    go("step-slot", false);
    alertIn($("step-slot"), message);
  } else {
    startDays();
    alertIn($("step-day"), message);
  }
}

// 5. Name and contact, the phone's code, the booking ------------------------------------------------------------

function contact() {
  const form = $("contact");
  return {
    first_name: form.first_name.value.trim(), last_name: form.last_name.value.trim(),
    email: form.email.value.trim() || null, phone: form.phone.value.trim() || null,
  };
}

function invalid(field, text) {
  const input = $(field);
  input.setAttribute("aria-invalid", "true");
  alertIn($("step-contact"), text);
  input.focus();
}

$("contact").addEventListener("submit", async (event) => {
  event.preventDefault();
  for (const input of $("contact").querySelectorAll("input")) input.removeAttribute("aria-invalid");
  const person = contact();
  if (!person.first_name || !person.last_name) return invalid(person.first_name ? "last-name" : "first-name", strings.name_needed);
  if (!person.email && !person.phone) return invalid("email", strings.contact_needed);
  if (person.email && !$("email").checkValidity()) return invalid("email", strings.email_invalid);
  alertIn($("step-contact"), "");
  if (person.phone && !person.email && !state.phoneToken) return sendCode(person.phone);
  return book();
});

async function sendCode(phone) {
  const button = $("contact").querySelector("button[type=submit]");
  button.disabled = true;
  try {
    const check = await api("POST", "/phone-checks", { phone, lang: data.lang });
    state.check = check.id;
    $("code-sent").textContent = fmt(strings.code_sent, { phone });
    $("code").value = "";
    alertIn($("step-code"), "");
    go("step-code");
  } catch (error) {
    if (error instanceof Problem && error.status === 422) invalid("phone", strings.phone_invalid);
    else if (error instanceof Problem && error.status === 429) {
      alertIn($("step-contact"), fmt(strings.code_limited, { min: Math.max(1, Math.ceil(error.retryAfter / 60)) }));
    } else alertIn($("step-contact"), problemText(error));
  } finally {
    button.disabled = false;
  }
}

$("new-code").addEventListener("click", () => sendCode(contact().phone));

$("code-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const code = $("code").value.replace(/\s/g, "");
  try {
    const verified = await api("POST", `/phone-checks/${encodeURIComponent(state.check)}/verify`, { code });
    state.phoneToken = verified.token;
    await book($("step-code"));
  } catch (error) {
    $("code").setAttribute("aria-invalid", "true");
    const text = !(error instanceof Problem) ? strings.network
      : error.kind === "wrong-code" ? fmt(strings.code_wrong, { n: error.body.tries_left })
        : error.kind === "too-many-tries" ? strings.code_locked
          : error.kind === "unknown-check" ? strings.code_expired : problemText(error);
    alertIn($("step-code"), text);
    $("code").focus();
  }
});

async function book(from = $("step-contact")) {
  const status = $("status");
  const submit = $("contact").querySelector("button[type=submit]");
  submit.disabled = true;
  if (!state.key) state.key = newKey();
  const person = contact();
  const body = { motif: state.motif.id, start: state.slot.start, lang: data.lang, answers: state.answers,
    person: Object.fromEntries(Object.entries(person).filter(([, v]) => v)) };
  if (state.phoneToken) body.phone_token = state.phoneToken;
  try {
    status.textContent = strings.preparing;
    let current = await proof;
    for (let round = 0; ; round++) {
      const headers = { "Idempotency-Key": state.key };
      if (current) headers["X-Guichet-Proof"] = current;
      status.textContent = strings.booking;
      try {
        const appointment = await api("POST", "/appointments", body, headers);
        state.key = null;
        prepareProof();
        done(appointment, person);
        return;
      } catch (error) {
        if (error instanceof Problem && error.status === 428 && round === 0) {
          status.textContent = strings.preparing;
          current = await solve(error.body.challenge, error.body.difficulty);
          continue;
        }
        throw error;
      }
    }
  } catch (error) {
    status.textContent = "";
    if (error instanceof Problem) {
      state.key = null; // answered: the next try is another attempt
      prepareProof();
      const field = error.body.errors && error.body.errors[0] ? error.body.errors[0].field : "";
      if (["slot-taken", "too-soon", "too-far", "closed", "outside-hours"].includes(error.kind)) {
        await refreshSlots(problemText(error));
      } else if (field === "person.phone") {
        go("step-contact");
        invalid("phone", strings.phone_invalid);
      } else if (field === "person.email") {
        go("step-contact");
        invalid("email", strings.email_invalid);
      } else {
        alertIn(from, problemText(error));
      }
    } else {
      alertIn(from, strings.network); // the same key on the next try: booked once if it went through
    }
  } finally {
    submit.disabled = false;
  }
}

function done(appointment, person) {
  $("done-code").textContent = appointment.code;
  $("done-day").textContent = showDay(appointment.start);
  $("done-time").textContent = showTime(appointment.start);
  $("done-motif").textContent = state.motif.name;
  const documents = state.motif.documents || [];
  $("done-documents").replaceChildren(...documents.map((d) => element("li", { text: d })));
  $("done-bring").hidden = !documents.length;
  $("done-instructions").textContent = state.motif.instructions || "";
  $("done-sent").textContent = fmt(strings.sent_to, { contact: person.email || person.phone });
  $("done-ics").href = `/api/v1/sites/${encodeURIComponent(data.site)}/appointments/${encodeURIComponent(appointment.id)}/ics`;
  const manage = $("done-manage");
  manage.href = `/a/${encodeURIComponent(appointment.id)}?lang=${data.lang}`;
  if (data.embed) {
    manage.target = "_blank";
    manage.rel = "noopener";
  }
  state.history = [];
  $("progress").textContent = "";
  show(sections, "step-done");
}

prepareProof();
for (const section of sections) section.hidden = section.id !== "step-motif";
$("progress").textContent = fmt(strings.step, { n: 1, total: order().length });
