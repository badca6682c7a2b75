// A copy button: <button data-copy="ID" data-done="kopiert"> copies the value of the field ID.
// A file of our own, as the Content-Security-Policy allows no inline script.
document.querySelectorAll("button[data-copy]").forEach(function (button) {
  button.addEventListener("click", function () {
    var field = document.getElementById(button.dataset.copy);
    var label = button.textContent;
    function done() {
      button.textContent = button.dataset.done;
      setTimeout(function () { button.textContent = label; }, 2000);
    }
    field.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, function () {
        document.execCommand("copy");
        done();
      });
    } else {
      document.execCommand("copy");
      done();
    }
  });
});
