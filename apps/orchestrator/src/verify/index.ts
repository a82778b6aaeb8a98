export { type TurnVerdict, verifyGroup } from "./verify-group.js";
export {
  agentsOfTurn,
  DECIDED_TYPES,
  type Divergence,
  type RecordedEvent,
  type VerifyInput,
  type VerifyResult,
  verifyTurn,
} from "./verify-turn.js";
