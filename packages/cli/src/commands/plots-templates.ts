import { pythonJsonDumps } from '@tvc/params';
import { builtinTemplate, TEMPLATE_NAMES } from '@tvc/plots';
import type { CommandContext } from '../context';
import { writeLine } from '../io';

/** `tvc plots templates [NAME]`: the names of DVC's templates, or one template as DVC prints it. */
export default async function plotsTemplates(
  context: CommandContext,
  name: string | undefined,
): Promise<number> {
  if (name === undefined) {
    for (const templateName of TEMPLATE_NAMES) writeLine(context.io.stdout, templateName);
    return 0;
  }
  const template = builtinTemplate(name);
  if (!template) {
    // As DVC: an error line and exit code 1.
    writeLine(context.io.stderr, `ERROR: Unexpected template: ${name}.`);
    return 1;
  }
  writeLine(context.io.stdout, pythonJsonDumps(template.content));
  return 0;
}
