// Host data (VM, pool and network names, titles, disk paths, USB vendor and product strings that
// come from the device itself, error messages) goes into Markdown tooltips only through here, so
// none of it can add emphasis, links, images, HTML, headings, lists, tables or theme icons.

/**
 * Escapes text for a MarkdownString as literal text on one line: line breaks become spaces, every
 * ASCII punctuation character is backslash-escaped (CommonMark allows it for all of them), and a
 * `$(` is escaped the way VS Code escapes theme icons in MarkdownString.appendText, so a name like
 * `$(alert)` stays text in a tooltip that supports icons.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/[\r\n\u2028\u2029]+/g, ' ')
    .replace(/[!-#%-/:-@[-`{-~]/g, '\\$&')
    .replace(/\$\\\(/g, '\\\\$\\(');
}

/**
 * A Markdown template whose literal parts are the extension's own Markdown and whose every
 * interpolated value is escaped with escapeMarkdown: md`**${vm.name}** (virtual machine)`.
 */
export function md(strings: TemplateStringsArray, ...values: readonly (string | number)[]): string {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += escapeMarkdown(String(values[i])) + (strings[i + 1] ?? '');
  return out;
}
