import type { AuditCheck } from '../finding-types.js';

/** postgresql.conf (with its includes) has entries the server rejects. */
export const check: AuditCheck = {
  id: 'conf-file-errors',
  title: 'postgresql.conf on disk has errors or changes pending a restart',
  run(s) {
    // "setting could not be applied" is also how the server reports a restart-only change still
    // pending (the file differs from the running value): serious, but not a broken file.
    const errors = s.fileSettings.filter((r) => r.error !== null);
    const broken = errors.some(
      (r) => r.error !== 'setting could not be applied' && !r.error!.includes('without restarting'),
    );
    return errors.length === 0
      ? []
      : [
          {
            severity: broken ? ('high' as const) : ('medium' as const),
            evidence: errors.map(
              (r) =>
                `${r.sourcefile ?? '(server)'}${r.sourceline ? `:${r.sourceline}` : ''}: ${r.name ? `${r.name} = '${r.setting}': ` : ''}${r.error}`,
            ),
            why: broken
              ? 'A reload with errors applies nothing from the files; the next restart may refuse to start.'
              : 'The files say something the running server does not do: the next restart changes these settings (or fails on an invalid value).',
            fix: {
              stage: 'preflight' as const,
              text: 'Fix the entries (pgharden inspect conf shows each one) before any change.',
            },
          },
        ];
  },
};
