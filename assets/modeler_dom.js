// A DOM element with a class and text: the modeler's pages build everything with textContent
// (never innerHTML), so model text can never become markup.
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined && text !== null) {
    node.textContent = text;
  }
  return node;
}
