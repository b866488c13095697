/* Verbatim: convert between DOM selections and offsets in the stored transcript text.
 *
 * The server counts offsets in Unicode code points (Python str indices, as REFI-QDA does); the DOM
 * counts UTF-16 units. Each <p data-start="N"> holds exactly text[N : N + its length], whatever inline
 * elements (<mark>) it contains. The text between paragraphs (newlines, speaker labels) is not shown.
 * Nothing here normalizes the text: "e" + U+0301 stays two code points, as it is stored. */
(function () {
  "use strict";
  var PARAGRAPH = "p[data-start]";

  // Code points of s: a surrogate pair counts 1, like a Python str (a lone surrogate counts 1 too).
  function codePointLength(s) {
    var n = 0;
    for (var i = 0; i < s.length; i++, n++) if (s.codePointAt(i) > 0xffff) i++;
    return n;
  }

  // UTF-16 index in s after its first k code points.
  function unitIndex(s, k) {
    var i = 0;
    for (; k > 0 && i < s.length; k--) i += s.codePointAt(i) > 0xffff ? 2 : 1;
    return i;
  }

  function paragraphs(root) {
    return Array.prototype.slice.call((root || document).querySelectorAll(PARAGRAPH));
  }
  function startOf(p) { return parseInt(p.getAttribute("data-start"), 10); }
  // textContent, never innerText: innerText depends on layout and CSS (text-transform, hidden nodes).
  function endOf(p) { return startOf(p) + codePointLength(p.textContent); }

  /* The offset in the stored text of a DOM boundary point (a Range's container and offset).
   * bias "start" or "end" says which end of a selection the point is. A point outside any paragraph
   * (in a speaker header, between turns) snaps to the next paragraph's start for "start", to the
   * previous paragraph's end for "end"; so does a start at the very end of a paragraph or an end at the
   * very start of one: a coding should neither begin nor end with invisible text. null when there is
   * no paragraph on that side. root (default: document) bounds the paragraphs considered.
   * bias "caret": a collapsed point, which is where it is, even at the very end of a paragraph (a
   * caret at the end of a line means that line, not the next one); outside any paragraph it snaps
   * to the next paragraph's start, after the last one to its end. */
  function pointToOffset(node, offsetInNode, bias, root) {
    var all = paragraphs(root);
    var element = node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement;
    var p = element && element.closest(PARAGRAPH);
    var i = all.indexOf(p);
    if (i >= 0) {
      var before = document.createRange();
      before.setStart(p, 0);
      before.setEnd(node, offsetInNode);
      var prefix = before.toString();
      var offset = startOf(p) + codePointLength(prefix);
      // A point between the two halves of a pair: take the whole character on either side.
      var last = prefix.charCodeAt(prefix.length - 1);
      if (bias !== "end" && last >= 0xd800 && last <= 0xdbff) offset -= 1;
      if (bias === "start" && offset === endOf(p) && i + 1 < all.length) return startOf(all[i + 1]);
      if (bias === "end" && offset === startOf(p) && i > 0) return endOf(all[i - 1]);
      return offset;
    }
    var found = null;
    for (var j = 0; j < all.length; j++) {
      var inside = document.createRange();
      inside.selectNodeContents(all[j]);
      var side = inside.comparePoint(node, offsetInNode); // -1: point before all[j], 1: after
      if (bias !== "end" && side < 0) return startOf(all[j]);
      if (bias !== "start" && side > 0) found = endOf(all[j]);
    }
    return found;
  }

  /* {start, end, text} in code points for a Selection, within root; null when nothing of the
   * stored text is selected. start and end are authoritative: text joins the visible pieces with "\n"
   * (the stored text between paragraphs is not on the page) and the server recomputes it. */
  function selectionToRange(selection, root) {
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
    // A drag from the title or into the margin: its ends snap to root's paragraphs like hidden text.
    var range = selection.getRangeAt(0);
    var start = pointToOffset(range.startContainer, range.startOffset, "start", root);
    var end = pointToOffset(range.endContainer, range.endOffset, "end", root);
    if (start === null || end === null || start >= end) return null;
    var pieces = paragraphs(root).filter(function (p) { return startOf(p) < end && endOf(p) > start; })
      .map(function (p) {
        var chars = Array.from(p.textContent); // one item per code point
        return chars.slice(Math.max(start - startOf(p), 0), end - startOf(p)).join("");
      });
    return { start: start, end: end, text: pieces.join("\n") };
  }

  // The DOM point k code points into paragraph p. At the edge between two text nodes (say, at a
  // <mark>), a start goes into the following node and an end stays in the preceding one.
  function domPoint(p, k, bias) {
    var walker = document.createTreeWalker(p, NodeFilter.SHOW_TEXT), node;
    while ((node = walker.nextNode())) {
      var length = codePointLength(node.data);
      if (k < length || (bias === "end" && k === length)) return [node, unitIndex(node.data, k)];
      k -= length;
    }
    return [p, p.childNodes.length]; // k is past the text: only an empty paragraph gets here
  }

  /* A DOM Range over code points [start, end) of the stored text, across paragraphs if need be.
   * Offsets in hidden text snap like pointToOffset does. null when no visible text lies in between. */
  function rangeToDom(root, start, end) {
    var all = paragraphs(root);
    var first = all.find(function (p) { return endOf(p) > start; });
    var last = all.filter(function (p) { return startOf(p) < end; }).pop();
    if (!first || !last) return null;
    var from = Math.max(start, startOf(first)), to = Math.min(end, endOf(last));
    if (from >= to) return null;
    var a = domPoint(first, from - startOf(first), "start"), b = domPoint(last, to - startOf(last), "end");
    var range = document.createRange();
    range.setStart(a[0], a[1]);
    range.setEnd(b[0], b[1]);
    return range;
  }

  // The DOM point [node, offset] at code point k of the stored text; null outside the paragraphs.
  function offsetToDom(root, k, bias) {
    var p = paragraphs(root).find(function (p) { return startOf(p) <= k && k <= endOf(p); });
    return p ? domPoint(p, k - startOf(p), bias) : null;
  }

  window.VerbatimOffsets = {
    codePointLength: codePointLength,
    pointToOffset: pointToOffset,
    selectionToRange: selectionToRange,
    rangeToDom: rangeToDom,
    offsetToDom: offsetToDom,
  };
})();
