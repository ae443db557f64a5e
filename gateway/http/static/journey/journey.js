// The contact's journey: the contact tree from /graphql drawn on a timeline (SVG).
// Plain JavaScript, no dependencies. Credentials typed into the page stay in this
// script's memory: never stored, never put in the URL.
"use strict";

(function () {
  const SVG = "http://www.w3.org/2000/svg";
  const ROW = 34;
  const BAR = 18;
  const LEFT = 16;
  const TOP = 44;
  const GAP = 30 * 60 * 1000; // a quiet stretch longer than this is drawn as a break
  const BREAK = 36;

  const TREE = `query Journey($contactId: ID!, $instanceId: ID) {
  contact(contactId: $contactId, instanceId: $instanceId) {
    id
    instanceId
    associatedContacts {
      id channel initiationMethod initiationTimestamp disconnectTimestamp
      initialContactId previousContactId relatedContactId
      agent { username }
      queue { name }
    }
  }
}`;

  const DETAILS = `query JourneyContact($contactId: ID!, $instanceId: ID) {
  contact(contactId: $contactId, instanceId: $instanceId) {
    id channel initiationMethod name description
    initiationTimestamp disconnectTimestamp disconnectReason
    initialContactId previousContactId relatedContactId
    queueInfo { enqueueTimestamp }
    agentInfo { connectedToAgentTimestamp }
    agent { username identityInfo { firstName lastName } }
    queue { name }
    customerEndpoint { type address }
    attributes { key value }
  }
}`;

  // Quality data of the selected contact: its transcript (Contact Lens' redacted output) and
  // its evaluations' scores. The recording's URL is asked for only when the caller asks to
  // play it: each URL the gateway presigns is audited, and needs contacts:recordings.
  const QUALITY = `query JourneyQuality($contactId: ID!, $instanceId: ID) {
  contact(contactId: $contactId, instanceId: $instanceId) {
    id
    transcript {
      source status summary
      segments { participantRole content beginOffsetMillis sentiment }
      categories { name }
    }
    evaluations { id status formTitle score { percentage automaticFail notApplicable } }
  }
}`;

  const RECORDING = `query JourneyRecording($contactId: ID!, $instanceId: ID) {
  contact(contactId: $contactId, instanceId: $instanceId) { id recordingUrl(expiresInSeconds: 900) }
}`;

  const state = { credentials: null, contactId: null, instanceId: null, nodes: [], selected: null };
  const $ = (id) => document.getElementById(id);

  function el(name, attrs, text) {
    const node = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function html(name, attrs, text) {
    const node = document.createElement(name);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function status(message, kind) {
    const box = $("status");
    box.textContent = message || "";
    box.className = kind || "";
    box.hidden = !message;
  }

  async function graphql(query, variables) {
    const headers = { "content-type": "application/json", accept: "application/json" };
    if (state.credentials) {
      const { kind, value } = state.credentials;
      if (kind === "api-key") headers["x-api-key"] = value;
      else headers.authorization = `Bearer ${value}`;
    }
    const response = await fetch("graphql", {
      method: "POST",
      headers,
      body: JSON.stringify({ query, variables }),
      credentials: "omit",
      cache: "no-store",
    });
    if (response.status === 401) {
      const error = new Error("This gateway needs credentials: enter an API key or a token.");
      error.unauthenticated = true;
      throw error;
    }
    const body = await response.json().catch(() => null);
    if (!body) throw new Error(`The gateway answered HTTP ${response.status}.`);
    return body;
  }

  // The error at `path` (an array of field names, indexes ignored) or under it.
  function errorAt(errors, path) {
    return (errors || []).find((error) => {
      const names = (error.path || []).filter((part) => typeof part === "string");
      return path.every((name, index) => names[index] === name);
    });
  }

  function hiddenOr(errors, path, value) {
    const error = errorAt(errors, path);
    if (error && error.extensions && error.extensions.code === "FORBIDDEN") return "hidden";
    if (value === null || value === undefined) return error ? "unavailable" : "—";
    return value;
  }

  async function load() {
    const params = new URLSearchParams(window.location.search);
    state.contactId = params.get("contactId");
    state.instanceId = params.get("instanceId");
    $("contact-id").value = state.contactId || "";
    $("instance-id").value = state.instanceId || "";
    if (!state.contactId) {
      status("Enter a contact ID to see its journey.", "info");
      return;
    }
    status("Loading the journey…", "info");
    let body;
    try {
      body = await graphql(TREE, { contactId: state.contactId, instanceId: state.instanceId });
    } catch (error) {
      if (error.unauthenticated) $("credentials").open = true;
      status(error.message, "error");
      return;
    }
    const contact = body.data && body.data.contact;
    if (!contact || !contact.associatedContacts) {
      const error = (body.errors || [])[0];
      status(error ? `${error.message} (${(error.extensions || {}).code})` : "No such contact.", "error");
      return;
    }
    status("");
    state.nodes = contact.associatedContacts;
    draw(state.nodes, body.errors);
    select(state.contactId);
  }

  // Time to x: linear, except that long quiet stretches shrink to a fixed-width break.
  function timeScale(nodes, width, now) {
    const moments = [];
    for (const node of nodes) {
      moments.push(Date.parse(node.initiationTimestamp));
      moments.push(end(node, now));
    }
    moments.sort((a, b) => a - b);
    const spans = [];
    let busy = 0;
    for (let i = 1; i < moments.length; i++) {
      const gap = moments[i] - moments[i - 1];
      if (gap > GAP) spans.push({ from: moments[i - 1], to: moments[i], gap: true });
      else busy += gap;
    }
    const breaks = spans.length * BREAK;
    const perMs = busy > 0 ? Math.max(0, width - breaks) / busy : 0;
    const first = moments[0];
    const x = (time) => {
      let position = 0;
      let cursor = first;
      for (const span of spans) {
        if (time <= span.from) break;
        position += (span.from - cursor) * perMs;
        if (time < span.to) return position + BREAK * ((time - span.from) / (span.to - span.from));
        position += BREAK;
        cursor = span.to;
      }
      return position + (time - cursor) * perMs;
    };
    return { x, spans, first, last: moments[moments.length - 1] };
  }

  function end(node, now) {
    return node.disconnectTimestamp ? Date.parse(node.disconnectTimestamp) : now;
  }

  function label(node) {
    const agent = node.agent ? node.agent.username : null;
    const queue = node.queue ? node.queue.name : null;
    return [node.initiationMethod, agent, queue].filter(Boolean).join(" · ");
  }

  function clock(time) {
    return new Date(time).toISOString().replace("T", " ").slice(0, 16) + " UTC";
  }

  function when(iso) {
    if (!iso) return null;
    return new Date(Date.parse(iso)).toISOString().replace("T", " ").slice(0, 19) + " UTC";
  }

  function draw(nodes, errors) {
    const figure = $("timeline");
    figure.replaceChildren();
    const now = Date.now();
    const width = Math.max(640, figure.clientWidth || 960) - LEFT * 2 - 280;
    const scale = timeScale(nodes, width, now);
    const height = TOP + nodes.length * ROW + 20;
    const svg = el("svg", {
      viewBox: `0 0 ${width + LEFT * 2 + 280} ${height}`,
      role: "img",
      "aria-label": `The journey of contact ${state.contactId}: ${nodes.length} contacts`,
    });
    const row = new Map(nodes.map((node, index) => [node.id, index]));
    const y = (index) => TOP + index * ROW;

    const axis = el("g", { class: "axis" });
    axis.append(el("text", { x: LEFT, y: 16 }, clock(scale.first)));
    axis.append(el("text", { x: LEFT + width, y: 16, "text-anchor": "end" }, clock(scale.last)));
    for (const span of scale.spans) {
      const at = LEFT + scale.x(span.from);
      axis.append(el("rect", { class: "break", x: at, y: 24, width: BREAK, height: height - 24 }));
      const hours = (span.to - span.from) / 3600000;
      const text = hours >= 1 ? `${hours.toFixed(hours < 10 ? 1 : 0)} h` : `${Math.round(hours * 60)} min`;
      axis.append(el("text", { class: "break-label", x: at + BREAK / 2, y: 36, "text-anchor": "middle" }, text));
    }
    svg.append(axis);

    const edges = el("g", { class: "edges" });
    for (const node of nodes) {
      const links = [
        ["previous", node.previousContactId],
        ["related", node.relatedContactId],
      ];
      for (const [kind, parent] of links) {
        if (!parent || !row.has(parent)) continue;
        const from = y(row.get(parent)) + BAR / 2;
        const to = y(row.get(node.id)) + BAR / 2;
        const at = LEFT + scale.x(Date.parse(node.initiationTimestamp));
        const path = `M ${at - 6} ${from} L ${at - 6} ${to} L ${at} ${to}`;
        edges.append(el("path", { class: `edge ${kind}`, d: path, "data-from": parent, "data-to": node.id }));
      }
    }
    svg.append(edges);

    nodes.forEach((node, index) => {
      const start = Date.parse(node.initiationTimestamp);
      const x0 = LEFT + scale.x(start);
      const x1 = LEFT + scale.x(end(node, now));
      const active = !node.disconnectTimestamp;
      const classes = ["contact", `channel-${(node.channel || "unknown").toLowerCase()}`];
      if (active) classes.push("active");
      if (node.id === state.contactId) classes.push("asked");
      const group = el("g", {
        class: classes.join(" "),
        "data-contact-id": node.id,
        tabindex: "0",
        role: "button",
        "aria-label": `${node.channel} ${label(node)}, from ${clock(start)}`,
      });
      group.append(el("title", {}, `${node.channel} ${node.initiationMethod}\n${node.id}\n${clock(start)} → ${active ? "still active" : clock(end(node, now))}`));
      group.append(el("rect", { class: "bar", x: x0, y: y(index), width: Math.max(4, x1 - x0), height: BAR, rx: 3 }));
      const text = label(node);
      const textAt = Math.min(x1 + 6, LEFT + width + 8);
      group.append(el("text", { class: "label", x: textAt, y: y(index) + BAR - 5 }, text));
      group.addEventListener("click", () => select(node.id));
      group.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          select(node.id);
        }
      });
      svg.append(group);
    });
    figure.append(svg);
    $("summary").textContent = `${nodes.length} contacts, ${clock(scale.first)} to ${clock(scale.last)}`;
    const warnings = (errors || []).length;
    if (warnings) status(`${warnings} field(s) could not be read (shown as — or hidden).`, "info");
  }

  async function select(contactId) {
    state.selected = contactId;
    for (const group of document.querySelectorAll("g.contact")) {
      group.classList.toggle("selected", group.getAttribute("data-contact-id") === contactId);
    }
    const panel = $("details");
    panel.replaceChildren(html("p", { class: "loading" }, "Loading the contact…"));
    let body;
    try {
      body = await graphql(DETAILS, { contactId, instanceId: state.instanceId });
    } catch (error) {
      panel.replaceChildren(html("p", { class: "error" }, error.message));
      return;
    }
    const contact = (body.data && body.data.contact) || {};
    const errors = body.errors;
    const at = (field) => ["contact", field];
    const agentName = () => {
      const identity = contact.agent && contact.agent.identityInfo;
      const shown = hiddenOr(errors, ["contact", "agent", "identityInfo"], identity ? `${identity.firstName || ""} ${identity.lastName || ""}`.trim() : null);
      return shown;
    };
    const rows = [
      ["Contact", contactId],
      ["Channel", hiddenOr(errors, at("channel"), contact.channel)],
      ["Initiation", hiddenOr(errors, at("initiationMethod"), contact.initiationMethod)],
      ["Name", hiddenOr(errors, at("name"), contact.name)],
      ["Description", hiddenOr(errors, at("description"), contact.description)],
      ["Started", hiddenOr(errors, at("initiationTimestamp"), when(contact.initiationTimestamp))],
      ["Ended", when(contact.disconnectTimestamp) || (contact.id ? "still active" : "—")],
      ["Disconnect reason", hiddenOr(errors, at("disconnectReason"), contact.disconnectReason)],
      ["Queue", hiddenOr(errors, ["contact", "queue"], contact.queue && contact.queue.name)],
      ["Agent", hiddenOr(errors, ["contact", "agent"], contact.agent && contact.agent.username)],
      ["Agent's name", agentName()],
      ["Customer", hiddenOr(errors, at("customerEndpoint"), contact.customerEndpoint && `${contact.customerEndpoint.address} (${contact.customerEndpoint.type})`)],
      ["Attributes", hiddenOr(errors, at("attributes"), contact.attributes && (contact.attributes.map((a) => `${a.key}=${a.value}`).join(", ") || "none"))],
      ["Previous contact", contact.previousContactId || "—"],
      ["Related contact", contact.relatedContactId || "—"],
      ["Initial contact", contact.initialContactId || "—"],
    ];
    const list = html("dl", { "data-details-for": contactId });
    for (const [name, value] of rows) {
      list.append(html("dt", {}, name));
      const cell = html("dd", {}, String(value));
      if (value === "hidden") cell.className = "hidden-field";
      list.append(cell);
    }
    if (state.selected !== contactId) return; // another contact was selected meanwhile
    const quality = html("section", { class: "quality" });
    panel.replaceChildren(html("h2", {}, "Contact details"), list, quality);
    showQuality(contactId, quality);
  }

  function offset(ms) {
    const seconds = Math.max(0, Math.round((ms || 0) / 1000));
    return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
  }

  function refused(errors, path) {
    const error = errorAt(errors, path);
    if (!error) return null;
    const code = (error.extensions || {}).code;
    return code === "FORBIDDEN" ? "hidden: your credentials may not see it" : `unavailable (${code})`;
  }

  async function showQuality(contactId, section) {
    section.replaceChildren(html("h2", {}, "Quality"), html("p", { class: "loading" }, "Loading the transcript and evaluations…"));
    let body;
    try {
      body = await graphql(QUALITY, { contactId, instanceId: state.instanceId });
    } catch (error) {
      section.replaceChildren(html("h2", {}, "Quality"), html("p", { class: "error" }, error.message));
      return;
    }
    const contact = (body.data && body.data.contact) || {};
    const errors = body.errors;
    section.replaceChildren(
      html("h2", {}, "Quality"),
      evaluations(contact.evaluations, refused(errors, ["contact", "evaluations"])),
      transcript(contact.transcript, refused(errors, ["contact", "transcript"])),
      recording(contactId),
    );
    section.setAttribute("data-quality-for", contactId);
  }

  function evaluations(list, problem) {
    const box = html("div", { class: "evaluations" });
    box.append(html("h3", {}, "Evaluations"));
    if (problem || !list || list.length === 0) {
      box.append(html("p", { class: problem ? "hidden-field" : "" }, problem || "None."));
      return box;
    }
    const items = html("ul");
    for (const evaluation of list) {
      const score = evaluation.score || {};
      let shown = "no score";
      if (score.automaticFail) shown = "automatic fail";
      else if (score.notApplicable) shown = "not applicable";
      else if (typeof score.percentage === "number") shown = `${score.percentage.toFixed(0)} %`;
      const item = html("li", { class: "evaluation", "data-evaluation-id": evaluation.id || "" });
      item.append(html("span", { class: "form" }, evaluation.formTitle || "Evaluation"));
      item.append(html("span", { class: "score" }, shown));
      item.append(html("span", { class: "evaluation-status" }, (evaluation.status || "").toLowerCase()));
      items.append(item);
    }
    box.append(items);
    return box;
  }

  function transcript(value, problem) {
    if (problem || !value) {
      const box = html("div", { class: "transcript" });
      box.append(html("h3", {}, "Transcript"));
      box.append(html("p", { class: problem ? "hidden-field" : "" }, problem || "None: the contact was not analysed by Contact Lens."));
      return box;
    }
    const box = html("details", { class: "transcript" }); // collapsed until opened
    const turns = value.segments.length;
    const status = value.status ? `, ${value.status.toLowerCase()}` : "";
    box.append(html("summary", {}, `Transcript: ${turns} turn${turns === 1 ? "" : "s"} (${value.source.toLowerCase().replaceAll("_", " ")}${status})`));
    if (value.summary) box.append(html("p", { class: "summary" }, value.summary));
    if (value.categories.length) box.append(html("p", { class: "categories" }, `Categories: ${value.categories.map((c) => c.name).join(", ")}`));
    const list = html("ol", { class: "turns" });
    for (const segment of value.segments) {
      const role = (segment.participantRole || "unknown").toLowerCase();
      const turn = html("li", { class: `turn role-${role}` });
      turn.append(html("span", { class: "who" }, role));
      turn.append(html("span", { class: "at" }, offset(segment.beginOffsetMillis)));
      if (segment.sentiment) turn.append(html("span", { class: `sentiment ${segment.sentiment.toLowerCase()}` }, segment.sentiment.toLowerCase()));
      turn.append(html("span", { class: "content" }, segment.content || ""));
      list.append(turn);
    }
    box.append(list);
    return box;
  }

  function recording(contactId) {
    const box = html("div", { class: "recording" });
    box.append(html("h3", {}, "Recording"));
    const button = html("button", { type: "button" }, "Get the recording");
    button.addEventListener("click", async () => {
      button.disabled = true;
      let body;
      try {
        body = await graphql(RECORDING, { contactId, instanceId: state.instanceId });
      } catch (error) {
        box.replaceChildren(html("h3", {}, "Recording"), html("p", { class: "error" }, error.message));
        return;
      }
      const url = body.data && body.data.contact && body.data.contact.recordingUrl;
      const error = errorAt(body.errors, ["contact", "recordingUrl"]);
      let shown;
      if (url) {
        // Never played by itself: the player loads the header only, and plays when asked.
        shown = html("audio", { controls: "", preload: "metadata", src: url });
      } else if (error && (error.extensions || {}).code === "FORBIDDEN") {
        shown = html("p", { class: "hidden-field" }, "Playing recordings needs the contacts:recordings scope.");
      } else {
        shown = html("p", {}, error ? `unavailable (${(error.extensions || {}).code})` : "None.");
      }
      box.replaceChildren(html("h3", {}, "Recording"), shown);
    });
    box.append(button);
    return box;
  }

  function wire() {
    $("lookup").addEventListener("submit", (event) => {
      event.preventDefault();
      const params = new URLSearchParams();
      const contactId = $("contact-id").value.trim();
      const instanceId = $("instance-id").value.trim();
      if (contactId) params.set("contactId", contactId);
      if (instanceId) params.set("instanceId", instanceId);
      window.history.pushState(null, "", `?${params}`);
      load();
    });
    $("credentials-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const value = $("secret").value.trim();
      state.credentials = value ? { kind: $("secret-kind").value, value } : null;
      $("secret").value = "";
      $("credentials-state").textContent = value ? "Credentials kept in this page's memory." : "No credentials.";
      $("credentials").open = false;
      load();
    });
    window.addEventListener("popstate", load);
  }

  wire();
  load();
})();
