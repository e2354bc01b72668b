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
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".messages .alert-success").forEach(function (el) {
      setTimeout(function () {
        el.remove();
      }, 6000);
    });
  });

  document.addEventListener("change", function (event) {
    const switcher = event.target.closest("[data-account-switch]");
    if (switcher) {
      window.location.href = switcher.value;
    }
    // A filter that applies as soon as it changes (no inline handlers: see the CSP).
    const auto = event.target.closest("[data-submit-on-change]");
    if (auto && auto.form) {
      auto.form.requestSubmit();
    }
  });
})();
