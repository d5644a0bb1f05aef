// paper-rag's page: plain JavaScript over the /v1 API. Text from answers and abstracts
// only ever enters the page as text nodes (textContent), never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
const KEY = "paper-rag-key";
const MARKER = /\[(\d+(?:\s*,\s*\d+)*)\]/g;
let history = [];        // the conversation so far, sent with each question
let lastAnswer = null;   // for "Copy as Markdown" and BibTeX

// A date as precisely as its source gave it: "2020" for a BibTeX year, not 2020-01-01.
function shownDate(item) {
  if (!item.date) return "undated";
  const cut = { year: 4, month: 7 }[item.date_precision];
  return cut ? item.date.slice(0, cut) : item.date;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value);
  }
  for (const child of children) if (child != null) node.append(child);
  return node;
}

function notice(message) {
  const box = $("notice");
  box.textContent = message || "";
  box.hidden = !message;
}

// -- API: bearer key from session storage; 401 asks for it and retries once -----------

let keyWaiters = [];
function askForKey(message) {
  notice(message);
  $("key-form").hidden = false;
  $("key").focus();
  return new Promise((resolve) => keyWaiters.push(resolve));
}
$("key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  sessionStorage.setItem(KEY, $("key").value);
  $("key").value = "";
  $("key-form").hidden = true;
  notice("");
  keyWaiters.splice(0).forEach((resolve) => resolve());
});

async function api(path, options = {}) {
  for (;;) {
    const headers = { ...(options.headers || {}) };
    const key = sessionStorage.getItem(KEY);
    if (key) headers.Authorization = `Bearer ${key}`;
    const response = await fetch(path, { ...options, headers });
    if (response.status !== 401) return response;
    const body = await response.json().catch(() => ({}));
    const reason = key ? "That API key was not accepted; enter a valid one." : "Enter an API key to use this service.";
    sessionStorage.removeItem(KEY);
    await askForKey(`${reason} (${body.error ? body.error.message : "401"})`);
  }
}

async function json(path, options) {
  const response = await api(path, options);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error ? body.error.message : `HTTP ${response.status}`);
  return body;
}

// -- views ----------------------------------------------------------------------------

function show(view) {
  for (const name of ["ask", "check", "search", "paper"]) $(`view-${name}`).hidden = name !== view;
  for (const link of document.querySelectorAll("nav a")) {
    if (link.dataset.view === view) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

function route() {
  const url = new URL(location.href);
  if (url.pathname.startsWith("/papers/")) {
    show("paper");
    renderPaperPage(decodeURIComponent(url.pathname.slice("/papers/".length)));
  } else if (url.pathname === "/search") {
    show("search");
    const q = url.searchParams.get("q");
    $("q").value = q || "";
    $("since").value = url.searchParams.get("since") || "";
    $("until").value = url.searchParams.get("until") || "";
    if (q) runSearch();
  } else if (url.pathname === "/check") {
    show("check");
    const text = url.searchParams.get("text");
    if (text) { $("claim").value = text; runCheck(); }
  } else {
    show("ask");
    const q = url.searchParams.get("q");
    if (q && !history.length) { $("question").value = q; ask(q); }
  }
}

// -- ask: stream the answer, then make [n] clickable -----------------------------------

async function* sse(response) {
  // Server-sent events: blocks separated by a blank line (CRLF, LF or CR line ends, and
  // a separator may arrive split across network chunks).
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const blank = /\r\n\r\n|\n\n|\r\r/;
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let found;
    while ((found = blank.exec(buffer))) {
      const block = buffer.slice(0, found.index);
      buffer = buffer.slice(found.index + found[0].length);
      let event = "message", data = "";
      for (const line of block.split(/\r\n|\r|\n/)) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data += line.slice(5).trim();
      }
      if (data) yield { event, data: JSON.parse(data) };
    }
  }
}

function withCitations(text, answer) {
  // The answer's text with each [n] as a button opening citation n.
  const byNumber = new Map(answer.citations.map((c) => [c.n, c]));
  const out = document.createDocumentFragment();
  let last = 0;
  for (const match of text.matchAll(MARKER)) {
    out.append(text.slice(last, match.index));
    match[1].split(",").map((n) => Number(n.trim())).forEach((n, i) => {
      const citation = byNumber.get(n);
      if (i) out.append(" ");
      out.append(citation
        ? el("button", { type: "button", class: "cite", text: `[${n}]`, "aria-label": `Source ${n}: ${citation.title}`, onclick: () => openCitation(citation) })
        : `[${n}]`);
    });
    last = match.index + match[0].length;
  }
  out.append(text.slice(last));
  return out;
}

const EMPHASIS = /\*\*(?=\S)(.+?)\*\*|\*(?=\S)([^*\n]+?)\*/g;

function inline(text, answer) {
  // **bold** and *italic* as elements, everything else text (citations as buttons).
  const out = document.createDocumentFragment();
  let last = 0;
  for (const match of text.matchAll(EMPHASIS)) {
    out.append(withCitations(text.slice(last, match.index), answer));
    const tag = match[1] !== undefined ? "strong" : "em";
    out.append(el(tag, {}, withCitations(match[1] ?? match[2], answer)));
    last = match.index + match[0].length;
  }
  out.append(withCitations(text.slice(last), answer));
  return out;
}

