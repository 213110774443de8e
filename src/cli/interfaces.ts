// `portscope interfaces` (and dump -D): list capture devices.
import { CaptureError } from '../capture/batch';

/** TODO(live): implement. */
export async function interfacesMain(argv: readonly string[]): Promise<number> {
  void argv;
  throw new CaptureError('listing interfaces is not implemented yet');
}
