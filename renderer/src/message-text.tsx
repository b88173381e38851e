/** Renders the plain-text body as a text node, so markup in it shows as typed. */
export function MessageText({ text }: { text: string | null }) {
  if (text === null || text === '') {
    return <p className="muted">This message has no text body.</p>;
  }
  return (
    <pre className="text-body" aria-label="Text body">
      {text}
    </pre>
  );
}
