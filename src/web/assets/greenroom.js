// Greenroom's pages work without this script; it only helps:
// - the time zone starts as the browser's own;
// - on the order page, the answer (free, or three other times) and the calendar of
//   free start times follow the fields as they change, from the public API.
"use strict";

(function () {
  var form = document.getElementById("slot-form");
  var zone = document.querySelector("input[data-default=browser]");
  if (zone) {
    try {
      var browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
      if (browserZone && zone.value === "UTC") {
        zone.value = browserZone;
      }
    } catch (e) { /* keep the server's default */ }
  }
  if (!form) {
    return;
  }

  var answer = document.getElementById("answer");
  var calendar = document.getElementById("calendar");
  var lang = document.documentElement.lang || "en";
  var field = function (name) { return form.elements[name]; };
  var value = function (name) { return field(name) ? field(name).value.trim() : ""; };
  var fill = function (text, args) {
    return text.replace(/\{(\w+)\}/g, function (_, k) { return args[k] !== undefined ? args[k] : ""; });
  };

  function slotParams() {
    return {
      package: value("package"),
      time_zone: value("time_zone"),
      duration_minutes: parseInt(value("duration_minutes"), 10),
      language: value("language") || "en"
    };
  }

  function formatSpan(startIso, endIso, tz) {
    var day = new Intl.DateTimeFormat(lang, { weekday: "long", day: "numeric", month: "long", year: "numeric", timeZone: tz });
    var time = new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: tz });
    var s = new Date(startIso), e = new Date(endIso);
    return day.format(s) + ", " + time.format(s) + "–" + time.format(e);
  }

  function localValue(iso) {
    // "2027-02-10T10:00:00+01:00" -> "2027-02-10T10:00" (already in the asked zone).
    return iso.slice(0, 16);
  }

  var pending = null;
  function checkLater() {
    clearTimeout(pending);
    pending = setTimeout(check, 350);
  }

  function check() {
    var p = slotParams();
    var date = value("date"), time = value("time");
    if (!answer || !date || !time || !p.package || !p.time_zone || !p.duration_minutes) {
      return;
    }
    p.start = date + "T" + time;
    fetch("/api/v1/availability", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(p)
    }).then(function (res) {
      return res.json().then(function (body) { return { ok: res.ok, body: body }; });
    }).then(function (r) {
      answer.textContent = "";
      var para = document.createElement("p");
      answer.appendChild(para);
      if (!r.ok) {
        para.className = "busy";
        var first = (r.body.errors && r.body.errors[0]) || r.body;
        para.textContent = first.message || first.detail || "";
        return;
      }
      var when = formatSpan(r.body.start, r.body.end, r.body.time_zone) + " (" + r.body.time_zone + ")";
      if (r.body.available) {
        para.className = "ok";
        para.textContent = fill(answer.dataset.free, { when: when });
        return;
      }
      para.className = "busy";
      para.textContent = fill(answer.dataset.busy, { when: when });
      if (!r.body.alternatives.length) {
        return;
      }
      var intro = document.createElement("p");
      intro.textContent = answer.dataset.alternatives;
      var list = document.createElement("ul");
      list.className = "choices";
      list.id = "alternative-list";
      r.body.alternatives.forEach(function (a) {
        var li = document.createElement("li");
        var b = document.createElement("button");
        b.type = "submit";
        b.name = "action";
        b.value = "pick:" + localValue(a.start);
        b.className = "secondary";
        b.textContent = formatSpan(a.start, a.end, r.body.time_zone);
        li.appendChild(b);
        list.appendChild(li);
      });
      answer.appendChild(intro);
      answer.appendChild(list);
    }).catch(function () { /* the button still asks the server */ });
  }

  function refreshCalendar() {
    if (!calendar) {
      return;
    }
    var p = slotParams();
    var month = calendar.dataset.month;
    if (!month || !p.package || !p.time_zone || !p.duration_minutes) {
      return;
    }
    var days = calendar.querySelectorAll("button[data-date]");
    if (!days.length) {
      return;
    }
    var query = new URLSearchParams({
      package: p.package,
      from: days[0].dataset.date,
      to: days[days.length - 1].dataset.date,
      time_zone: p.time_zone,
      duration_minutes: String(p.duration_minutes),
      language: p.language
    });
    fetch("/api/v1/availability/slots?" + query.toString(), { headers: { "Accept": "application/json" } })
      .then(function (res) { return res.ok ? res.json() : null; })
      .then(function (body) {
        if (!body) {
          return;
        }
        var starts = {};
        body.days.forEach(function (d) { starts[d.date] = d.starts.length; });
        days.forEach(function (b) {
          var n = starts[b.dataset.date] || 0;
          var dayName = (b.getAttribute("aria-label") || "").split(/\s*:/)[0];
          b.disabled = n === 0;
          b.setAttribute("aria-label", n === 0
            ? fill(calendar.dataset.none, { day: dayName })
            : fill(calendar.dataset.free, { day: dayName, count: n }));
        });
        // The days now count starts in the zone typed: say so.
        var shownZone = document.getElementById("calendar-zone");
        if (shownZone) {
          shownZone.textContent = p.time_zone;
        }
        var chosen = document.getElementById("day-starts");
        if (chosen) {
          chosen.hidden = true;
        }
      })
      .catch(function () { /* the calendar stays as the server drew it */ });
  }

  ["date", "time", "package", "time_zone", "duration_minutes", "language"].forEach(function (name) {
    var el = field(name);
    if (el) {
      el.addEventListener("change", checkLater);
    }
  });
  ["package", "time_zone", "duration_minutes", "language"].forEach(function (name) {
    var el = field(name);
    if (el) {
      el.addEventListener("change", refreshCalendar);
    }
  });
  if (zone && zone.value !== "UTC") {
    refreshCalendar();
  }
})();

// A file chosen for a text field (the attendance report) is read into it, so that the
// form posts it as text; without JavaScript the report is pasted.
(function () {
  "use strict";
  document.querySelectorAll("input[type=file][data-fills]").forEach(function (input) {
    input.addEventListener("change", function () {
      var target = document.getElementById(input.dataset.fills);
      var file = input.files && input.files[0];
      if (!target || !file) {
        return;
      }
      file.text().then(function (text) {
        target.value = text;
      });
    });
  });
})();
