// Behaviour shared by every page. Kept out of the HTML: the Content-Security-Policy
// forbids inline scripts.
(function () {
  "use strict";

  // Forms marked data-confirm ask before they submit (e.g. revoking a role).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
})();
