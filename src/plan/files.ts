/** The files of a plan directory (plans/NAME). */
export const PLAN_FILE = 'plan.json';
export const SECRETS_FILE = 'secrets';
export const ROLLBACK_FILE = 'rollback.sh';
