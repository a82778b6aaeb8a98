export { onError, type Problem, problemOf, problemResponse, statusOf } from "./problem.js";
