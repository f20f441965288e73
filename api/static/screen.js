// The visitor screen: render the zone list from the live event stream.
"use strict";

const lang = document.documentElement.lang || "en";

function name(text) {
  return (lang === "sv" && text.sv) || text.en;
}

function render(body) {
  const list = document.getElementById("free-zones");
  const free = body.data.filter((z) => z.seatable && z.status === "free");
  list.replaceChildren(...free.map((z) => {
    const li = document.createElement("li");
    li.dataset.zone = z.id;
    li.textContent = name(z.name);
    return li;
  }));
  document.getElementById("none-free").hidden = free.length > 0;
}

function connect() {
  const status = document.getElementById("connection");
  const source = new EventSource("/api/v1/stream");
  source.addEventListener("zones", (ev) => {
    render(JSON.parse(ev.data));
    status.dataset.state = "live";
    status.textContent = "Live";
  });
  // EventSource reconnects by itself; say so while it does.
  source.addEventListener("error", () => {
    status.dataset.state = "reconnecting";
    status.textContent = "Connection lost, reconnecting…";
  });
}

connect();
