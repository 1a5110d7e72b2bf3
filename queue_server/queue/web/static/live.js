// What every page that follows a live feed shares (kiosk, display, ticket page, staff pages): one
// reconnecting client, the fold that keeps a site's snapshot current from its events, and the device
// token taken from the address bar. Plain script, no build step; loaded before the page's own script.
//
// - Live.follow(path, options): follows a feed ("/ws/sites/{site}", "/ws/tickets/{id}") until stop().
//   Options (all optional):
//     token            device pages: sent as ?token= (browsers cannot set headers on a WebSocket);
//                      staff pages send their session cookie instead
//     resume           come back with ?since= the last event id after a cut (default: for /ws/sites/
//                      feeds; a ticket's feed sends the whole ticket each time)
//     since            the event id to resume after on the first connection
//     onMessage(m)     each parsed message, in order
//     onStatus(up, e)  true when a connection opens, false when one ends or an attempt fails (e: the
//                      CloseEvent)
//     onRevoked(e)     close code 4001: the token was revoked or the session ended; the feed does not
//                      come back with it and stops (the page decides: pairing screen, sign-in page)
//     beforeReconnect  async () => whether to try again, asked before each new attempt (the kiosk and
//                      the display ask /api/v1/me, to tell a revoked token from a network cut); false
//                      stops the feed
//     baseMs, maxMs    backoff: baseMs × 2^attempt (attempts counted up to 6), at most maxMs, ±25 %
//                      jitter; a connection that opens starts the count again
//   Answers {stop(), lastId(), connected()}.
// - Live.fold(view, message): the view (a snapshot, as GET /state or the feed's snapshot message gives
//   it) after the message: a snapshot message replaces it (the answer is then the new view), any other
//   message changes it in place. The same rules as the Python client's counter_client/view.py, which
//   is the reference: it computes nothing the server decides (see its docstring and docs/api.md,
//   "Keeping the staff queue from the feed").
// - Live.apply(view, event): the fold of one event (not a snapshot) into the view, answering whether it
//   could be applied whole (false: an event without what the fold needs, from a server older than the
//   fold; the view is then worth fetching again). The pages are served by the server they follow.
// - Live.waitAt(position, secondsPerPlace): a waiting ticket's estimate, as the server computes it.
// - Live.waitWords(seconds, words): an estimate in words ("environ 15 minutes", "pas d'attente"), with the
//   words the server gives (queue/web/words.py wait_words) and the rule of domain/estimate.py shown_wait.
// - Live.plural(forms, n): the message of forms ({one: "…", other: "…"}: i18n.plural_forms) for n, by
//   the page language's plural rules ("{n}" replaced by n).
// - Live.exactParam(name): the query parameter spelt exactly so, or null.
// - Live.takeToken(key): keeps a ?token= given in the address in localStorage under key, drops any
//   spelling of it from the address bar, and answers the token kept (or null).
// - Live.pairing(token): what /api/v1/me says of a device token before the feed comes back: "paired" (or
//   a network cut: try again), "revoked" or "unpaired".
"use strict";

