import electron = require('electron');

import type { DesktopApi, DesktopApiName, PreloadChannels } from '../src/desktop/messages.js';

// A sandboxed preload script can load no local module, so this file stands alone and
// shares only types with the main process.

function send<Channel extends keyof PreloadChannels>(
  channel: Channel,
  value: PreloadChannels[Channel],
): void {
  electron.ipcRenderer.send(channel, value);
}

function hasFiles(event: DragEvent): boolean {
  return event.dataTransfer?.types.includes('Files') ?? false;
}

const api = {
  restartOnFreePorts: () => send('core:restart-on-free-ports', null),
} satisfies DesktopApi;
const apiName: DesktopApiName = 'mailscope';
electron.contextBridge.exposeInMainWorld(apiName, api);

// Files dropped anywhere on the window go to the main process, which imports the .eml
// files among them. A page cannot learn a dropped file's path; webUtils can.
document.addEventListener('dragover', (event) => {
  if (hasFiles(event)) event.preventDefault();
});
document.addEventListener('drop', (event) => {
  const files = Array.from(event.dataTransfer?.files ?? []);
  if (files.length === 0) return;
  event.preventDefault();
  const paths = files
    .map((file) => electron.webUtils.getPathForFile(file))
    .filter((path) => path !== '');
  if (paths.length > 0) send('eml:dropped', paths);
});
