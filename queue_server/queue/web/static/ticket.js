// A citizen's ticket on the phone, kept live by /ws/tickets/{id}. The page is complete without
// this script; with it, the position and the call arrive as they happen (with a vibration and a
// short tone where the browser allows them), and a lost connection comes back by itself (Live.follow,
// live.js: each message carries the whole ticket, so nothing is resumed). People ahead and the wait are said with
// the server's words (Live.plural, Live.waitWords), and the number called last in the service with them. "I will not
// come" cancels the waiting ticket after a confirmation (POST …/withdraw).
"use strict";

(() => {
  const main = document.getElementById("main");
  const strings = JSON.parse(document.getElementById("strings").textContent);
  const ticketId = main.dataset.ticket;
  const site = main.dataset.site;
  const fmt = (text, values) => text.replace(/\{(\w+)\}/g, (_, key) => String(values[key]));
  const live = document.getElementById("live");
  const connection = document.getElementById("connection");
  const nowServing = document.getElementById("now-serving");
  const ticketApi = `/api/v1/sites/${encodeURIComponent(site)}/tickets/${encodeURIComponent(ticketId)}`;
  let lastStatus = main.dataset.status;
  let lastRecalls = null;
  let finished = false;
  let withdrawn = false; // the holder cancelled here: the section keeps saying so

  function paragraph(text, className, id) {
    const p = document.createElement("p");
    p.textContent = text;
    if (className) p.className = className;
    if (id) p.id = id;
    return p;
  }

  function waitText(seconds) {
    return fmt(strings.wait, { wait: Live.waitWords(seconds, strings.wait_words) });
  }

  function showNowServing(number, status) {
    nowServing.hidden = !number || status !== "waiting";
    if (number) nowServing.textContent = fmt(strings.now_serving, { number });
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

  function render(ticket, counterName, serving) {
    if (!ticket) {
      live.replaceChildren(paragraph(strings.expired));
      showNowServing(null, "expired");
      finished = true;
      return;
    }
    showNowServing(serving, ticket.status);
    const counter = counterName || ticket.counter || "";
    main.dataset.status = ticket.status;
    let content;
    switch (ticket.status) {
      case "waiting":
        content = [
          paragraph(ticket.position === 0 ? strings.ahead_none : Live.plural(strings.ahead, ticket.position), "ahead", "ahead"),
          paragraph(waitText(ticket.estimated_wait_s), "", "wait"),
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
    const withdraw = document.getElementById("withdraw");
    if (withdraw && ticket.status !== "waiting" && !withdrawn) withdraw.hidden = true;
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
        if (message.type === "ticket") render(message.data.ticket, message.data.counter_name, message.data.now_serving);
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
        answer = await fetch(`${ticketApi}/phone`, {
          method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ phone }),
        });
      } catch {
        // reported below
      }
      if (answer && answer.status === 204) result.textContent = fmt(strings.phone_saved, { phone });
      else result.textContent = answer && answer.status === 422 ? strings.phone_invalid : strings.phone_failed;
    });
  }

  // "I will not come": a confirmation first (the button opens it and the focus goes to its question), then the
  // ticket is cancelled and the page says so; the feed then brings the cancelled ticket too.
  const withdrawOpen = document.getElementById("withdraw-open");
  if (withdrawOpen) {
    const confirmBox = document.getElementById("withdraw-confirm");
    const result = document.getElementById("withdraw-result");
    const question = document.getElementById("withdraw-question");
    question.tabIndex = -1;
    const close = () => {
      confirmBox.hidden = true;
      withdrawOpen.hidden = false;
      withdrawOpen.setAttribute("aria-expanded", "false");
      withdrawOpen.focus();
    };
    withdrawOpen.addEventListener("click", () => {
      confirmBox.hidden = false;
      withdrawOpen.hidden = true;
      withdrawOpen.setAttribute("aria-expanded", "true");
      result.textContent = "";
      question.focus();
    });
    document.getElementById("withdraw-no").addEventListener("click", close);
    document.getElementById("withdraw-yes").addEventListener("click", async (event) => {
      event.target.disabled = true;
      let answer = null;
      try {
        answer = await fetch(`${ticketApi}/withdraw`, { method: "POST", headers: { Accept: "application/json" } });
      } catch {
        // reported below
      }
      event.target.disabled = false;
      if (answer && answer.ok) {
        withdrawn = true;
        confirmBox.hidden = true;
        document.getElementById("withdraw").hidden = false; // the feed may have said "cancelled" first
        document.getElementById("h-withdraw").hidden = true;
        result.textContent = strings.withdrawn;
        result.tabIndex = -1;
        result.focus(); // the buttons are gone: the focus goes to what happened
        render(await answer.json(), "", null);
      } else {
        close();
        result.textContent = strings.withdraw_failed;
      }
    });
  }

  if (!["done", "no_show", "cancelled"].includes(main.dataset.status)) follow();
})();
