// Validates device profiles and their golden vectors: `npm run profiles:check [paths...]`.
// Prints one line per problem (`file: path: reason`), then a summary; exits 1 on any error.
import { checkProfileFiles, defaultProfilesDir, formatProfileIssue } from '@fleet/profiles';

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    console.log('usage: npm run profiles:check [profile.yaml | directory]...');
    console.log(
      'Checks every profile (default: device-profiles/) and vectors/<id>.yaml beside it.',
    );
    return 0;
  }
  const report = await checkProfileFiles(args.length > 0 ? args : [defaultProfilesDir()]);
  const errors = report.issues.filter((i) => i.severity === 'error');
  const warnings = report.issues.filter((i) => i.severity === 'warning');
  for (const i of errors) console.log(formatProfileIssue(i));
  for (const i of warnings) console.log(`warning: ${formatProfileIssue(i)}`);
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  console.log(
    `${errors.length > 0 ? 'FAILED' : 'OK'}: ${plural(report.profiles, 'profile')}, ${plural(report.vectorFiles, 'vector file')} checked; ${plural(errors.length, 'error')}, ${plural(warnings.length, 'warning')}`,
  );
  return errors.length > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 2;
  },
);