function formatted(answer) {
  // The small markdown the answers use: paragraphs, "- " bullet lists, emphasis.
  const out = document.createDocumentFragment();
  let list = null;
  for (const line of answer.answer.split("\n")) {
    const bullet = line.match(/^\s*[-*]\s+(.*)$/);
    if (bullet) {
      if (!list) out.append((list = el("ul")));
      list.append(el("li", {}, inline(bullet[1], answer)));
    } else {
      list = null;
      if (line.trim()) out.append(el("p", {}, inline(line, answer)));
    }
  }
  return out;
}

function download(name, text, type) {
  const link = el("a", { href: URL.createObjectURL(new Blob([text], { type })), download: name });
  document.body.append(link);
  link.click();
  link.remove();
}

function renderAnswer(turn, answer) {
  const body = turn.querySelector(".answer");
  body.replaceChildren(formatted(answer));
  body.classList.add("formatted");
  const meta = el("p", { class: "meta" },
    el("span", { class: "badge", text: answer.mode === "llm" ? `LLM: ${answer.model}` : "Extractive (no LLM): quoted sentences" }),
    answer.abstained ? el("span", { class: "badge", text: "Not in these papers" }) : null);
  turn.append(meta);
  for (const warning of answer.warnings) turn.append(el("p", { class: "warning", text: `⚠ ${warning}` }));
  const related = answer.related.slice(0, 5);
  if (related.length && !answer.abstained) {
    turn.append(el("p", { class: "meta", text: "Related papers:" }),
      el("ul", { class: "related" }, ...related.map((r) => el("li", {}, el("a", { href: `/papers/${encodeURIComponent(r.paper_id)}`, text: r.title })))));
  }
  if (answer.citations.length) {
    turn.append(el("div", { class: "row" },
      el("button", { type: "button", class: "secondary", text: "Copy as Markdown", onclick: async (e) => {
        const copied = await navigator.clipboard.writeText(answer.markdown).then(() => true, () => false);
        e.target.textContent = copied ? "Copied" : "Copy failed: no clipboard access";
      } }),
      el("button", { type: "button", class: "secondary", text: "BibTeX", onclick: async () => {
        const ids = answer.citations.map((c) => `ids=${encodeURIComponent(c.paper_id)}`).join("&");
        const response = await api(`/v1/bibtex?${ids}`);
        if (response.ok) download("references.bib", await response.text(), "application/x-bibtex");
        else notice(`BibTeX failed: HTTP ${response.status}`);
      } })));
  }
}

async function ask(question) {
  notice("");
  const turn = el("div", { class: "turn" }, el("p", { class: "question", text: question }), el("div", { class: "answer" }));
  $("conversation").append(turn);
  const body = { messages: [...history, { role: "user", content: question }], stream: true };
  try {
    const response = await api("/v1/chat", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    if (!response.ok) {
      const error = await response.json().catch(() => ({}));
      throw new Error(error.error ? error.error.message : `HTTP ${response.status}`);
    }
    const text = turn.querySelector(".answer");
    for await (const { event, data } of sse(response)) {
      if (event === "delta") text.append(data.text);
      else if (event === "error") throw new Error(data.error.message);
      else if (event === "done") {
        lastAnswer = data;
        renderAnswer(turn, data);
        history.push({ role: "user", content: question }, { role: "assistant", content: data.answer });
      }
    }
  } catch (error) {
    turn.append(el("p", { class: "warning", text: `Could not answer: ${error.message}` }));
  }
}

$("ask-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const question = $("question").value.trim();
  if (!question) return;
  $("question").value = "";
  if (!history.length) window.history.replaceState(null, "", `/?q=${encodeURIComponent(question)}`);
  ask(question);
});
$("question").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); $("ask-form").requestSubmit(); }
});
$("new-chat").addEventListener("click", () => {
  history = [];
  $("conversation").replaceChildren();
  window.history.replaceState(null, "", "/");
  $("question").focus();
});

// -- the paper card, with the quoted sentence highlighted -----------------------------

function highlighted(abstract, quote) {
  const at = quote ? abstract.indexOf(quote) : -1;
  const box = el("p", { class: "abstract" });
  if (at < 0) { box.textContent = abstract; return box; }
  box.append(abstract.slice(0, at), el("mark", { text: quote }), abstract.slice(at + quote.length));
  return box;
}