window.Live = (() => {
  // The live client -------------------------------------------------------------------------------------

  const REVOKED = 4001; // the server's CLOSE_REVOKED: do not come back with this credential

  function follow(path, options = {}) {
    const resume = options.resume ?? path.startsWith("/ws/sites/");
    const baseMs = options.baseMs ?? 500;
    const maxMs = options.maxMs ?? 15000;
    let lastId = options.since || null;
    let attempt = 0;
    let socket = null;
    let retry = null;
    let stopped = false;
    let up = false;

    function url() {
      const scheme = location.protocol === "https:" ? "wss:" : "ws:";
      const query = [];
      if (options.token) query.push(`token=${encodeURIComponent(options.token)}`);
      if (resume && lastId) query.push(`since=${encodeURIComponent(lastId)}`);
      return `${scheme}//${location.host}${path}${query.length ? "?" + query.join("&") : ""}`;
    }

    function backoff() {
      attempt = Math.min(attempt + 1, 6);
      return Math.min(maxMs, baseMs * 2 ** attempt) * (0.75 + Math.random() * 0.5);
    }

    function connect() {
      if (stopped) return;
      const mine = new WebSocket(url());
      socket = mine;
      mine.onopen = () => {
        if (stopped || socket !== mine) return;
        attempt = 0;
        up = true;
        if (options.onStatus) options.onStatus(true);
      };
      mine.onmessage = (event) => {
        if (stopped || socket !== mine) return;
        let message;
        try {
          message = JSON.parse(event.data);
        } catch {
          return; // no message of this protocol
        }
        if (!message || typeof message !== "object") return;
        if (options.onMessage) options.onMessage(message);
        // Counted as received once the page has taken it, as the Python client does.
        if (typeof message.id === "string") lastId = message.id;
      };
      mine.onclose = (event) => {
        if (socket !== mine) return;
        socket = null;
        up = false;
        if (stopped) return;
        if (options.onStatus) options.onStatus(false, event);
        if (event.code === REVOKED) {
          stopped = true;
          if (options.onRevoked) options.onRevoked(event);
          return;
        }
        retry = setTimeout(again, backoff());
      };
    }

    async function again() {
      retry = null;
      if (stopped) return;
      if (options.beforeReconnect) {
        let going = true;
        try {
          going = await options.beforeReconnect();
        } catch {
          going = true; // the hook could not tell: try the feed itself
        }
        if (!going) {
          stopped = true;
          return;
        }
        if (stopped) return;
      }
      connect();
    }

    connect();
    return {
      stop() {
        stopped = true;
        clearTimeout(retry);
        const open = socket;
        socket = null;
        up = false;
        if (open) open.close();
      },
      lastId: () => lastId,
      connected: () => up,
    };
  }

  // The fold ----------------------------------------------------------------------------------------------
  // A port of counter_client/view.py (read it first: this follows it line by line). It reads only what
  // the event carries: data.ticket (the ticket after the event) takes the place of the copies the view
  // holds, and in the staff queue is taken out and, when it waits, put back at its position (the
  // server's rank) in its service's part: the queue is never sorted here. data.services (the figures
  // of the services the event changed) are applied as they are; each waiting ticket's position is then
  // its rank in its service's part, and its estimate the server's formula over seconds_per_place.

  const RECENT_CALLS = 20; // calls the snapshot lists (the server's domain/state.py RECENT_CALLS)
  const CALLS = new Set(["ticket.called", "ticket.recalled"]); // these put the ticket first in the recent calls
  // The ticket leaves the counter that called it (a transferred one waits again elsewhere).
  const RELEASES = new Set(["ticket.finished", "ticket.no_show", "ticket.cancelled", "ticket.transferred"]);
  const COUNTER_EVENTS = new Set(["counter.opened", "counter.paused", "counter.closed"]);

  const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);
  const has = (object, key) => Object.prototype.hasOwnProperty.call(object, key);

  // The estimate of the place with `ahead` people before it: the server's domain/estimate.py wait_at,
  // in the same IEEE doubles.
  function waitAt(ahead, perPlace) {
    return perPlace === null || perPlace === undefined ? null : Math.ceil((ahead + 1) * perPlace);
  }

  function fold(view, message) {
    if (!isObject(message)) return view;
    if (message.type === "snapshot") return isObject(message.data) ? message.data : view;
    // An administrator changed the site: the whole snapshot after it (services, counters, hours, settings).
    if (message.type === "site.configured") return isObject(message.data) ? message.data : view;
    if (!isObject(view)) return view; // no snapshot yet: nothing to keep current
    apply(view, message);
    return view;
  }

  // One event into the view; whether it could be applied whole (a server from before data.services, or
  // a ticket event without its ticket, could not: the view would then be worth fetching again).
  function apply(view, message) {
    const kind = message.type;
    if (typeof kind !== "string") return true;
    const data = isObject(message.data) ? message.data : {};
    const at = typeof message.at === "string" ? message.at : null;
    let whole = true;
    if (kind.startsWith("ticket.")) {
      const ticket = ticketOf(data.ticket);
      if (ticket === null) whole = false;
      else ticketEvent(view, kind, ticket, data.agent, at);
    } else if (COUNTER_EVENTS.has(kind)) {
      if (!has(data, "counter")) whole = false;
      else if (isObject(data.counter)) replaceCounter(view, data.counter);
    } else if (kind === "day.started") {
      newDay(view);
    } else if (kind === "kiosk.printer") {
      printer(view, data);
    } else if (kind === "display.message" && typeof data.text === "string") {
      view.message = data.text;
    }
    if (kind.startsWith("ticket.") || COUNTER_EVENTS.has(kind) || kind === "day.started") {
      if (Array.isArray(data.services)) figures(view, data.services);
      else whole = false;
      if (has(view, "queue")) rank(view);
    }
    if (typeof message.id === "string") view.last_event_id = message.id;
    return whole;
  }

  function ticketOf(value) {
    if (!isObject(value)) return null;
    for (const key of ["id", "number", "service", "status", "issued_at"]) {
      if (typeof value[key] !== "string") return null;
    }
    return value;
  }

  // Where the ticket shows (its counter, the recent calls, the queue), as the server's fold does.
  function ticketEvent(view, kind, ticket, agent, at) {
    for (const counter of view.counters) {
      const held = counter.ticket;
      if (held && held.id === ticket.id) {
        // Released only by the counter that called it last, as the server's fold does.
        counter.ticket = RELEASES.has(kind) && held.counter === counter.id ? null : ticket;
      }
    }
    if (kind === "ticket.called") {
      const calling = view.counters.find((c) => c.id === ticket.counter);
      if (calling) {
        if (calling.status !== "open" || !calling.since) calling.since = at;
        calling.status = "open";
        calling.ticket = ticket;
        if (has(calling, "pause_reason")) calling.pause_reason = null; // a call reopens a paused counter
        if (typeof agent === "string" && agent) calling.agent = agent;
      }
    }
    const others = view.recent_calls.filter((t) => t.id !== ticket.id);
    if (CALLS.has(kind)) view.recent_calls = [ticket, ...others].slice(0, RECENT_CALLS);
    else view.recent_calls = view.recent_calls.map((t) => (t.id === ticket.id ? ticket : t));
    if (has(view, "queue")) requeue(view, ticket);
  }

  // The queue without the ticket, then, if it waits, with it at its rank in its service's part.
  function requeue(view, ticket) {
    const parts = new Map(); // service id -> its part, in the order met
    for (const waiting of view.queue || []) {
      if (waiting.id === ticket.id) continue;
      if (!parts.has(waiting.service)) parts.set(waiting.service, []);
      parts.get(waiting.service).push(waiting);
    }
    if (ticket.status === "waiting" && Number.isInteger(ticket.position)) {
      if (!parts.has(ticket.service)) parts.set(ticket.service, []);
      parts.get(ticket.service).splice(Math.max(0, ticket.position), 0, ticket);
    }
    const order = view.services.map((s) => s.id);
    const known = new Set(order);
    view.queue = [...order, ...[...parts.keys()].filter((s) => !known.has(s))]
      .flatMap((service) => parts.get(service) || []);
  }

  // Each waiting ticket's position (its rank in its service's part of the queue) and estimate (its
  // service's seconds_per_place, as the server works it out), there and in the recent calls. A ticket
  // that changes is a new object: the same one may be held elsewhere in the view.
  function rank(view) {
    const perPlace = new Map(view.services.map((s) => [s.id, s.seconds_per_place]));
    const ahead = new Map();
    const placed = new Map();
    const queue = view.queue || [];
    queue.forEach((waiting, i) => {
      const position = ahead.get(waiting.service) || 0;
      ahead.set(waiting.service, position + 1);
      const estimate = waitAt(position, perPlace.get(waiting.service));
      if (waiting.position !== position || waiting.estimated_wait_s !== estimate) {
        queue[i] = { ...waiting, position, estimated_wait_s: estimate };
      }
      placed.set(waiting.id, queue[i]);
    });
    view.recent_calls = view.recent_calls.map((t) => placed.get(t.id) || t);
  }

  function replaceCounter(view, counter) {
    view.counters = view.counters.map((c) => (c.id === counter.id ? counter : c));
  }

  // A new day: nobody waits, no call is recent, every counter is closed (and nobody's).
  function newDay(view) {
    if (has(view, "queue")) view.queue = [];
    view.recent_calls = [];
    for (const counter of view.counters) {
      counter.status = "closed";
      counter.ticket = null;
      counter.since = null;
      if (has(counter, "agent")) counter.agent = null;
      if (has(counter, "pause_reason")) counter.pause_reason = null;
    }
  }

  function printer(view, data) {
    if (!Number.isInteger(data.kiosk) || typeof data.status !== "string") return;
    const printers = (view.printers || []).filter((p) => p.kiosk !== data.kiosk);
    printers.push({ kiosk: data.kiosk, status: data.status });
    view.printers = printers.sort((a, b) => a.kiosk - b.kiosk);
  }

  // The server's figures of the services an event changed, as they are.
  function figures(view, list) {
    const services = new Map(view.services.map((s) => [s.id, s]));
    for (const figure of list) {
      if (!isObject(figure) || !services.has(figure.id)) continue;
      const service = services.get(figure.id);
      if (Number.isInteger(figure.waiting)) service.waiting = figure.waiting;
      if (has(figure, "estimated_wait_s")) service.estimated_wait_s = figure.estimated_wait_s;
      if (Number.isInteger(figure.served)) service.served = figure.served;
      if (has(figure, "seconds_per_place")) service.seconds_per_place = figure.seconds_per_place;
    }
  }

  // The device token ----------------------------------------------------------------------------------------

  /** The value of the query parameter spelt exactly ``name`` (not merely decoding to it), or null. */
  function exactParam(name) {
    for (const pair of location.search.slice(1).split("&")) {
      const at = pair.indexOf("=");
      if ((at < 0 ? pair : pair.slice(0, at)) !== name) continue;
      try {
        return decodeURIComponent((at < 0 ? "" : pair.slice(at + 1)).replace(/\+/g, " "));
      } catch {
        return null;
      }
    }
    return null;
  }

  // The token is taken under its exact name only, as the server does: "?tok%65n=" decodes to "token"
  // too, but a credential under another spelling is refused. Any spelling of it leaves the address bar
  // (and the browser's history).
  function takeToken(key) {
    const given = exactParam("token");
    if (given) localStorage.setItem(key, given);
    const here = new URL(location.href);
    if (here.searchParams.has("token")) {
      here.searchParams.delete("token");
      window.history.replaceState(null, "", here.pathname + here.search);
    }
    return localStorage.getItem(key);
  }

  async function pairing(token) {
    let answer;
    try {
      answer = await fetch("/api/v1/me", { headers: { Authorization: "Bearer " + token }, cache: "no-store" });
    } catch {
      return "paired"; // a network cut: the feed tries again
    }
    if (answer.status !== 401) return "paired";
    const problem = await answer.json().catch(() => ({}));
    return problem.type === "/problems/token-revoked" ? "revoked" : "unpaired";
  }

  // The site's logo in ``img`` (its URL names its version: a new logo is a new URL), or none: an administrator may
  // change or remove it while the page runs (site.configured).
  function showLogo(img, url) {
    if (url) {
      if (img.getAttribute("src") !== url) img.src = url;
    } else {
      img.removeAttribute("src");
    }
    img.hidden = !url;
  }

  // Words ------------------------------------------------------------------------------------------------

  function plural(forms, n) {
    const tag = new Intl.PluralRules(document.documentElement.lang || "fr").select(n);
    return (forms[tag] || forms.other || "").replace(/\{n\}/g, String(n));
  }

  // domain/estimate.py shown_wait: no wait; under 5 min; about N min to the nearest 5; over an hour.
  function waitWords(seconds, words) {
    if (seconds === null || seconds === undefined) return words.unknown;
    if (seconds <= 0) return words.none;
    if (seconds < 300) return words.under;
    if (seconds >= 3600) return words.over;
    return plural(words.about, Math.max(5, Math.min(55, Math.floor(seconds / 300 + 0.5) * 5)));
  }

  return { follow, fold, apply, waitAt, exactParam, takeToken, pairing, showLogo, plural, waitWords };
})();
