// Menus (<details class="menu"> with a .menu-body): open inside the viewport whatever the
// layout around them (position: fixed, placed beside their button), close with Esc or a click
// outside, and work from the keyboard (arrows move between the items, Esc gives the focus back).
(function () {
  "use strict";

  const MARGIN = 8;
  const ITEMS = ".menu-item, .menu-body select, .menu-body a[href], .menu-body input";

  function place(menu) {
    const body = menu.querySelector(".menu-body");
    const button = menu.querySelector("summary");
    if (!body || !button) return;
    body.classList.add("placed");
    const anchor = button.getBoundingClientRect();
    const width = body.offsetWidth;
    const height = body.offsetHeight;
    let left = anchor.right - width; // right-aligned with its button, as before
    if (left < MARGIN) left = anchor.left;
    left = Math.max(MARGIN, Math.min(left, window.innerWidth - width - MARGIN));
    let top = anchor.bottom + 4;
    if (top + height > window.innerHeight - MARGIN) top = Math.max(MARGIN, anchor.top - height - 4);
    body.style.left = left + "px";
    body.style.top = top + "px";
  }

  function openMenus() {
    return document.querySelectorAll("details.menu[open]");
  }

  function close(menu, refocus) {
    menu.open = false;
    if (refocus) menu.querySelector("summary").focus();
  }

  function items(menu) {
    return [...menu.querySelectorAll(ITEMS)].filter((el) => !el.disabled && el.offsetParent !== null);
  }

  document.addEventListener(
    "toggle",
    (event) => {
      const menu = event.target;
      if (!menu.matches || !menu.matches("details.menu") || !menu.open) return;
      openMenus().forEach((other) => other !== menu && close(other, false));
      place(menu);
    },
    true
  );

  document.addEventListener("click", (event) => {
    openMenus().forEach((menu) => {
      if (!menu.contains(event.target)) close(menu, false);
      else if (event.target.closest(".menu-item")) close(menu, false); // an item was chosen
    });
  });

  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      // Wherever the focus is (inside the menu, on the page, nowhere): every open menu closes
      // and its button gets the focus back.
      const open = [...openMenus()];
      if (!open.length) return;
      event.preventDefault();
      open.forEach((menu) => close(menu, true));
      return;
    }
    const menu = event.target.closest && event.target.closest("details.menu[open]");
    if (!menu) return;
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    if (event.target.tagName === "SELECT") return; // the arrows change the select's value
    const list = items(menu);
    if (!list.length) return;
    event.preventDefault();
    const index = list.indexOf(event.target);
    const step = event.key === "ArrowDown" ? 1 : -1;
    const next = index < 0 ? (step > 0 ? 0 : list.length - 1) : (index + step + list.length) % list.length;
    list[next].focus();
  });

  const replace = () => openMenus().forEach(place);
  window.addEventListener("resize", replace);
  document.addEventListener("scroll", replace, true);
})();
