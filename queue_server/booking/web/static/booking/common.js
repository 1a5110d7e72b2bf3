// What the booking page and the appointment page share: the page's data and words, the JSON API, dates on the
// site's clock in the page's language, the list of days and times (a readable list, grouped by week, with a
// "more days" button: no drag calendar), and the embedded frame telling its height to the page around it.
"use strict";

export const data = JSON.parse(document.getElementById("data").textContent);
export const strings = JSON.parse(document.getElementById("strings").textContent);
export const fmt = (text, values) => text.replace(/\{(\w+)\}/g, (_, key) => String(values[key]));
export const $ = (id) => document.getElementById(id);
const base = `/api/v1/sites/${encodeURIComponent(data.site)}`;
const WINDOW_DAYS = 14;

export class Problem extends Error {
  constructor(status, body, headers) {
    super(body.detail || String(status));
    this.status = status;
    this.body = body;
    this.kind = (body.type || "").split("/").pop();
    this.retryAfter = Number(headers.get("Retry-After") || 0);
  }
}

/** One call to the JSON API under the site; a Problem when refused, a TypeError when the network fails. */
export async function api(method, path, body, headers = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  const answer = await fetch(base + path, init);
  const text = await answer.text();
  const parsed = text ? JSON.parse(text) : {};
  if (!answer.ok) throw new Problem(answer.status, parsed, answer.headers);
  return parsed;
}

export function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "text") node.textContent = value;
    else if (value !== null && value !== undefined && value !== false) node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

// Dates: the API's UTC instants, shown on the site's clock ("mardi 12 janvier", "10 h 10").
const dayName = new Intl.DateTimeFormat(data.lang, { timeZone: data.zone, weekday: "long", day: "numeric", month: "long" });
const dayMonth = new Intl.DateTimeFormat(data.lang, { timeZone: data.zone, day: "numeric", month: "long" });
const clock = new Intl.DateTimeFormat("en-GB", { timeZone: data.zone, hour: "numeric", minute: "2-digit", hourCycle: "h23" });
const isoDay = new Intl.DateTimeFormat("en-CA", { timeZone: data.zone, year: "numeric", month: "2-digit", day: "2-digit" });
const plural = new Intl.PluralRules(data.lang);

export const localDay = (instant) => isoDay.format(new Date(instant));
export const showDay = (instant) => dayName.format(new Date(instant));
const localTime = new Intl.DateTimeFormat(data.lang, { timeZone: data.zone, hour: "numeric", minute: "2-digit" });
export function showTime(instant) {
  if (data.lang !== "fr") return localTime.format(new Date(instant));
  // French as people write it ("10 h 10"), where Intl gives "10:10"
  const parts = Object.fromEntries(clock.formatToParts(new Date(instant)).map((p) => [p.type, p.value]));
  return `${Number(parts.hour)} h ${parts.minute}`;
}
const hourOf = (instant) => Number(clock.formatToParts(new Date(instant)).find((p) => p.type === "hour").value);

function addDays(day, n) {
  const d = new Date(`${day}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

function mondayOf(day) {
  const d = new Date(`${day}T12:00:00Z`);
  return addDays(day, -((d.getUTCDay() + 6) % 7));
}

export function alertIn(section, text) {
  let box = section.querySelector(".alert");
  if (!box) {
    box = element("p", { class: "alert", role: "alert" });
    section.querySelector("h2, h1").after(box);
  }
  box.textContent = text || "";
  return box;
}

export function problemText(error) {
  if (!(error instanceof Problem)) return strings.network;
  if (error.status === 429) return fmt(strings.rate_limited, { min: Math.max(1, Math.ceil(error.retryAfter / 60)) });
  if (error.kind === "slot-taken") return strings.slot_taken;
  if (error.kind === "too-many-appointments") return strings.too_many;
  if (error.kind === "too-late") return strings.too_late;
  if (["too-soon", "too-far", "closed", "outside-hours"].includes(error.kind)) return strings.cannot_book;
  return strings.failed;
}

/** The free days of a motif from today on, fetched a fortnight at a time up to its horizon. */
export class Days {
  constructor(motif, answers) {
    this.motif = motif;
    this.answers = answers;
    this.next = localDay(Date.now());
    this.last = addDays(this.next, motif.horizon_days);
  }

  get done() { return this.next > this.last; }

  /** The next days with free times: at least ``wanted`` of them unless the horizon comes first. */
  async more(wanted = 3) {
    const found = new Map();
    while (!this.done && found.size < wanted) {
      const to = [addDays(this.next, WINDOW_DAYS - 1), this.last].sort()[0];
      const query = new URLSearchParams({ motif: this.motif.id, from: this.next, to });
      for (const [name, value] of Object.entries(this.answers)) query.set(`a.${name}`, String(value));
      const answer = await api("GET", `/slots?${query}`);
      for (const slot of answer.slots) {
        const day = localDay(slot.start);
        if (!found.has(day)) found.set(day, []);
        found.get(day).push(slot);
      }
      this.next = addDays(to, 1);
    }
    return [...found.entries()].map(([day, slots]) => ({ day, slots }));
  }
}

/** Render ``days`` under ``container`` (appended), grouped by week; ``choose(day)`` on a click. */
export function renderDays(container, days, choose) {
  let list = null;
  let week = container.dataset.week || "";
  for (const entry of days) {
    const monday = mondayOf(entry.day);
    if (monday !== week || !list) {
      week = monday;
      const heading = element("h3", { text: fmt(strings.week_of, { date: dayMonth.format(new Date(`${monday}T12:00:00Z`)) }) });
      list = element("ul", { class: "days plain" });
      container.append(element("div", { class: "week" }, heading, list));
    }
    const count = entry.slots.length;
    const words = fmt(plural.select(count) === "one" ? strings.free_one : strings.free_other, { n: count });
    const button = element("button", { type: "button", class: "day", "data-day": entry.day },
      element("span", { class: "name", text: showDay(entry.slots[0].start) }),
      element("span", { class: "count", text: words }));
    button.addEventListener("click", () => choose(entry));
    list.append(element("li", {}, button));
  }
  container.dataset.week = week;
}

/** Render a day's times under ``container`` (replacing), morning then afternoon; ``choose(slot)`` on a click. */
export function renderSlots(container, slots, choose) {
  container.replaceChildren();
  for (const [label, test] of [[strings.morning, (h) => h < 12], [strings.afternoon, (h) => h >= 12]]) {
    const some = slots.filter((s) => test(hourOf(s.start)));
    if (!some.length) continue;
    const id = `period-${container.childElementCount}`;
    const list = element("ul", { class: "slots plain", "aria-labelledby": id });
    for (const slot of some) {
      const button = element("button", { type: "button", class: "slot", "data-start": slot.start,
        "aria-label": fmt(strings.choose_time, { time: showTime(slot.start), day: showDay(slot.start) }) },
      showTime(slot.start));
      button.addEventListener("click", () => choose(slot));
      list.append(element("li", {}, button));
    }
    container.append(element("h3", { class: "period", id, text: label }), list);
  }
}

/** Show one section of ``sections`` and focus its heading (screen readers announce the new step). */
export function show(sections, id) {
  for (const section of sections) section.hidden = section.id !== id;
  const heading = $(id).querySelector("h2");
  heading.focus();
  if (data.embed) tellParent({ guichet: "step" });
}

// Embedded: the page around tells the frame's height; only the declared websites receive it.
export function tellParent(message) {
  window.Frame.tell(message, data.origins); // /static/frame.js
}

if (data.embed) window.Frame.follow(data.origins);
