import { AppError } from "@conclave/errors";

/** Returns `value` if it is an integer of at least `min`; throws a validation error naming `field` otherwise. */
export function requireInt(value: number, field: string, min: number): number {
  if (!Number.isInteger(value) || value < min) invalid(field, `an integer >= ${min}`, value);
  return value;
}

/** Returns `value` if it is at least `low` (or above it, when `lowExcluded`) and at most `high`; throws otherwise. */
export function requireRange(
  value: number,
  field: string,
  low: number,
  high: number,
  lowExcluded = false,
): number {
  const aboveLow = lowExcluded ? value > low : value >= low;
  if (!(aboveLow && value <= high))
    invalid(field, `${lowExcluded ? ">" : ">="} ${low} and <= ${high}`, value);
  return value;
}

function invalid(field: string, must: string, value: number): never {
  throw new AppError("validation", `${field} must be ${must}, got ${value}`, {
    fields: [{ path: field, message: `must be ${must}` }],
  });
}
