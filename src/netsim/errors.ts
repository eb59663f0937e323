import { VirtkitError } from '../errors.js';

/**
 * A scenario that cannot be simulated: `where` is the place in the scenario document as a path
 * (`switches[0].ports[2].vlan`, `links[1]`, `events[7]`, or a JSON Lines line), `reason` what
 * is wrong there. The CLI prints it on one line and exits 2.
 */
export class NetsimError extends VirtkitError {
  override name = 'NetsimError';
  constructor(
    readonly where: string,
    readonly reason: string,
  ) {
    super(`${where}: ${reason}`);
  }
}
