// /a/{id}: the holder cancels (after a confirmation) or moves the appointment (the same list of days and times
// as the booking). The page is rendered complete on the server; this script only adds the actions.
"use strict";

import { $, Days, alertIn, api, data, element, fmt, problemText, renderDays, renderSlots, show, showDay, showTime,
  strings } from "./common.js";

const sections = [...document.querySelectorAll(".step")];
const path = `/appointments/${encodeURIComponent(data.id)}`;
let days = null;

function notice(text, alert = false) {
  const box = $("notice");
  box.replaceChildren(element("p", { class: alert ? "alert" : "ok", role: alert ? "alert" : null, text }));
}

function closeAll(focus) {
  for (const section of sections) section.hidden = true;
  $("appointment").hidden = false;
  if (focus) focus.focus();
}

function cancelled() {
  $("state").textContent = strings.state_cancelled;
  $("state").classList.add("cancelled");
  for (const id of ["move", "cancel"]) if ($(id)) $(id).remove();
  const ics = document.querySelector("#actions a");
  if (ics) ics.remove();
}

if ($("cancel")) {
  $("cancel").addEventListener("click", () => {
    $("appointment").hidden = true;
    show(sections, "confirm-cancel");
  });
  $("cancel-no").addEventListener("click", () => closeAll($("cancel")));
  $("cancel-yes").addEventListener("click", async () => {
    $("cancel-yes").disabled = true;
    try {
      await api("POST", `${path}/cancel`, {});
      closeAll($("h-manage"));
      cancelled();
      notice(strings.cancelled);
    } catch (error) {
      closeAll($("h-manage"));
      notice(problemText(error), true);
    } finally {
      $("cancel-yes").disabled = false;
    }
  });
}

async function loadDays(first) {
  const container = $("days");
  container.setAttribute("aria-busy", "true");
  $("more-days").hidden = true;
  if (first) container.replaceChildren(element("p", { class: "quiet", text: strings.loading }));
  try {
    const found = await days.more();
    if (first) {
      container.replaceChildren();
      delete container.dataset.week;
      if (!found.length) container.append(element("p", { text: strings.no_days }));
    }
    renderDays(container, found, chooseDay);
    $("more-days").hidden = days.done;
  } catch (error) {
    alertIn($("step-day"), problemText(error));
  } finally {
    container.setAttribute("aria-busy", "false");
  }
}

function chooseDay(entry) {
  document.querySelector("#step-slot [data-show]").textContent = showDay(entry.slots[0].start);
  renderSlots($("slots"), entry.slots, move);
  show(sections, "step-slot");
}

async function move(slot) {
  try {
    await api("POST", `${path}/move`, { start: slot.start });
    closeAll($("h-manage"));
    $("day").textContent = showDay(slot.start);
    $("time").textContent = showTime(slot.start);
    notice(fmt(strings.moved, { day: showDay(slot.start), time: showTime(slot.start) }));
  } catch (error) {
    if (error.kind === "slot-taken") {
      show(sections, "step-day");
      days = new Days(data.motif, data.answers || {});
      await loadDays(true);
      alertIn($("step-day"), problemText(error));
    } else {
      closeAll($("h-manage"));
      notice(problemText(error), true);
    }
  }
}

if ($("move") && data.motif) {
  $("move").addEventListener("click", () => {
    $("appointment").hidden = true;
    days = new Days(data.motif, data.answers || {});
    show(sections, "step-day");
    loadDays(true);
  });
  $("more-days").addEventListener("click", () => loadDays(false));
  document.querySelector("[data-close]").addEventListener("click", () => closeAll($("move")));
  document.querySelector("[data-back-days]").addEventListener("click", () => show(sections, "step-day"));
}
