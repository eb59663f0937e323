/**
 * Outside tools (tshark, capinfos, qemu-system-x86_64, gdb) that cross-check virtkit.
 * `.ci/run` installs them, and under CI (CI set) or VIRTKIT_REQUIRE_TOOLS=1 a missing tool is a
 * failure. On a developer machine without them the cross-checks are skipped, loudly.
 */
import { spawnSync } from 'node:child_process';

export function hasTool(cmd: string): boolean {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0;
}

const REQUIRED = Boolean(process.env.CI) || process.env.VIRTKIT_REQUIRE_TOOLS === '1';

/**
 * True when the tests needing these tools should run. Throws when they are required (CI) but
 * missing, so CI can never pass by skipping the cross-checks.
 */
export function toolsAvailable(...cmds: string[]): boolean {
  const missing = cmds.filter((c) => !hasTool(c));
  if (missing.length === 0) return true;
  if (REQUIRED) throw new Error(`required tool(s) missing: ${missing.join(', ')} (.ci/run installs them)`);
  console.warn(`SKIPPING cross-checks: ${missing.join(', ')} not installed (run .ci/run or apt-get install them)`);
  return false;
}
