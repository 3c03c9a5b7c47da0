// Sign-in link: the one-time code travels after '#' (never sent to the server, so never logged);
// put it in the form and take it out of the address bar. Signing in is the button's POST.
(function () {
  "use strict";
  var code = document.getElementById("code");
  if (code && window.location.hash.length > 1) {
    code.value = decodeURIComponent(window.location.hash.slice(1));
    history.replaceState(null, "", window.location.pathname);
  }
})();
