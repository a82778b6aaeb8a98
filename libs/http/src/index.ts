export { type Listening, listen } from "./listen.js";
export { onError, type Problem, problemOf, problemResponse, statusOf } from "./problem.js";
