// Enumerated attribute values read from libvirt's RelaxNG files, to name the offending attribute
// and its allowed values when libxml2 only says an element "failed to validate". Only lexical
// structure is followed (an <element>'s content and the <define>s it references); anything else
// (data types, name classes) makes that attribute "not enumerated".

import { XmlDocument, XmlElement } from './xmlDocument';

export class SchemaValueIndex {
  /** element -> attribute -> allowed values; `null` when some definition is not an enumeration. */
  private readonly values = new Map<string, Map<string, Set<string> | null>>();

  /** Indexes `start` and the files it includes (so nodedev's <link> does not mix with the domain's). */
  static build(files: ReadonlyMap<string, Buffer>, start = 'domain.rng'): SchemaValueIndex {
    const idx = new SchemaValueIndex();
    const defines = new Map<string, XmlElement[]>();
    const docs: XmlDocument[] = [];
    const queue = [start];
    const loaded = new Set<string>();
    while (queue.length > 0) {
      const name = queue.shift()!;
      const buf = files.get(name);
      if (loaded.has(name) || !buf) continue;
      loaded.add(name);
      const doc = XmlDocument.parse(buf.toString('utf8'));
      docs.push(doc);
      const includes = (el: XmlElement): void => {
        if ((el.name === 'include' || el.name === 'externalRef') && el.attr('href')) queue.push(el.attr('href')!.replace(/^.*\//, ''));
        for (const c of el.elements()) includes(c);
      };
      includes(doc.root);
      const walk = (el: XmlElement): void => {
        if (el.name === 'define') {
          const n = el.attr('name');
          if (n !== undefined) defines.set(n, [...(defines.get(n) ?? []), el]);
        }
        for (const c of el.elements()) walk(c);
      };
      walk(doc.root);
    }
    const elements: [XmlDocument, XmlElement][] = [];
    const collect = (doc: XmlDocument, el: XmlElement): void => {
      if (el.name === 'element' && el.attr('name') !== undefined) elements.push([doc, el]);
      for (const c of el.elements()) collect(doc, c);
    };
    for (const d of docs) collect(d, d.root);
    // A define's document is needed to read <value> text; remember it per element.
    const docOf = new Map<XmlElement, XmlDocument>();
    for (const d of docs) {
      const mark = (el: XmlElement): void => {
        docOf.set(el, d);
        for (const c of el.elements()) mark(c);
      };
      mark(d.root);
    }
    for (const [, el] of elements) {
      // Also keyed by the lexically enclosing element ("video/model"), which tells apart the
      // many <model>s; definitions reached only through <ref> stay under the bare name.
      let up = el.parent;
      while (up && !(up.name === 'element' && up.attr('name') !== undefined)) up = up.parent;
      const keys = up ? [el.attr('name')!, `${up.attr('name')!}/${el.attr('name')!}`] : [el.attr('name')!];
      const seen = new Set<string>();
      const visit = (node: XmlElement): void => {
        for (const c of node.elements()) {
          if (c.name === 'element') continue;
          if (c.name === 'attribute' && c.attr('name') !== undefined) for (const k of keys) idx.add(k, c.attr('name')!, enumerated(docOf.get(c)!, c));
          else if (c.name === 'ref') {
            const r = c.attr('name');
            if (r === undefined || seen.has(r)) continue;
            seen.add(r);
            for (const def of defines.get(r) ?? []) visit(def);
          } else visit(c);
        }
      };
      visit(el);
    }
    return idx;
  }

  private add(el: string, attr: string, vals: Set<string> | null): void {
    let m = this.values.get(el);
    if (!m) this.values.set(el, (m = new Map()));
    const cur = m.get(attr);
    if (cur === null) return;
    if (vals === null) m.set(attr, null);
    else m.set(attr, new Set([...(cur ?? []), ...vals]));
  }

  /** Allowed values of an attribute, or undefined when they are not a plain enumeration. */
  allowed(element: string, attribute: string, parent?: string): string[] | undefined {
    const specific = parent !== undefined ? this.values.get(`${parent}/${element}`)?.get(attribute) : undefined;
    const v = specific ?? this.values.get(element)?.get(attribute);
    return v ? [...v] : undefined;
  }
}

/** Values of an <attribute> made only of <value>s (possibly in <choice>), else null. */
function enumerated(doc: XmlDocument, attr: XmlElement): Set<string> | null {
  const out = new Set<string>();
  const walk = (el: XmlElement): boolean => {
    for (const c of el.elements()) {
      if (c.name === 'value') out.add(doc.textContent(c).trim());
      else if (c.name === 'choice') {
        if (!walk(c)) return false;
      } else return false;
    }
    return true;
  };
  return walk(attr) && out.size > 0 ? out : null;
}

/** The allowed value closest to `value` (edit distance <= 2, or a case-only difference). */
export function closestValue(value: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const a of allowed) {
    const d = a.toLowerCase() === value.toLowerCase() ? 0 : distance(value, a);
    if (d < bestD) [best, bestD] = [a, d];
  }
  return best;
}

function distance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}
