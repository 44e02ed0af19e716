/**
 * Reading the project's Markdown the way GitHub renders it: headings and their anchors, links, and
 * fenced code blocks with the marker comment above them. Used by the documentation tests.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export const REPO_ROOT = join(__dirname, '..', '..');

/** README.md, bench/README.md and every page under docs/. */
export function documentationFiles(): string[] {
  const docs = readdirSync(join(REPO_ROOT, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.md'))
    .map((name) => join(REPO_ROOT, 'docs', name));
  return [join(REPO_ROOT, 'README.md'), join(REPO_ROOT, 'bench', 'README.md'), ...docs];
}

export function repoPath(file: string): string {
  return relative(REPO_ROOT, file);
}

export interface CodeBlock {
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  code: string;
  /** The HTML comment on the nearest non-blank line above the fence, without `<!--` and `-->`. */
  marker: string | undefined;
}

const FENCE = /^(\s*)(```+|~~~+)\s*([\w-]*)/;

/** The fenced code blocks of a Markdown text (indented fences inside lists included). */
export function codeBlocks(markdown: string): CodeBlock[] {
  const lines = markdown.split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i] ?? '');
    if (!open) continue;
    const [, indent = '', fence = '```', lang = ''] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const line = lines[j] ?? '';
      if (line.trim().startsWith(fence) && line.trim().replace(/[`~]/g, '') === '') break;
      body.push(line.startsWith(indent) ? line.slice(indent.length) : line);
    }
    let k = i - 1;
    while (k >= 0 && (lines[k] ?? '').trim() === '') k--;
    const above = (lines[k] ?? '').trim();
    const marker = /^<!--\s*(.*?)\s*-->$/.exec(above)?.[1];
    blocks.push({ line: i + 1, lang, code: body.join('\n'), marker });
    i = j;
  }
  return blocks;
}

/** The text of a Markdown document with its fenced code blocks blanked (so that `#` in code is no heading). */
function withoutCode(markdown: string): string[] {
  const lines = markdown.split('\n');
  let inFence: string | undefined;
  return lines.map((line) => {
    const open = FENCE.exec(line);
    if (inFence) {
      if (line.trim().startsWith(inFence) && line.trim().replace(/[`~]/g, '') === '') inFence = undefined;
      return '';
    }
    if (open) {
      inFence = open[2];
      return '';
    }
    return line;
  });
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of withoutCode(markdown)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const text = (heading[1] ?? '')
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/<[^>]+>/g, '')
      .toLowerCase();
    const base = text.replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/ /g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

export interface Link {
  line: number;
  target: string;
}

/** Inline links and images outside code: `[text](target)`. */
export function links(markdown: string): Link[] {
  const found: Link[] = [];
  withoutCode(markdown).forEach((line, index) => {
    const text = line.replace(/`[^`]*`/g, '');
    for (const match of text.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      found.push({ line: index + 1, target: match[1] ?? '' });
    }
  });
  return found;
}

export function read(file: string): string {
  return readFileSync(file, 'utf8');
}
