// The agents' workspace: live updates over the websocket, and the composer's small helpers.
// The push is a hint and the server is the record: every frame makes the page re-fetch what it
// shows (debounced), and a reconnect re-fetches everything.
(function () {
  "use strict";

  const root = document.querySelector("[data-workspace]");
  if (!root) return;

  const accountId = root.dataset.account;
  const userId = Number(root.dataset.user);
  const baseTitle = document.title;
  let unseen = 0;
  let socket = null;
  let retry = 0;
  let pingTimer = null;
  const timers = {};

  // --- helpers --------------------------------------------------------------------------------
  function openId() {
    const pane = document.querySelector("#conversation-pane [data-pane]");
    return pane ? Number(pane.dataset.pane) : null;
  }

  function filterQs() {
    const params = new URLSearchParams(window.location.search);
    params.delete("page");
    return params.toString();
  }

  function debounce(key, fn, wait) {
    clearTimeout(timers[key]);
    timers[key] = setTimeout(fn, wait);
  }

  async function fetchHtml(url) {
    const response = await fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" });
    if (!response.ok) throw new Error(String(response.status));
    return new DOMParser().parseFromString(await response.text(), "text/html");
  }

  function paneUrl(id, template) {
    // ".../conversations/0/_messages/" → ".../conversations/<id>/_messages/"
    return template.replace(/\/0\/([^/]*\/?)$/, "/" + id + "/$1");
  }

  // --- refreshers -----------------------------------------------------------------------------
  async function refreshList() {
    const qs = filterQs();
    const open = openId();
    const loaded = document.querySelectorAll("#conversation-list .conv-list").length || 1;
    const url =
      root.dataset.listUrl + "?" + qs + "&through=" + loaded + (open ? "&open=" + open : "");
    try {
      const doc = await fetchHtml(url);
      const target = document.getElementById("conversation-list");
      target.replaceChildren(...doc.body.childNodes);
      htmx.process(target);
    } catch (e) {
      /* the next frame or reconnect will retry */
    }
  }

  async function refreshCounts() {
    try {
      const doc = await fetchHtml(root.dataset.countsUrl + "?" + filterQs());
      document.getElementById("ws-counts").replaceChildren(...doc.body.childNodes);
    } catch (e) {
      /* ignore */
    }
  }

  function nearBottom(el) {
    return el.scrollHeight - el.scrollTop - el.clientHeight < 120;
  }

  async function refreshMessages() {
    const id = openId();
    if (!id) return;
    const box = document.getElementById("messages");
    const stick = !box || nearBottom(box);
    try {
      const doc = await fetchHtml(paneUrl(id, root.dataset.messagesUrlTemplate));
      if (openId() !== id) return;
      const current = document.getElementById("messages");
      current.replaceChildren(...doc.body.childNodes);
      if (stick) current.scrollTop = current.scrollHeight;
    } catch (e) {
      /* ignore */
    }
  }

  async function refreshHeader() {
    // Re-renders the header and contact panel, keeping what the agent is typing.
    const id = openId();
    if (!id) return;
    try {
      const doc = await fetchHtml(paneUrl(id, root.dataset.paneUrlTemplate) + "?" + filterQs());
      if (openId() !== id) return;
      for (const selector of [".pane-header", ".contact-panel"]) {
        const fresh = doc.querySelector(selector);
        const old = document.querySelector("#conversation-pane " + selector);
        if (fresh && old) {
          old.replaceWith(fresh);
          htmx.process(fresh);
        }
      }
      const pane = document.querySelector("#conversation-pane [data-pane]");
      const freshPane = doc.querySelector("[data-pane]");
      if (pane && freshPane) pane.dataset.assignee = freshPane.dataset.assignee;
    } catch (e) {
      /* the conversation may no longer be visible to this agent */
    }
  }

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

  function resyncAll() {
    refreshList();
    refreshCounts();
    refreshMessages();
    refreshHeader();
  }

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

  function handle(frame) {
    if (!frame || !frame.event || String(frame.account_id) !== String(accountId)) return;
    const data = frame.data || {};
    if (CONVERSATION_EVENTS.has(frame.event)) {
      debounce("list", refreshList, 120);
      debounce("counts", refreshCounts, 300);
      if (data.id === openId()) debounce("header", refreshHeader, 120);
      const mine = data.assignee_id === userId;
      const byMe = frame.performer && frame.performer.type === "user" && frame.performer.id === userId;
      if (mine && !byMe && (frame.event === "assignee.changed" || frame.event === "conversation.created")) {
        notifyAssigned(frame);
      }
    } else if (frame.event === "message.created" || frame.event === "message.updated") {
      debounce("list", refreshList, 200);
      if (data.conversation_id === openId()) {
        debounce("messages", refreshMessages, 80);
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
  function connect() {
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(scheme + "://" + window.location.host + "/ws/?account_id=" + accountId);
    socket.addEventListener("open", () => {
      const wasRetrying = retry > 0;
      retry = 0;
      document.getElementById("ws-offline").hidden = true;
      root.dataset.live = "true";
      clearInterval(pingTimer);
      pingTimer = setInterval(() => {
        if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "ping" }));
      }, 25000);
      if (wasRetrying) resyncAll();
    });
    socket.addEventListener("message", (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      if (frame.type === "pong") return;
      handle(frame);
    });
    socket.addEventListener("close", () => {
      root.dataset.live = "false";
      clearInterval(pingTimer);
      retry += 1;
      if (retry > 1) document.getElementById("ws-offline").hidden = false;
      setTimeout(connect, Math.min(30000, 500 * 2 ** Math.min(retry, 6)));
    });
  }
  connect();

  // --- after htmx swaps -----------------------------------------------------------------------
  document.body.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target.id !== "conversation-pane") return;
    const id = openId();
    root.dataset.open = id || "";
    document.querySelectorAll(".conv-row").forEach((row) => {
      row.classList.toggle("active", Number(row.dataset.conversation) === id);
      if (Number(row.dataset.conversation) === id) row.classList.remove("unread");
    });
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

  document.addEventListener("click", (event) => {
    const toggle = event.target.closest("[data-toggle-contact]");
    if (!toggle) return;
    const panel = document.getElementById("contact-panel");
    const open = panel.classList.toggle("open");
    toggle.setAttribute("aria-expanded", String(open));
  });
})();
