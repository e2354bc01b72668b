// The agents' workspace: live updates over the websocket, and the composer's small helpers.
// The push is a hint and the server is the record: a frame only says "this changed"; the page
// asks htmx to re-fetch the part that shows it. Each live part carries its own URL, rendered by
// the server (hx-get, hx-trigger="nexloo:refresh"), so no URL is built here.
// A page that may have missed frames re-fetches everything it shows: after a reconnect, a jump
// in a stream's frame numbers, a heartbeat without an answer, or the tab coming back.
(function () {
  "use strict";

  const root = document.querySelector("[data-workspace]");
  if (!root) return;

  const accountId = root.dataset.account;
  const userId = Number(root.dataset.user);
  const baseTitle = document.title;
  const PING_EVERY = 20000;
  const PONG_WITHIN = 6000;
  let unseen = 0;
  let socket = null;
  let failures = 0; // consecutive sockets that closed before proving themselves
  let needsResync = false;
  let pingTimer = null;
  let pongTimer = null;
  const streams = {}; // stream id -> last frame number seen
  const timers = {};

  // --- helpers --------------------------------------------------------------------------------
  function openId() {
    const pane = document.querySelector("#conversation-pane [data-pane]");
    return pane ? Number(pane.dataset.pane) : null;
  }

  function debounce(key, fn, wait) {
    clearTimeout(timers[key]);
    timers[key] = setTimeout(fn, wait);
  }

  function refresh(selector) {
    const el = document.querySelector(selector);
    if (el && window.htmx) htmx.trigger(el, "nexloo:refresh");
  }

  // A request that replaces the whole pane (a reply, a status change) answers with what was
  // true when it ran: a frame that arrives meanwhile must be fetched again after that swap, or
  // its refresh is lost with the element it targeted (the sender's own tick stayed "queued").
  const paneRequests = new Set(); // the XHRs of requests that will replace the pane
  let paneDirty = false;
  const paneRequest = (event) => event.detail.target && event.detail.target.id === "conversation-pane";

  function refreshOpenPane() {
    clearTimeout(timers.paneFallback);
    timers.paneFallback = null;
    paneDirty = false;
    refresh("#conversation-pane #messages");
    refresh("#conversation-pane .pane-header");
  }

  function refreshPane(selector) {
    if (!paneRequests.size) {
      refresh(selector);
      return;
    }
    paneDirty = true;
    // Should the pane's request never report back, the refresh still happens (armed once: a
    // stream of frames must not keep pushing it back).
    if (timers.paneFallback) return;
    timers.paneFallback = setTimeout(() => {
      paneRequests.clear();
      showPaneRequests();
      refreshOpenPane();
    }, 3000);
  }

  // How many are in flight, on the page for the browser tests (data-pane-requests).
  const showPaneRequests = () => (root.dataset.paneRequests = String(paneRequests.size));

  function paneDone(xhr) {
    if (!paneRequests.delete(xhr)) return; // settle fires once per settled element
    showPaneRequests();
    if (!paneRequests.size) {
      clearTimeout(timers.paneFallback);
      timers.paneFallback = null;
      if (paneDirty) refreshOpenPane();
    }
  }

  // The latest conversation the pane was asked for: by a row, or by a form of the open one.
  let paneAskedFor = null;

  document.body.addEventListener("htmx:beforeRequest", (event) => {
    if (!paneRequest(event)) return;
    const xhr = event.detail.xhr;
    paneRequests.add(xhr);
    showPaneRequests();
    const row = event.detail.elt.closest && event.detail.elt.closest(".conv-row");
    paneAskedFor = row ? Number(row.dataset.conversation) : openId();
    // The row that asked may be gone by the time its answer comes (the list re-renders all the
    // time), and htmx's events on a detached element reach nobody: the request's own end is
    // heard here. A swapped answer is done at its settle (below); these are the others.
    for (const name of ["abort", "error", "timeout"]) xhr.addEventListener(name, () => paneDone(xhr));
    xhr.addEventListener("load", () => {
      if (xhr.status < 200 || xhr.status >= 300 || !xhr.responseText) paneDone(xhr);
    });
  });
  document.body.addEventListener("htmx:beforeSwap", (event) => {
    // An answer for a conversation other than the one asked for last (a slow "Resolver" of the
    // previous one, after a row was clicked) would replace what the person opened since.
    if (!paneRequest(event) || !event.detail.shouldSwap || paneAskedFor === null) return;
    const match = /data-pane="(\d+)"/.exec(event.detail.serverResponse || "");
    if (match && Number(match[1]) !== paneAskedFor) {
      event.detail.shouldSwap = false;
      paneDone(event.detail.xhr);
    }
  });
  document.body.addEventListener("htmx:afterSettle", (event) => {
    if (paneRequest(event)) paneDone(event.detail.xhr);
  });

  const refreshList = () => refresh("#conversation-list");
  const refreshCounts = () => refresh("#ws-counts");
  const refreshMessages = () => refreshPane("#conversation-pane #messages");
  const refreshHeader = () => refreshPane("#conversation-pane .pane-header");

  function resyncAll() {
    refreshList();
    refreshCounts();
    refreshMessages();
    refreshHeader();
  }

  // The list refresh asks for every page loaded ("Carregar mais") and marks the open row.
  document.body.addEventListener("htmx:configRequest", (event) => {
    if (!event.detail.elt.matches || !event.detail.elt.matches("[data-live-list]")) return;
    event.detail.parameters.through = document.querySelectorAll("#conversation-list .conv-list").length || 1;
    const open = openId();
    if (open) event.detail.parameters.open = open;
  });

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
    } catch (e) {
      return "";
    }
  }

  function markRead() {
    const pane = document.querySelector("#conversation-pane [data-pane]");
    if (!pane || !pane.dataset.readUrl) return;
    fetch(pane.dataset.readUrl, { method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrfToken() } });
  }

  // --- the open thread keeps the reader's place -----------------------------------------------
  function nearBottom(el) {
    return el.scrollHeight - el.scrollTop - el.clientHeight < 80;
  }

  function lastMessageId(box) {
    const all = box.querySelectorAll("[data-message]");
    return all.length ? all[all.length - 1].dataset.message : "";
  }

  function toBottom(box) {
    box.scrollTop = box.scrollHeight;
    const marker = box.parentElement.querySelector("[data-jump-newest]");
    if (marker) marker.hidden = true;
  }

  document.body.addEventListener("htmx:beforeSwap", (event) => {
    const box = event.detail.target;
    if (box.id !== "messages") return;
    box._place = { stick: nearBottom(box), top: box.scrollTop, last: lastMessageId(box) };
  });

  document.body.addEventListener("htmx:afterSwap", (event) => {
    const box = event.detail.target;
    if (box.id !== "messages" || !box._place) return;
    const place = box._place;
    delete box._place;
    if (place.stick) {
      toBottom(box);
    } else {
      box.scrollTop = place.top;
      const marker = box.parentElement.querySelector("[data-jump-newest]");
      if (marker && lastMessageId(box) !== place.last) marker.hidden = false;
    }
  });

  // --- a press on a row that the live list replaced before the release ---------------------
  // The browser sends no click then (the element pressed is gone), so the press is remembered
  // and, if its row was replaced, the release opens the row that now stands for the same
  // conversation. A press whose row is still there gets the browser's own click, as usual.
  let pressed = null;
  document.addEventListener("pointerdown", (event) => {
    const link = event.button === 0 && event.target.closest && event.target.closest(".conv-row a");
    pressed = link ? { link, id: link.closest(".conv-row").dataset.conversation } : null;
  });
  document.addEventListener("pointerup", (event) => {
    const press = pressed;
    pressed = null;
    if (!press || press.link.isConnected || event.button !== 0) return;
    const under = document.elementFromPoint(event.clientX, event.clientY);
    const row = under && under.closest && under.closest(".conv-row");
    if (!row || row.dataset.conversation !== press.id) return; // released elsewhere: no click
    const link = row.querySelector("a");
    if (link) link.click();
  });

  document.addEventListener("click", (event) => {
    const marker = event.target.closest("[data-jump-newest]");
    if (!marker) return;
    const box = marker.parentElement.querySelector("#messages");
    if (box) toBottom(box);
  });

  document.addEventListener(
    "scroll",
    (event) => {
      const box = event.target;
      if (box.id !== "messages" || !nearBottom(box)) return;
      const marker = box.parentElement.querySelector("[data-jump-newest]");
      if (marker) marker.hidden = true;
    },
    true
  );

  // --- notifications --------------------------------------------------------------------------
  function beep() {
    try {
      const ctx = new (window.AudioContext || window.webkitAudioContext)();
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.frequency.value = 880;
      gain.gain.value = 0.06;
      osc.connect(gain);
      gain.connect(ctx.destination);
      osc.start();
      osc.stop(ctx.currentTime + 0.15);
    } catch (e) {
      /* no audio */
    }
  }

  function toast(text) {
    const el = document.getElementById("ws-toast");
    el.textContent = text;
    el.hidden = false;
    clearTimeout(timers.toast);
    timers.toast = setTimeout(() => (el.hidden = true), 5000);
  }

  function notifyAssigned(frame) {
    unseen += 1;
    document.title = "(" + unseen + ") " + baseTitle;
    toast(root.dataset.notifyText + ": " + ((frame.data.meta && frame.data.meta.sender && frame.data.meta.sender.name) || "#" + frame.data.id));
    beep();
  }

  window.addEventListener("focus", () => {
    unseen = 0;
    document.title = baseTitle;
  });

  // --- frames ---------------------------------------------------------------------------------
  const CONVERSATION_EVENTS = new Set([
    "conversation.created",
    "conversation.updated",
    "conversation.status_changed",
    "assignee.changed",
    "team.changed",
  ]);

  function missedFrames(frame) {
    // Frames are numbered per publishing process ("stream"); a jump means some were lost.
    if (!frame.stream || typeof frame.seq !== "number") return false;
    const last = streams[frame.stream];
    streams[frame.stream] = Math.max(last || 0, frame.seq);
    return last !== undefined && frame.seq > last + 1;
  }

  function handle(frame) {
    if (!frame || !frame.event || String(frame.account_id) !== String(accountId)) return;
    if (missedFrames(frame)) debounce("resync", resyncAll, 50);
    const data = frame.data || {};
    if (CONVERSATION_EVENTS.has(frame.event)) {
      debounce("list", refreshList, 120);
      debounce("counts", refreshCounts, 300);
      if (data.id === openId()) debounce("header", refreshHeader, 80);
      const mine = data.assignee_id === userId;
      const byMe = frame.performer && frame.performer.type === "user" && frame.performer.id === userId;
      if (mine && !byMe && (frame.event === "assignee.changed" || frame.event === "conversation.created")) {
        notifyAssigned(frame);
      }
    } else if (frame.event === "message.created" || frame.event === "message.updated") {
      debounce("list", refreshList, 200);
      if (data.conversation_id === openId()) {
        debounce("messages", refreshMessages, 60);
        if (frame.event === "message.created" && data.message_type === 0 && document.hasFocus()) {
          debounce("read", markRead, 500);
        }
      }
    } else if (frame.event === "conversation.read" || frame.event === "contact.deleted") {
      debounce("list", refreshList, 150);
    } else if (frame.event === "account_user.removed") {
      debounce("list", refreshList, 150);
      debounce("counts", refreshCounts, 300);
    } else if (frame.event === "presence.update" || frame.event.startsWith("inbox.") || frame.event.startsWith("team.")) {
      debounce("counts", refreshCounts, 500);
    }
  }

  // --- the socket -----------------------------------------------------------------------------
  function setLive(live) {
    root.dataset.live = String(live);
    document.getElementById("ws-offline").hidden = live || failures < 2;
  }

  function ping() {
    if (!socket || socket.readyState !== WebSocket.OPEN) return;
    socket.send(JSON.stringify({ type: "ping" }));
    clearTimeout(pongTimer);
    // No answer: pushes are not reaching this page (the server's Redis may be away).
    pongTimer = setTimeout(() => socket && socket.close(), PONG_WITHIN);
  }

  function connect() {
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    const current = new WebSocket(scheme + "://" + window.location.host + "/ws/?account_id=" + accountId);
    socket = current;
    current.addEventListener("open", () => {
      clearInterval(pingTimer);
      pingTimer = setInterval(ping, PING_EVERY);
      ping(); // the first pong proves the push path works end to end
    });
    current.addEventListener("message", (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      if (frame.type === "pong") {
        clearTimeout(pongTimer);
        if (root.dataset.live !== "true") {
          failures = 0;
          setLive(true);
          if (needsResync) resyncAll();
          needsResync = false;
        }
        return;
      }
      handle(frame);
    });
    current.addEventListener("close", () => {
      if (socket !== current) return;
      const wasLive = root.dataset.live === "true";
      clearInterval(pingTimer);
      clearTimeout(pongTimer);
      needsResync = true;
      failures = wasLive ? 1 : failures + 1;
      setLive(false);
      setTimeout(connect, Math.min(30000, 500 * 2 ** Math.min(failures, 6)));
    });
  }
  connect();

  // Back from sleep or a hidden tab: timers may not have run, frames may have been lost.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState !== "visible") return;
    resyncAll();
    ping();
  });
  window.addEventListener("online", () => {
    resyncAll();
    ping();
  });
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) resyncAll();
  });

  // --- after htmx swaps -----------------------------------------------------------------------
  function markOpenRow(id) {
    document.querySelectorAll(".conv-row").forEach((row) => {
      row.classList.toggle("active", Number(row.dataset.conversation) === id);
      if (Number(row.dataset.conversation) === id) row.classList.remove("unread");
    });
  }

  // htmx gives swapped-in elements their behaviour only when they settle, 20 ms later (more on a
  // busy page): a row clicked in between did what a plain link does, a whole-page load. The
  // list re-renders all the time, so its new rows are made ready at once. (Only the new nodes:
  // processing the list itself mid-request would reset htmx's state of its own request.)
  document.body.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target.id !== "conversation-list") return;
    for (const child of event.detail.target.children) htmx.process(child);
  });

  // A list answer asked for before another conversation was opened marks the row that was open
  // then: the row marked is always the one open now.
  document.body.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target.id === "conversation-list") markOpenRow(openId());
  });

  document.body.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target.id !== "conversation-pane") return;
    const id = openId();
    root.dataset.open = id || "";
    markOpenRow(id);
    const box = document.getElementById("messages");
    if (box) box.scrollTop = box.scrollHeight;
    document.querySelectorAll("dialog[data-open-on-load]").forEach((d) => d.showModal && d.showModal());
    const composer = document.querySelector("[data-composer]");
    if (composer && event.detail.requestConfig && event.detail.requestConfig.verb === "post") composer.focus();
  });

  document.addEventListener("DOMContentLoaded", () => {
    const box = document.getElementById("messages");
    if (box) box.scrollTop = box.scrollHeight;
    document.querySelectorAll("dialog[data-open-on-load]").forEach((d) => d.showModal && d.showModal());
  });

  // "Filtros" on a narrow screen: shows or hides the status, inbox, team and label filters.
  document.addEventListener("click", (event) => {
    const toggle = event.target.closest && event.target.closest("[data-ws-more-toggle]");
    if (!toggle) return;
    const open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(open));
    toggle.closest(".ws-filters").classList.toggle("more-open", open);
  });

  document.addEventListener("change", (event) => {
    const select = event.target.closest && event.target.closest("select[data-autosubmit]");
    if (select) select.form.requestSubmit();
  });

  // --- the composer ---------------------------------------------------------------------------
  document.addEventListener("keydown", (event) => {
    const composer = event.target.closest && event.target.closest("[data-composer]");
    if (!composer) return;
    const list = composer.form.querySelector(".canned-suggestions");
    if (!list.hidden && ["ArrowDown", "ArrowUp", "Enter", "Escape"].includes(event.key)) {
      const items = [...list.querySelectorAll("li")];
      let index = items.findIndex((li) => li.getAttribute("aria-selected") === "true");
      if (event.key === "Escape") {
        list.hidden = true;
      } else if (event.key === "Enter") {
        if (index >= 0) pickCanned(composer, items[index]);
      } else {
        index = event.key === "ArrowDown" ? Math.min(items.length - 1, index + 1) : Math.max(0, index - 1);
        items.forEach((li, i) => li.setAttribute("aria-selected", String(i === index)));
      }
      event.preventDefault();
      return;
    }
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      composer.form.requestSubmit();
    }
  });

  function pickCanned(composer, li) {
    composer.value = li.dataset.content;
    composer.form.querySelector(".canned-suggestions").hidden = true;
    composer.focus();
  }

  document.addEventListener("input", (event) => {
    const composer = event.target.closest && event.target.closest("[data-composer]");
    if (!composer) return;
    const list = composer.form.querySelector(".canned-suggestions");
    const match = /^\/(\S*)$/.exec(composer.value);
    if (!match) {
      list.hidden = true;
      return;
    }
    debounce("canned", async () => {
      const url = composer.form.dataset.cannedUrl + "?q=" + encodeURIComponent(match[1]);
      const response = await fetch(url, { credentials: "same-origin" });
      const body = await response.json();
      list.replaceChildren(
        ...body.payload.map((row, i) => {
          const li = document.createElement("li");
          li.setAttribute("role", "option");
          li.setAttribute("aria-selected", String(i === 0));
          li.dataset.content = row.content;
          const code = document.createElement("strong");
          code.textContent = "/" + row.short_code;
          li.append(code, " " + row.content.slice(0, 80));
          li.addEventListener("mousedown", (e) => {
            e.preventDefault();
            pickCanned(composer, li);
          });
          return li;
        })
      );
      list.hidden = body.payload.length === 0;
    }, 120);
  });

  document.addEventListener("change", (event) => {
    const input = event.target.closest && event.target.closest(".file-pick input[type=file]");
    if (!input) return;
    const names = [...input.files].map((f) => f.name).join(", ");
    input.closest("form").querySelector(".file-names").textContent = names;
  });

  // "Enviar modelo" on a message WhatsApp refused outside the 24-hour window: opens the
  // composer's template picker (or shows why there is none).
  document.addEventListener("click", (event) => {
    const action = event.target.closest("[data-open-templates]");
    if (!action) return;
    const picker = document.getElementById(action.getAttribute("href").slice(1));
    if (!picker) return;
    event.preventDefault();
    picker.hidden = false;
    if (picker.tagName === "DETAILS") picker.open = true;
    picker.scrollIntoView({ block: "nearest" });
    const first = picker.querySelector("input[type=text]") || picker.querySelector("button");
    if (first) first.focus();
  });

  document.addEventListener("click", (event) => {
    const toggle = event.target.closest("[data-toggle-contact]");
    if (!toggle) return;
    const panel = document.getElementById("contact-panel");
    const open = panel.classList.toggle("open");
    toggle.setAttribute("aria-expanded", String(open));
  });
})();
