/** `virtkit layers [KIND] [--json] [--markdown]`: the field reference of the layer kinds. */
import { UsageError } from '../../errors.js';
import { flagBool, parseArgs } from '../args.js';
import type { Command } from '../command.js';
import { layerMarkdown, layerReference, layersMarkdown, layersReference, layerText, referenceKinds } from '../../net/reference.js';

const help = `usage: virtkit layers [KIND] [--json] [--markdown]

Prints the field reference of every layer kind of the JSON layer format (or of KIND): each
field's width, default, whether the encoder computes it (auto) and what it means, and the
numbers that select the kind. docs/layers.md is the same reference in Markdown.
  --json       {"layers": [{"kind", "title", "selectedBy", "next"?, "fields": [{"name",
               "description", "bits"?, "default"?, "auto", "layouts"?}]}]}
  --markdown   the Markdown of docs/layers.md (one kind's section with KIND)
`;

export const command: Command = {
  summary: 'the field reference of the packet layer kinds (docs/layers.md)',
  help,
  async run(argv, io) {
    const p = parseArgs(argv, { json: 'bool', markdown: 'bool' });
    if (p.positional.length > 1) throw new UsageError(`expected at most one KIND, got ${p.positional.join(' ')}`);
    const json = flagBool(p, 'json');
    const markdown = flagBool(p, 'markdown');
    if (json && markdown) throw new UsageError('--json and --markdown exclude each other');
    const kind = p.positional[0];
    if (kind !== undefined) {
      const r = layerReference(kind);
      if (!r) throw new UsageError(`unknown layer kind '${kind}' (valid: ${referenceKinds().join(', ')})`);
      io.stdout(json ? JSON.stringify({ layers: [r] }) + '\n' : markdown ? layerMarkdown(r) : layerText(r));
      return 0;
    }
    io.stdout(json ? JSON.stringify({ layers: layersReference() }) + '\n' : markdown ? layersMarkdown() : layersReference().map(layerText).join('\n'));
    return 0;
  },
};
