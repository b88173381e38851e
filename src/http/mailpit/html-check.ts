/** Mailpit's HTML check result, whose data Mailpit takes from caniemail.com. */
export interface HtmlCheckResponse {
  Platforms: Record<string, string[]>;
  Total: {
    Nodes: number;
    Tests: number;
    /** Percentages. */
    Supported: number;
    Partial: number;
    Unsupported: number;
  };
  Warnings: unknown[];
}

/**
 * Returns the HTML check of a message body with the shape Mailpit uses. Only the count of
 * element nodes is computed.
 *
 * TODO: run the caniemail.com feature tests; until then Tests is 0 and Warnings is empty,
 * so every client is reported as fully supported.
 */
export function checkHtml(html: string): HtmlCheckResponse {
  const nodes = html.match(/<[a-zA-Z][^\s/>]*/g)?.length ?? 0;
  return {
    Platforms: {},
    Total: { Nodes: nodes, Tests: 0, Supported: 100, Partial: 0, Unsupported: 0 },
    Warnings: [],
  };
}
