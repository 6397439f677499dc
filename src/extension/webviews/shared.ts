/**
 * Host-side request handlers both webviews share (the per-method typed protocol is src/protocol/webview.ts; the
 * channel that validates both directions is ../webviewHost.ts). Every action goes through the same functions as the
 * commands, so trust and the label store behave the same wherever an action starts.
 */
import type { Controller } from '../controller';
import { runPanelCommand, startStage } from '../commands/pipeline';
import { cancel } from '../commands/pipeline';
import { accept, correct, label, openItem, reject, undo } from '../commands/review';
import type { NotificationHandlers, RequestHandlers } from '../webviewHost';

export function sharedRequests(c: Controller): RequestHandlers {
  return {
    run: async ({ stage }) => {
      const r = startStage(c, stage);
      return r.started ? { started: true } : { started: false, message: r.message };
    },
    command: async ({ command }) => {
      // Dialogs may stay open for long: answer now, run the command on its own.
      void runPanelCommand(command).catch((e) => c.log.error(`command ${command} failed`, e));
      return null;
    },
    accept: async ({ items }) => ({ updates: await accept(c, items) }),
    reject: async ({ item }) => ({ updates: await reject(c, item) }),
    correct: async ({ item, label: l }) => ({ updates: await correct(c, item, l) }),
    label: async ({ item, label: l }) => ({ updates: await label(c, item, l) }),
    undo: async () => undo(c),
    open: async ({ item }) => {
      await openItem(c, item);
      return null;
    },
  };
}

export function sharedNotifications(c: Controller): NotificationHandlers {
  return { cancel: () => void cancel(c) };
}
