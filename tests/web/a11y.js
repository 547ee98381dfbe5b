// The page's WCAG 2.1 AA problems that a script can see, as a list of Danish lines (empty:
// none found). Read by tests/web/test_accessibility.py; each check names its criterion.
() => {
  const problems = [];
  const shown = (el) => {
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    return style.visibility !== "hidden" && style.display !== "none" && box.width > 0 && box.height > 0;
  };
  const describe = (el) =>
    `<${el.tagName.toLowerCase()}${el.id ? " id=" + el.id : ""}${el.name ? " name=" + el.name : ""}> «${(el.innerText || el.value || "").trim().slice(0, 40)}»`;

  // 3.1.1 the page's language
  if (document.documentElement.lang !== "da") problems.push("3.1.1: <html> mangler lang=\"da\"");
  // 2.4.2 a title
  if (!document.title.trim()) problems.push("2.4.2: siden har ingen <title>");
  // 1.3.1 / 2.4.1 landmarks, one h1, and a skip link to the main content
  if (document.querySelectorAll("main").length !== 1) problems.push("1.3.1: ikke præcis ét <main>");
  if (!document.querySelector("header")) problems.push("1.3.1: intet <header>");
  for (const nav of document.querySelectorAll("nav")) {
    if (!nav.getAttribute("aria-label") && !nav.getAttribute("aria-labelledby"))
      problems.push("1.3.1: en <nav> uden navn");
  }
  if (document.querySelectorAll("h1").length !== 1) problems.push("1.3.1: ikke præcis én <h1>");
  const focusable = [...document.querySelectorAll("a[href], button, input, select, textarea")].filter(
    (el) => el.type !== "hidden" && !el.disabled
  );
  const skip = focusable[0];
  const target = skip && skip.getAttribute("href") && document.querySelector(skip.getAttribute("href"));
  if (!skip || skip.tagName !== "A" || !target || target.tagName !== "MAIN")
    problems.push("2.4.1: det første, Tab når, er ikke et spring-link til <main>");
  // heading levels never skip one (h2 → h4)
  let level = 0;
  for (const h of document.querySelectorAll("h1, h2, h3, h4, h5, h6")) {
    const next = Number(h.tagName[1]);
    if (next > level + 1) problems.push(`1.3.1: overskriften ${describe(h)} springer et niveau over`);
    level = next;
  }
  // 1.3.1 / 4.1.2 every control has a name: a <label>, aria-label or aria-labelledby
  for (const el of document.querySelectorAll("input, select, textarea")) {
    if (el.type === "hidden") continue;
    const labelled =
      [...(el.labels || [])].some((l) => l.innerText.trim()) ||
      (el.getAttribute("aria-label") || "").trim() ||
      (el.getAttribute("aria-labelledby") || "").split(/\s+/).some((id) => id && document.getElementById(id));
    if (!labelled) problems.push(`1.3.1: feltet ${describe(el)} har ingen etiket`);
  }
  for (const el of document.querySelectorAll("button, a[href]")) {
    if (!(el.innerText || el.getAttribute("aria-label") || "").trim())
      problems.push(`4.1.2: ${describe(el)} har ingen tekst`);
  }
  // ids are unique (a label or aria-describedby would otherwise point at the wrong one)
  const ids = [...document.querySelectorAll("[id]")].map((el) => el.id);
  for (const id of new Set(ids.filter((id, i) => ids.indexOf(id) !== i)))
    problems.push(`4.1.1: id="${id}" bruges flere gange`);
  // 1.3.1 tables: header cells with a scope
  for (const table of document.querySelectorAll("table")) {
    const heads = table.querySelectorAll("th");
    if (!heads.length) problems.push("1.3.1: en tabel uden overskriftsceller (<th>)");
    for (const th of heads) {
      if (!["col", "row", "colgroup", "rowgroup"].includes(th.getAttribute("scope")))
        problems.push(`1.3.1: ${describe(th)} mangler scope`);
    }
  }
  // 3.3.1 an invalid field points at its message
  for (const el of document.querySelectorAll("[aria-invalid=true]")) {
    const ids = (el.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
    if (!ids.some((id) => document.getElementById(id)))
      problems.push(`3.3.1: ${describe(el)} er markeret ugyldigt uden aria-describedby til fejlen`);
  }
  // 1.4.3 contrast of every text against the background it is drawn on
  const rgb = (text) => {
    const m = text.match(/rgba?\(([\d.]+), ([\d.]+), ([\d.]+)(?:, ([\d.]+))?\)/);
    return m ? [Number(m[1]), Number(m[2]), Number(m[3]), m[4] === undefined ? 1 : Number(m[4])] : null;
  };
  const luminance = ([r, g, b]) => {
    const c = [r, g, b].map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const background = (el) => {
    for (let node = el; node; node = node.parentElement) {
      const colour = rgb(getComputedStyle(node).backgroundColor);
      if (colour && colour[3] > 0) return colour;
    }
    return [255, 255, 255, 1];
  };
  const seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!node.textContent.trim() || !el || seen.has(el) || !shown(el)) continue;
    seen.add(el);
    if (el.closest("svg")) continue; // the charts: checked by their own colours below
    const style = getComputedStyle(el);
    const fg = rgb(style.color);
    const bg = background(el);
    const lighter = Math.max(luminance(fg), luminance(bg));
    const darker = Math.min(luminance(fg), luminance(bg));
    const ratio = (lighter + 0.05) / (darker + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5))
      problems.push(`1.4.3: ${describe(el)} har kontrasten ${ratio.toFixed(2)}:1 (${style.color} på rgb(${bg.slice(0, 3)}))`);
  }
  return problems;
}
