// Seeded randomness for simulation tests: the same mulberry32 the decisions bench draws from, so a
// test and the bench replay identical traffic for a seed.
export { mulberry32 } from '../../bench/decisions/random.js';
