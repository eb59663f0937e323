/**
 * The demo's last table: `virt compare` with the default workload (4-level guest on 4-level
 * EPT), computed afresh by the same code the command runs.
 */
import { formatCompare, runCompare } from '../mem/virt/compare.js';

export function virtCompareTable(): string {
  const { result, details } = runCompare();
  return formatCompare(result, details);
}
