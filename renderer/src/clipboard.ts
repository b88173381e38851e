/**
 * Copies text to the clipboard. navigator.clipboard exists only in secure contexts
 * (https, or http on localhost and 127.0.0.1), so a server bound to another address
 * falls back to a hidden text area and the legacy copy command.
 */
export async function copyText(text: string): Promise<void> {
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return;
    } catch {
      // Permission denied or document not focused: try the legacy command below.
    }
  }

  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.append(area);
  area.select();
  const copied = document.execCommand('copy');
  area.remove();
  if (!copied)
    throw new Error(
      'Copying to the clipboard failed: the browser rejected the copy command. Select the text and copy it by hand.',
    );
}
