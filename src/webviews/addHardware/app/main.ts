// The Add Hardware tab's webview (opened from the VM's menu or the palette): the Add Hardware form
// of addHardwareView.ts on its own page. See ../protocol.ts.

import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-form-helper/index.js';
import '@vscode-elements/elements/dist/vscode-icon/index.js';
import '../../shared/app/codiconStyles';
import vmDetailsCss from '../../../../media/vmDetails.css';
import formWidgetsCss from '../../../../media/formWidgets.css';
import addHardwareCss from '../../../../media/addHardware.css';
import { adoptStyles } from '../../shared/app/pageStyles';
import '@vscode-elements/elements/dist/vscode-label/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-textarea/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-tree/index.js';
import '@vscode-elements/elements/dist/vscode-tree-item/index.js';
import { HostChannel } from '../../shared/app/hostChannel';
import type { FromWebview, ToWebview } from '../protocol';
import { AddHardwareView } from './addHardwareView';

adoptStyles(vmDetailsCss, formWidgetsCss, addHardwareCss);

// The view sends nothing until the host's first state arrives, which needs the channel's `ready`.
const view = new AddHardwareView({ send: (m) => channel.send(m), request: (m) => channel.request(m) });
const channel = new HostChannel<ToWebview, FromWebview>((m) => {
  if (m.type === 'init') document.title = m.title;
  view.onMessage(m);
});
document.addEventListener('securitypolicyviolation', (e) => channel.send({ type: 'log', level: 'error', message: `CSP blocked ${e.violatedDirective}: ${e.blockedURI}` }));
document.getElementById('root')!.append(...view.parts);
