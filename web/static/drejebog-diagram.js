// Draw the drejebog's diagram with the vendored Mermaid (web/static/mermaid.min.js, v11.17.2,
// MIT: mermaid.LICENSE). 'strict': labels are text, never HTML or script from the drejebog.
mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });
mermaid.run({ querySelector: "pre.mermaid" });
