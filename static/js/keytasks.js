// Key-task pages (挂图作战, 约谈名单): the print button. Kept out of the HTML: the
// Content-Security-Policy forbids inline handlers.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-print]");
    if (button) {
      window.print();
    }
  });
})();
