/**
 * Flag parsing for the subcommands, on Node's util.parseArgs: `--name value` and `--name=value`,
 * strict (an unknown flag or a stray argument is an error naming it). Errors become
 * FactoError('invalid_argument'), which main() reports with exit code 2.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { FactoError } from '@facto/core';

type FlagOptions = NonNullable<ParseArgsConfig['options']>;
type StrictConfig<Options extends FlagOptions> = { args: string[]; options: Options; strict: true; allowPositionals: false };
export type ParsedFlags<Options extends FlagOptions> = ReturnType<typeof parseArgs<StrictConfig<Options>>>['values'];

function usageError(error: unknown): FactoError {
  return new FactoError('invalid_argument', (error as Error).message.split('\n')[0]!);
}

/**
 * `--key "$(cat agent.pem)"` passes a value that starts with dashes, which parseArgs takes for a flag
 * ("argument is ambiguous"). A PEM block after a flag that takes a value is that flag's value.
 */
function joinPemValues(args: readonly string[], options: FlagOptions): string[] {
  const takesValue = new Set<string>();
  for (const [name, option] of Object.entries(options)) {
    if (option.type !== 'string') continue;
    takesValue.add(`--${name}`);
    if (option.short !== undefined) takesValue.add(`-${option.short}`);
  }
  const joined: string[] = [];
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    const next = args[index + 1];
    if (takesValue.has(arg) && next !== undefined && next.startsWith('-----BEGIN ')) {
      joined.push(arg.startsWith('--') ? `${arg}=${next}` : `${arg}${next}`);
      index++;
    } else joined.push(arg);
  }
  return joined;
}

export function parseFlags<const Options extends FlagOptions>(args: readonly string[], options: Options): ParsedFlags<Options> {
  try {
    return parseArgs({ args: joinPemValues(args, options), options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw usageError(error);
  }
}

/** Flags and positional arguments, between `min` and `max` of the latter (`names` says what they are, for the error). */
export function parseCommandLine<const Options extends FlagOptions>(
  args: readonly string[],
  options: Options,
  positional: { readonly min: number; readonly max: number; readonly names: string },
): { values: ParsedFlags<Options>; positionals: string[] } {
  let parsed: { values: ParsedFlags<Options>; positionals: string[] };
  try {
    parsed = parseArgs({ args: joinPemValues(args, options), options, strict: true, allowPositionals: true }) as unknown as typeof parsed;
  } catch (error) {
    throw usageError(error);
  }
  if (parsed.positionals.length < positional.min) throw new FactoError('invalid_argument', `expected ${positional.names}`);
  if (parsed.positionals.length > positional.max) throw new FactoError('invalid_argument', `Unexpected argument '${parsed.positionals[positional.max]}'`);
  return parsed;
}
