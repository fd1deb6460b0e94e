// The manage page: look a booking up, change its date and time, cancel it. Everything
// goes through the public API; text from the server is only ever set as text.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  let current = null;
  let email = "";

  const say = (text, ok) => {
    const m = $("message");
    m.textContent = text || "";
    m.className = ok ? "ok" : "";
  };

  const money = (m) =>
    m ? `${(m.amount_minor / 100).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })} ${m.currency}` : "";

  // "2026-12-10T15:00:00+01:00" → the date and clock time as written, in the booking's
  // zone, whatever the browser's own zone is.
  const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
  const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
  const parts = (rfc3339) => {
    const [date, rest] = rfc3339.split("T");
    const [y, m, d] = date.split("-").map(Number);
    const weekday = WEEKDAYS[new Date(Date.UTC(y, m - 1, d)).getUTCDay()];
    const label = `${weekday} ${d} ${MONTHS[m - 1]} ${y}`;
    return { date, time: rest.slice(0, 5), label };
  };

  const when = (b) => {
    const s = parts(b.start);
    const e = parts(b.end);
    return `${s.label}, ${s.time}–${e.time} (${b.time_zone})`;
  };

  const problem = (r) => {
    if (r.status === 429) return "Too many attempts from this address; try again in a minute.";
    if (r.data && r.data.detail) return r.data.detail;
    return "Something went wrong; please try again.";
  };

  async function api(path, body) {
    try {
      const res = await fetch(path, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      let data = null;
      try { data = await res.json(); } catch (_) { /* no body */ }
      return { status: res.status, data };
    } catch (_) {
      return { status: 0, data: { detail: "The service cannot be reached; check your connection and try again." } };
    }
  }

  const item = (text) => {
    const li = document.createElement("li");
    li.textContent = text;
    return li;
  };

  function show(b) {
    current = b;
    $("booking").hidden = false;
    $("b-number").textContent = b.reservation_number;
    $("b-status").textContent = b.status;
    $("b-status").className = `badge ${b.status}`;
    $("b-title").textContent = (b.event && b.event.title) || "";
    $("b-package").textContent = b.package_name || b.package;
    $("b-when").textContent = when(b);
    $("b-duration").textContent = `${b.duration_minutes} minutes (your producer joins 30 minutes before)`;
    $("b-producer").textContent = b.producer ? `${b.producer.name} <${b.producer.email}>` : "";
    $("b-total").textContent = `${money(b.charges.total)} (actual charges are at your contract rate)`;
    $("b-zone").textContent = b.time_zone;
    const s = parts(b.start);
    $("new-date").value = s.date;
    $("new-time").value = s.time;
    $("actions").hidden = b.status !== "confirmed";
    const total = b.charges.total;
    $("policy").replaceChildren(
      ...(b.cancellation_policy || []).map((r) =>
        item(`${r.description} (${money({ amount_minor: Math.round((total.amount_minor * r.fee_percent) / 100), currency: total.currency })})`)),
    );
    $("history").replaceChildren(
      ...(b.history || []).map((h) => {
        const at = parts(h.at);
        const what = h.new ? ` → ${parts(h.new.start).label}, ${parts(h.new.start).time}` : "";
        return item(`${at.label} ${at.time}: ${h.kind.replace(/_/g, " ")} by ${h.actor.startsWith("staff") ? "our staff" : "you"}${what}`);
      }),
    );
    $("alternatives").hidden = true;
    $("confirm-cancel").hidden = true;
  }

  $("find").addEventListener("submit", async (e) => {
    e.preventDefault();
    email = $("email").value.trim();
    say("Looking…", true);
    const r = await api("/api/v1/bookings/lookup", { reservation_number: $("number").value, email });
    if (r.status === 200) {
      say("", true);
      show(r.data);
    } else {
      $("booking").hidden = true;
      say(problem(r));
    }
  });

  async function move(start) {
    const r = await api(`/api/v1/bookings/${encodeURIComponent(current.reservation_number)}/reschedule`, {
      email, start, time_zone: current.time_zone,
    });
    if (r.status === 200) {
      show(r.data.booking);
      say(`Moved. It was ${when(r.data.previous)}; it is now ${when(r.data.booking)}. A confirmation e-mail is on its way.`, true);
    } else if (r.status === 409 && r.data && r.data.code === "no_producer_available") {
      say(r.data.alternatives.length
        ? "No producer is free at that time. Pick one of the times below, or try another."
        : "No producer is free at that time, nor in the next 60 days. Please contact your producer.");
      const list = $("alternative-list");
      list.replaceChildren(
        ...r.data.alternatives.map((a) => {
          const li = document.createElement("li");
          const b = document.createElement("button");
          b.type = "button";
          b.className = "alternative";
          b.textContent = `${parts(a.start).label}, ${parts(a.start).time}–${parts(a.end).time}`;
          b.addEventListener("click", () => move(a.start));
          li.appendChild(b);
          return li;
        }),
      );
      $("alternatives").hidden = r.data.alternatives.length === 0;
    } else {
      say(problem(r));
    }
  }

  $("move").addEventListener("submit", (e) => {
    e.preventDefault();
    move(`${$("new-date").value}T${$("new-time").value}`);
  });

  $("cancel").addEventListener("click", () => { $("confirm-cancel").hidden = false; });
  $("cancel-no").addEventListener("click", () => { $("confirm-cancel").hidden = true; });
  $("cancel-yes").addEventListener("click", async () => {
    const r = await api(`/api/v1/bookings/${encodeURIComponent(current.reservation_number)}/cancel`, { email });
    if (r.status === 200) {
      show(r.data.booking);
      const fee = r.data.cancellation_fee;
      say(`Cancelled. Cancellation fee: ${money(fee.amount)} (${fee.fee_percent}% of the standard charges).`, true);
    } else {
      say(problem(r));
    }
  });

  if ($("number").value) $("email").focus();
})();
