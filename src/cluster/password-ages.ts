/**
 * When each role's password was last set by pgharden. PostgreSQL keeps no such time (pg_authid has
 * only the verifier and VALID UNTIL), so it comes from the plans: plan.json names the step that
 * sets each role's password, the journal records when that step was done.
 */

/** One role's password, as the newest applied plan that set it records it. */
export interface PasswordSet {
  role: string;
  /** When the step that set it was done (ISO 8601). */
  setAt: string;
  /** The plan directory that set it. */
  plan: string;
}

/** The facts the password-age check judges. */
export interface PasswordAges {
  /** The time of the audit (ISO 8601). */
  now: string;
  /** The limit in days: the flag, else the newest plan's spec (`passwordMaxAgeDays`); null: not judged. */
  maxAgeDays: number | null;
  roles: PasswordSet[];
  /** Where the times were read from, for the evidence. */
  source: string;
}
