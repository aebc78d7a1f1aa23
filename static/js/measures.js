// Questionnaires, one question a screen. Without this script the form is one page
// that works the same; with it, a phone shows one question with large choices, and
// Back / Next buttons (choosing an answer also moves on). Nothing is sent until the
// last screen's button, so a refused item never loses the other answers.
(function () {
  "use strict";

  function answered(fieldset) {
    return fieldset.querySelector("input[type=radio]:checked") !== null;
  }

  function required(fieldset) {
    return fieldset.querySelector("input[required]") !== null;
  }

  function button(text, className) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = className;
    b.textContent = text;
    return b;
  }

  function setUp(form) {
    var questions = Array.prototype.slice.call(form.querySelectorAll(".measure-question"));
    var submit = form.querySelector(".measure-submit");
    var progress = form.querySelector("#measure-progress");
    if (questions.length < 2 || !submit || !progress) {
      return;
    }
    form.classList.add("one-at-a-time");
    progress.classList.remove("visually-hidden");
    var nav = document.createElement("p");
    nav.className = "measure-nav";
    var back = button("Back", "secondary");
    var next = button("Next", "");
    nav.appendChild(back);
    nav.appendChild(next);
    var message = document.createElement("p");
    message.className = "nonfield";
    message.setAttribute("role", "alert");
    message.hidden = true;
    submit.parentNode.insertBefore(message, submit);
    submit.parentNode.insertBefore(nav, submit);

    // A form sent back with a blank item opens at the first blank one.
    var current = 0;
    for (var i = 0; i < questions.length; i += 1) {
      if (required(questions[i]) && !answered(questions[i])) {
        current = i;
        break;
      }
    }

    function show(index, moveFocus) {
      current = index;
      questions.forEach(function (q, n) {
        q.hidden = n !== index;
      });
      var last = index === questions.length - 1;
      back.disabled = index === 0;
      next.hidden = last;
      submit.hidden = !last;
      message.hidden = true;
      progress.textContent = "Question " + (index + 1) + " of " + questions.length;
      if (moveFocus) {
        var legend = questions[index].querySelector("legend");
        questions[index].setAttribute("tabindex", "-1");
        questions[index].focus();
        if (legend) {
          legend.scrollIntoView({ block: "nearest" });
        }
      }
    }

    function forward() {
      var q = questions[current];
      if (required(q) && !answered(q)) {
        message.textContent = "Please answer this question.";
        message.hidden = false;
        return;
      }
      if (current < questions.length - 1) {
        show(current + 1, true);
      }
    }

    back.addEventListener("click", function () {
      if (current > 0) {
        show(current - 1, true);
      }
    });
    next.addEventListener("click", forward);
    form.addEventListener("change", function (event) {
      var target = event.target;
      if (target && target.type === "radio" && current < questions.length - 1 && questions[current].contains(target)) {
        window.setTimeout(forward, 200);
      }
    });
    show(current, false);
  }

  var form = document.querySelector("form[data-one-at-a-time]");
  if (form) {
    setUp(form);
  }
})();
