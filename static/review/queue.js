/* The review queue from the keyboard: j / k go to the next / previous excerpt, a approves it, s opens
 * "Send back" with its comment box. Keys typed in a field are left alone. The card that comes back
 * after a decision has autofocus (templates/review/queue.html), so j goes on from there. */
(function () {
  "use strict";

  function cards() { return Array.prototype.slice.call(document.querySelectorAll(".review-items > .review-card")); }
  function current() { return document.activeElement && document.activeElement.closest && document.activeElement.closest(".review-card"); }

  function go(step) {
    var all = cards(), here = all.indexOf(current());
    var next = all[here < 0 ? 0 : Math.min(Math.max(here + step, 0), all.length - 1)];
    if (!next) return;
    next.focus({ preventScroll: true });
    next.scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey || !document.querySelector(".review-items")) return;
    if (/INPUT|TEXTAREA|SELECT/.test(target.tagName) || target.isContentEditable) return;
    var card = current();
    if (event.key === "j" || event.key === "k") {
      event.preventDefault();
      go(event.key === "j" ? 1 : -1);
    } else if (event.key === "a" && card) {
      var approve = card.querySelector("input[name=decision][value=approve]");
      if (approve) { event.preventDefault(); approve.form.requestSubmit(); }
    } else if (event.key === "s" && card) {
      var details = card.querySelector("details.send-back");
      if (details) { event.preventDefault(); details.open = true; details.querySelector("textarea").focus(); }
    }
  });
})();
