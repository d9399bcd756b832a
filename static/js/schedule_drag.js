// Drag across free time in the facility schedule or the resource week to open the booking form with that
// start and end. Each free block carries its shown times (data-from, data-to, local wall-clock) and its row
// the step to snap to (data-snap, minutes); the block's link gives the form's address and other fields.
// Without JavaScript, or from the keyboard, the link itself opens the form with the whole free stretch.
(() => {
  const MOVED_PIXELS = 4;

  // Local wall-clock times as minutes, read and written as if UTC so that the browser's zone plays no part.
  const minutesOf = (value) => Date.parse(`${value}:00Z`) / 60000;
  const valueOf = (minutes) => new Date(minutes * 60000).toISOString().slice(0, 16);

  const timeAt = (cell, clientX, snap) => {
    const from = minutesOf(cell.dataset.from);
    const to = minutesOf(cell.dataset.to);
    const box = cell.getBoundingClientRect();
    const share = Math.min(Math.max((clientX - box.left) / box.width, 0), 1);
    const snapped = Math.round((from + share * (to - from)) / snap) * snap;
    return Math.min(Math.max(snapped, from), to);
  };

  const start = (event) => {
    const cell = event.target.closest(".b-free[data-from]");
    if (!cell || event.button > 0) {
      return;
    }
    const link = cell.querySelector("a");
    const snap = Number(cell.closest("[data-snap]").dataset.snap) || 30;
    const anchor = timeAt(cell, event.clientX, snap);
    const startX = event.clientX;
    const from = minutesOf(cell.dataset.from);
    const to = minutesOf(cell.dataset.to);
    const selection = document.createElement("span");
    selection.className = "schedule-selection";
    let dragging = false;
    let chosen = null;

    const show = (clientX) => {
      const other = timeAt(cell, clientX, snap);
      let first = Math.min(anchor, other);
      let last = Math.max(anchor, other);
      if (last === first) {
        last = Math.min(first + snap, to);
        first = last - snap < from ? from : last - snap;
      }
      chosen = [first, last];
      selection.style.left = `${((first - from) / (to - from)) * 100}%`;
      selection.style.width = `${((last - first) / (to - from)) * 100}%`;
    };
    const move = (moveEvent) => {
      if (!dragging && Math.abs(moveEvent.clientX - startX) < MOVED_PIXELS) {
        return;
      }
      if (!dragging) {
        dragging = true;
        cell.append(selection);
      }
      moveEvent.preventDefault();
      show(moveEvent.clientX);
    };
    const stop = () => {
      document.removeEventListener("pointermove", move);
      document.removeEventListener("pointerup", stop);
      document.removeEventListener("pointercancel", cancel);
      selection.remove();
      if (dragging && chosen && chosen[1] > chosen[0]) {
        // The click that follows the drag must not follow the link to the whole stretch.
        document.addEventListener("click", (click) => click.preventDefault(), { once: true, capture: true });
        const target = new URL(link.href);
        target.searchParams.set("start", valueOf(chosen[0]));
        target.searchParams.set("end", valueOf(chosen[1]));
        window.location.assign(target.toString());
      }
    };
    const cancel = () => {
      dragging = false;
      stop();
    };
    document.addEventListener("pointermove", move);
    document.addEventListener("pointerup", stop);
    document.addEventListener("pointercancel", cancel);
  };

  document.addEventListener("pointerdown", start);
  // Links and text are not dragged as such inside free time.
  document.addEventListener("dragstart", (event) => {
    if (event.target.closest && event.target.closest(".b-free[data-from]")) {
      event.preventDefault();
    }
  });
})();
