/** The embedding map: SelfLabel: Show Embedding Map (a 2-D map of every item, src/extension/webviews/map/). */
import type { Controller } from '../controller';
import { openMap } from '../webviews/map/registration';
import { COMMANDS } from './ids';
import type { CommandTable } from './registry';

export function mapCommands(c: Controller): CommandTable {
  return {
    [COMMANDS.showMap]: () => {
      c.requireSession();
      openMap();
    },
  };
}
