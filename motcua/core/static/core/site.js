// Behaviour that templates once wrote inline (the Content-Security-Policy allows no inline script).
// [data-print]: prints the page (the printed forms' "In phiếu" button).
// [data-back]: goes back one page when there is one; otherwise the link's own href is followed.
document.addEventListener("click", function (event) {
  var target = event.target instanceof Element ? event.target : null;
  if (!target) return;
  if (target.closest("[data-print]")) {
    event.preventDefault();
    window.print();
    return;
  }
  if (target.closest("[data-back]") && window.history.length > 1) {
    event.preventDefault();
    window.history.back();
  }
});
