// A small, safe Markdown renderer: it builds DOM nodes (never HTML strings), so model output and
// people's messages can never inject markup. Supported: paragraphs and line breaks, **bold**,
// *italic* / _italic_, `code`, fenced code blocks, bulleted and numbered lists, headings (shown as
// bold paragraphs), [links](https://...) with http(s) and mailto only, bare https links, and
// citation markers [n] that link to the message's numbered sources.

import { h } from "./dom";

/** Called for a citation marker [n] the message has a source for; returns the node to show. */
export type CiteFactory = (n: number) => Node | null;

const LIST_ITEM = /^\s{0,3}([-*+]|\d{1,9}[.)])\s+(.*)$/;
const FENCE = /^\s{0,3}```/;
const HEADING = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/;
const INLINE =
  /`([^`\n]+)`|\[([^\]\n]+)\]\(([^()\s]+)\)|\*\*(\S(?:[^\n]*?\S)?)\*\*|__(\S(?:[^\n]*?\S)?)__|\*(\S(?:[^*\n]*?\S)?)\*|_(\S(?:[^_\n]*?\S)?)_|\[(\d{1,3})\]|(https?:\/\/[^\s<>"'`]+[^\s<>"'`.,;:!?)\]])/g;

export function safeUrl(raw: string): string | null {
  try {
    const url = new URL(raw);
    return url.protocol === "http:" || url.protocol === "https:" || url.protocol === "mailto:" ? url.href : null;
  } catch {
    return null;
  }
}

function link(href: string, ...children: (Node | string)[]): HTMLAnchorElement {
  return h("a", { href, target: "_blank", rel: "noopener noreferrer" }, ...children);
}

const isWord = (ch: string | undefined): boolean => !!ch && /[A-Za-z0-9]/.test(ch);

/** Inline formatting of one run of text into `out`. */
export function renderInline(text: string, out: Node, cite: CiteFactory | null, inLink = false): void {
  const re = new RegExp(INLINE.source, "g");
  let plain = 0;
  let found: RegExpExecArray | null;
  const flush = (end: number): void => {
    if (end > plain) out.appendChild(document.createTextNode(text.slice(plain, end)));
  };
  while ((found = re.exec(text))) {
    const [whole, code, label, href, bold1, bold2, em1, em2, citeNo, bare] = found;
    const at = found.index;
    let node: Node | null = null;
    if (code !== undefined) node = h("code", {}, code);
    else if (label !== undefined) {
      const url = inLink ? null : safeUrl(href);
      const target: Node = url ? link(url) : document.createDocumentFragment();
      renderInline(label, target, cite, true);
      node = target;
    } else if (bold1 !== undefined || bold2 !== undefined) {
      node = h("strong");
      renderInline((bold1 ?? bold2) as string, node, cite, inLink);
    } else if (em1 !== undefined || em2 !== undefined) {
      // snake_case_words are not emphasis
      if (em2 !== undefined && (isWord(text[at - 1]) || isWord(text[at + whole.length]))) {
        re.lastIndex = at + 1;
        continue;
      }
      node = h("em");
      renderInline((em1 ?? em2) as string, node, cite, inLink);
    } else if (citeNo !== undefined) {
      node = cite ? cite(Number(citeNo)) : null;
    } else if (bare !== undefined && !inLink) {
      const url = safeUrl(bare);
      node = url ? link(url, bare) : null;
    }
    if (node === null) continue; // not ours after all: stays in the plain text
    flush(at);
    out.appendChild(node);
    plain = at + whole.length;
  }
  flush(text.length);
}

function paragraph(lines: string[], cite: CiteFactory | null): HTMLParagraphElement {
  const p = h("p");
  lines.forEach((line, i) => {
    if (i) p.appendChild(h("br"));
    renderInline(line.trim(), p, cite);
  });
  return p;
}

/** Renders `source` as Markdown into a fragment of safe elements. */
export function renderMarkdown(source: string, cite: CiteFactory | null = null): DocumentFragment {
  const out = document.createDocumentFragment();
  const lines = source.replace(/\r\n?/g, "\n").split("\n");
  let para: string[] = [];
  let list: HTMLOListElement | HTMLUListElement | null = null;
  let listOrdered = false;
  const endPara = (): void => {
    if (para.length) out.appendChild(paragraph(para, cite));
    para = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (FENCE.test(line)) {
      endPara();
      list = null;
      const code: string[] = [];
      while (++i < lines.length && !FENCE.test(lines[i])) code.push(lines[i]);
      out.appendChild(h("pre", {}, h("code", {}, code.join("\n"))));
      continue;
    }
    const item = LIST_ITEM.exec(line);
    if (item) {
      endPara();
      const ordered = /\d/.test(item[1]);
      if (!list || ordered !== listOrdered) {
        const start = ordered ? parseInt(item[1], 10) : 1;
        list = ordered ? h("ol", { start: start !== 1 ? start : null }) : h("ul");
        listOrdered = ordered;
        out.appendChild(list);
      }
      const li = h("li");
      renderInline(item[2], li, cite);
      list.appendChild(li);
      continue;
    }
    if (!line.trim()) {
      endPara();
      list = null;
      continue;
    }
    if (list && /^\s{2,}\S/.test(line)) {
      // a continuation line of the last list item
      const last = list.lastChild as HTMLLIElement;
      last.appendChild(h("br"));
      renderInline(line.trim(), last, cite);
      continue;
    }
    list = null;
    const heading = HEADING.exec(line);
    if (heading) {
      endPara();
      const strong = h("strong");
      renderInline(heading[1], strong, cite);
      out.appendChild(h("p", {}, strong));
      continue;
    }
    para.push(line.replace(/^\s{0,3}>\s?/, ""));
  }
  endPara();
  return out;
}
