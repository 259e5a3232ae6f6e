import { isNode, LineCounter, parseDocument, type Document } from 'yaml';

/** A parsed YAML file that can say on which line a dotted path sits. */
export interface YamlSource {
  data: unknown;
  /** Syntax errors with their line; when present, `data` is undefined. */
  syntaxErrors: { message: string; line?: number }[];
  lineOf: (path: string) => number | undefined;
}

function segmentCandidates(seg: string): unknown[] {
  return /^-?\d+$/.test(seg) ? [Number(seg), seg] : [seg];
}

function lineIn(doc: Document, counter: LineCounter, path: string): number | undefined {
  const segs = path ? path.split('.') : [];
  // Walk down as far as the path exists, so a missing leaf still points at its parent.
  let keys: unknown[] = [];
  let lastNode: unknown = doc.contents;
  for (const seg of segs) {
    let found = false;
    for (const cand of segmentCandidates(seg)) {
      const node = doc.getIn([...keys, cand], true);
      if (node !== undefined) {
        keys = [...keys, cand];
        lastNode = node;
        found = true;
        break;
      }
    }
    if (!found) break;
  }
  if (!isNode(lastNode) || !lastNode.range) return undefined;
  return counter.linePos(lastNode.range[0]).line;
}

export function readYaml(text: string): YamlSource {
  const counter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter: counter,
    merge: true,
    uniqueKeys: true,
    prettyErrors: false,
  });
  if (doc.errors.length > 0) {
    return {
      data: undefined,
      syntaxErrors: doc.errors.map((e) => ({
        message: e.message.split('\n')[0] ?? e.message,
        line: counter.linePos(e.pos[0]).line,
      })),
      lineOf: () => undefined,
    };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    return {
      data: undefined,
      syntaxErrors: [{ message: err instanceof Error ? err.message : String(err) }],
      lineOf: () => undefined,
    };
  }
  return { data, syntaxErrors: [], lineOf: (path) => lineIn(doc, counter, path) };
}
