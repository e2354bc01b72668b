// The automation rule builder: add and remove condition/action rows, show the minutes field
// only for the events that wait. Rows themselves are server-rendered htmx partials.
//
// The builder's forms are boosted, so the page may arrive by an htmx swap (Clone on the list, a
// 422 with the rows' errors) rather than a page load: the script is in the page's content, htmx
// runs it again with each swap, and it sets itself up once (its listeners are on the document).
(function () {
  "use strict";
  if (window.nexlooAutomationBuilder) return;
  window.nexlooAutomationBuilder = true;

  function nextIndex(container) {
    let max = -1;
    container.querySelectorAll("[data-row]").forEach(function (row) {
      max = Math.max(max, parseInt(row.dataset.index, 10));
    });
    return max + 1;
  }

  document.addEventListener("click", function (event) {
    const adder = event.target.closest("[data-add-row]");
    if (adder) {
      event.preventDefault();
      const container = document.getElementById(adder.dataset.target);
      const url = adder.dataset.addRow + "?index=" + nextIndex(container);
      window.htmx.ajax("GET", url, { target: container, swap: "beforeend" }).then(function () {
        const rows = container.querySelectorAll("[data-row]");
        const last = rows[rows.length - 1];
        const first = last && last.querySelector("select, input, textarea");
        if (first) first.focus();
      });
      return;
    }
    const remover = event.target.closest("[data-remove-row]");
    if (remover) {
      event.preventDefault();
      const row = remover.closest("[data-row]");
      const group = row.parentElement;
      row.remove();
      const focus = group.parentElement.querySelector("[data-add-row]");
      if (focus) focus.focus();
    }
  });

  function showDelay() {
    const select = document.querySelector("[data-event-select]");
    const field = document.querySelector("[data-delay-field]");
    if (!select || !field) return;
    const timed = (select.dataset.timeEvents || "").split(",");
    field.hidden = timed.indexOf(select.value) === -1;
  }

  document.addEventListener("change", function (event) {
    if (event.target.closest("[data-event-select]")) showDelay();
  });
  // On a page load, and on every swap: a swapped-in builder (or the same one re-rendered with
  // its errors) starts with the minutes field shown.
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", showDelay);
  else showDelay();
  document.addEventListener("htmx:load", showDelay);

  // A row re-rendered for another attribute or operator keeps the keyboard where it was.
  let refocus = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    const active = document.activeElement;
    const row = active && active.closest("[data-row]");
    refocus = row && active.dataset.part ? { id: row.id, part: active.dataset.part } : null;
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!refocus) return;
    const row = document.getElementById(refocus.id);
    const target = row && row.querySelector('[data-part="' + refocus.part + '"]');
    if (target) target.focus();
    refocus = null;
  });
})();
