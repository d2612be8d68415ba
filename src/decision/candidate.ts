/**
 * Candidates: every request that meets one (an API `candidatePolicy`, a Principal or Authorizer
 * candidate) is decided a second time with them, after the answer is sent, and disagreements are
 * counted and logged (decide.ts).
 *
 * @module
 */

/**
 * The code of a candidate decision that could not be made without calling an authorizer or
 * verifying a token again (a custom authorizer's answer, or a verified token, not in its cache):
 * the request is left out of the comparison and counted as skipped.
 */
export const CANDIDATE_UNDECIDED = 'ERR_CANDIDATE_UNDECIDED'
