// Progressive enhancement only: every page works without this script.
(function () {
  "use strict";
  // With the script, file inputs hide behind their big labels and the
  // chosen names are listed; without it the native inputs stay visible.
  document.documentElement.classList.add("js");
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm") || (event.submitter && event.submitter.getAttribute("data-confirm"));
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    var max = parseInt(form.getAttribute("data-max-bytes") || "0", 10);
    if (max > 0) {
      var tooBig = [];
      form.querySelectorAll("input[type=file]").forEach(function (input) {
        Array.prototype.forEach.call(input.files || [], function (f) { if (f.size > max) { tooBig.push(f.name); } });
      });
      if (tooBig.length) {
        event.preventDefault();
        window.alert("以下文件超过 " + Math.round(max / 1048576) + " MB，请压缩后再传：\n" + tooBig.join("\n"));
        return;
      }
    }
    // Against double taps; later, so the clicked button's value is still sent.
    setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
    }, 0);
  });
  // 打印交办单: the print dialog (inline handlers are barred by the CSP).
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-print]");
    if (button) {
      event.preventDefault();
      window.print();
    }
  });
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.type !== "file") { return; }
    var box = input.closest("fieldset, form");
    var out = box && box.querySelector(".picked");
    if (!out) { return; }
    var names = [];
    box.querySelectorAll("input[type=file]").forEach(function (i) {
      Array.prototype.forEach.call(i.files || [], function (f) { names.push(f.name); });
    });
    out.textContent = names.length ? "已选择 " + names.length + " 个文件：" + names.join("、") : "";
  });
})();
