// The panel's screens: plain DOM over the REST API (/api/v1), no framework
// and nothing fetched from elsewhere, so it works offline. Every text from
// the server goes in through textContent, never as HTML.
"use strict";

const state = { session: null, account: null };

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function toast(message, isError) {
  const t = document.getElementById("toast");
  t.textContent = message;
  t.className = isError ? "error" : "";
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.hidden = true; }, isError ? 8000 : 3000);
}

class ApiError extends Error {
  constructor(status, error) {
    super(error.message || "request failed");
    this.status = status;
    this.code = error.code;
    this.field = error.field;
    this.details = error.details;
  }
}

async function api(method, path, body) {
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && state.session) headers["X-CSRF-Token"] = state.session.csrf_token;
  const response = await fetch("/api/v1" + path, {
    method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const type = response.headers.get("Content-Type") || "";
  const payload = type.startsWith("application/json") ? await response.json() : await response.text();
  if (!response.ok) {
    const error = payload && payload.error ? payload.error : { message: String(payload) };
    if (response.status === 401 && path !== "/session") showSignIn();
    throw new ApiError(response.status, error);
  }
  return payload;
}

function accountPath(path) { return "/accounts/" + state.account + path; }
const call = (method, path, body) => api(method, accountPath(path), body);

function table(columns, rows, empty) {
  if (!rows.length) return el("p", { class: "muted", text: empty || "Nothing yet." });
  return el("table", {},
    el("thead", {}, el("tr", {}, columns.map(c => el("th", { text: c[0] })))),
    el("tbody", {}, rows.map(row => el("tr", {}, columns.map(c => {
      const v = c[1](row);
      return el("td", {}, v instanceof Node ? v : (v === null || v === undefined ? "" : String(v)));
    })))));
}

function when(time) { return time ? time.replace("T", " ").replace("Z", "") : ""; }

// A form whose submit calls `action(values)`; errors are shown beside it.
function form(fields, label, action) {
  const inputs = {};
  const error = el("span", { class: "error" });
  const node = el("form", { class: "inline" },
    fields.map(f => {
      const input = f.choices
        ? el("select", { name: f.name }, f.choices.map(c => el("option", { value: c, text: c })))
        : el("input", { name: f.name, type: f.type || "text", placeholder: f.placeholder || "", required: f.required });
      inputs[f.name] = input;
      return el("label", {}, f.label, input);
    }),
    el("button", { type: "submit", text: label }), error);
  node.addEventListener("submit", async event => {
    event.preventDefault();
    error.textContent = "";
    const values = {};
    for (const f of fields) {
      const raw = inputs[f.name].value.trim();
      if (raw === "") continue;
      values[f.name] = f.type === "number" ? Number(raw) : raw;
    }
    for (const f of fields)
      if (f.type === "date" && values[f.name]) values[f.name] = values[f.name] + "T00:00:00Z";
    try { await action(values); } catch (e) { error.textContent = describe(e); }
  });
  return node;
}

function describe(e) {
  let text = e.message;
  if (e.field) text = e.field.replace(/^\//, "") + ": " + text;
  return text;
}

function problemsText(problems) {
  return (problems || []).map(p => (p.severity === "warning" ? "warning: " : "") +
    (p.line ? "line " + p.line + ": " : "") + (p.element_id ? p.element_id + ": " : "") + p.message).join("\n");
}

async function act(promise, done) {
  try { const r = await promise; if (done) toast(done); route(); return r; }
  catch (e) { toast(describe(e), true); }
}

// --- screens ---------------------------------------------------------------------------------

const screens = {
  async bots(main) {
    const { bots } = await call("GET", "/bots");
    main.append(el("h1", { text: "Bots" }),
      table([["Id", b => b.id], ["Bot", b => "@" + b.username], ["Mode", b => b.mode],
             ["Served", b => b.enabled ? "yes" : "no"],
             ["Status", b => el("span", { class: "health " + b.health.state, text: b.health.state })],
             ["Last error", b => b.health.last_error
               ? el("span", { class: "error", text: b.health.last_error + " (" + when(b.health.last_error_at) + ")" }) : ""],
             ["Added", b => when(b.created_at)],
             ["", b => el("button", { text: b.enabled ? "Disable" : "Enable",
               onclick: () => act(call("PATCH", "/bots/" + b.id, { enabled: !b.enabled })) })]],
            bots, "No bots yet: add one with its token from @BotFather."),
      el("h2", { text: "Add a bot" }),
      form([{ name: "token", label: "Token from @BotFather", required: true },
            { name: "mode", label: "Updates", choices: ["poll", "webhook"] }], "Add",
           v => act(call("POST", "/bots", v), "Bot added")));
  },

  async courses(main) {
    const { courses } = await call("GET", "/courses");
    main.append(el("h1", { text: "Courses" }),
      table([["Id", c => c.id], ["Name", c => el("a", { href: "#/course/" + c.id, text: c.name })],
             ["Latest version", c => c.latest_version], ["Updated", c => when(c.updated_at)]],
            courses, "No courses yet: bring a YAML file below."),
      el("h2", { text: "New course" }), courseEditor(null));
  },

  async course(main, id) {
    const { versions } = await call("GET", "/courses/" + id + "/versions");
    const latest = versions.length ? versions[versions.length - 1] : null;
    const source = latest
      ? await (await fetch("/api/v1" + accountPath("/courses/" + id + "/versions/" + latest.number + "/source"))).text()
      : "";
    const outline = latest
      ? (await call("GET", "/courses/" + id + "/versions/" + latest.number + "/outline")).elements : [];
    main.append(el("h1", { text: "Course " + id }),
      table([["Version", v => v.number], ["Published", v => when(v.published_at)], ["Source", v => v.source],
             ["", v => el("span", {},
               el("a", { href: "/api/v1" + accountPath("/courses/" + id + "/versions/" + v.number + "/source"),
                         download: "course-" + id + "-v" + v.number + ".yml", text: "Download YAML" }), " · ",
               el("a", { href: "#/preview/" + v.id, class: "preview-link", text: "Preview" }))]],
            versions),
      el("h2", { text: "Outline of version " + (latest ? latest.number : "") }),
      table([["Section", e => e.section], ["Element", e => e.element_id], ["Type", e => e.type]],
            outline.filter(e => e.type !== "section"), "No elements."),
      el("h2", { text: "Edit and publish the next version" }), courseEditor(id, source));
  },

  async deployments(main) {
    const [{ deployments }, { courses }, { bots }] =
      await Promise.all([call("GET", "/deployments?archived=true"), call("GET", "/courses"), call("GET", "/bots")]);
    const button = (label, d, path) => el("button", { text: label,
      onclick: () => act(call("POST", "/deployments/" + d.id + path, {}), label + ": done") });
    main.append(el("h1", { text: "Deployments" }),
      table([["Id", d => d.id], ["Course", d => d.course + " v" + d.version], ["Bot", d => "@" + d.bot],
             ["Environment", d => d.environment], ["State", d => d.state],
             ["", d => el("span", {},
               d.environment === "test" && d.state !== "archived" ? button("Promote to prod", d, "/promote") : null,
               d.state === "active" ? button("Pause", d, "/pause") : null,
               d.state === "paused" ? button("Resume", d, "/resume") : null)]],
            deployments, "Nothing deployed yet."),
      el("h2", { text: "Deploy a course" }),
      form([{ name: "course_id", label: "Course", choices: courses.map(c => String(c.id)) },
            { name: "bot_ids", label: "Bot", choices: bots.map(b => String(b.id)) },
            { name: "environment", label: "Environment", choices: ["test", "prod"] },
            { name: "version", label: "Version (latest if empty)", type: "number" }], "Deploy",
           v => act(call("POST", "/deployments", { ...v, course_id: Number(v.course_id), bot_ids: [Number(v.bot_ids)] }),
                    "Deployed")),
      el("p", { class: "muted", text: "Courses: " + courses.map(c => c.id + " " + c.name).join(", ") +
                                      ". Bots: " + bots.map(b => b.id + " @" + b.username).join(", ") }));
  },

  async tokens(main) {
    const [{ tokens }, { deployments }] = await Promise.all([call("GET", "/tokens"), call("GET", "/deployments")]);
    const qrBox = el("div", { id: "qr-box", class: "qr", hidden: true });
    // The server draws the code; it is shown as an image, never inserted as markup.
    async function showQr(t) {
      try {
        const { svg } = await call("GET", "/tokens/" + t.id + "/qr");
        const src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(svg);
        qrBox.replaceChildren(el("img", { src, width: 240, height: 240, alt: "QR code of " + t.link }),
          el("p", {}, el("code", { class: "link", text: t.link })),
          el("a", { href: src, download: "token-" + t.id + ".svg", text: "Download SVG" }), " ",
          el("button", { text: "Close", onclick: () => { qrBox.hidden = true; } }));
        qrBox.hidden = false;
      } catch (e) { toast(describe(e), true); }
    }
    main.append(el("h1", { text: "Tokens" }),
      table([["Id", t => t.id], ["Deployment", t => t.deployment_id], ["Type", t => t.type], ["Label", t => t.label],
             ["State", t => t.state], ["Uses", t => t.uses + (t.max_uses ? " of " + t.max_uses : "")],
             ["Link", t => t.link ? el("span", {}, el("code", { class: "link", text: t.link }), " ",
               el("button", { text: "Copy", onclick: () => navigator.clipboard.writeText(t.link).then(() => toast("Copied")) })) : ""],
             ["", t => el("span", {},
               t.link ? el("button", { text: "QR code", class: "qr-button", onclick: () => showQr(t) }) : null, " ",
               t.revoked ? null : el("button", { text: "Revoke",
                 onclick: () => act(call("POST", "/tokens/" + t.id + "/revoke", {}), "Revoked") }))]],
            tokens, "No tokens yet: make one to get a start link."),
      qrBox,
      el("h2", { text: "New token" }),
      form([{ name: "deployment_id", label: "Deployment", choices: deployments.map(d => String(d.id)) },
            { name: "type", label: "Type", choices: ["public", "group", "personal", "external"] },
            { name: "label", label: "Label" },
            { name: "max_uses", label: "Max uses (group)", type: "number" },
            { name: "utm_source", label: "UTM source" }], "Create",
           v => act(call("POST", "/tokens", { ...v, deployment_id: Number(v.deployment_id) }), "Token created")));
  },

  async runs(main, _id, query) {
    const params = new URLSearchParams(query || "");
    const { runs } = await call("GET", "/runs?" + params.toString());
    const filter = form([{ name: "status", label: "Status", choices: ["", "active", "completed", "stopped", "blocked", "abandoned"] },
                         { name: "deployment_id", label: "Deployment", type: "number" },
                         { name: "bot_id", label: "Bot", type: "number" },
                         { name: "token_id", label: "Token", type: "number" },
                         { name: "from", label: "Started from", type: "date" },
                         { name: "to", label: "Started before", type: "date" }], "Filter",
      async v => { location.hash = "#/runs?" + new URLSearchParams(v).toString(); });
    main.append(el("h1", { text: "Runs" }), filter,
      table([["Id", r => el("a", { href: "#/run/" + r.id, text: r.id })], ["Student", r => r.username ? "@" + r.username : r.user_id],
             ["Deployment", r => r.deployment_id], ["Token", r => r.token_id], ["Status", r => r.status],
             ["At", r => r.cursor], ["Started", r => when(r.started_at)], ["Ended", r => when(r.ended_at)]],
            runs, "No runs match."));
  },

  async run(main, id) {
    const { run, entries } = await call("GET", "/runs/" + id + "/conversation");
    main.append(el("h1", { text: "Run " + run.id + " — " + (run.username ? "@" + run.username : run.user_id) }),
      el("p", { text: "Status " + run.status + ", started " + when(run.started_at) }),
      el("div", { class: "chat" }, entries.map(bubble)));
  },

  async analytics(main, _id, query) {
    const { courses } = await call("GET", "/courses");
    const params = new URLSearchParams(query || "");
    if (!params.get("course_id") && courses.length) params.set("course_id", String(courses[courses.length - 1].id));
    const courseId = params.get("course_id");
    const filter = "?" + params.toString();
    const picker = el("select", { id: "analytics-course", onchange: e => { location.hash = "#/analytics?course_id=" + e.target.value; } },
      courses.map(c => el("option", { value: c.id, text: c.name, selected: String(c.id) === courseId })));
    main.append(el("h1", { text: "Analytics" }), el("p", {}, "Course ", picker));
    if (!courseId) { main.append(el("p", { class: "muted", text: "No courses yet." })); return; }
    const funnelQuery = "?course_id=" + courseId + (params.get("version") ? "&version=" + params.get("version") : "");
    const [runs, funnel, cohorts, sources] = await Promise.all([
      call("GET", "/analytics/runs" + filter), call("GET", "/analytics/funnel" + funnelQuery),
      call("GET", "/analytics/cohorts" + filter), call("GET", "/analytics/sources" + filter)]);
    const statuses = Object.entries(runs.statuses);
    main.append(
      el("h2", { text: "Runs by status (" + runs.total + ")" }),
      barChart("runs-chart", statuses.map(([k, v]) => [k, v])),
      el("h2", { text: "Funnel, version " + funnel.version }),
      barChart("funnel-chart", funnel.steps.map(s => [s.element_id, s.reached])),
      table([["Element", s => s.element_id], ["Type", s => s.type], ["Reached", s => s.reached],
             ["Dropped after", s => s.drop_off],
             ["Average score", s => s.average_score === null ? "" : s.average_score.toFixed(2) + " of " + s.average_maxscore.toFixed(2)]],
            funnel.steps),
      el("h2", { text: "Cohorts by start week" }),
      barChart("cohorts-chart", cohorts.cohorts.map(c => [c.week, c.started, c.completed]), ["started", "completed"]),
      table([["Week", c => c.week], ["Started", c => c.started], ["Completed", c => c.completed],
             ["Completion", c => Math.round(c.completion_rate * 100) + "%"]], cohorts.cohorts, "No runs yet."),
      el("h2", { text: "Tokens and sources" }),
      table([["Token", s => s.token_id === null ? "(none)" : s.token_id + " " + s.token_type + (s.token_label ? " — " + s.token_label : "")],
             ["UTM source", s => s.utm_source], ["Medium", s => s.utm_medium], ["Campaign", s => s.utm_campaign],
             ["Started", s => s.started], ["Completed", s => s.completed]], sources.sources, "No runs yet."),
      el("p", {}, el("a", { href: "/api/v1" + accountPath("/exports/runs.csv" + filter), text: "Runs as CSV" }), " · ",
                  el("a", { href: "/api/v1" + accountPath("/exports/answers.csv" + filter), text: "Answers as CSV" })));
  },

  // The course played through the real engine with the creator as the
  // student; replies that come later (a dialog, a delay) are fetched as
  // they come. Nothing here reaches Telegram or the analytics.
  async preview(main, versionId) {
    const chat = el("div", { id: "preview-chat", class: "chat preview" });
    const status = el("p", { id: "preview-status", class: "muted" });
    const skip = el("button", { id: "preview-skip", text: "Skip the wait", hidden: true,
      onclick: () => move("/preview/skip", {}) });
    const input = el("input", { id: "preview-input", placeholder: "Write a message", autocomplete: "off" });
    const send = el("form", { class: "inline", id: "preview-form" }, input, el("button", { type: "submit", text: "Send" }));
    send.addEventListener("submit", event => {
      event.preventDefault();
      const text = input.value.trim();
      if (!text) return;
      input.value = "";
      chat.append(el("div", { class: "bubble user", text }));
      move("/preview/moves", { text });
    });
    let runId = null;
    function show(reply) {
      for (const m of reply.messages) chat.append(previewBubble(m, move));
      const run = reply.run;
      if (run) runId = run.id;
      status.textContent = !run ? "Not started." : run.active
        ? "Playing: at " + run.cursor + (run.timer_due_at ? ", waiting until " + new Date(run.timer_due_at).toLocaleTimeString() : "")
        : "Run " + run.status + ".";
      skip.hidden = !(run && run.active && run.timer_due_at);
      if (reply.messages.length) chat.lastChild.scrollIntoView({ block: "nearest" });
    }
    async function move(path, body) {
      try { show(await call("POST", path, body)); } catch (e) { toast(describe(e), true); }
    }
    main.append(el("h1", { text: "Preview" }),
      el("p", { class: "muted", text: "You are the student. Runs played here stay out of analytics and never reach Telegram." }),
      status, chat, send, skip, " ",
      el("button", { id: "preview-restart", text: "Start again", onclick: () => { chat.replaceChildren(); move("/preview", { version_id: Number(versionId) }); } }));
    show(await call("POST", "/preview", { version_id: Number(versionId) }));
    // The page is shown once this returns; leaving it (another screen) stops the polling.
    const poll = setInterval(async () => {
      if (!chat.isConnected) { clearInterval(poll); return; }
      try { show(await call("GET", "/preview" + (runId ? "?run_id=" + runId : ""))); } catch (e) { clearInterval(poll); }
    }, 1500);
  },

  async members(main) {
    const { members } = await call("GET", "/members");
    main.append(el("h1", { text: "Members" }),
      table([["Telegram id", m => m.telegram_user_id], ["Username", m => m.username], ["Role", m => m.role],
             ["", m => el("button", { text: "Remove",
               onclick: () => act(call("DELETE", "/members/" + m.telegram_user_id), "Removed") })]], members),
      el("h2", { text: "Add a member" }),
      form([{ name: "telegram_user_id", label: "Telegram user id", type: "number", required: true },
            { name: "username", label: "Username" },
            { name: "role", label: "Role", choices: ["admin", "owner"] }], "Add",
           v => act(call("POST", "/members", v), "Member added")));
  },

  async "api-keys"(main) {
    const { api_keys } = await call("GET", "/api-keys");
    const shown = el("p", {});
    main.append(el("h1", { text: "API keys" }),
      table([["Id", k => k.id], ["Label", k => k.label], ["Key", k => k.prefix + "_…"], ["Role", k => k.role],
             ["Last used", k => when(k.last_used_at)], ["Revoked", k => when(k.revoked_at)],
             ["", k => k.revoked_at ? "" : el("button", { text: "Revoke",
               onclick: () => act(call("DELETE", "/api-keys/" + k.id), "Revoked") })]], api_keys),
      el("h2", { text: "New key" }),
      form([{ name: "label", label: "What it is for", required: true },
            { name: "role", label: "Role", choices: ["admin", "owner"] }], "Create", async v => {
        const made = await call("POST", "/api-keys", v);
        shown.replaceChildren(el("strong", { text: "Copy it now, it is not shown again: " }),
                              el("code", { class: "link", text: made.key }));
      }), shown);
  },
};

// Horizontal bars drawn in SVG: one row per label, one bar per series.
function barChart(id, rows, series) {
  const NS = "http://www.w3.org/2000/svg";
  const svg = (tag, attrs, text) => {
    const n = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
    if (text !== undefined) n.textContent = text;
    return n;
  };
  const names = series || ["value"];
  const colours = ["#3b6fd8", "#2e9d57", "#d88a3b"];
  const max = Math.max(1, ...rows.flatMap(r => r.slice(1)));
  const rowHeight = 14 * names.length + 10, labelWidth = 170, width = 720;
  const chart = svg("svg", { id, class: "chart", width, height: rows.length * rowHeight + 24, role: "img" });
  rows.forEach((row, i) => {
    const y = i * rowHeight + 4;
    chart.append(svg("text", { x: 0, y: y + 12, "font-size": 12 }, String(row[0]).slice(0, 24)));
    names.forEach((name, j) => {
      const value = row[j + 1];
      const w = Math.round((width - labelWidth - 60) * value / max);
      chart.append(svg("rect", { x: labelWidth, y: y + j * 14, width: Math.max(w, 1), height: 12, fill: colours[j % 3] },
                       undefined));
      chart.append(svg("text", { x: labelWidth + w + 4, y: y + j * 14 + 10, "font-size": 11 }, String(value)));
    });
  });
  if (series) names.forEach((name, j) => chart.append(
    svg("text", { x: labelWidth + j * 110, y: rows.length * rowHeight + 18, "font-size": 11, fill: colours[j % 3] }, "■ " + name)));
  return chart;
}

// One message of the preview chat, its buttons and poll options live.
function previewBubble(m, move) {
  const text = m.text || m.caption || m.question || "";
  const media = (m.items || (m.url ? [{ type: "audio", url: m.url }] : [])).map(item =>
    el("div", { class: "media" }, "[" + item.type + "] ", el("a", { href: item.url, target: "_blank", rel: "noopener", text: item.url })));
  const controls = [];
  for (const b of m.buttons || []) {
    if (b.web_app_url)
      controls.push(el("button", { text: b.text + " (Mini App)", onclick: () => {
        const data = prompt("What the Mini App at " + b.web_app_url + " sends back:");
        if (data !== null) move("/preview/moves", { web_app_data: data });
      } }));
    else controls.push(el("button", { text: b.text, onclick: () => move("/preview/moves", { callback_data: b.callback_data }) }));
  }
  if (m.kind === "poll") {
    if (m.multiple_answers) {
      const boxes = m.options.map((o, i) => el("label", {}, el("input", { type: "checkbox", value: i + 1 }), o));
      controls.push(...boxes, el("button", { text: "Vote", onclick: () => {
        const options = boxes.map(b => b.firstChild).filter(c => c.checked).map(c => Number(c.value));
        if (options.length) move("/preview/moves", { poll_id: m.poll_id, options });
      } }));
    } else {
      m.options.forEach((o, i) => controls.push(el("button", { text: o,
        onclick: () => move("/preview/moves", { poll_id: m.poll_id, options: [i + 1] }) })));
    }
  }
  return el("div", { class: "bubble bot" }, text, media,
            controls.length ? el("div", { class: "buttons live" }, controls) : null);
}

function bubble(entry) {
  const p = entry.payload || {};
  const text = p.text || p.caption || p.question || p.answer || (p.data ? "[" + p.data + "]" : "") ||
               (p.kind ? "<" + p.kind + ">" : JSON.stringify(p));
  const buttons = (p.buttons || p.options || []).flat().map(b => el("span", { text: b.text || b }));
  return el("div", { class: "bubble " + (entry.role === "user" ? "user" : "bot") }, text,
            buttons.length ? el("div", { class: "buttons" }, buttons) : null,
            el("small", { text: entry.element_id + " · " + when(entry.at) +
                                (entry.score !== null && entry.score !== undefined ? " · score " + entry.score : "") }));
}

// The YAML editor: checked as it is typed (courses.check), problems listed
// with their lines; saving creates the course or publishes its next version.
function courseEditor(courseId, initial) {
  const name = courseId ? null : el("input", { id: "course-name", name: "name", placeholder: "Course name", required: true });
  const area = el("textarea", { id: "course-yaml", class: "yaml", spellcheck: "false" });
  area.value = initial || "hello:\n  type: message\n  text: Hello!\n";
  const problems = el("div", { id: "course-problems", class: "problems" });
  const fields = el("div", { id: "course-fields", class: "fields muted" });
  // What the element under the cursor may hold, from the course JSON Schema.
  async function hint() {
    const schema = state.courseSchema || (state.courseSchema = await call("GET", "/courses/schema"));
    const lines = area.value.slice(0, area.selectionStart).split("\n");
    let start = lines.length - 1;
    while (start >= 0 && !/^[^\s#][^:]*:\s*$/.test(lines[start])) start--;
    if (start < 0) { fields.textContent = ""; return; }
    const id = lines[start].replace(/:\s*$/, "");
    const rest = area.value.split("\n").slice(start + 1);
    const end = rest.findIndex(l => /^[^\s#]/.test(l));
    const typeLine = (end < 0 ? rest : rest.slice(0, end)).find(l => /^\s+type:\s*\S/.test(l));
    const type = typeLine ? typeLine.replace(/^\s+type:\s*/, "").replace(/["']/g, "").trim() : "";
    const defs = schema.$defs || {};
    // Each type's own definition is "element-<type>"; "element" holds what all share.
    const def = Object.entries(defs).filter(([name]) => name.startsWith("element-")).map(([, d]) => d)
      .find(d => d.properties && d.properties.type && (d.properties.type.enum || []).includes(type));
    if (!def) {
      fields.textContent = id + ": " + (type ? "unknown type '" + type + "'" : "no type yet") + ". Types: " +
        ((defs.element && defs.element.properties.type.enum) || []).join(", ");
      return;
    }
    const required = def.required || [];
    const props = Object.assign({}, (defs.element || {}).properties || {}, def.properties);
    fields.replaceChildren(el("strong", { text: id + " (" + type + ")" }), ": " + (def.description || ""),
      el("ul", {}, Object.entries(props).filter(([name]) => name !== "type").map(([name, p]) =>
        el("li", {}, el("code", { text: name }), required.includes(name) ? " (required)" : "",
           p.description ? " — " + p.description : ""))));
  }
  for (const event of ["click", "keyup"]) area.addEventListener(event, () => hint().catch(() => {}));
  const file = el("input", { type: "file", accept: ".yml,.yaml,text/yaml" });
  file.addEventListener("change", async () => { if (file.files[0]) { area.value = await file.files[0].text(); check(); } });
  let timer = null;
  async function check() {
    try {
      const r = await call("POST", "/courses/check", { content: area.value });
      problems.className = r.ok ? "problems ok" : "problems";
      problems.textContent = r.ok ? ["No problems.", problemsText(r.problems)].filter(Boolean).join("\n")
                                  : problemsText(r.problems);
    } catch (e) { problems.textContent = describe(e); }
  }
  area.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(check, 400); });
  const save = el("button", { id: "course-save", text: courseId ? "Publish next version" : "Create course", onclick: async () => {
    try {
      const r = courseId
        ? await call("POST", "/courses/" + courseId + "/versions", { content: area.value })
        : await call("POST", "/courses", { name: name.value, content: area.value });
      toast("Published version " + r.version.number);
      location.hash = "#/course/" + r.course.id;
      route();
    } catch (e) {
      problems.className = "problems";
      problems.textContent = e.details ? problemsText(e.details.problems || e.details) : describe(e);
    }
  } });
  check();
  return el("div", {}, name, " ", el("label", {}, "Upload YAML ", file),
            el("div", { class: "editor" }, area, fields), save, problems);
}

// --- shell -----------------------------------------------------------------------------------

function showSignIn() {
  for (const id of ["nav", "account", "sign-out"]) document.getElementById(id).hidden = true;
  document.getElementById("who").textContent = "";
  document.getElementById("main").replaceChildren(el("h1", { text: "Sign in" }),
    el("p", {}, el("a", { href: "/login", text: "Sign in with Telegram" })),
    el("p", { class: "muted", text: "On a new installation the operator prints a one-time link: profo admin login-link --account ID" }));
}

async function route() {
  const main = document.getElementById("main");
  const [path, query] = (location.hash.replace(/^#\/?/, "") || "courses").split("?");
  const [screen, id] = path.split("/");
  for (const a of document.querySelectorAll("#nav a"))
    a.className = a.getAttribute("href") === "#/" + screen ? "current" : "";
  const show = screens[screen] || screens.courses;
  const page = el("div", {});
  // Screens load concurrently when the address changes quickly: only the
  // latest may take the page.
  const turn = route.turn = (route.turn || 0) + 1;
  try {
    await show(page, id, query);
    if (turn === route.turn) main.replaceChildren(page);
  } catch (e) {
    if (e.status !== 401 && turn === route.turn) main.replaceChildren(el("p", { class: "error", text: describe(e) }));
  }
}

async function start() {
  try {
    state.session = await api("GET", "/session");
  } catch (e) {
    showSignIn();
    return;
  }
  const select = document.getElementById("account");
  const accounts = state.session.accounts;
  if (!accounts.length) {
    document.getElementById("main").replaceChildren(el("p", { text: "You are not a member of any account." }));
    return;
  }
  const saved = Number(localStorage.getItem("profo.account"));
  state.account = accounts.some(a => a.id === saved) ? saved : accounts[0].id;
  select.replaceChildren(...accounts.map(a => el("option", { value: a.id, text: a.name + " (" + a.role + ")" })));
  select.value = String(state.account);
  select.addEventListener("change", () => {
    state.account = Number(select.value);
    localStorage.setItem("profo.account", select.value);
    route();
  });
  const user = state.session.user;
  document.getElementById("who").textContent = user.username ? "@" + user.username : user.first_name;
  for (const id of ["nav", "account", "sign-out"]) document.getElementById(id).hidden = false;
  document.getElementById("sign-out").addEventListener("click", async () => {
    await api("DELETE", "/session").catch(() => {});
    state.session = null;
    showSignIn();
  });
  window.addEventListener("hashchange", route);
  route();
}

document.addEventListener("DOMContentLoaded", start);
