// extensionTestsPath target of the main suite: must export run(): Promise<void>.
import { runDir } from '../runner';

export function run(): Promise<void> {
  return runDir(__dirname);
}
