// Codicons inside <vscode-icon>'s shadow root without a stylesheet request per icon. The element
// would link the page's codicon stylesheet again in every instance; each such request goes through
// VS Code's webview service worker, and one cancelled by the page (an icon replaced while its
// stylesheet loads, or the tab closed) stays pending in the worker until its 30 s timeout, which
// makes the next webview opened wait that long before it loads anything. Instead every icon adopts
// one constructed stylesheet with the glyph rules, built from the bundled codicon.css (constructed
// stylesheets are not governed by CSP). The font itself stays declared by the page's stylesheet
// (fonts declared inside a shadow root are not used). Import before any icon is created.

import { VscodeIcon } from '@vscode-elements/elements/dist/vscode-icon/index.js';
import codiconCss from '@vscode/codicons/dist/codicon.css';

const glyphs = new CSSStyleSheet();
glyphs.replaceSync(codiconCss.replace(/@font-face\s*\{[^}]*\}/g, ''));
// First: the element's own styles must win over codicon.css, as they did over its <link>
// (adopted stylesheets come after a shadow root's linked ones in the cascade).
VscodeIcon.elementStyles.unshift(glyphs);
// No <link> in the shadow root (its href stays unset, so nothing is requested).
Object.defineProperty(VscodeIcon.prototype, '_getStylesheetConfig', { value: () => ({ href: undefined, nonce: undefined }) });
