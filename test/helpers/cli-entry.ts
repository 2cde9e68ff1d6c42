// Entry used by tests: the same main() the installed launcher calls, run from the sources.
import { main } from '../../src/cli/main.js';

main(process.argv).then((code) => {
  process.exitCode = code;
});
