// Template editor: live sums and range checks while typing, and Excel-like keyboard
// movement in the tree table. Saving is htmx's (a row posts when a cell changes).
(function () {
  "use strict";

  function number(text) {
    var value = parseFloat(String(text).replace(/，/g, ",").replace(/,/g, ""));
    return isNaN(value) ? 0 : value;
  }

  function plain(value) {
    return String(Math.round(value * 100) / 100);
  }

  // Recompute every parent's "下级合计", the dimensions' range marks and the total.
  function refreshSums(section) {
    var inputs = section.querySelectorAll("input.points-input");
    var byParent = {};
    var total = 0;
    inputs.forEach(function (input) {
      var parent = input.dataset.parent;
      var value = number(input.value);
      if (parent) {
        byParent[parent] = (byParent[parent] || 0) + value;
      } else {
        total += value;
      }
    });
    inputs.forEach(function (input) {
      var node = input.dataset.node;
      var own = number(input.value);
      var bad = false;
      var sumBox = section.querySelector("#sum-" + node);
      if (sumBox) {
        var sum = byParent[node] || 0;
        sumBox.querySelector(".sum-value").textContent = plain(sum);
        var mismatch = Math.abs(sum - own) > 0.0001;
        sumBox.classList.toggle("text-danger", mismatch);
        sumBox.classList.toggle("fw-semibold", mismatch);
        sumBox.classList.toggle("text-success", !mismatch);
        bad = mismatch;
      }
      if (input.dataset.rangeMin !== undefined && input.dataset.rangeMin !== "") {
        var low = number(input.dataset.rangeMin);
        var high = number(input.dataset.rangeMax);
        if (own < low || own > high) {
          bad = true;
        }
      }
      input.classList.toggle("is-invalid", bad);
    });
    var totalBox = section.querySelector("#total-points");
    if (totalBox) {
      totalBox.textContent = plain(total);
      var ok = Math.abs(total - 100) < 0.0001;
      totalBox.classList.toggle("text-success", ok);
      totalBox.classList.toggle("text-danger", !ok);
    }
  }

  // Enter / ↑ / ↓ move to the same column in the next or previous row, as in Excel.
  function moveVertically(input, step) {
    var column = input.dataset.col;
    if (!column) {
      return false;
    }
    var cells = Array.prototype.slice.call(
      document.querySelectorAll("#tree-section [data-col='" + column + "']:not([disabled])")
    );
    var index = cells.indexOf(input);
    var target = cells[index + step];
    if (target) {
      target.focus();
      if (target.select) {
        target.select();
      }
      return true;
    }
    return false;
  }

  document.addEventListener("input", function (event) {
    var section = event.target.closest && event.target.closest("#tree-section");
    if (section && event.target.classList.contains("points-input")) {
      refreshSums(section);
    }
  });

  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!input.closest || !input.closest("#tree-section") || input.tagName !== "INPUT") {
      return;
    }
    if (event.key === "Enter" || event.key === "ArrowDown") {
      if (moveVertically(input, 1) || event.key === "Enter") {
        event.preventDefault();
      }
    } else if (event.key === "ArrowUp") {
      if (moveVertically(input, -1)) {
        event.preventDefault();
      }
    } else if (event.key === "Escape") {
      input.value = input.defaultValue;
      var section = input.closest("#tree-section");
      refreshSums(section);
    }
  });

  // A row's save re-renders the whole tree. Whatever the user typed meanwhile in another
  // cell (not yet saved: it differs from the value the page was drawn with) is carried
  // over into the new tree, with the focus and selection, and saved when the cell is left.
  var carried = null;

  document.addEventListener("htmx:beforeSwap", function (event) {
    var section = document.getElementById("tree-section");
    if (!section || event.detail.target !== section) {
      return;
    }
    var saving = event.detail.requestConfig && event.detail.requestConfig.elt;
    var typed = {};
    section.querySelectorAll("input[id], textarea[id]").forEach(function (input) {
      var inSavedRow = saving && saving.contains && saving.contains(input);
      if (!inSavedRow && input.type !== "hidden" && input.value !== input.defaultValue) {
        typed[input.id] = input.value;
      }
    });
    var active = document.activeElement;
    carried = {
      typed: typed,
      focus: active && section.contains(active) && active.id ? active.id : null,
      selection:
        active && typeof active.selectionStart === "number"
          ? [active.selectionStart, active.selectionEnd]
          : null,
    };
  });

  function restoreTyped(section) {
    if (!carried) {
      return;
    }
    Object.keys(carried.typed).forEach(function (id) {
      var input = document.getElementById(id);
      if (input && section.contains(input)) {
        input.value = carried.typed[id];
        input.dataset.unsaved = "true";
      }
    });
    if (carried.focus && !section.dataset.focus) {
      var focused = document.getElementById(carried.focus);
      if (focused) {
        focused.focus();
        if (carried.selection && typeof focused.setSelectionRange === "function") {
          focused.setSelectionRange(carried.selection[0], carried.selection[1]);
        }
      }
    }
    // A carried value in a cell the user has already left is saved now; the cell being
    // typed in is saved when it is left.
    Object.keys(carried.typed).forEach(function (id) {
      var input = document.getElementById(id);
      if (input && input.dataset.unsaved && input !== document.activeElement) {
        delete input.dataset.unsaved;
        input.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
    carried = null;
    refreshSums(section);
  }

  // A carried-over value was set by the script, so the browser would not report it as
  // changed: leaving the cell saves it explicitly.
  document.addEventListener("focusout", function (event) {
    var input = event.target;
    if (input.dataset && input.dataset.unsaved && input.value !== input.defaultValue) {
      delete input.dataset.unsaved;
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });

  // After a structural change the server names the row to focus (a new node's name).
  document.addEventListener("htmx:afterSettle", function (event) {
    var section = document.getElementById("tree-section");
    if (!section || !section.contains(event.target)) {
      return;
    }
    restoreTyped(section);
    var focus = section.dataset.focus;
    if (focus) {
      var element = document.getElementById(focus);
      if (element) {
        element.focus();
        element.select();
      }
      delete section.dataset.focus;
    }
  });
})();
