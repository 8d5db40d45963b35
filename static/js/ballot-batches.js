// Issuing ballot slips: the confirm form submits once. A second click while the first
// submission is on its way does nothing (the server would answer it with the same batch
// anyway), and the button says the batch is being issued.
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-submit-once")) {
      return;
    }
    if (form.getAttribute("data-submitted")) {
      event.preventDefault();
      return;
    }
    form.setAttribute("data-submitted", "1");
    // After the browser has taken the form's data: a disabled button sends nothing.
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        button.disabled = true;
        if (button.getAttribute("data-busy-label")) {
          button.textContent = button.getAttribute("data-busy-label");
        }
      });
    }, 0);
  });
})();
