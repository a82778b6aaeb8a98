export { listen } from "./listen.js";
export { onError, type Problem, problemOf, problemResponse, statusOf } from "./problem.js";
