import * as assert from 'node:assert/strict';
import { XmlDocument, XmlElement, XmlNode } from '../../../src/libvirt/xml/xmlDocument';
import { fixture, FIXTURES } from './helpers';

/** Structural dump with every recorded offset, to compare an edited tree with a fresh parse. */
function shape(nodes: XmlNode[]): unknown[] {
  const out: unknown[] = [];
  for (const n of nodes) {
    if (n.kind === 'element') {
      out.push([n.name, n.start, n.openEnd, n.closeStart, n.end, n.selfClosing, n.attributes.map((a) => [a.name, a.value, a.start, a.valueStart, a.valueEnd, a.end]), shape(n.children)]);
    } else if (n.kind !== 'text') out.push([n.kind, n.start, n.end]);
  }
  return out;
}

/** Deterministic PRNG (mulberry32) so a failure reproduces. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function allElements(el: XmlElement, out: XmlElement[] = []): XmlElement[] {
  out.push(el);
  for (const c of el.elements()) allElements(c, out);
  return out;
}

describe('XmlDocument edit consistency (unit)', function () {
  this.timeout(30000);
  it('after any sequence of edits the tree equals a fresh parse of the text', () => {
    for (const name of FIXTURES) {
      for (let seed = 1; seed <= 15; seed++) {
        const r = rng(seed * 7919 + name.length);
        // odd seeds use CRLF line endings
        const doc = XmlDocument.parse(seed % 2 ? fixture(name).replace(/\n/g, '\r\n') : fixture(name));
        for (let step = 0; step < 40; step++) {
          const els = allElements(doc.root);
          const el = els[Math.floor(r() * els.length)]!;
          const op = Math.floor(r() * 6);
          const label = `${name} seed ${seed} step ${step} op ${op} on <${el.name}>`;
          if (op === 0) doc.setAttribute(el, r() < 0.5 && el.attributes[0] ? el.attributes[0].name : `x${step}`, r() < 0.2 ? '' : `v<&>'"${step}`);
          else if (op === 1 && el.attributes.length) doc.removeAttribute(el, el.attributes[Math.floor(r() * el.attributes.length)]!.name);
          else if (op === 2 && el.elements().length === 0) doc.setTextContent(el, r() < 0.2 ? '' : `t&${step}`);
          else if (op === 3) {
            const kids = el.elements();
            const ref = kids[Math.floor(r() * kids.length)];
            const where = ref && r() < 0.5 ? (r() < 0.5 ? { before: ref } : { after: ref }) : {};
            doc.insertElement(el, r() < 0.5 ? `<n${step} a='1'/>` : `<n${step}>\n  <m/>\n</n${step}>`, where);
          } else if (op === 4 && el !== doc.root) doc.removeElement(el);
          else if (op === 5 && el !== doc.root) doc.replaceElement(el, `<r${step}/>`);
          const fresh = XmlDocument.parse(doc.text);
          if (seed % 2) assert.ok(!/[^\r]\n/.test(doc.text), `${label}: bare LF in a CRLF document`);
          const got = JSON.stringify(shape(doc.nodes));
          if (got !== JSON.stringify(shape(fresh.nodes))) assert.deepEqual(shape(doc.nodes), shape(fresh.nodes), label);
        }
      }
    }
  });
});
