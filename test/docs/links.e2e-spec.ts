/**
 * The documentation holds together: every relative link and anchor in README.md, bench/README.md and
 * docs/ resolves, and every code block is either compiled by a test (`<!-- compiled: <test file> -->`)
 * or says it is an excerpt (`<!-- excerpt -->`), so that no snippet silently drifts from the code.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { codeBlocks, documentationFiles, headingAnchors, links, read, REPO_ROOT, repoPath } from './markdown';

/** Blocks that show output or a configuration error, not code a reader copies. */
const OUTPUT_LANGS = new Set(['', 'text', 'console']);

describe('the documentation', () => {
  const files = documentationFiles();

  it('has the front door and the pages it links to', () => {
    expect(files.map(repoPath)).toEqual(expect.arrayContaining(['README.md', 'docs/options.md']));
    expect(statSync(join(REPO_ROOT, 'README.md')).size).toBeLessThanOrEqual(20 * 1024);
  });

  it.each(files.map((file) => [repoPath(file), file]))(
    '%s: every relative link and anchor resolves',
    (_name, file) => {
      const broken: string[] = [];
      for (const { line, target } of links(read(file))) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
        const [path = '', anchor] = target.split('#');
        const targetFile = path === '' ? file : resolve(dirname(file), decodeURIComponent(path));
        if (!existsSync(targetFile)) {
          broken.push(`line ${line}: ${target} (no such file)`);
          continue;
        }
        if (anchor !== undefined && targetFile.endsWith('.md')) {
          if (!headingAnchors(read(targetFile)).has(anchor)) {
            broken.push(`line ${line}: ${target} (no heading with anchor #${anchor})`);
          }
        }
      }
      expect(broken).toEqual([]);
    },
  );

  it.each(files.map((file) => [repoPath(file), file]))(
    '%s: every code block is compiled by a test or marked as an excerpt',
    (_name, file) => {
      const unmarked: string[] = [];
      for (const block of codeBlocks(read(file))) {
        if (OUTPUT_LANGS.has(block.lang)) continue;
        const marker = block.marker ?? '';
        const compiled = /^compiled:\s*(\S+)/.exec(marker)?.[1];
        if (compiled !== undefined) {
          if (!existsSync(join(REPO_ROOT, compiled))) {
            unmarked.push(`line ${block.line}: compiled by ${compiled}, which does not exist`);
          }
          continue;
        }
        if (!/^excerpt\b/.test(marker))
          unmarked.push(`line ${block.line}: \`\`\`${block.lang} without a marker`);
      }
      expect(unmarked).toEqual([]);
    },
  );

  it('finds a broken link, a missing anchor and an unmarked block (the checks can fail)', () => {
    const sample = '# Title\n\nSee [x](#nope) and [y](./missing.md).\n\n```ts\nconst a = 1;\n```\n';
    expect(links(sample).map((l) => l.target)).toEqual(['#nope', './missing.md']);
    expect(headingAnchors(sample).has('nope')).toBe(false);
    expect(headingAnchors(sample).has('title')).toBe(true);
    expect(codeBlocks(sample)[0]?.marker).toBeUndefined();
  });

  it('computes GitHub anchors for punctuation and repeated headings', () => {
    const anchors = headingAnchors('## Your own transaction (`{ manager }`)\n## Limits\n## Limits\n');
    expect([...anchors]).toEqual(['your-own-transaction--manager-', 'limits', 'limits-1']);
  });
});
