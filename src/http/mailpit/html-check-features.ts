import { parseDocument } from 'htmlparser2';
import postcss, { type Root } from 'postcss';

/** An element of the message HTML with lowercased tag and attribute names. */
interface ElementFact {
  name: string;
  attributes: Record<string, string>;
}

interface DeclarationFact {
  /** Lowercased property name. */
  property: string;
  value: string;
  important: boolean;
}

/** Facts about the message HTML, collected once and read by every feature test. */
export interface HtmlFacts {
  elements: ElementFact[];
  /** Declarations of both `style` attributes and `<style>` elements. */
  declarations: DeclarationFact[];
  /** At-rules of `<style>` elements, with lowercased names. */
  atRules: { name: string; params: string }[];
  /** Every selector of `<style>` elements, grouped selectors split apart. */
  selectors: string[];
  /** Number of `<style>` rules nested inside another rule. */
  nestedRules: number;
  /** Number of `<style>` rules with more than one selector, such as `h1, h2`. */
  groupedRules: number;
  cssComments: number;
  htmlComments: number;
  doctypes: number;
}

/** Element names that Mailpit leaves out of the node count. */
const UNCOUNTED_ELEMENTS = new Set(['html', 'head', 'meta']);

/** Parses CSS, or returns null when it has a syntax error that postcss cannot recover from. */
function parseCss(css: string): Root | null {
  try {
    return postcss.parse(css);
  } catch (error) {
    if (error instanceof postcss.CssSyntaxError) return null;
    throw error;
  }
}

function addCss(facts: HtmlFacts, root: Root, isStyleElement: boolean): void {
  root.walkDecls((declaration) => {
    facts.declarations.push({
      property: declaration.prop.toLowerCase(),
      value: declaration.value,
      important: declaration.important === true,
    });
  });
  root.walkComments(() => {
    facts.cssComments += 1;
  });
  if (!isStyleElement) return;
  root.walkAtRules((atRule) => {
    facts.atRules.push({ name: atRule.name.toLowerCase(), params: atRule.params });
  });
  root.walkRules((rule) => {
    if (rule.parent?.type === 'rule') facts.nestedRules += 1;
    // Keyframe selectors such as `from` and `50%` are not element selectors.
    if (rule.parent?.type === 'atrule' && /keyframes$/i.test(rule.parent.name)) return;
    if (rule.selectors.length > 1) facts.groupedRules += 1;
    facts.selectors.push(...rule.selectors);
  });
}

/**
 * Parses the message HTML with htmlparser2 and the CSS of its `style` attributes and
 * `<style>` elements with postcss. Returns the facts and the number of element nodes.
 *
 * NOTE: a `<style>` element or `style` attribute whose CSS postcss rejects (for example an
 * unclosed block) is left out of the CSS tests.
 */
export function collectFacts(html: string): { facts: HtmlFacts; nodes: number } {
  const facts: HtmlFacts = {
    elements: [],
    declarations: [],
    atRules: [],
    selectors: [],
    nestedRules: 0,
    groupedRules: 0,
    cssComments: 0,
    htmlComments: 0,
    doctypes: 0,
  };
  let nodes = 0;
  const document = parseDocument(html, { lowerCaseTags: true, lowerCaseAttributeNames: true });

  const stack = [...document.children];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === undefined) break;
    if (node.type === 'comment') facts.htmlComments += 1;
    if (node.type === 'directive' && node.name.toLowerCase() === '!doctype') facts.doctypes += 1;
    if (!('attribs' in node)) continue;

    facts.elements.push({ name: node.name, attributes: node.attribs });
    if (!UNCOUNTED_ELEMENTS.has(node.name)) nodes += 1;
    const inlineStyle = node.attribs.style;
    if (inlineStyle !== undefined) {
      const root = parseCss(inlineStyle);
      if (root !== null) addCss(facts, root, false);
    }
    if (node.name === 'style') {
      const css = node.children.map((child) => ('data' in child ? child.data : '')).join('');
      const root = parseCss(css);
      if (root !== null) addCss(facts, root, true);
    }
    stack.push(...node.children);
  }
  return { facts, nodes };
}
