// Small behaviours shared by every page. Everything else is htmx.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    // Mobile navigation toggle.
    const toggle = event.target.closest("[data-toggle-nav]");
    if (toggle) {
      const shell = document.getElementById("shell");
      const open = shell.classList.toggle("nav-open");
      toggle.setAttribute("aria-expanded", String(open));
      return;
    }
    // <button data-dialog="id"> opens the <dialog id="id">; [data-close] closes its dialog.
    const opener = event.target.closest("[data-dialog]");
    if (opener) {
      const dialog = document.getElementById(opener.dataset.dialog);
      if (dialog && dialog.showModal) {
        event.preventDefault();
        dialog.showModal();
      }
      return;
    }
    const closer = event.target.closest("[data-close]");
    if (closer) {
      const dialog = closer.closest("dialog");
      if (dialog) {
        event.preventDefault();
        dialog.close();
      }
    }
  });

  // Success messages step aside after a while (errors stay until the person acts).
  function dismissSuccesses(root) {
    root.querySelectorAll(".messages .alert-success").forEach(function (el) {
      setTimeout(function () {
        el.remove();
      }, 6000);
    });
  }

  // On a phone a table becomes stacked rows (app.css) and its header row is hidden: each cell
  // gets its column's name (data-label, shown before the value), taken from the header.
  function labelCells(root) {
    const tables = [...root.querySelectorAll("table.table")];
    if (root.matches && root.matches("table.table")) tables.push(root);
    tables.forEach(function (table) {
      const heads = table.tHead && table.tHead.rows[0];
      if (!heads) return;
      const names = [];
      [...heads.cells].forEach(function (cell) {
        for (let n = 0; n < (cell.colSpan || 1); n++) names.push(cell.textContent.trim());
      });
      [...table.tBodies].forEach(function (body) {
        [...body.rows].forEach(function (row) {
          let column = 0;
          [...row.cells].forEach(function (cell) {
            const name = names[column];
            if (name && !cell.hasAttribute("data-label")) cell.dataset.label = name;
            column += cell.colSpan || 1;
          });
        });
      });
    });
  }

  function prepare(root) {
    dismissSuccesses(root);
    labelCells(root);
  }

  document.addEventListener("DOMContentLoaded", function () {
    prepare(document);
  });
  document.addEventListener("htmx:load", function (event) {
    // New content (a boosted form's page, a swapped list): htmx:load fires on each new root.
    if (event.target.querySelectorAll) prepare(event.target);
  });

  document.addEventListener("change", function (event) {
    const switcher = event.target.closest("[data-account-switch]");
    if (switcher) {
      window.location.href = switcher.value;
    }
  });

  // --- Server errors in htmx forms: one mechanism for every form ---------------------------
  // A 400/422 answer is the form re-rendered with its errors: swap it like a success. Any other
  // failure (another 4xx, a 5xx, no connection) leaves the form as it is, with what the person
  // typed, and says what happened at the top of the form (or of its dialog). The settings forms
  // are boosted (hx-boost) so that this holds for them too: a failed save never leaves the page.
  const RENDERED_ERRORS = [400, 422];

  function formOf(elt) {
    if (!elt) return null;
    if (elt.tagName === "FORM") return elt;
    return elt.form || (elt.closest && elt.closest("form"));
  }

  function alertFor(form, create) {
    let alert = form.querySelector("[data-form-alert]");
    if (!alert && create) {
      alert = document.createElement("div");
      alert.className = "alert alert-error form-alert";
      alert.setAttribute("role", "alert");
      alert.dataset.formAlert = "";
      const body = form.querySelector(".dialog-body");
      if (body) {
        const title = body.querySelector("h2");
        if (title) title.after(alert);
        else body.prepend(alert);
      } else {
        form.prepend(alert);
      }
    }
    return alert;
  }

  // A short plain-text answer is the server's own message for the person (the busy 503: "O
  // servidor está ocupado e nada foi salvo…"): show it rather than the generic one.
  function serverMessage(xhr) {
    const type = xhr.getResponseHeader("Content-Type") || "";
    const text = (xhr.responseText || "").trim();
    return type.indexOf("text/plain") === 0 && text.length <= 300 ? text : "";
  }

  // A form that saves on change (the availability selector) has nothing typed to keep: when
  // the change fails it goes back to what the server last said it stored.
  function savesOnChange(form) {
    return /\bchange\b/.test(form.getAttribute("hx-trigger") || "");
  }

  function showFormError(elt, kind, message) {
    const form = formOf(elt);
    if (!form) return;
    if (savesOnChange(form)) form.reset();
    const alert = alertFor(form, true);
    alert.textContent = message || document.body.dataset["error" + kind] || "";
    alert.hidden = false;
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    const form = formOf(event.detail.elt);
    const alert = form && alertFor(form, false);
    if (alert) alert.remove();
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    const xhr = event.detail.xhr;
    // detail.elt is the swap target here; the element that asked is in requestConfig.
    const asker = (event.detail.requestConfig && event.detail.requestConfig.elt) || event.detail.elt;
    if (xhr.status < 400 || !formOf(asker)) return;
    const html = (xhr.getResponseHeader("Content-Type") || "").indexOf("text/html") === 0;
    const swapping = htmx.closest(asker, "[hx-swap]");
    const swapsNothing = swapping && swapping.getAttribute("hx-swap").trim().indexOf("none") === 0;
    if (RENDERED_ERRORS.indexOf(xhr.status) >= 0 && html && xhr.responseText && !swapsNothing) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
      return;
    }
    event.detail.shouldSwap = false;
    showFormError(asker, xhr.status >= 500 ? "Server" : "Client", serverMessage(xhr));
  });

  document.addEventListener("htmx:sendError", function (event) {
    showFormError(event.detail.elt, "Network");
  });
  document.addEventListener("htmx:timeout", function (event) {
    showFormError(event.detail.elt, "Network");
  });
})();
