// Every page: a table box that scrolls sideways (a wide table on a phone) can be reached and scrolled
// with the keyboard, and says what it holds.
(function () {
  "use strict";
  function mark() {
    document.querySelectorAll(".scroll").forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1;
      if (scrolls && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        var table = box.querySelector("table"), label = table && (table.getAttribute("aria-label") || table.id);
        box.setAttribute("aria-label", (label ? label.replace(/-/g, " ") : "table") + " (scrolls sideways)");
      } else if (!scrolls && box.getAttribute("tabindex") === "0") {
        box.removeAttribute("tabindex"); box.removeAttribute("role"); box.removeAttribute("aria-label");
      }
    });
  }
  mark();
  window.addEventListener("resize", mark);
  window.autograderMarkScroll = mark;  // pages that replace a table's rows call it again
})();