function paperCard(paper, quote) {
  const links = [];
  if (paper.arxiv_id) links.push(el("a", { href: `https://arxiv.org/abs/${paper.arxiv_id}`, rel: "noopener noreferrer", text: `arXiv:${paper.arxiv_id}` }));
  if (paper.extra && typeof paper.extra.doi === "string") links.push(el("a", { href: `https://doi.org/${paper.extra.doi}`, rel: "noopener noreferrer", text: `doi:${paper.extra.doi}` }));
  if (paper.url && /^https?:\/\//i.test(paper.url)) links.push(el("a", { href: paper.url, rel: "noopener noreferrer", text: "link" }));
  links.push(el("a", { href: `/papers/${encodeURIComponent(paper.paper_id)}`, text: "record" }));
  links.push(el("a", { href: `/v1/papers/${encodeURIComponent(paper.paper_id)}?format=bibtex`, text: "BibTeX", "data-bibtex": paper.paper_id }));
  // each author asks for that author's papers ("papers by X": answered from the records)
  const meta = el("p", { class: "meta" });
  const parts = [shownDate(paper)].filter(Boolean);
  if (paper.authors.length) {
    const names = paper.authors.flatMap((name, i) => [i ? ", " : "", el("a", {
      href: `/?q=${encodeURIComponent(`papers by ${name}`)}`, title: `Papers by ${name} in the index`, text: name })]);
    parts.push(el("span", {}, ...names.filter((part) => part !== "")));
  } else if (paper.author_count) parts.push(`${paper.author_count} authors`);
  parts.forEach((part, i) => meta.append(...(i ? [" · ", part] : [part])));
  return el("article", {},
    el("h2", { text: paper.title }),
    meta,
    el("p", { class: "row" }, ...links),
    highlighted(paper.abstract, quote));
}

async function openCitation(citation) {
  const panel = $("panel-body");
  panel.replaceChildren(el("p", { class: "meta", text: "Loading…" }));
  $("panel").hidden = false;
  document.body.classList.add("panel-open");
  try {
    const paper = await json(`/v1/papers/${encodeURIComponent(citation.paper_id)}`);
    panel.replaceChildren(paperCard(paper, citation.quote));
    const mark = panel.querySelector("mark");
    if (mark) mark.scrollIntoView({ block: "center" });
    $("close-panel").focus();
  } catch (error) {
    panel.replaceChildren(el("p", { class: "warning", text: error.message }));
  }
}
$("close-panel").addEventListener("click", () => {
  $("panel").hidden = true;
  document.body.classList.remove("panel-open");
});
document.addEventListener("keydown", (event) => { if (event.key === "Escape") $("close-panel").click(); });

async function renderPaperPage(paperId) {
  const view = $("view-paper");
  try {
    view.replaceChildren(paperCard(await json(`/v1/papers/${encodeURIComponent(paperId)}`), ""));
  } catch (error) {
    view.replaceChildren(el("p", { class: "warning", text: error.message }));
  }
}

// Downloads of BibTeX need the key too: fetch it rather than following the link.
document.addEventListener("click", async (event) => {
  const link = event.target.closest("a[data-bibtex]");
  if (!link) return;
  event.preventDefault();
  const response = await api(link.getAttribute("href"));
  if (response.ok) download(`${link.dataset.bibtex.replace(/[^\w.-]+/g, "_")}.bib`, await response.text(), "application/x-bibtex");
});

// -- check a claim --------------------------------------------------------------------

function sentences(text) {
  return text.replace(/\s+/g, " ").split(/(?<=[.!?])\s+(?=[A-Z0-9"(])/).map((s) => s.trim()).filter(Boolean);
}

async function runCheck() {
  const out = $("check-results");
  out.replaceChildren();
  for (const sentence of sentences($("claim").value)) {
    const block = el("div", { class: "turn" }, el("p", { class: "question", text: sentence }));
    out.append(block);
    try {
      const result = await json("/v1/cite", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ text: sentence, k: 3 }) });
      if (!result.matches.length) { block.append(el("p", { class: "meta", text: "No support found in these papers." })); continue; }
      block.append(el("ul", { class: "results" }, ...result.matches.map((m) => el("li", {},
        el("a", { href: `/papers/${encodeURIComponent(m.paper_id)}`, text: m.title }),
        el("p", {}, el("mark", { text: m.sentence }))))));
    } catch (error) {
      block.append(el("p", { class: "warning", text: error.message }));
    }
  }
}
$("check-form").addEventListener("submit", (event) => {
  event.preventDefault();
  window.history.replaceState(null, "", `/check?text=${encodeURIComponent($("claim").value)}`);
  runCheck();
});

// -- search ---------------------------------------------------------------------------

async function runSearch() {
  const params = new URLSearchParams({ q: $("q").value, k: "20" });
  if ($("since").value) params.set("since", $("since").value);
  if ($("until").value) params.set("until", $("until").value);
  const out = $("search-results");
  try {
    const body = await json(`/v1/search?${params}`);
    if (!body.results.length) { out.replaceChildren(el("li", { class: "meta", text: "No matching papers." })); return; }
    out.replaceChildren(...body.results.map((r) => el("li", {},
      el("a", { href: `/papers/${encodeURIComponent(r.paper_id)}`, text: r.title }),
      el("span", { class: "meta", text: ` · ${shownDate(r)}` }),
      el("p", { class: "snippet", text: r.snippet }))));
  } catch (error) {
    out.replaceChildren(el("li", { class: "warning", text: error.message }));
  }
}
$("search-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const params = new URLSearchParams({ q: $("q").value });
  if ($("since").value) params.set("since", $("since").value);
  if ($("until").value) params.set("until", $("until").value);
  window.history.replaceState(null, "", `/search?${params}`);
  runSearch();
});

route();
