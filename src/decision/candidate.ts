/**
 * Candidate policies: every request of an API with a `candidatePolicy` is decided a second time
 * with it, after the answer is sent, and disagreements are counted and logged (decide.ts).
 *
 * @module
 */

/**
 * The code of a candidate decision that could not be made without calling an authorizer (a
 * custom authorizer's answer not in the cache): the request is left out of the comparison.
 */
export const CANDIDATE_UNDECIDED = 'ERR_CANDIDATE_UNDECIDED'
