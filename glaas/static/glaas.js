// GLaaS web UI: the only script. Copy buttons: <button data-copy="#id"> copies that element's text.
document.addEventListener("click", function (event) {
  var button = event.target.closest("button[data-copy]");
  if (!button) return;
  var source = document.querySelector(button.getAttribute("data-copy"));
  if (!source) return;
  var text = source.textContent.trim();
  var done = function () {
    var label = button.textContent;
    button.textContent = "Copied";
    button.classList.add("copied");
    setTimeout(function () { button.textContent = label; button.classList.remove("copied"); }, 1500);
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done, function () { fallbackCopy(source); done(); });
  } else {
    fallbackCopy(source);
    done();
  }
});

// Where the Clipboard API is not offered (plain http on a LAN address): select and copy.
function fallbackCopy(element) {
  var range = document.createRange();
  range.selectNodeContents(element);
  var selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  try { document.execCommand("copy"); } catch (e) { /* the text stays selected for Ctrl+C */ }
}
