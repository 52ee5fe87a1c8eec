// A local ESLint plugin enforcing the dependency direction of ../shared/STYLE.md:
//   contracts <- core <- adapters <- services (agent, manager, orchestrator, reasoning, api, sim, web) <- cli
// Services never import each other or the cli. Relative imports are resolved against the importing
// file, so `../../manager/x.js` from src/api/... is caught however it is spelled. No resolver package
// is needed (the one eslint-plugin-import-x depends on cannot be locked reproducibly by npm 11 here).
import path from 'node:path';

export const SERVICES = ['agent', 'manager', 'orchestrator', 'reasoning', 'api', 'sim', 'web'];
const RANK = { contracts: 0, core: 1, adapters: 2, service: 3, cli: 4 };

function layerOf(dir) {
  if (dir === 'contracts' || dir === 'core' || dir === 'adapters' || dir === 'cli') return dir;
  if (SERVICES.includes(dir)) return 'service';
  return undefined;
}

/** `src/<top>/...` → `<top>`, else undefined. */
function topDir(file, srcRoot) {
  const rel = path.relative(srcRoot, file);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  const [top] = rel.split(path.sep);
  return top;
}

const WHY = {
  contracts: 'contracts are the bottom layer: no imports from other layers',
  core: 'core may import only contracts (pure logic, no I/O)',
  adapters: 'adapters may import only contracts and core',
  service: 'services never import each other or the cli: talk through contracts over the bus or the REST API',
};

const layers = {
  meta: {
    type: 'problem',
    docs: { description: 'enforce the layer direction contracts <- core <- adapters <- services <- cli' },
    schema: [{ type: 'object', properties: { srcRoot: { type: 'string' } }, additionalProperties: false }],
    messages: { forbidden: '{{from}} may not import {{to}}: {{why}}' },
  },
  create(context) {
    const srcRoot = path.resolve(context.options[0]?.srcRoot ?? path.join(context.cwd, 'src'));
    const file = context.physicalFilename;
    const fromTop = topDir(file, srcRoot);
    const fromLayer = fromTop && layerOf(fromTop);
    if (!fromLayer || fromLayer === 'cli') return {};

    function check(node, specifier) {
      if (typeof specifier !== 'string' || !specifier.startsWith('.')) return;
      const target = path.resolve(path.dirname(file), specifier);
      const toTop = topDir(target, srcRoot);
      const toLayer = toTop && layerOf(toTop);
      if (!toLayer || toTop === fromTop) return;
      const allowed = fromLayer === 'service' ? RANK[toLayer] < RANK.service : RANK[toLayer] < RANK[fromLayer];
      if (!allowed) context.report({ node, messageId: 'forbidden', data: { from: `src/${fromTop}`, to: `src/${toTop}`, why: WHY[fromLayer] } });
    }

    return {
      ImportDeclaration: (node) => check(node.source, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node.source, node.source.value),
      ExportAllDeclaration: (node) => check(node.source, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node.source, node.source.value),
    };
  },
};

export const layersPlugin = { meta: { name: 'aetherius-layers' }, rules: { layers } };
