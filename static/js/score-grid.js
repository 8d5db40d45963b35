// Score grid (评分表): Excel-like movement between cells, a live range check while
// typing, Esc to bring back the saved value, the information bar above the table and
// the autosave status. Saving itself is htmx's: a cell posts when its value changes; an
// override cell (组织考评 on an automatic leaf) posts when the person leaves it, so the
// value and its reason are saved together.
(function () {
  "use strict";

  var FULL_WIDTH_DIGIT = /[\uff10-\uff19]/g;
  // A refusal of the service answers 403 with the cell explaining it.
  var REFUSAL = 403;

  function table() {
    return document.getElementById("score-grid");
  }

  function inGrid(element) {
    return Boolean(element && element.closest && element.closest("#score-grid"));
  }

  function cellOf(element) {
    return element.closest("td[data-leaf]");
  }

  function primaryOf(cell) {
    return cell.querySelector("[data-cell]");
  }

  function focusControl(control) {
    control.focus({ preventScroll: true });
    cellOf(control).scrollIntoView({ block: "nearest", inline: "nearest" });
    if (control.tagName === "INPUT") {
      control.select();
    }
  }

  // Same column, next or previous row that has an editable cell there.
  function moveVertically(control, step) {
    var leaf = cellOf(control).dataset.leaf;
    var column = Array.prototype.slice.call(
      table().querySelectorAll("td[data-leaf='" + leaf + "'] [data-cell]")
    );
    var target = column[column.indexOf(control) + step];
    if (target) {
      focusControl(target);
      return true;
    }
    return false;
  }

  // Next or previous editable cell in reading order; `wrap` lets it go to another row.
  function moveHorizontally(control, step, wrap) {
    var all = Array.prototype.slice.call(table().querySelectorAll("[data-cell]"));
    var target = all[all.indexOf(control) + step];
    if (!target || (!wrap && target.closest("tr") !== control.closest("tr"))) {
      return false;
    }
    focusControl(target);
    return true;
  }

  function caretAtEdge(input, forward) {
    var start = input.selectionStart;
    var end = input.selectionEnd;
    var length = input.value.length;
    if (start === 0 && end === length) {
      return true; // the whole value is selected, as after arriving in the cell
    }
    return start === end && start === (forward ? length : 0);
  }

  function normalized(text) {
    return String(text)
      .replace(FULL_WIDTH_DIGIT, function (digit) {
        return String.fromCharCode(digit.charCodeAt(0) - 0xfee0);
      })
      .replace(/[．。]/g, ".")
      .trim();
  }

  // The server decides (and explains); this only marks an obviously wrong value early.
  function liveCheck(input) {
    var text = normalized(input.value);
    var bad = false;
    if (text !== "") {
      bad = !/^(\d+(\.\d{1,2})?|\.\d{1,2})$/.test(text) || parseFloat(text) > parseFloat(input.dataset.max);
    }
    input.classList.toggle("is-invalid", bad);
  }

  function noteBox(cell) {
    return cell.querySelector("[data-note-box]");
  }

  function showNote(cell, visible) {
    var box = noteBox(cell);
    if (box) {
      box.classList.toggle("d-none", !visible);
    }
  }

  function isDirty(cell) {
    return Array.prototype.some.call(cell.querySelectorAll("[data-cell], [data-note]"), function (el) {
      return el.value !== (el.dataset.saved || "");
    });
  }

  function restore(cell) {
    cell.querySelectorAll("[data-cell], [data-note]").forEach(function (el) {
      el.value = el.dataset.saved || "";
      el.classList.remove("is-invalid");
    });
    cell.querySelectorAll(".invalid-feedback").forEach(function (el) {
      el.remove();
    });
  }

  function setInfo(cell) {
    var info = document.getElementById("cell-info");
    var header = table().querySelector("th[data-leaf='" + cell.dataset.leaf + "']");
    if (!info) {
      return;
    }
    info.querySelector("[data-info='where']").textContent =
      cell.dataset.who + " · " + (header ? header.dataset.criteria : "");
    info.querySelector("[data-info='hint']").textContent = cell.title || "";
  }

  function setStatus(kind) {
    var status = document.getElementById("save-status");
    if (!status) {
      return;
    }
    var text = kind ? status.dataset["text" + kind.charAt(0).toUpperCase() + kind.slice(1)] || "" : "";
    if (kind === "saved") {
      text += " " + new Date().toLocaleTimeString("zh-CN", { hour12: false });
    }
    status.textContent = text;
    status.classList.toggle("text-success", kind === "saved");
    status.classList.toggle("text-danger", kind === "refused" || kind === "failed");
  }

  function fitGrid() {
    var box = document.getElementById("grid-scroll");
    var grid = table();
    if (!box || !grid) {
      return;
    }
    // A scroll box of the window's height keeps the header and the names in view
    // (sticky); the paddings keep a focused cell from hiding beneath them.
    box.style.maxHeight = Math.max(320, window.innerHeight - 96) + "px";
    var header = grid.querySelector("thead");
    var names = grid.querySelector("thead th");
    box.style.scrollPaddingTop = (header ? header.offsetHeight : 0) + "px";
    box.style.scrollPaddingLeft = (names ? names.offsetWidth : 0) + "px";
  }

  document.addEventListener("DOMContentLoaded", fitGrid);
  window.addEventListener("resize", fitGrid);

  document.addEventListener("input", function (event) {
    var el = event.target;
    if (inGrid(el) && el.tagName === "INPUT" && el.hasAttribute("data-cell")) {
      liveCheck(el);
    }
  });

  document.addEventListener("keydown", function (event) {
    var el = event.target;
    if (!inGrid(el) || event.isComposing || event.keyCode === 229) {
      return; // Chinese input methods use Enter and the arrows while composing
    }
    var isValue = el.hasAttribute("data-cell");
    var isNote = el.hasAttribute("data-note");
    if (!isValue && !isNote) {
      return;
    }
    var cell = cellOf(el);
    var primary = primaryOf(cell);
    var key = event.key;
    var isSelect = el.tagName === "SELECT";

    if (key === "Escape") {
      restore(cell);
      setStatus("");
      event.preventDefault();
      return;
    }
    if (isSelect && event.altKey) {
      return; // Alt+↓ opens the list of levels
    }
    if (isValue && cell.hasAttribute("data-override") && el.value.trim() !== "") {
      // An override needs its reason: Enter and Tab go to the note first.
      var note = cell.querySelector("[data-note]");
      if (note && note.value.trim() === "" && (key === "Enter" || (key === "Tab" && !event.shiftKey))) {
        showNote(cell, true);
        note.focus();
        event.preventDefault();
        return;
      }
    }
    if (key === "Enter") {
      event.preventDefault();
      if (!moveVertically(primary, event.shiftKey ? -1 : 1)) {
        el.blur(); // last row: leaving the cell saves it
      }
      return;
    }
    if (key === "ArrowDown" || key === "ArrowUp") {
      if (isNote) {
        return;
      }
      if (moveVertically(primary, key === "ArrowDown" ? 1 : -1) || isSelect) {
        event.preventDefault();
      }
      return;
    }
    if (key === "Tab") {
      if (isNote && event.shiftKey) {
        return; // back to the value of the same cell
      }
      if (moveHorizontally(primary, event.shiftKey ? -1 : 1, true)) {
        event.preventDefault();
      }
      return;
    }
    if (key === "ArrowLeft" || key === "ArrowRight") {
      var forward = key === "ArrowRight";
      if (isNote || (!isSelect && !caretAtEdge(el, forward))) {
        return;
      }
      if (moveHorizontally(primary, forward ? 1 : -1, false) || isSelect) {
        event.preventDefault();
      }
      return;
    }
    if (isSelect && /^[1-9]$/.test(key) && !event.ctrlKey && !event.metaKey) {
      // Digit n picks the n-th level, as numbered in the list.
      var option = el.options[parseInt(key, 10)];
      event.preventDefault();
      if (option && el.value !== option.value) {
        el.value = option.value;
        el.dispatchEvent(new Event("change", { bubbles: true }));
      }
    }
  });

  document.addEventListener("focusin", function (event) {
    var el = event.target;
    if (!inGrid(el) || !el.closest("td[data-leaf]")) {
      return;
    }
    var cell = cellOf(el);
    setInfo(cell);
    if (cell.hasAttribute("data-override")) {
      showNote(cell, true);
    }
  });

  document.addEventListener("focusout", function (event) {
    var el = event.target;
    if (!inGrid(el)) {
      return;
    }
    var cell = el.closest("td[data-override]");
    if (!cell || cell.contains(event.relatedTarget)) {
      return;
    }
    if (isDirty(cell)) {
      cell.dispatchEvent(new CustomEvent("grid-save"));
    } else if (!cell.querySelector("[data-note]").value && !cell.querySelector(".invalid-feedback")) {
      showNote(cell, false);
    }
  });

  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.hasAttribute && el.hasAttribute("data-autosubmit") && el.form) {
      el.form.submit();
    }
  });

  function isCell(element) {
    return Boolean(element && element.matches && element.matches("td[data-leaf]"));
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (isCell(event.detail.target)) {
      setStatus("saving");
    }
  });

  // A cell posts into itself; by now it may be swapped out (htmx then tells its row).
  // What came back is judged when it is swapped in; here only a failure to answer.
  document.addEventListener("htmx:afterRequest", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (isCell(event.detail.target) && (status === 0 || (status >= 400 && status !== REFUSAL))) {
      setStatus("failed");
    }
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    if (isCell(event.detail.target) && event.detail.xhr.status === REFUSAL) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // Fired on the new cell: a saved cell flashes green, a focused one refreshes the bar.
  document.addEventListener("htmx:afterSwap", function (event) {
    var fresh = event.target;
    if (!isCell(fresh) || !inGrid(fresh)) {
      return;
    }
    if (fresh.hasAttribute("data-saved-now")) {
      setStatus("saved");
      window.setTimeout(function () {
        fresh.classList.remove("table-success");
      }, 1500);
    } else if (fresh.querySelector("[role='alert']")) {
      setStatus("refused");
    }
    if (fresh.contains(document.activeElement)) {
      setInfo(fresh);
    }
  });
})();
