// 自我检评: the running totals (per leaf, per dimension, overall) and the count of filled
// leaves while the secretary types or picks levels; Enter moves to the next leaf's score
// and never submits the form; the submit dialog lists the leaves still empty; leaving
// with unsaved changes asks first. Texts come from the page, so they follow its language.
// Each leaf's evidence controls sit inside the form but belong to their own upload form
// (form="…"): picking a file is no unsaved change to the scores, and Enter there is theirs.
(function () {
  "use strict";

  var form = document.getElementById("selfeval-form");
  if (!form) {
    return;
  }
  var dirty = form.hasAttribute("data-unsaved");

  // A score as the server reads it: full-width digits too; null when blank, NaN when it
  // is no number with at most two decimals. Counted in cents so sums stay exact.
  function toCents(text) {
    var normal = String(text)
      .replace(/[\uFF10-\uFF19\uFF0E]/g, function (c) {
        return String.fromCharCode(c.charCodeAt(0) - 0xfee0);
      })
      .trim();
    if (normal === "") {
      return null;
    }
    if (!/^(\d+(\.\d{0,2})?|\.\d{1,2})$/.test(normal)) {
      return NaN;
    }
    return Math.round(parseFloat(normal) * 100);
  }

  // Scores read with two decimals everywhere (5.10, not 5.1).
  function plain(cents) {
    return (cents / 100).toFixed(2);
  }

  function leafState(leaf) {
    var radios = leaf.querySelectorAll("input[type=radio][data-answer]");
    if (radios.length) {
      var checked = leaf.querySelector("input[type=radio][data-answer]:checked");
      return { cents: checked ? toCents(checked.dataset.value) : null, bad: false };
    }
    var input = leaf.querySelector("input[data-answer]");
    if (!input) {
      return { cents: null, bad: false };
    }
    var cents = toCents(input.value);
    var bad = cents !== null && (isNaN(cents) || cents < 0 || cents > toCents(input.dataset.max));
    return { cents: bad ? null : cents, bad: bad, input: input };
  }

  function setText(id, text) {
    var element = document.getElementById(id);
    if (element) {
      element.textContent = text;
    }
  }

  // Recompute everything from the page; returns the leaves still empty and those whose
  // score is not valid, as "code name" texts.
  function refresh() {
    var sums = {};
    var total = 0;
    var filled = 0;
    var missing = [];
    var invalid = [];
    form.querySelectorAll("[data-leaf]").forEach(function (leaf) {
      var state = leafState(leaf);
      var label = leaf.dataset.code + " " + leaf.dataset.name;
      if (state.input) {
        state.input.classList.toggle("is-invalid", state.bad);
      }
      var message = leaf.querySelector("[data-range-message]");
      if (message) {
        message.classList.toggle("d-block", state.bad);
      }
      var shown = leaf.querySelector("[data-leaf-value]");
      if (state.bad) {
        invalid.push(label);
      }
      if (state.cents === null) {
        if (!state.bad) {
          missing.push(label);
        }
        shown.textContent = form.dataset.emptyLabel;
      } else {
        filled += 1;
        total += state.cents;
        var dimension = leaf.dataset.dimension;
        sums[dimension] = (sums[dimension] || 0) + state.cents;
        shown.textContent = plain(state.cents);
      }
    });
    document.querySelectorAll("[data-subtotal]").forEach(function (box) {
      box.textContent = plain(sums[box.dataset.subtotal] || 0);
    });
    setText("selfeval-total", plain(total));
    setText("submit-total", plain(total));
    setText("selfeval-filled", String(filled));
    return { missing: missing, invalid: invalid };
  }

  function fillList(id, items) {
    var list = document.getElementById(id);
    list.replaceChildren();
    items.forEach(function (text) {
      var item = document.createElement("li");
      item.textContent = text;
      list.appendChild(item);
    });
  }

  // One stop per leaf (its chosen level or first level, or its score box), then the
  // summary: notes are reached with Tab, since Enter writes a new line there.
  function stops() {
    var found = [];
    form.querySelectorAll("[data-leaf]").forEach(function (leaf) {
      var radios = leaf.querySelectorAll("input[type=radio][data-answer]:not(:disabled)");
      if (radios.length) {
        found.push(leaf.querySelector("input[type=radio][data-answer]:checked") || radios[0]);
      } else {
        var input = leaf.querySelector("input[data-answer]:not(:disabled)");
        if (input) {
          found.push(input);
        }
      }
    });
    var summary = form.querySelector("textarea[name=summary]:not(:disabled)");
    if (summary) {
      found.push(summary);
    }
    return found;
  }

  // Whether an event comes from one of the scores' own controls.
  function ours(event) {
    return event.target.form === form;
  }

  form.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key !== "Enter" || target.tagName !== "INPUT" || !ours(event)) {
      return;
    }
    // Enter in an input never submits; while an input method composes, it is the IME's.
    event.preventDefault();
    if (event.isComposing) {
      return;
    }
    var all = stops();
    var leaf = target.closest("[data-leaf]");
    var index = all.findIndex(function (stop) {
      return stop === target || (leaf && stop.closest("[data-leaf]") === leaf);
    });
    var next = all[index + 1];
    if (next) {
      next.focus();
      if (next.type === "text") {
        next.select();
      }
    }
  });

  form.addEventListener("click", function (event) {
    var button = event.target.closest("[data-clear-leaf]");
    if (!button) {
      return;
    }
    button
      .closest("[data-leaf]")
      .querySelectorAll("input[type=radio][data-answer]")
      .forEach(function (radio) {
        radio.checked = false;
      });
    dirty = true;
    refresh();
  });

  function changed(event) {
    if (!ours(event)) {
      return;
    }
    dirty = true;
    refresh();
  }
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  form.addEventListener("submit", function () {
    dirty = false;
  });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  var dialog = document.getElementById("submit-dialog");
  if (dialog) {
    dialog.addEventListener("show.bs.modal", function () {
      var state = refresh();
      fillList("submit-missing-list", state.missing);
      fillList("submit-invalid-list", state.invalid);
      document.getElementById("submit-missing").hidden = state.missing.length === 0;
      document.getElementById("submit-invalid").hidden = state.invalid.length === 0;
      document.getElementById("submit-complete").hidden =
        state.missing.length > 0 || state.invalid.length > 0;
      document.getElementById("submit-confirm").disabled = state.invalid.length > 0;
    });
  }

  refresh();
})();
