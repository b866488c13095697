/* Verbatim: the side-by-side comparison of coders (templates/agreement/compare.html).
 *
 * The browser's part only: stepping from one disagreement to the next with the keyboard (N or J,
 * P or K), which focuses its card and brings its passage into view; clicking a marked passage opens
 * its card; "use the selected text" fills a new passage's bounds from the selection, in code points
 * of the stored text (static/coding/offsets.js). Everything else is plain forms. */
(function () {
  "use strict";
  var text = document.getElementById("compare-text");
  if (!text) return;
  var cards = Array.prototype.slice.call(document.querySelectorAll(".disagreement"));

  function current() {
    var i = cards.indexOf(document.activeElement && document.activeElement.closest(".disagreement"));
    if (i >= 0) return i;
    var hash = cards.findIndex(function (c) { return "#" + c.id === location.hash; });
    return hash;
  }

  function show(i) {
    var card = cards[i];
    if (!card) return;
    cards.forEach(function (c) { c.classList.toggle("current", c === card); });
    text.querySelectorAll("mark.current").forEach(function (m) { m.classList.remove("current"); });
    var marks = text.querySelectorAll('mark[data-region="' + card.dataset.region + '"]');
    marks.forEach(function (m) { m.classList.add("current"); });
    if (marks[0]) marks[0].scrollIntoView({ block: "center" });
    card.focus({ preventScroll: true });
    card.scrollIntoView({ block: "nearest" });
    history.replaceState(null, "", "#" + card.id);
  }

  document.addEventListener("keydown", function (event) {
    var typing = event.target.closest("input, textarea, select, [contenteditable]");
    if (typing || event.ctrlKey || event.metaKey || event.altKey || !cards.length) return;
    var key = event.key.toLowerCase();
    if (key === "n" || key === "j") {
      show(Math.min(current() + 1, cards.length - 1));
    } else if (key === "p" || key === "k") {
      show(Math.max(current() - 1, 0));
    } else {
      return;
    }
    event.preventDefault();
  });

  text.addEventListener("click", function (event) {
    var mark = event.target.closest("mark[data-region]");
    if (!mark || !getSelection().isCollapsed) return;
    var i = cards.findIndex(function (c) { return c.dataset.region === mark.dataset.region; });
    if (i >= 0) show(i);
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest(".use-selection");
    if (!button) return;
    var range = VerbatimOffsets.selectionToRange(getSelection(), text);
    var form = button.closest("form");
    if (!range) {
      button.textContent = button.dataset.none || button.textContent;
      return;
    }
    form.span_start.value = range.start;
    form.span_end.value = range.end;
    form.querySelector('input[name=choice][value=span]').checked = true;
  });

  var start = cards.findIndex(function (c) { return "#" + c.id === location.hash; });
  if (start >= 0) show(start);
})();
