"""Selecting transcript text with the real mouse, at code point offsets of the stored text.

Pages under test carry static/coding/offsets.js and a `.text` element holding `<p data-start>`s.
"""


def char_box(page, offset: int) -> dict:
    """Where the character at code point `offset` is drawn."""
    return page.evaluate(
        """(offset) => {
          const r = VerbatimOffsets.rangeToDom(document.querySelector(".text"), offset, offset + 1);
          const box = r.getClientRects()[0];
          return {left: box.left, right: box.right, y: box.top + box.height / 2};
        }""",
        offset,
    )


def drag(page, start: int, end: int):
    """Press on the left of the character at `start`, release on the right of the one before `end`
    (scrolled into view first if a person would have to scroll to see it)."""
    page.evaluate(
        """([start, end]) => {
          const r = VerbatimOffsets.rangeToDom(document.querySelector(".text"), start, end);
          const box = r.getBoundingClientRect();
          if (box.top < 60 || box.bottom > innerHeight) {
            r.startContainer.parentElement.scrollIntoView({block: "center"});
          }
        }""",
        [start, end],
    )
    first, last = char_box(page, start), char_box(page, end - 1)
    page.mouse.move(first["left"] + 2, first["y"])
    page.mouse.down()
    page.mouse.move(last["right"] - 2, last["y"], steps=5)
    page.mouse.up()
