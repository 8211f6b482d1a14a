// Codicons for <vscode-icon>, with nothing for the page to fetch. The font is bundled into the
// app's script as a data: URI (esbuild.mjs) and added to the document's fonts (a FontFace is
// governed by the page's font-src, which allows data:); fonts are document-wide, so shadow roots
// use it too. Every icon adopts one constructed stylesheet with the glyph rules, built from the
// bundled codicon.css (constructed stylesheets are not governed by CSP). The element would instead
// link the page's codicon stylesheet again in every instance; each such request goes through VS
// Code's webview service worker, and one cancelled by the page (an icon replaced while its
// stylesheet loads, or the tab closed) stays pending in the worker until its 30 s timeout, which
// makes the next webview opened wait that long before it loads anything. Import before any icon
// is created.

import { VscodeIcon } from '@vscode-elements/elements/dist/vscode-icon/index.js';
import codiconCss from '@vscode/codicons/dist/codicon.css';
import codiconFont from '@vscode/codicons/dist/codicon.ttf';

// codicon.css's own @font-face (font-display: block) as a FontFace.
const font = new FontFace('codicon', `url("${codiconFont}") format("truetype")`, { display: 'block' });
document.fonts.add(font);
void font.load();

const glyphs = new CSSStyleSheet();
glyphs.replaceSync(codiconCss.replace(/@font-face\s*\{[^}]*\}/g, ''));
// First: the element's own styles must win over codicon.css, as they did over its <link>
// (adopted stylesheets come after a shadow root's linked ones in the cascade).
VscodeIcon.elementStyles.unshift(glyphs);
// No <link> in the shadow root (its href stays unset, so nothing is requested).
Object.defineProperty(VscodeIcon.prototype, '_getStylesheetConfig', { value: () => ({ href: undefined, nonce: undefined }) });
