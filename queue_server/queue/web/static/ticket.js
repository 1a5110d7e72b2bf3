// A citizen's ticket on the phone, kept live by /ws/tickets/{id}. The page is complete without
// this script; with it, the position and the call arrive as they happen (with a vibration and a
// short tone where the browser allows them), and a lost connection comes back by itself (Live.follow,
// live.js: each message carries the whole ticket, so nothing is resumed).
"use strict";

(() => {
  const main = document.getElementById("main");
  const strings = JSON.parse(document.getElementById("strings").textContent);
  const ticketId = main.dataset.ticket;
  const site = main.dataset.site;
  const fmt = (text, values) => text.replace(/\{(\w+)\}/g, (_, key) => String(values[key]));
  const live = document.getElementById("live");
  const connection = document.getElementById("connection");
  let lastStatus = main.dataset.status;
  let lastRecalls = null;
  let finished = false;

  function paragraph(text, className) {
    const p = document.createElement("p");
    p.textContent = text;
    if (className) p.className = className;
    return p;
  }

  function waitText(seconds) {
    if (seconds === null || seconds === undefined) return strings.wait_unknown;
    return fmt(strings.wait, { min: Math.max(1, Math.round(seconds / 60)) });
  }

  function alertPerson() {
    if (navigator.vibrate) navigator.vibrate([400, 150, 400, 150, 400]);
    try {
      const audio = new (window.AudioContext || window.webkitAudioContext)();
      const tone = audio.createOscillator();
      const gain = audio.createGain();
      tone.frequency.value = 880;
      gain.gain.setValueAtTime(0.2, audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 1.2);
      tone.connect(gain).connect(audio.destination);
      tone.start();
      tone.stop(audio.currentTime + 1.2);
    } catch {
      // no sound here: the vibration and the words remain
    }
  }

  function render(ticket, counterName) {
    if (!ticket) {
      live.replaceChildren(paragraph(strings.expired));
      finished = true;
      return;
    }
    const counter = counterName || ticket.counter || "";
    main.dataset.status = ticket.status;
    let content;
    switch (ticket.status) {
      case "waiting":
        content = [
          paragraph(ticket.position === 0 ? strings.ahead_none : fmt(strings.ahead, { n: ticket.position })),
          paragraph(waitText(ticket.estimated_wait_s)),
        ];
        break;
      case "called":
        content = [paragraph(fmt(ticket.recalls > 0 ? strings.recalled : strings.called, { counter }), "turn")];
        break;
      case "serving":
        content = [paragraph(fmt(strings.serving, { counter }))];
        break;
      default:
        content = [paragraph(strings[ticket.status] || strings.expired)];
        finished = true;
    }
    live.replaceChildren(...content);
    const called = ticket.status === "called";
    if (called && (lastStatus !== "called" || (lastRecalls !== null && ticket.recalls > lastRecalls))) alertPerson();
    lastStatus = ticket.status;
    lastRecalls = ticket.recalls;
    const form = document.getElementById("sms");
    if (form && ticket.status !== "waiting") form.hidden = true;
  }

  function follow() {
    Live.follow(`/ws/tickets/${encodeURIComponent(ticketId)}`, {
      resume: false,
      onStatus(up) {
        if (up) connection.textContent = "";
        else if (!finished) connection.textContent = strings.lost;
      },
      onMessage(message) {
        connection.textContent = "";
        if (message.type === "ticket") render(message.data.ticket, message.data.counter_name);
      },
      beforeReconnect: () => !finished, // a visit over has nothing more to say
    });
  }

  const form = document.getElementById("sms");
  if (form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const phone = document.getElementById("phone").value.trim();
      const result = document.getElementById("sms-result");
      if (!phone) return;
      let answer = null;
      try {
        answer = await fetch(`/api/v1/sites/${encodeURIComponent(site)}/tickets/${encodeURIComponent(ticketId)}/phone`, {
          method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ phone }),
        });
      } catch {
        // reported below
      }
      if (answer && answer.status === 204) result.textContent = fmt(strings.phone_saved, { phone });
      else result.textContent = answer && answer.status === 422 ? strings.phone_invalid : strings.phone_failed;
    });
  }

  if (!["done", "no_show", "cancelled"].includes(main.dataset.status)) follow();
})();
