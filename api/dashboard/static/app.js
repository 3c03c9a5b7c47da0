// Every page: a box that scrolls (a wide table on a phone, a long output, the source) can be reached and
// scrolled with the keyboard, and says what it holds.
(function () {
  "use strict";
  function mark() {
    document.querySelectorAll(".scroll, pre.output, .source-wrap").forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1 || box.scrollHeight > box.clientHeight + 1;
      if (scrolls && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        var table = box.querySelector("table"), label = table && (table.getAttribute("aria-label") || table.id);
        var what = box.matches("pre") ? "output" : box.matches(".source-wrap") ? "source" :
          (label ? label.replace(/-/g, " ") : "table");
        box.setAttribute("aria-label", what + " (scrolls)");
        box.dataset.marked = "1";
      } else if (!scrolls && box.dataset.marked) {
        ["tabindex", "role", "aria-label", "data-marked"].forEach(function (a) { box.removeAttribute(a); });
      }
    });
  }
  mark();
  window.addEventListener("resize", mark);
  document.addEventListener("toggle", mark, true);  // a <details> opened: its output may scroll now
  window.autograderMarkScroll = mark;  // pages that replace a table's rows call it again
})();
