// Smoke test inside a real VS Code extension host: the extension is present and activates.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

const extensionId = 'libvirt-vms.libvirt-vms';

describe('extension host smoke', () => {
  it('finds the extension under development', () => {
    const ext = vscode.extensions.getExtension(extensionId);
    assert.ok(ext, `${extensionId} is not known to the extension host`);
    assert.equal(ext.packageJSON.publisher, 'libvirt-vms');
  });

  it('activates it', async () => {
    const ext = vscode.extensions.getExtension(extensionId);
    assert.ok(ext);
    await ext.activate();
    assert.equal(ext.isActive, true);
  });

  it('runs in a real VS Code', () => {
    assert.match(vscode.version, /^1\.\d+\.\d+/);
    assert.equal(vscode.env.uiKind === vscode.UIKind.Web || vscode.env.uiKind === vscode.UIKind.Desktop, true);
  });
});
