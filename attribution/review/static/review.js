// Keyboard and mouse review of one article. Every decision is sent to the server at once; the
// server's answer redraws the sentence. Text is only ever set with textContent, never innerHTML.
"use strict";

(() => {
  const token = document.querySelector('meta[name="review-token"]').content;
  const reviewerInput = document.getElementById("reviewer");
  const message = document.getElementById("message");
  const list = document.getElementById("sentences");

  reviewerInput.value = localStorage.getItem("reviewer") || document.body.dataset.reviewer || "";
  reviewerInput.addEventListener("change", () => localStorage.setItem("reviewer", reviewerInput.value.trim()));

  function say(text, isError = false) {
    message.textContent = text;
    message.classList.toggle("error", isError);
  }

  if (!list) return; // the article list has no sentences to review

  const articleId = list.dataset.article;
  const certaintyOrder = list.dataset.certaintyOrder.split(" ");
  const sentences = Array.from(list.querySelectorAll("li.sentence"));
  const undoStack = []; // event ids of the decisions made on this page, latest last
  let current = null;

  function setCurrent(item) {
    if (!item) return;
    if (current) current.classList.remove("current");
    current = item;
    current.classList.add("current");
    current.scrollIntoView({ block: "nearest" });
    history.replaceState(null, "", "#" + current.id);
  }

  function reviewer() {
    const name = reviewerInput.value.trim();
    if (!name) {
      say("Enter your name in the Reviewer field first.", true);
      reviewerInput.focus();
      return null;
    }
    localStorage.setItem("reviewer", name);
    return name;
  }

  async function post(url, payload) {
    const name = reviewer();
    if (name === null) return null;
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Review-Token": token },
      body: JSON.stringify({ ...payload, reviewer: name }),
    });
    const answer = await response.json().catch(() => ({ error: response.statusText }));
    if (!response.ok) {
      say(answer.error || "request failed (" + response.status + ")", true);
      return null;
    }
    return answer;
  }

  function redraw(state) {
    const item = document.getElementById("s" + state.id);
    if (!item || state.article !== articleId) return;
    item.classList.remove("unreviewed", "accepted", "corrected");
    item.classList.add(state.status);
    item.dataset.event = state.event === null ? "" : String(state.event);
    item.dataset.named = JSON.stringify(state.named);
    item.classList.toggle("boilerplate", state.boilerplate);
    for (const field of ["speaker", "certainty", "source_text", "status_text"]) {
      item.querySelector(`[data-field="${field}"]`).textContent = state[field];
    }
    item.querySelector('[data-field="speaker"]').className = "speaker sp-" + state.speaker;
    item.querySelector('[data-field="certainty"]').className = "certainty cert-" + state.certainty;
    const grade = item.querySelector('[data-field="grade"]');  // a correction grades the sentence again
    if (grade) {
      grade.textContent = state.grade;
      grade.title = state.reasons;
    }
    const pieces = state.segments.map((segment) => {
      if (!segment.classes) return document.createTextNode(segment.text);
      const span = document.createElement("span");
      span.className = segment.classes;
      span.title = segment.title;
      span.textContent = segment.text;
      return span;
    });
    item.querySelector('[data-field="segments"]').replaceChildren(...pieces);
  }

  function sentenceUrl(item, action) {
    return `/api/articles/${encodeURIComponent(articleId)}/sentences/${item.dataset.sentence}/${action}`;
  }

  async function decide(action, payload = {}) {
    if (!current) return;
    const item = current;
    const state = await post(sentenceUrl(item, action), payload);
    if (!state) return;
    undoStack.push(state.event);
    redraw(state);
    say(`S${state.id}: ${state.status_text}`);
    if (action === "accept") setCurrent(item.nextElementSibling || item);
  }

  async function undo() {
    // Undo this page's latest decision; with none left, the current sentence's standing one.
    const event = undoStack.length ? undoStack.pop() : Number(current && current.dataset.event);
    if (!event) {
      say("nothing to undo", true);
      return;
    }
    const state = await post("/api/undo", { event });
    if (!state) return;
    if (state.id !== undefined) {
      redraw(state);
      setCurrent(document.getElementById("s" + state.id));
    }
    say(`undone decision ${event}`);
  }

  // Character offsets of the selection inside the sentence's text, counted in code points as
  // Python counts them (a string's length in JavaScript counts UTF-16 units).
  function selectedSpan() {
    const selection = window.getSelection();
    if (!selection.rangeCount || selection.isCollapsed) return null;
    const range = selection.getRangeAt(0);
    const node = range.startContainer;
    const text = (node.nodeType === Node.TEXT_NODE ? node.parentElement : node).closest(".text");
    if (!text || !text.contains(range.endContainer)) return null;
    const before = document.createRange();
    before.selectNodeContents(text);
    before.setEnd(range.startContainer, range.startOffset);
    const start = [...before.toString()].length;
    return { item: text.closest("li.sentence"), start, end: start + [...range.toString()].length };
  }

  // The least confident sentence nobody has reviewed. Pressed again on the sentence it led to,
  // it skips that one and goes on down the queue (remembered across pages in sessionStorage).
  async function nextLeastConfident() {
    const queued = JSON.parse(sessionStorage.getItem("queue") || "null");
    const onQueued = queued && current && queued.article === articleId && queued.sentence === Number(current.dataset.sentence);
    const params = onQueued ? `?article=${encodeURIComponent(articleId)}&sentence=${queued.sentence}` : "";
    const response = await fetch("/api/next" + params);
    const answer = await response.json();
    if (answer.done) {
      say("Every sentence has been reviewed.");
      return;
    }
    sessionStorage.setItem("queue", JSON.stringify({ article: answer.article, sentence: answer.sentence }));
    if (answer.article === articleId) setCurrent(document.getElementById("s" + answer.sentence));
    else location.assign(answer.url);
  }

  // A selection inside one sentence becomes that sentence's source, cue or content.
  function spanFromSelection(field, what) {
    const span = selectedSpan();
    if (!span) {
      say(`Select ${what} inside one sentence first.`, true);
      return;
    }
    setCurrent(span.item);
    const offset = Number(span.item.dataset.start);
    window.getSelection().removeAllRanges();
    return decide("correct", { [field]: { start: offset + span.start, end: offset + span.end } });
  }

  const actions = {
    accept: () => decide("accept"),
    undo,
    next: () => setCurrent(current && current.nextElementSibling),
    previous: () => setCurrent(current && current.previousElementSibling),
    next_least_confident: nextLeastConfident,
    cycle_certainty: () => {
      const shown = current.querySelector('[data-field="certainty"]').textContent;
      const next = certaintyOrder[(certaintyOrder.indexOf(shown) + 1) % certaintyOrder.length];
      return decide("correct", { certainty: next });
    },
    source_from_selection: () => spanFromSelection("source", "the source's words"),
    cue_from_selection: () => spanFromSelection("cue", "the reporting cue"),
    content_from_selection: () => spanFromSelection("content", "what is reported"),
    no_source: () => decide("correct", { source: null }),
    toggle_boilerplate: () => decide("correct", { boilerplate: !current.classList.contains("boilerplate") }),
    toggle_named: () => {
      if (JSON.parse(current.dataset.named) === null) {
        say("This sentence has no source to call named or anonymous.", true);
        return;
      }
      return decide("correct", { named: !JSON.parse(current.dataset.named) });
    },
  };

  function run(button) {
    if (button.dataset.correct) return decide("correct", { [button.dataset.correct]: button.dataset.value });
    return actions[button.dataset.action]();
  }

  document.getElementById("panel").addEventListener("mousedown", (event) => {
    if (event.target.closest("button")) event.preventDefault(); // keep the text selection for the span buttons
  });
  document.getElementById("panel").addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (button) run(button);
  });
  list.addEventListener("click", (event) => setCurrent(event.target.closest("li.sentence")));
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || event.target.closest("input, textarea, select")) return;
    const button = document.querySelector(`#panel button[data-key="${CSS.escape(event.key)}"]`);
    if (!button) return;
    event.preventDefault();
    run(button);
  });

  const linked = document.getElementById(location.hash.slice(1));
  setCurrent(sentences.includes(linked) ? linked : sentences[0]);
})();
