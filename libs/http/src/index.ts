export { type Listening, listen } from "./listen.js";
export { allowOrigin, isPreflight, openPreflight } from "./open-preflight.js";
export { onError, type Problem, problemOf, problemResponse, statusOf } from "./problem.js";
