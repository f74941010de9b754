// Saves each answer as it is given, so a reload or a lost connection loses nothing.
// Without JavaScript the form still works: "Save" and "Submit" post every answer.
(function () {
  "use strict";
  var form = document.getElementById("survey");
  if (!form) return;
  var url = form.dataset.answerUrl;
  var total = parseInt(form.dataset.total, 10);
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var bar = document.getElementById("progress-bar");
  var text = document.getElementById("progress-text");

  function answeredCount() {
    var names = {};
    form.querySelectorAll("input[type=radio]:checked").forEach(function (input) { names[input.name] = true; });
    return Object.keys(names).length;
  }
  function updateProgress() {
    var answered = answeredCount();
    bar.setAttribute("width", Math.round(100 * answered / total) + "%");
    text.textContent = form.dataset.progressTemplate.replace("__A__", answered).replace("__T__", total);
  }
  form.addEventListener("change", function (event) {
    var input = event.target;
    if (input.type !== "radio") return;
    var fieldset = input.closest("fieldset");
    var status = fieldset.querySelector(".saved");
    fieldset.classList.remove("unanswered");
    updateProgress();
    fetch(url, {
      method: "POST",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
      body: JSON.stringify({item: input.name.slice(5), value: input.value}),
      credentials: "same-origin"
    }).then(function (response) {
      return response.json().then(function (data) {
        status.textContent = response.ok ? form.dataset.saved : (data.error || form.dataset.offline);
        status.classList.toggle("error", !response.ok);
      });
    }).catch(function () {
      status.textContent = form.dataset.offline;
      status.classList.add("error");
    });
  });
  updateProgress();
})();
